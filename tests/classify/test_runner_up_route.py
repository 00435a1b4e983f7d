"""A close call is routed twice: the engine prices the runner-up kind too, so both can be offered."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelroute.context.gather import ActionRequest
from modelroute.pipeline import Engine


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    (tmp_path / "app.py").write_text("import time\n\n\ndef fetch(url):\n    for _ in range(3):\n"
                                     "        time.sleep(1)\n    return url\n", encoding="utf-8")
    eng = Engine(tmp_path, user_file=tmp_path / "no-user-config.toml", env={})
    eng.build_index()
    return eng


def test_a_close_call_carries_a_priced_decision_for_the_runner_up(engine: Engine) -> None:
    routed = engine.decide(ActionRequest(file="app.py", instruction="the retry loop"))
    cls = routed.classification
    assert cls.close and cls.runner_up is not None, cls
    alt = routed.runner_up
    assert alt is not None
    assert alt.category is cls.runner_up and alt.category is not routed.decision.category
    assert alt.confidence == cls.runner_up_confidence
    assert alt.cost.usd > 0 and alt.model and alt.reasons
    assert routed.decision.reasons[1].strip().startswith("unsure (")  # the route's reasons flag it


def test_a_clear_call_is_routed_once(engine: Engine) -> None:
    routed = engine.decide(ActionRequest(file="app.py", instruction="Add a docstring to fetch"))
    assert not routed.classification.close and routed.runner_up is None
