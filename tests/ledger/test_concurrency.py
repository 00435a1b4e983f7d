"""No overspend under concurrent runs: threads in one process and two processes on one file."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from modelroute.ledger import BudgetExceeded, Ledger

from . import concurrent_worker as cw
from .helpers import budgets

WORKER = Path(cw.__file__)
CAP = 1.0
FITS = int(CAP / cw.RESERVE_USD + 1e-9)  # 14 reservations of $0.07 fit under $1.00


def _spawn(path: Path, mode: str, threads: int, attempts: int, seed: int) -> subprocess.Popen[str]:
    args = [str(path), str(CAP), mode, str(threads), str(attempts), str(seed)]
    return subprocess.Popen([sys.executable, str(WORKER), *args], stdout=subprocess.PIPE, text=True)


def _collect(process: subprocess.Popen[str]) -> dict[str, int]:
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    result: dict[str, int] = json.loads(out)
    return result


def _threads(path: Path, mode: str, threads: int, attempts: int) -> dict[str, int]:
    tallies = [{"reserved": 0, "refused": 0, "violations": 0} for _ in range(threads)]
    caps = budgets(daily=CAP, monthly=1000.0)
    pool = [
        threading.Thread(target=cw.worker, args=(path, caps, mode, attempts, i, tallies[i]))
        for i in range(threads)
    ]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return {key: sum(t[key] for t in tallies) for key in tallies[0]}


def _charged(path: Path) -> float:
    with Ledger(path) as ledger:
        return sum(r.charged_usd for r in ledger.runs() if r.outcome != "refused_budget")


def test_threads_holding_reservations_book_exactly_what_fits(ledger_path: Path) -> None:
    Ledger(ledger_path).close()
    tally = _threads(ledger_path, "hold", threads=8, attempts=FITS + 1)
    assert tally["reserved"] == FITS
    assert tally["refused"] == 8  # every thread ran into the cap and stopped there
    assert tally["violations"] == 0
    assert _charged(ledger_path) <= CAP + 1e-9


def test_two_processes_and_threads_book_exactly_what_fits(ledger_path: Path) -> None:
    Ledger(ledger_path).close()
    children = [_spawn(ledger_path, "hold", threads=3, attempts=FITS + 1, seed=s) for s in (1, 2)]
    here = _threads(ledger_path, "hold", threads=2, attempts=FITS + 1)
    results = [*(_collect(c) for c in children), here]
    assert sum(r["reserved"] for r in results) == FITS
    assert sum(r["violations"] for r in results) == 0
    assert _charged(ledger_path) <= CAP + 1e-9


@pytest.mark.parametrize("processes", [0, 2])
def test_churning_runs_never_overspend(ledger_path: Path, processes: int) -> None:
    Ledger(ledger_path).close()
    children = [_spawn(ledger_path, "churn", threads=3, attempts=25, seed=s) for s in range(processes)]
    here = _threads(ledger_path, "churn", threads=4, attempts=25)
    results = [*(_collect(c) for c in children), here]
    assert sum(r["violations"] for r in results) == 0
    assert sum(r["refused"] for r in results) > 0  # the cap was really reached
    with Ledger(ledger_path) as ledger:
        rows = ledger.runs()
        assert not [r for r in rows if r.outcome == "pending"]
        assert len(rows) == sum(r["reserved"] + r["refused"] for r in results)
    assert _charged(ledger_path) <= CAP + 1e-9


def test_threads_sharing_one_ledger_object(ledger: Ledger) -> None:
    caps = budgets(daily=CAP, monthly=1000.0)
    admitted: list[int] = []

    def hold() -> None:
        while True:
            try:
                admitted.append(ledger.reserve(cw.start(), caps).run_id)
            except BudgetExceeded:
                return

    pool = [threading.Thread(target=hold) for _ in range(8)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert len(admitted) == len(set(admitted)) == FITS
    assert ledger.committed("day").total_usd == pytest.approx(FITS * cw.RESERVE_USD)
