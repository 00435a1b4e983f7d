"""Text helpers shared by the cue matcher and the learned model: normalising, windows, tokens."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import islice

BODY_CHARS = 8000  # cap for structure scans (tracebacks, report sections): they sit near the top; huge pastes stay fast

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                         "\u2014": "-", "\u00a0": " "})
_TOKEN = re.compile(r"[a-z][a-z0-9_']*")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "ed", "es", "er", "ly", "s")


def normalize(text: str, limit: int) -> str:
    """Lower-case, straight quotes, no control characters, at most `limit` characters."""
    cut = text[:limit]
    return _CONTROL.sub(" ", cut.translate(_QUOTES)).lower()


@lru_cache(maxsize=8192)  # the same words recur in every text; the suffix loop is the cost
def stem(word: str) -> str:
    """A crude suffix stripper: enough to merge 'crashes', 'crashed' and 'crashing'."""
    word = word.strip("'")
    if word.endswith("n't"):
        return "not"
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def count_tokens(text: str, limit: int) -> int:
    """How many word tokens `text` has, counting no further than `limit`."""
    return sum(1 for _ in islice(_TOKEN.finditer(text), limit))


def raw_tokens(text: str) -> list[str]:
    """Word tokens of already normalised text, unstemmed."""
    return [t.strip("'") for t in _TOKEN.findall(text)]


# Fenced code blocks, indented lines (code, stack frames) and log lines: evidence of what happened,
# not of what the user asks for. They are masked out of the intent window and read only as body.
_FENCED = re.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)", re.DOTALL)
_INDENTED = re.compile(r"^(?: {4,}|\t)\S.*$", re.MULTILINE)
_LOG_LINE = re.compile(r"^\s*(?:\[?\d{4}-\d\d-\d\d[ t]\S+|\$ |>>> |#\d+ |at |\w+\.\w+:\d+|e/|w/|i/|--- fail"
                       r"|\|[^|\n]*\|[^|\n]*\|).*$", re.MULTILINE)
# Headings that issue and pull-request templates put in every report ("### What version of Go are you
# using?", "**Steps to reproduce**", "## Expected behavior"): a template's words say which form was
# filled in, not what this writer wants (labels.md: label what is wanted, never the template).
_TEMPLATE = re.compile(
    r"^[#*\s]*(?:is your feature request related to a problem\??(?: please describe\.?)?"
    r"|describe the (?:solution|alternatives?)[^\n]*|describe alternatives[^\n]*|additional (?:context|information)"
    r"|describe the (?:bug|issue|error)[^\n]*|what happened\??|what did you expect to happen\??|checklist|summary"
    r"|proposed solution|motivation|what version[^\n]*|relevant log output|code of conduct"
    r"|please describe\.?|(?:steps to reproduce|reproduction steps|to reproduce|repro(?:duction)?)[^\n]*"
    r"|(?:expected|actual|current) (?:behaviou?r|result|outcome)[^\n]*|environment|platform|versions?|os|description"
    r"|description of the issue|screenshots?|context|what did you do\??|what did you see instead\??"
    r"|does this issue reproduce[^\n]*|what (?:problem|solution|alternative)[^\n]*|search terms[^\n]*"
    r"|playground link[^\n]*|related issues[^\n]*|code|what does this pr do\??|why is it important\??"
    r"|how to test[^\n]*|subcrates?|problem|solution|feature request|bug report|details|issue|question"
    r"|what is the expected behaviou?r\??|what is the current behaviou?r\??|suggested solution|notes?|logs?)[*:\s]*$",
    re.MULTILINE)
_DQUOTED = re.compile(r"\"[^\"\n]{3,80}\"")
# Inline code (`simplify()`, `session.query(...)`) and bare calls name things; their words are not intent.
_INLINE_CODE = re.compile(r"`[^`\n]{1,120}`|\b[a-z_][\w.]*\(\)")


def intent_view(text: str) -> str:
    """The request without pasted code, logs, template headings or quoted strings (already normalised)."""
    out = _FENCED.sub(" [code] ", text)
    out = _INDENTED.sub(" ", out)
    out = _LOG_LINE.sub(" ", out)
    out = _TEMPLATE.sub(" ", out)
    out = _DQUOTED.sub('"q"', out)
    out = _INLINE_CODE.sub(_mask_code, out)
    return out.strip()


def _mask_code(match: re.Match[str]) -> str:
    """A quoted error message stays readable: it is the report, not a name."""
    span = match.group(0)
    return span if _ERRORISH.search(span) else "zz"


_ERRORISH = re.compile(r"error|exception|fail|uncaught|denied|not found|cannot|can't|unable|invalid|panic")
