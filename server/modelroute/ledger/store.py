"""The SQLite ledger: one row per run, budget reservations, spend queries.

One connection per `Ledger`, guarded by a lock so threads can share it; several `Ledger`s and
several processes on one file are serialised by SQLite itself (WAL, busy_timeout, BEGIN IMMEDIATE).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from modelroute.cost.calibration import Calibration
from modelroute.cost.model import CostEstimate
from modelroute.ledger.budget import (
    BudgetExceeded,
    Committed,
    as_utc,
    check_caps,
    day_window,
    from_text,
    month_window,
    reservation_usd,
    to_text,
    utc_now,
)
from modelroute.ledger.calibration import CATEGORY_VALUES, DEFAULT_WINDOW
from modelroute.ledger.model import (
    INTERRUPTED,
    FinalOutcome,
    LedgerError,
    Reservation,
    RunRecord,
    RunStart,
    UsageLike,
)
from modelroute.ledger.paths import default_ledger_path
from modelroute.ledger.report import Report, build_report
from modelroute.ledger.schema import migrate
from modelroute.policy.schema import BudgetSettings

BUSY_TIMEOUT_MS = 15_000
Period = Literal["day", "month"]
_FINAL: frozenset[str] = frozenset({"applied", "rejected", "cancelled", "error", "answered", "reviewed"})

# Rows that count against a budget window, split into settled spend and open reservations.
# A finished row with unknown actual cost (a run interrupted by a crash) counts at its reservation:
# the provider may well have billed it.
_COMMITTED_SQL = """
SELECT
  COALESCE(SUM(CASE WHEN outcome = 'pending' THEN 0 ELSE COALESCE(act_usd, reserved_usd) END), 0),
  COALESCE(SUM(CASE WHEN outcome = 'pending' THEN reserved_usd ELSE 0 END), 0)
FROM runs
WHERE started_at >= ? AND started_at < ? AND outcome != 'refused_budget'
"""

_CALIBRATION_SQL = """
SELECT category, model, SUM(prior_output_tokens), SUM(act_output_tokens), COUNT(*)
FROM (
  SELECT category, model, prior_output_tokens, act_output_tokens,
         ROW_NUMBER() OVER (PARTITION BY category, model ORDER BY started_at DESC, id DESC) AS recent
  FROM runs
  WHERE started_at >= ? AND act_output_tokens IS NOT NULL AND prior_output_tokens > 0
    AND outcome IN ('applied', 'rejected', 'answered', 'reviewed')
)
WHERE recent <= ?
GROUP BY category, model
ORDER BY category, model
"""

_INSERT_SQL = """
INSERT INTO runs (started_at, finished_at, workspace, category, model, provider,
                  est_input_tokens, est_output_tokens, est_reasoning_tokens, prior_output_tokens,
                  est_usd, est_low_usd, est_high_usd, reserved_usd, outcome, error, pid, host)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""

_SETTLE_SQL = """
UPDATE runs SET finished_at = ?, act_input_tokens = ?, act_output_tokens = ?,
                act_cache_read_tokens = ?, act_cache_write_tokens = ?, act_reasoning_tokens = ?,
                act_usd = ?, latency_ms = ?, outcome = ?, error = ?
WHERE id = ? AND (outcome = 'pending' OR (outcome = 'error' AND error = ?))
"""


def _pid_alive(pid: int) -> bool:
    if sys.platform == "win32":
        return True  # os.kill would terminate it; rely on the age limit instead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise LedgerError(f"{path}: could not switch the ledger to WAL mode (got {mode!r})")
        # FULL: a committed run survives power loss too, and ledger writes are few.
        conn.execute("PRAGMA synchronous = FULL")
        conn.row_factory = sqlite3.Row
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


