"""Text -> the learned model's features. Shared by training and classifying, so they cannot drift.

Features are named strings with a value:
- `cue:NAME`: a named cue matched (cues.py); 1.0.
- `lead:STEM`: a word of the opening clause (the imperative verb or question word lives there).
- `w:STEM` and `b:STEM STEM`: the words and word pairs of the request, with pasted code, logs and
  quoted strings masked (text.intent_view), read in the first INTENT_CHARS characters.
- `len:BUCKET`: how long the request is (a one-liner and a pasted issue are different genres).
Word and pair features share a total weight of about 1 (each is 1/sqrt(n)), so a long paste does not
pile up evidence just by being long: calibrated confidence depends on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise

from modelroute.classify.cues import lead_clause, match_cues
from modelroute.classify.text import BODY_CHARS, intent_view, normalize, raw_tokens, stem

INTENT_CHARS = 2500  # the request lives at the start; later paragraphs are context and asides
LEAD_WORDS = 6
_LENGTHS = ((4, "tiny"), (12, "short"), (40, "medium"), (150, "long"))


@dataclass
class TextFeatures:
    values: dict[str, float] = field(default_factory=dict)
    snippets: dict[str, str] = field(default_factory=dict)  # feature -> the text it came from, for reasons


def text_features(text: str) -> TextFeatures:
    """Features of one request. Pure; bounded work on any input size."""
    out = TextFeatures()
    body = normalize(text, BODY_CHARS)
    head = body[:INTENT_CHARS * 2]
    intent = intent_view(head)[:INTENT_CHARS] or head[:INTENT_CHARS]
    lead = lead_clause(intent)
    for cue, snippet in match_cues(lead, intent, body):
        out.values[f"cue:{cue.name}"] = 1.0
        out.snippets[f"cue:{cue.name}"] = snippet
    words = raw_tokens(intent)
    for word in raw_tokens(lead)[:LEAD_WORDS]:
        name = f"lead:{stem(word)}"
        out.values[name] = 1.0
        out.snippets.setdefault(name, word)
    grams: dict[str, str] = {}
    for word in words:
        grams.setdefault(f"w:{stem(word)}", word)
    for a, b in pairwise(words):
        grams.setdefault(f"b:{stem(a)} {stem(b)}", f"{a} {b}")
    if grams:
        share = 1.0 / math.sqrt(len(grams))
        for name, surface in grams.items():
            out.values[name] = share
            out.snippets[name] = surface
    count = len(raw_tokens(body[:20000]))
    bucket = next((name for limit, name in _LENGTHS if count <= limit), "huge")
    out.values[f"len:{bucket}"] = 1.0
    return out
