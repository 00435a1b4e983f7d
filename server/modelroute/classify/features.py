"""Text -> the learned model's features. Shared by training and classifying, so they cannot drift.

Features are named strings, each present (value 1.0, title words TITLE_VALUE) or absent:
- `cue:NAME`: a named cue matched (cues.py);
- `lead:STEM`: a word of the opening clause (the imperative verb or the question word lives there);
- `title:STEM`: a word of the first line when a body follows (an issue's or a PR's title states its point),
  valued TITLE_VALUE: under an L2 penalty a larger value is a weaker prior on that feature, and on
  held-out families the title carrying twice a body word's say generalised best (docs/classify.md);
- `w:STEM` and `b:STEM STEM`: the words and word pairs of the request, with pasted code, logs and
  quoted strings masked (text.intent_view), read in the first INTENT_CHARS characters;
- `len:BUCKET`: how long the request is (a one-liner and a pasted issue are different genres).
Presence, not counts or length-normalised shares: on held-out families presence generalised best
(docs/classify.md), and the calibration temperature absorbs the scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from modelroute.classify.cues import lead_clause, match_cues
from modelroute.classify.text import BODY_CHARS, count_tokens, intent_view, normalize, raw_tokens, stem

INTENT_CHARS = 2500  # the request lives at the start; later paragraphs are context and asides
LEAD_WORDS = 6
TITLE_WORDS = 8
TITLE_VALUE = 2.0
LENGTH_CHARS = 3000  # enough to tell every length bucket apart (the longest ends at 150 words)
_LENGTHS = ((4, "tiny"), (12, "short"), (40, "medium"), (150, "long"))


@dataclass
class TextFeatures:
    values: dict[str, float] = field(default_factory=dict)
    snippets: dict[str, str] = field(default_factory=dict)  # feature -> the text it came from, for reasons

    def add(self, name: str, snippet: str, value: float = 1.0) -> None:
        self.values[name] = value
        self.snippets.setdefault(name, snippet)


# Articles and demonstratives ask for nothing, but alone they pick up a source's house style: review
# prompts say "this" a lot, so "explain this code" read as a review. They still count inside word pairs
# ("explain this", "review this"), where they belong to a verb. (Dropping pronouns and prepositions too
# cost held-out accuracy: "my", "I" and "onto" carry intent.)
FUNCTION_WORDS = frozenset(["a", "an", "the", "this", "that", "these", "those", "it", "its"])


def _content(words: list[str]) -> list[str]:
    return [w for w in words if w.lower() not in FUNCTION_WORDS]


def text_features(text: str) -> TextFeatures:
    """Features of one request. Pure; bounded work on any input size."""
    out = TextFeatures()
    body = normalize(text, BODY_CHARS)
    head = body[:INTENT_CHARS * 2]
    intent = intent_view(head)[:INTENT_CHARS] or head[:INTENT_CHARS]
    lead = lead_clause(intent)
    for cue, snippet in match_cues(lead, intent, body):
        out.add(f"cue:{cue.name}", snippet)
    for word in _content(raw_tokens(lead)[:LEAD_WORDS]):
        out.add(f"lead:{stem(word)}", word)
    title, newline, rest = intent.partition("\n")
    if newline and rest.strip():  # a title over a body; a one-line request has no title apart from itself
        for word in _content(raw_tokens(title)[:TITLE_WORDS]):
            out.add(f"title:{stem(word)}", word, TITLE_VALUE)
    words = raw_tokens(intent)
    for word in dict.fromkeys(_content(words)):  # presence only: each distinct word once (pastes repeat a lot)
        out.add(f"w:{stem(word)}", word)
    for a, b in dict.fromkeys(pairwise(words)):
        out.add(f"b:{stem(a)} {stem(b)}", f"{a} {b}")
    count = count_tokens(body[:LENGTH_CHARS], _LENGTHS[-1][0] + 1)
    out.add(f"len:{next((name for limit, name in _LENGTHS if count <= limit), 'huge')}", "")
    return out
