"""Run as a script by test_crash.py. argv: DB MODE.

Writes three finished runs, then starts a fourth reservation and, through SQLite's statement
trace hook (called as each statement begins), interferes mid-transaction:
  insert  os._exit when the INSERT begins (write lock held, nothing committed)
  commit  os._exit when COMMIT begins (the row is written in the transaction, not committed)
  spill   like commit, with an 8 MB row so uncommitted pages spill into the WAL file first
  hold    print "holding" and wait for a line on stdin before letting COMMIT run
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from modelroute.categories import Category
from modelroute.cost.actual import Usage
from modelroute.cost.model import CostEstimate, TokenEstimate
from modelroute.ledger import Ledger, RunStart
from modelroute.policy.schema import BudgetSettings

CAPS = BudgetSettings(daily_usd=100.0, monthly_usd=1000.0)


def start(workspace: str = "/ws") -> RunStart:
    estimate = CostEstimate(usd=0.1, low_usd=0.05, high_usd=0.2, tokens=TokenEstimate(input=100, output=50))
    return RunStart(
        workspace=workspace, category=Category.EXPLAIN, model="m", provider="p", estimate=estimate
    )


def main(path: Path, mode: str) -> None:
    ledger = Ledger(path)
    for i in range(3):
        reservation = ledger.reserve(start(), CAPS)
        ledger.settle(reservation, Usage(output_tokens=40 + i), 0.01 * (i + 1), "answered")
    seen_insert = False

    def interfere(statement: str) -> None:
        nonlocal seen_insert
        if "INSERT INTO runs" in statement:
            seen_insert = True
            if mode == "insert":
                os._exit(9)
        if statement.strip() == "COMMIT" and seen_insert:
            if mode in ("commit", "spill"):
                os._exit(9)
            if mode == "hold":
                print("holding", flush=True)
                sys.stdin.readline()

    ledger._conn.set_trace_callback(interfere)
    ledger.reserve(start("w" * 8_000_000 if mode == "spill" else "/ws"), CAPS)
    print("committed", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
