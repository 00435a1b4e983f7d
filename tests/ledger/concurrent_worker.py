"""Run as a script by test_concurrency.py: threads reserving against one ledger file.

argv: DB CAP MODE THREADS ATTEMPTS SEED; MODE is "hold" (reserve until refused, never settle)
or "churn" (reserve, then settle at or below the reservation, or abandon). Prints one JSON line.
"""

from __future__ import annotations

import json
import random
import sys
import threading
from pathlib import Path

from modelroute.categories import Category
from modelroute.cost.actual import Usage
from modelroute.cost.model import CostEstimate, TokenEstimate
from modelroute.ledger import BudgetExceeded, Ledger, RunStart
from modelroute.policy.schema import BudgetSettings

RESERVE_USD = 0.07


def start() -> RunStart:
    estimate = CostEstimate(
        usd=0.05, low_usd=0.03, high_usd=RESERVE_USD, tokens=TokenEstimate(input=1000, output=400)
    )
    return RunStart(workspace="/ws", category=Category.QUICK_EDIT, model="m", provider="p", estimate=estimate)


def worker(
    path: Path, caps: BudgetSettings, mode: str, attempts: int, seed: int, tally: dict[str, int]
) -> None:
    rng = random.Random(seed)
    with Ledger(path) as ledger:
        for _ in range(attempts):
            try:
                reservation = ledger.reserve(start(), caps)
            except BudgetExceeded:
                tally["refused"] += 1
                if mode == "hold":
                    return
                continue
            tally["reserved"] += 1
            if ledger.committed("day").total_usd > caps.daily_usd + 1e-9:
                tally["violations"] += 1
            if mode == "churn":
                if rng.random() < 0.2:
                    ledger.abandon(reservation, "cancelled")
                else:
                    actual = rng.uniform(0.0, RESERVE_USD)
                    ledger.settle(reservation, Usage(output_tokens=300), actual, "applied")


def main(argv: list[str]) -> None:
    path, cap, mode = Path(argv[0]), float(argv[1]), argv[2]
    threads, attempts, seed = int(argv[3]), int(argv[4]), int(argv[5])
    caps = BudgetSettings(daily_usd=cap, monthly_usd=1000.0, per_request_usd=1.0)
    tallies = [{"reserved": 0, "refused": 0, "violations": 0} for _ in range(threads)]
    pool = [
        threading.Thread(target=worker, args=(path, caps, mode, attempts, seed * 100 + i, tallies[i]))
        for i in range(threads)
    ]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    print(json.dumps({key: sum(t[key] for t in tallies) for key in tallies[0]}))


if __name__ == "__main__":
    main(sys.argv[1:])
