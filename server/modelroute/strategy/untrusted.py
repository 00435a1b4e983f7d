"""Text that a command or a model produced, made safe to hand to another model. Pure.

Test output and candidate diffs are untrusted: they may hold secrets (an env dump in a failing
test), terminal escapes and invisible characters (bidi overrides, zero-width) that hide text, or
instructions planted by a hostile repository. Before they reach a prompt they are cleaned
(escapes and invisible characters removed), passed through the redactor, cut to a budget keeping
the head and the tail (a test run ends with its summary), and fenced so they read as data.
"""

from __future__ import annotations

import re
import unicodedata

from modelroute.prompt.redact import redact

_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
HEAD_SHARE = 0.3  # of the budget, for the start; the rest for the end


def clean(text: str) -> str:
    """Without terminal escapes and invisible or control characters (newlines and tabs kept), CRLF as LF."""
    text = _ESCAPES.sub("", text).replace("\r\n", "\n")
    return "".join(
        ch for ch in text
        if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
    )


def safe(text: str) -> str:
    """Cleaned and redacted."""
    return redact(clean(text))[0]


def excerpt(text: str, limit: int) -> str:
    """At most `limit` characters: the head and the tail on line boundaries, with what was cut said."""
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    head_budget = int(limit * HEAD_SHARE)
    head: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > head_budget:
            break
        head.append(line)
        used += len(line) + 1
    tail: list[str] = []
    used = 0
    for line in reversed(lines[len(head):]):
        if used + len(line) + 1 > limit - head_budget - 40:
            break
        tail.insert(0, line)
        used += len(line) + 1
    if not head and not tail:  # one huge line: cut inside it
        keep_tail = limit - head_budget - 40
        return f"{text[:head_budget]}\n[… {len(text) - limit + 40} characters cut …]\n{text[-keep_tail:]}"
    cut = len(lines) - len(head) - len(tail)
    return "\n".join([*head, f"[… {cut} lines cut …]", *tail])


def fenced(text: str, info: str = "text") -> str:
    """In a code fence longer than any run of backticks inside, so the text cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


__all__ = ["clean", "excerpt", "fenced", "safe"]