class Ledger:
    """Runs, spend and budget reservations, stored in SQLite at `path`."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        stale_after: timedelta = timedelta(minutes=10),
        orphan_after: timedelta = timedelta(hours=24),
    ) -> None:
        self.path = path if path is not None else default_ledger_path()
        self.stale_after = stale_after  # pending and its process is gone: interrupted
        self.orphan_after = orphan_after  # pending this long: interrupted, whatever the pid says
        self._host = socket.gethostname()
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = _connect(self.path)
        except (sqlite3.Error, OSError) as exc:
            raise LedgerError(f"{self.path}: cannot open the ledger: {exc}") from exc
        self.release_stale()

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; the database lock is taken up front so reads inside are current.
        Any SQLite failure surfaces as LedgerError, with the transaction rolled back."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise LedgerError(f"{self.path}: ledger is busy or unwritable: {exc}") from exc
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise LedgerError(f"{self.path}: ledger write failed: {exc}") from exc
                raise

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                rows: list[sqlite3.Row] = self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise LedgerError(f"{self.path}: ledger read failed: {exc}") from exc
            return rows

    # -- budgets -----------------------------------------------------------------------------

    def reserve(self, run: RunStart, budgets: BudgetSettings, now: datetime | None = None) -> Reservation:
        """Hold the high end of the run's estimate, or refuse it (a refused_budget row) when that
        plus settled spend plus other open reservations would pass the daily or monthly cap."""
        moment = as_utc(now) if now is not None else utc_now()
        needed = reservation_usd(run.estimate)
        with self._write() as conn:
            self._release_stale_in(conn, moment)
            exceeded = check_caps(
                needed, _committed(conn, day_window(moment)), _committed(conn, month_window(moment)), budgets
            )
            run_id = _insert_run(conn, run, moment, needed, exceeded, os.getpid(), self._host)
        if exceeded is not None:
            exceeded.run_id = run_id
            raise exceeded
        return Reservation(run_id=run_id, reserved_usd=needed, started_at=moment)

    def extend(self, reservation: Reservation, extra_usd: float, budgets: BudgetSettings) -> Reservation:
        """Hold `extra_usd` more for a run in progress (another agent turn), or raise BudgetExceeded
        and leave the reservation as it was. Counts against the windows the run started in."""
        if extra_usd < 0:
            raise ValueError("extra_usd must be >= 0")
        start = reservation.started_at
        with self._write() as conn:
            row = conn.execute(
                "SELECT reserved_usd, outcome FROM runs WHERE id = ?", (reservation.run_id,)
            ).fetchone()
            if row is None or row["outcome"] != "pending":
                raise LedgerError(f"run {reservation.run_id} is not in progress")
            exceeded = check_caps(
                extra_usd, _committed(conn, day_window(start)), _committed(conn, month_window(start)), budgets
            )
            if exceeded is None:
                total = float(row["reserved_usd"]) + extra_usd
                conn.execute("UPDATE runs SET reserved_usd = ? WHERE id = ?", (total, reservation.run_id))
        if exceeded is not None:
            exceeded.run_id = reservation.run_id
            raise exceeded
        return reservation.model_copy(update={"reserved_usd": total})

    def settle(
        self,
        reservation: Reservation,
        usage: UsageLike,
        actual_usd: float,
        outcome: FinalOutcome,
        latency_ms: int | None = None,
        *,
        error: str | None = None,
        now: datetime | None = None,
    ) -> RunRecord:
        """Record what the run really used and cost; its reservation is released.

        The actual cost is recorded even when it is above the reservation: money spent is spent,
        and later reservations see it."""
        return self._finish(reservation, usage, actual_usd, outcome, latency_ms, error, now)

    def abandon(
        self,
        reservation: Reservation,
        outcome: FinalOutcome,
        error: str | None = None,
        *,
        usage: UsageLike | None = None,
        actual_usd: float = 0.0,
        latency_ms: int | None = None,
        now: datetime | None = None,
    ) -> RunRecord:
        """End a run that was cancelled or failed: no usage (cost 0) or the partial usage known."""
        return self._finish(reservation, usage, actual_usd, outcome, latency_ms, error, now)

    def _finish(
        self,
        reservation: Reservation,
        usage: UsageLike | None,
        actual_usd: float,
        outcome: str,
        latency_ms: int | None,
        error: str | None,
        now: datetime | None,
    ) -> RunRecord:
        if outcome not in _FINAL:
            raise ValueError(f"a run cannot end with outcome {outcome!r}")
        if actual_usd < 0:
            raise ValueError("actual_usd must be >= 0")
        moment = as_utc(now) if now is not None else utc_now()
        if latency_ms is None:
            latency_ms = max(0, int((moment - reservation.started_at).total_seconds() * 1000))
        tokens: tuple[int | None, ...] = (
            (
                usage.input_tokens,
                usage.output_tokens,
                usage.cache_read_tokens,
                usage.cache_write_tokens,
                usage.reasoning_tokens,
            )
            if usage is not None
            else (None,) * 5
        )
        with self._write() as conn:
            cursor = conn.execute(
                _SETTLE_SQL,
                (
                    to_text(moment),
                    *tokens,
                    actual_usd,
                    latency_ms,
                    outcome,
                    error,
                    reservation.run_id,
                    INTERRUPTED,
                ),
            )
            if cursor.rowcount != 1:
                raise LedgerError(f"run {reservation.run_id} is not in progress (already finished?)")
        return self.get(reservation.run_id)

    def release_stale(self, now: datetime | None = None) -> list[int]:
        """Mark pending runs of crashed processes as error "interrupted" so they stop holding
        budget; returns their ids. Takes the write lock only when there is something to release."""
        moment = as_utc(now) if now is not None else utc_now()
        with self._lock:
            try:
                if not self._stale_ids(self._conn, moment):
                    return []
            except sqlite3.Error as exc:
                raise LedgerError(f"{self.path}: ledger read failed: {exc}") from exc
            with self._write() as conn:
                return self._release_stale_in(conn, moment)

    def _stale_ids(self, conn: sqlite3.Connection, moment: datetime) -> list[int]:
        rows = conn.execute(
            "SELECT id, started_at, pid, host FROM runs WHERE outcome = 'pending' AND started_at < ?",
            (to_text(moment - self.stale_after),),
        ).fetchall()
        orphan_before = moment - self.orphan_after
        return [
            int(row["id"])
            for row in rows
            if from_text(row["started_at"]) < orphan_before
            or (row["host"] == self._host and not _pid_alive(int(row["pid"])))
        ]

    def _release_stale_in(self, conn: sqlite3.Connection, moment: datetime) -> list[int]:
        stale = self._stale_ids(conn, moment)
        for run_id in stale:
            conn.execute(
                "UPDATE runs SET outcome = 'error', error = ?, finished_at = ? WHERE id = ?",
                (INTERRUPTED, to_text(moment), run_id),
            )
        return stale

    # -- queries -----------------------------------------------------------------------------

    def committed(self, period: Period = "day", now: datetime | None = None) -> Committed:
        """Settled spend and open reservations in the UTC day or month containing `now`."""
        moment = as_utc(now) if now is not None else utc_now()
        window = day_window(moment) if period == "day" else month_window(moment)
        with self._lock:
            try:
                return _committed(self._conn, window)
            except sqlite3.Error as exc:
                raise LedgerError(f"{self.path}: ledger read failed: {exc}") from exc

    def spent(self, period: Period = "day", now: datetime | None = None) -> float:
        """Spend of finished runs in the UTC day or month containing `now` (USD)."""
        return self.committed(period, now).spent_usd

    def status(self, budgets: BudgetSettings, now: datetime | None = None) -> dict[str, float]:
        day = self.committed("day", now)
        month = self.committed("month", now)
        return {
            "spent_today_usd": day.spent_usd,
            "spent_month_usd": month.spent_usd,
            "reserved_today_usd": day.reserved_usd,
            "reserved_month_usd": month.reserved_usd,
            "daily_usd": budgets.daily_usd,
            "monthly_usd": budgets.monthly_usd,
            "per_request_usd": budgets.per_request_usd,
        }

    def calibration(self, since: datetime | None = None, window: int = DEFAULT_WINDOW) -> Calibration:
        """Output-token calibration per (category, model) from its last `window` completed runs
        (the same aggregate as `calibration.output_aggregates`, computed in SQL)."""
        rows = self._read(_CALIBRATION_SQL, (to_text(since) if since is not None else "", window))
        return Calibration.from_aggregates(
            (row[0], row[1], int(row[2]), int(row[3]), int(row[4]))
            for row in rows
            if row[0] in CATEGORY_VALUES
        )

    def report(self, since: datetime | None = None, now: datetime | None = None) -> Report:
        moment = as_utc(now) if now is not None else utc_now()
        return build_report(self.runs(since=since, until=None), since, moment)

    def get(self, run_id: int) -> RunRecord:
        rows = self._read("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise LedgerError(f"no run {run_id} in the ledger")
        return _record(rows[0])

    def runs(self, since: datetime | None = None, until: datetime | None = None) -> list[RunRecord]:
        """Runs started in [since, until), oldest first."""
        low = to_text(since) if since is not None else ""
        high = to_text(until) if until is not None else "\uffff"
        rows = self._read(
            "SELECT * FROM runs WHERE started_at >= ? AND started_at < ? ORDER BY started_at, id",
            (low, high),
        )
        return [_record(row) for row in rows]


def _committed(conn: sqlite3.Connection, window: tuple[datetime, datetime]) -> Committed:
    spent, reserved = conn.execute(_COMMITTED_SQL, (to_text(window[0]), to_text(window[1]))).fetchone()
    return Committed(spent_usd=float(spent), reserved_usd=float(reserved))


def _insert_run(
    conn: sqlite3.Connection,
    run: RunStart,
    moment: datetime,
    needed: float,
    exceeded: BudgetExceeded | None,
    pid: int,
    host: str,
) -> int:
    est: CostEstimate = run.estimate
    prior = (
        run.prior_output_tokens
        if run.prior_output_tokens is not None
        else est.tokens.output + est.tokens.reasoning
    )
    stamp = to_text(moment)
    cursor = conn.execute(
        _INSERT_SQL,
        (
            stamp,
            stamp if exceeded else None,
            run.workspace,
            run.category.value,
            run.model,
            run.provider,
            est.tokens.input,
            est.tokens.output,
            est.tokens.reasoning,
            prior,
            est.usd,
            est.low_usd,
            est.high_usd,
            needed,
            "refused_budget" if exceeded else "pending",
            str(exceeded) if exceeded else None,
            pid,
            host,
        ),
    )
    run_id = cursor.lastrowid
    assert run_id is not None
    return run_id


def _record(row: sqlite3.Row) -> RunRecord:
    data = dict(row)
    data["started_at"] = from_text(data["started_at"])
    data["finished_at"] = from_text(data["finished_at"]) if data["finished_at"] else None
    return RunRecord.model_validate(data)
