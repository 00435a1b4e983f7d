"""Run as a script by test_postgres.py: reserve on a ledger with a short lease, say so, then live
(the heartbeat renews the lease) until killed. argv: URL LEASE_SECONDS."""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.ledger.helpers import budgets, run, store_at


def main(url: str, lease_s: float) -> None:
    ledger = store_at(url, lease=timedelta(seconds=lease_s))
    reservation = ledger.reserve(run(0.3, high=0.4), budgets())
    print(reservation.run_id, flush=True)
    while True:  # a run in progress; the parent kills this process with SIGKILL
        time.sleep(0.05)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
