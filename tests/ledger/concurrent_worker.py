"""Run as a script by the concurrency tests: threads reserving against one ledger (a SQLite file
or a PostgreSQL URL).

argv: TARGET CAP MODE THREADS ATTEMPTS SEED [PERSON]; MODE is "hold" (reserve until refused, never
settle) or "churn" (reserve, then settle at or below the reservation, or abandon). With PERSON the
store charges runs to PERSON of team "t" and CAP is the team's daily cap (personal caps are
generous); without it CAP is the personal daily cap. Prints one JSON line.
"""

from __future__ import annotations

import json
import random
import sys
import threading
from pathlib import Path

if __name__ == "__main__":  # run as a script: make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from modelroute.categories import Category
from modelroute.cost.actual import Usage
from modelroute.cost.model import CostEstimate, TokenEstimate
from modelroute.ledger import BudgetExceeded, Identity, RunStart
from modelroute.policy.schema import BudgetSettings
from tests.ledger.helpers import store_at

RESERVE_USD = 0.07


def start() -> RunStart:
    estimate = CostEstimate(
        usd=0.05, low_usd=0.03, high_usd=RESERVE_USD, tokens=TokenEstimate(input=1000, output=400)
    )
    return RunStart(workspace="/ws", category=Category.QUICK_EDIT, model="m", provider="p", estimate=estimate)


def caps_for(cap: float, team: bool) -> BudgetSettings:
    if team:
        return BudgetSettings(daily_usd=1000.0, monthly_usd=1000.0, per_request_usd=1.0, team_daily_usd=cap)
    return BudgetSettings(daily_usd=cap, monthly_usd=1000.0, per_request_usd=1.0)


def worker(
    target: Path | str,
    caps: BudgetSettings,
    mode: str,
    attempts: int,
    seed: int,
    tally: dict[str, int],
    identity: Identity | None = None,
) -> None:
    rng = random.Random(seed)
    team = caps.team_daily_usd is not None
    cap = caps.team_daily_usd if caps.team_daily_usd is not None else caps.daily_usd
    with store_at(str(target), identity=identity) as ledger:
        for _ in range(attempts):
            try:
                reservation = ledger.reserve(start(), caps)
            except BudgetExceeded:
                tally["refused"] += 1
                if mode == "hold":
                    return
                continue
            tally["reserved"] += 1
            if ledger.committed("day", team=team).total_usd > cap + 1e-9:
                tally["violations"] += 1
            if mode == "churn":
                if rng.random() < 0.2:
                    ledger.abandon(reservation, "cancelled")
                else:
                    actual = rng.uniform(0.0, RESERVE_USD)
                    ledger.settle(reservation, Usage(output_tokens=300), actual, "applied")


def main(argv: list[str]) -> None:
    target, cap, mode = argv[0], float(argv[1]), argv[2]
    threads, attempts, seed = int(argv[3]), int(argv[4]), int(argv[5])
    person = argv[6] if len(argv) > 6 else None
    identity = Identity(person=person, team="t") if person else None
    caps = caps_for(cap, team=person is not None)
    tallies = [{"reserved": 0, "refused": 0, "violations": 0} for _ in range(threads)]
    pool = [
        threading.Thread(
            target=worker, args=(target, caps, mode, attempts, seed * 100 + i, tallies[i], identity)
        )
        for i in range(threads)
    ]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    print(json.dumps({key: sum(t[key] for t in tallies) for key in tallies[0]}))


if __name__ == "__main__":
    main(sys.argv[1:])
