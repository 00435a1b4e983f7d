"""Dev-set accuracy through the real context path (materialised workspace, gather_context)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from modelroute.classify import classify
from modelroute.context.model import ActionContext
from tests.classify.scenarios import load_dev


@pytest.fixture(scope="module")
def dev() -> list[tuple[dict[str, Any], ActionContext]]:
    return load_dev()


def test_dev_accuracy_through_gather_context(dev: list[tuple[dict[str, Any], ActionContext]]) -> None:
    pairs = [(sc["category"], classify(ctx).label.value) for sc, ctx in dev]
    assert len(pairs) >= 38
    misses = [(sc["id"], sc["category"], classify(ctx).label.value) for sc, ctx in dev
              if classify(ctx).label.value != sc["category"]]
    accuracy = 1 - len(misses) / len(pairs)
    assert accuracy >= 0.95, f"accuracy {accuracy:.3f}, misses {misses} {Counter(pairs)}"


def test_dev_contexts_are_really_gathered(dev: list[tuple[dict[str, Any], ActionContext]]) -> None:
    by_id = {sc["id"]: ctx for sc, ctx in dev}
    review = next(ctx for sc, ctx in dev if sc.get("git") and sc["category"] == "code_review")
    assert review.git.is_repo and review.git.file_changed and review.git.diff
    assert any(ctx.symbol.reference_files >= 2 for ctx in by_id.values())
    assert any(ctx.diagnostics for ctx in by_id.values())


def test_dev_reasons_and_probabilities(dev: list[tuple[dict[str, Any], ActionContext]]) -> None:
    for _sc, ctx in dev:
        c = classify(ctx)
        assert c.reasons and all(isinstance(r, str) and r for r in c.reasons)
        assert len(c.scores) == 7 and abs(sum(c.scores.values()) - 1.0) < 1e-3
        assert 0.0 <= c.confidence <= 1.0 and c.runner_up is not None and c.runner_up is not c.label
