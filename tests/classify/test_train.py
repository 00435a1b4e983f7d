"""Training's text weights: many sources count more than many texts of one source."""

from __future__ import annotations

from collections import defaultdict

import pytest

from modelroute.categories import Category
from modelroute.classify.corpus import PROJECT_FAMILY, Example

train = pytest.importorskip("modelroute.classify.train")


def _ex(label: Category, family: str, n: int, source: str = "https://example.org/x") -> list[Example]:
    return [Example(f"{family} text {i}", label, source, family) for i in range(n)]


def _by(examples: list[Example], weights: list[float], key: str) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for e, w in zip(examples, weights, strict=True):
        out[e.label.value if key == "label" else e.group] += w
    return dict(out)


def test_a_large_family_weighs_no_more_than_the_cap() -> None:
    examples = (_ex(Category.DEBUGGING, "github:big/repo", 60) + _ex(Category.DEBUGGING, "github:small/repo", 6)
                + _ex(Category.EXPLAIN, "qa:site", 12))
    weights = list(train.text_weights(examples))
    groups = _by(examples, weights, "group")
    # inside one label, 60 texts of one family count like FAMILY_CAP texts; 6 texts count as 6
    assert groups["github:big/repo"] / groups["github:small/repo"] == pytest.approx(train.FAMILY_CAP / 6)
    assert sum(weights) == pytest.approx(len(examples))


def test_labels_are_balanced_by_weight_and_each_project_file_is_a_family() -> None:
    written = [Example(f"written {i}", Category.QUICK_EDIT, f"project {f}.jsonl", PROJECT_FAMILY)
               for f in range(2) for i in range(40)]
    examples = written + _ex(Category.QUICK_EDIT, "github:a/b", 10) + _ex(Category.EXPLAIN, "qa:x", 4)
    weights = list(train.text_weights(examples))
    labels = _by(examples, weights, "label")
    assert labels["quick_edit"] == pytest.approx(labels["explain"])
    groups = _by(examples, weights, "group")
    assert groups[f"{PROJECT_FAMILY}:0.jsonl"] / groups["github:a/b"] == pytest.approx(train.FAMILY_CAP / 10)
