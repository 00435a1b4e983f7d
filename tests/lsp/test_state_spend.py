"""A new server's engines start with the ledger's spend, so budgets hold from the first decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelroute.categories import Category
from modelroute.cost import Usage
from modelroute.cost.model import CostEstimate, TokenEstimate
from modelroute.ledger import Ledger, RunStart
from modelroute.lsp.state import _new_engine
from modelroute.policy.schema import BudgetSettings


def test_engine_starts_with_todays_spend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELROUTE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    estimate = CostEstimate(usd=1.5, low_usd=1.0, high_usd=2.0, tokens=TokenEstimate(input=1000, output=100))
    ledger = Ledger()
    reservation = ledger.reserve(
        RunStart(workspace=str(tmp_path), category=Category.DEBUGGING, model="m", provider="p", estimate=estimate),
        BudgetSettings(),
    )
    ledger.settle(reservation, Usage(input_tokens=1000, output_tokens=100), 1.25, "applied")
    (tmp_path / "ws").mkdir()
    engine = _new_engine(tmp_path / "ws")
    assert engine.spend.today_usd == pytest.approx(1.25)
    assert engine.spend.month_usd == pytest.approx(1.25)
