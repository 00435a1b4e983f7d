"""How long texts (issues, task statements, PR descriptions) are weighed.

A long text states its intent in the title and the opening paragraph; later paragraphs are context,
asides and requirements ("reviewing commit by commit is easier", "must exit with status 1 on a missing
file"). Three structural readings, all pure and cheap (a few regexes over the normalised head):

- the *title*: an issue title that states a behaviour ("`Session.send` drops the header on redirect")
  is a bug report, even when the body hedges ("not sure if this is a bug");
- the *opening*: intent cues found only after the opening count less (see `position_factor`);
- the *task scaffold*: a statement with several absolute paths and a grader/requirements list is a
  terminal task; failure words inside it ("print an error and exit 1") are specifications.
"""

from __future__ import annotations

import re

LONG_CHARS = 700  # below this, every sentence may carry the intent
OPENING_CHARS = 450  # the title and the first paragraph
LATE_FACTOR = 0.6

_TITLE = re.compile(r"\A[#*\s\[\]\w:]{0,20}?([^\n]{8,170})\n\s*\n")
_NOT_SYMPTOM_START = re.compile(
    r"^(?:\[?(?:feature|feat|enh|rfc|proposal|docs?|refactor|review|question|help)\b"
    r"|(?:add|allow|support|make|change|create|implement|refactor|move|rename|split|extract|replace"
    r"|introduce|improve|remove|drop|deprecate|update|use|write|build|set up|install|configure|convert"
    r"|migrate|deduplicate|pull|reorgani[sz]e|restructure|consolidate|expose|let|provide|document"
    r"|you|your|please|can|could|would|what|why|how|when|where|which|is|are|does|do|should)\b)")
_SYMPTOM_VERB = re.compile(
    r"\b(?:returns?|raises|fails|crash(?:es)?|drops|ignores|loses|turns|draws|shows|gives|produces|breaks"
    r"|hangs|leaks|mis-?\w+s|doesn't|does not|is not|isn't|no longer|stops|throws|emits|generates"
    r"|resolves? to|skips|truncates|corrupts|reorders|off by|wrong|incorrect(?:ly)?|instead of|not set"
    r"|not working|broken|false positive|internalerror|segfaults?|keeps|duplicates|swallows|silently)\b")
_SENTENCE_END = re.compile(r"[.!;] ")
_ABS_PATH = re.compile(r"(?<![\w.~])/(?:app|srv|data|etc|opt|var|usr|home|root|tmp|workspace|mnt|run)/")
_GRADER = re.compile(r"\b(?:the (?:tests?|grader|test harness|harness|checker) (?:will |also )?(?:run|check|verif"
                     r"|compare|inspect|build|clone|install|start|create|kill|push|log|time|load|use|compile)\w*"
                     r"|the grader\b|hidden (?:tests?|cases|set)|success criteria|requirements:)")
_MUST = re.compile(r"\bmust\b")


def title_symptom(head: str, raw_len: int) -> str | None:
    """The title of a long issue (`raw_len` counts pasted code too) when it states a misbehaviour."""
    if raw_len < LONG_CHARS:
        return None
    found = _TITLE.match(head)
    if not found:
        return None
    title = found.group(1).strip(" #*`")
    if title.endswith("?") or _SENTENCE_END.search(title) or _NOT_SYMPTOM_START.match(title) or "should" in title:
        return None
    return title if _SYMPTOM_VERB.search(title) else None


def is_task_scaffold(view: str, raw: str) -> bool:
    """A terminal task statement: absolute paths in the environment plus a grader or requirement list.
    `view` is the intent view (code masked); paths are counted in `raw`, where inline code is kept."""
    if len(view) < 400:
        return False
    paths = len(_ABS_PATH.findall(raw[:len(view) + 2000]))
    return paths >= 2 and (bool(_GRADER.search(view)) or len(_MUST.findall(view)) >= 2)


def position_factor(head_len: int, start: int) -> float:
    """Intent found only after the opening of a long text weighs less: it is usually an aside."""
    return LATE_FACTOR if head_len >= LONG_CHARS and start > OPENING_CHARS else 1.0
