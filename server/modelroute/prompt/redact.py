"""Replace secret-looking values by a marker before any text leaves the machine.

Patterns follow the published formats of each credential kind (AWS, GitHub, OpenAI, Anthropic, Slack,
Google, Stripe, private key blocks) plus two generic rules: passwords inside URLs, and long high-entropy
values assigned to names that say secret, token, key or password. False positives cost a little context;
false negatives leak a key, so the generic rules lean towards redacting.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

MARKER = "[REDACTED:{kind}]"


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    group: int = 0  # the group holding the secret; 0 = whole match


_RULES: tuple[_Rule, ...] = (
    _Rule(
        "private-key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
            r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)"
        ),
    ),
    _Rule("aws-access-key", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    _Rule("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b")),
    _Rule("anthropic-key", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{20,}")),
    _Rule("openai-key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}")),
    _Rule("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    _Rule("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    _Rule("stripe-key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[0-9a-zA-Z]{16,}\b")),
    _Rule("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    _Rule("url-password", re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:([^\s@/]{3,})@"), group=1),
    _Rule(
        "aws-secret-key",
        re.compile(r"(?i)aws.{0,20}?(?:secret|key).{0,20}?[:=]\s*[\"']?([A-Za-z0-9/+=]{40})\b"),
        group=1,
    ),
)

# NAME = "value" / NAME: value / NAME="value" where NAME says secret-ish.
_ASSIGNMENT = re.compile(
    r"(?i)\b([A-Za-z0-9_.-]*(?:secret|token|passwd|password|api[_-]?key|private[_-]?key|access[_-]?key|"
    r"client[_-]?secret|auth)[A-Za-z0-9_.-]*)[\"']?\s*(?::=|=>|=|:)\s*[\"']?([^\s\"',;#]{8,})"
)


def _entropy(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _looks_secret(value: str) -> bool:
    """High-entropy literals; identifiers and calls (`os.environ[...]`, `getenv(`) are not secrets."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*(\(.*\))?", value) and not re.search(r"\d", value):
        return False
    if value.startswith(("$", "{", "<", "os.", "env", "process.", "settings.", "config.")):
        return False
    if value.startswith("[REDACTED:"):
        return False
    return (len(value) >= 12 and _entropy(value) >= 3.0) or (len(value) >= 8 and _entropy(value) >= 3.5)


def redact(text: str) -> tuple[str, int]:
    """Return the text with secrets replaced by markers, and how many were replaced."""
    count = 0
    for rule in _RULES:
        text, n = _sub_rule(rule, text)
        count += n

    def assignment(m: re.Match[str]) -> str:
        nonlocal count
        value = m.group(2)
        if not _looks_secret(value):
            return m.group(0)
        count += 1
        start = m.start(2) - m.start(0)
        return m.group(0)[:start] + MARKER.format(kind="secret-assignment")

    text = _ASSIGNMENT.sub(assignment, text)
    return text, count


def _sub_rule(rule: _Rule, text: str) -> tuple[str, int]:
    marker = MARKER.format(kind=rule.kind)
    if rule.group == 0:
        return rule.pattern.subn(marker, text)

    def keep_context(m: re.Match[str]) -> str:
        whole = m.group(0)
        s, e = m.start(rule.group) - m.start(0), m.end(rule.group) - m.start(0)
        return whole[:s] + marker + whole[e:]

    return rule.pattern.subn(keep_context, text)
