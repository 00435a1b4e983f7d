"""A small multinomial naive Bayes over stemmed unigrams and bigrams.

Trained at import from corpus.py (a few hundred short requests written for this package) in a few
milliseconds; deterministic. Its vote is bounded (a probability per label times a fixed weight), so
it fills gaps in the lexicon without overriding clear cues.
"""

from __future__ import annotations

import math
from collections import Counter
from itertools import pairwise

from modelroute.categories import Category
from modelroute.classify.corpus import CORPUS
from modelroute.classify.text import tokens

_MAX_TOKENS = 200
_STOP = frozenset({"the", "a", "an", "to", "of", "and", "in", "on", "for", "it", "that", "with", "be",
                   "my", "our", "so", "at", "as", "by", "or", "is", "are", "i", "we", "you"})


def features(text: str) -> list[str]:
    words = [w for w in tokens(text[:1500])[:_MAX_TOKENS] if w not in _STOP]
    return words + [f"{a}_{b}" for a, b in pairwise(words)]


class NaiveBayes:
    def __init__(self, examples: tuple[tuple[Category, str], ...], alpha: float = 0.5) -> None:
        counts: dict[Category, Counter[str]] = {c: Counter() for c in Category}
        docs: Counter[Category] = Counter()
        for label, text in examples:
            counts[label].update(features(text))
            docs[label] += 1
        vocab = set().union(*counts.values())
        self._vocab = frozenset(vocab)
        total_docs = sum(docs.values())
        self._prior = {c: math.log((docs[c] + 1) / (total_docs + len(Category))) for c in Category}
        self._log: dict[Category, dict[str, float]] = {}
        self._unseen: dict[Category, float] = {}
        for c in Category:
            denom = sum(counts[c].values()) + alpha * (len(vocab) + 1)
            self._log[c] = {w: math.log((n + alpha) / denom) for w, n in counts[c].items()}
            self._unseen[c] = math.log(alpha / denom)

    def predict(self, text: str) -> dict[Category, float]:
        """Probability per label; long texts are tempered so the vote does not saturate."""
        feats = [f for f in features(text) if f in self._vocab]
        if not feats:
            return {c: 1.0 / len(Category) for c in Category}
        temper = 1.0 / math.sqrt(len(feats))
        raw = {c: self._prior[c] + temper * sum(self._log[c].get(f, self._unseen[c]) for f in feats)
               for c in Category}
        top = max(raw.values())
        exp = {c: math.exp(v - top) for c, v in raw.items()}
        total = sum(exp.values())
        return {c: v / total for c, v in exp.items()}


MODEL = NaiveBayes(CORPUS)


def predict(text: str) -> dict[Category, float]:
    return MODEL.predict(text)
