from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from modelroute.categories import Category
from modelroute.cost.actual import Usage
from modelroute.cost.calibration import SHRINK_SAMPLES
from modelroute.ledger import FinalOutcome, Ledger, calibration_from, output_aggregates

from .helpers import budgets, run

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def _settled(
    ledger: Ledger,
    minute: int,
    observed: int,
    *,
    output: int = 500,
    category: Category = Category.QUICK_EDIT,
    outcome: FinalOutcome = "applied",
    prior_output: int | None = None,
) -> None:
    start = run(0.05, output=output, category=category, prior_output=prior_output)
    moment = T0 + timedelta(minutes=minute)
    reservation = ledger.reserve(start, budgets(), now=moment)
    if outcome in ("cancelled", "error"):
        ledger.abandon(reservation, outcome, usage=Usage(output_tokens=observed), now=moment)
    else:
        ledger.settle(reservation, Usage(output_tokens=observed), 0.05, outcome, now=moment)


def test_ratio_of_observed_to_prior_per_category_and_model(ledger: Ledger) -> None:
    for i in range(4):
        _settled(ledger, i, 1000, output=500)  # quick_edit on claude: 2x the prior
    _settled(ledger, 10, 300, output=600, category=Category.EXPLAIN, outcome="answered")
    _settled(ledger, 11, 10, output=600, category=Category.EXPLAIN, outcome="cancelled")  # ignored
    _settled(ledger, 12, 10, output=600, category=Category.EXPLAIN, outcome="error")  # ignored
    calibration = ledger.calibration()
    quick = calibration.entry(Category.QUICK_EDIT, "claude-sonnet-4-5")
    assert quick is not None
    assert (quick.estimated_output_tokens, quick.observed_output_tokens, quick.samples) == (2000, 4000, 4)
    assert quick.raw_ratio == pytest.approx(2.0)
    weight = 4 / (4 + SHRINK_SAMPLES)
    assert calibration.ratio(Category.QUICK_EDIT, "claude-sonnet-4-5") == pytest.approx(
        weight * 2 + 1 - weight
    )
    explain = calibration.entry(Category.EXPLAIN, "claude-sonnet-4-5")
    assert explain is not None and explain.samples == 1 and explain.raw_ratio == pytest.approx(0.5)
    assert calibration.ratio(Category.DEBUGGING, "claude-sonnet-4-5") == 1.0


def test_prior_output_is_what_calibration_compares_against(ledger: Ledger) -> None:
    # The estimate was already calibrated (1500) but the uncalibrated prior said 500.
    _settled(ledger, 0, 1500, output=1500, prior_output=500)
    entry = ledger.calibration().entry(Category.QUICK_EDIT, "claude-sonnet-4-5")
    assert entry is not None and entry.raw_ratio == pytest.approx(3.0)


def test_window_keeps_the_most_recent_runs(ledger: Ledger) -> None:
    for i in range(6):
        _settled(ledger, i, 100 if i < 3 else 900, output=300)
    (aggregate,) = output_aggregates(ledger.runs(), window=3)
    assert aggregate == ("quick_edit", "claude-sonnet-4-5", 900, 2700, 3)
    entry = ledger.calibration(window=3).entry(Category.QUICK_EDIT, "claude-sonnet-4-5")
    assert entry is not None and entry.raw_ratio == pytest.approx(3.0)
    since = ledger.calibration(since=T0 + timedelta(minutes=5)).entry(
        Category.QUICK_EDIT, "claude-sonnet-4-5"
    )
    assert since is not None and since.samples == 1


def test_sql_and_pure_aggregates_agree(ledger: Ledger) -> None:
    models = ["claude-sonnet-4-5", "gpt-5.3-codex"]
    outcomes: list[FinalOutcome] = ["applied", "rejected", "answered", "cancelled", "reviewed", "error"]
    for i in range(40):
        _settled(
            ledger,
            i,
            100 + 37 * i,
            output=200 + 11 * (i % 7),
            category=list(Category)[i % 3],
            outcome=outcomes[i % len(outcomes)],
        )
        if i % 5 == 0:  # one with another model, same minute: order falls back to id
            start = run(0.05, model=models[1], category=Category.DEBUGGING)
            moment = T0 + timedelta(minutes=i)
            reservation = ledger.reserve(start, budgets(), now=moment)
            ledger.settle(reservation, Usage(output_tokens=i * 3), 0.01, "applied", now=moment)
    for window in (1, 4, 50):
        assert ledger.calibration(window=window) == calibration_from(ledger.runs(), window)
