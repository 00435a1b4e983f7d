"""Pass rates per model and kind: the catalog's strength as a prior, the ledger's checked attempts as evidence."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from modelroute.categories import Category
from modelroute.strategy.calibration import PRIOR_RUNS, AttemptRecord, PassRates, posterior_rate, prior_rate
from modelroute.strategy.model import PERFECT_CHECK, CheckRates

D = Category.DEBUGGING


def records(model: str, verdicts: str, category: Category = D, **kw: object) -> list[AttemptRecord]:
    """'p' pass, 'f' fail, 'n' no check, 'x' flagged pass, 'r' rejected pass."""
    kinds = {"p": ("pass", {}), "f": ("fail", {}), "n": ("none", {}), "x": ("pass", {"flagged": True}),
             "r": ("pass", {"rejected": True})}
    out = []
    for ch in verdicts:
        verified, extra = kinds[ch]
        out.append(AttemptRecord(model=model, category=category, verified=verified, **extra, **kw))  # type: ignore[arg-type]
    return out


def test_without_runs_the_estimate_is_the_catalog_strength() -> None:
    estimate = PassRates().estimate("m", D, 79.4)
    assert estimate.rate == pytest.approx(0.794) and estimate.runs == 0
    assert estimate.evidence() == "~79% likely to pass (catalog prior 79%; no checked runs yet)"


def test_a_strength_is_never_read_as_certainty() -> None:
    assert prior_rate(100.0) == 0.98 and prior_rate(0.0) == 0.02


def test_with_a_perfect_check_the_posterior_is_the_beta_mean() -> None:
    rate = posterior_rate(0.7, passes=3, failures=9, check=PERFECT_CHECK)
    alpha, beta = 0.7 * PRIOR_RUNS, 0.3 * PRIOR_RUNS
    assert rate == pytest.approx((alpha + 3) / (alpha + beta + 12), abs=2e-3)


def test_checked_runs_move_the_estimate_and_noise_in_the_check_moves_it_less() -> None:
    failures = PassRates.from_records(records("m", "f" * 12 + "p" * 3))
    assert failures.estimate("m", D, 75.0).rate < 0.55
    passes = PassRates.from_records(records("m", "p" * 20))
    assert passes.estimate("m", D, 60.0).rate > 0.8
    perfect = PassRates.from_records(records("m", "f" * 12 + "p" * 3), check=PERFECT_CHECK)
    noisy = PassRates.from_records(records("m", "f" * 12 + "p" * 3), check=CheckRates(false_pass=0.3, false_fail=0.2))
    assert perfect.estimate("m", D, 75.0).rate < noisy.estimate("m", D, 75.0).rate < 0.75


def test_tampered_and_rejected_results_count_as_failures_and_unchecked_ones_not_at_all() -> None:
    rates = PassRates.from_records(records("m", "xxrrnnnp"))
    estimate = rates.estimate("m", D, 70.0)
    assert (estimate.passes, estimate.failures) == (1, 4)
    assert "1 of 5 checked runs passed here" in estimate.evidence()


def test_estimates_are_per_model_and_kind() -> None:
    rates = PassRates.from_records(records("a", "fff") + records("a", "ppp", Category.QUICK_EDIT) + records("b", "ppp"))
    assert rates.estimate("a", D, 70).rate < 0.7 < rates.estimate("a", Category.QUICK_EDIT, 70).rate
    assert rates.estimate("b", D, 70).rate > 0.7 and rates.estimate("c", D, 70).rate == pytest.approx(0.7)


def test_only_the_most_recent_window_counts() -> None:
    start = datetime(2026, 1, 1)
    old = [r.model_copy(update={"at": start + timedelta(minutes=i)})
           for i, r in enumerate(records("m", "f" * 60))]
    new = [r.model_copy(update={"at": start + timedelta(days=1, minutes=i)})
           for i, r in enumerate(records("m", "p" * 50))]
    rates = PassRates.from_records(new + old)  # out of order on purpose
    estimate = rates.estimate("m", D, 50.0)
    assert (estimate.passes, estimate.failures) == (50, 0)
