"""Leases on reservations: a run's reservation is renewed while the process that holds it lives.

A pid check cannot tell a dead process from a live one on another machine or in another pid
namespace; a lease can. The process that reserved renews every reservation it holds every quarter
of the lease on one background thread (started with the first reservation, ended with the last),
and any store user releases a pending run whose lease ran out (see `LedgerStore.release_stale`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Heartbeat:
    """Renews the reservations this process holds. `renew(ids)` is the store's write."""

    def __init__(self, renew: Callable[[list[int]], None], interval_s: float) -> None:
        self._renew = renew
        self.interval_s = interval_s
        self._held: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, run_id: int) -> None:
        with self._lock:
            self._held.add(run_id)
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._loop, name="modelroute-ledger-lease", daemon=True)
                self._thread.start()

    def release(self, run_id: int) -> None:
        with self._lock:
            self._held.discard(run_id)

    def held(self) -> frozenset[int]:
        with self._lock:
            return frozenset(self._held)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            with self._lock:
                ids = sorted(self._held)
                if not ids:  # nothing held: end the thread; the next hold starts another
                    self._thread = None
                    return
            try:
                self._renew(ids)
            except Exception as exc:  # the database may be away for a while; keep trying
                log.warning("could not renew the ledger lease of runs %s: %s", ids, exc)
