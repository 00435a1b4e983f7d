"""Dev-set accuracy: the labelled scenarios turned into contexts directly (no CLI needed)."""

from __future__ import annotations

from collections import Counter

from modelroute.classify import classify
from tests.classify.scenarios import load_dev


def test_dev_accuracy_at_least_090() -> None:
    pairs = [(sc["category"], classify(ctx).label.value) for sc, ctx in load_dev()]
    assert len(pairs) >= 38
    misses = [(w, g) for w, g in pairs if w != g]
    accuracy = 1 - len(misses) / len(pairs)
    assert accuracy >= 0.90, f"accuracy {accuracy:.3f}, misses {Counter(misses)}"


def test_dev_reasons_and_scores_present() -> None:
    for _sc, ctx in load_dev():
        c = classify(ctx)
        assert c.reasons and all(isinstance(r, str) and r for r in c.reasons)
        assert set(c.scores) == {cat for cat in c.scores} and len(c.scores) == 7
        assert 0.0 <= c.confidence <= 1.0
