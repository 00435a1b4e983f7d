"""Pass rates from the ledger's checked attempts (run/calibrate.py), over a real SQLite ledger:
what each row says, the session's cache, and the figures a code action reads without waiting."""

from __future__ import annotations

from pathlib import Path

from modelroute.categories import Category
from modelroute.cost.actual import Usage
from modelroute.ledger import Checked, Ledger
from modelroute.run.calibrate import attempt_records, cached_rates, rates_from_ledger
from modelroute.run.flow import RunSession
from modelroute.strategy.calibration import PassRates
from tests.ledger.helpers import budgets, run

CHEAP = "claude-haiku-4-5"
STRENGTH = 70.0


def settle(ledger: Ledger, outcome: str, checked: Checked | None) -> None:
    reservation = ledger.reserve(run(0.01, model=CHEAP, category=Category.DEBUGGING), budgets())
    ledger.settle(reservation, Usage(), 0.01, outcome, checked=checked)  # type: ignore[arg-type]


def test_rows_carry_what_the_check_said(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        settle(ledger, "applied", Checked(verified="pass", offered=True))
        settle(ledger, "rejected", Checked(verified="fail"))
        settle(ledger, "rejected", Checked(verified="none", flagged=True))
        settle(ledger, "rejected", Checked(verified="pass", offered=True))  # passed, but the user said no
        settle(ledger, "answered", None)  # no check asked: says nothing
        records = attempt_records(ledger.runs())
    assert [(r.verified, r.flagged, r.rejected) for r in records] == [
        ("pass", False, False), ("fail", False, False), ("none", True, False), ("pass", False, True)]
    assert [r.observed_pass for r in records] == [True, False, False, False]


async def test_failures_lower_the_rate_and_a_code_action_reads_the_last_figures(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    for _ in range(12):
        settle(ledger, "rejected", Checked(verified="fail"))
    session = RunSession(open_ledger=lambda: ledger)
    prior = PassRates().estimate(CHEAP, Category.DEBUGGING, STRENGTH).rate
    assert cached_rates(session).estimate(CHEAP, Category.DEBUGGING, STRENGTH).rate == prior  # nothing read yet
    rates = await rates_from_ledger(session)
    assert rates.estimate(CHEAP, Category.DEBUGGING, STRENGTH).rate < prior
    assert await rates_from_ledger(session) is rates  # read once per session
    await session.spent()  # a run settled: read again at the next run, the last figures meanwhile
    assert cached_rates(session) is rates
    assert await rates_from_ledger(session) is not rates
    ledger.close()
