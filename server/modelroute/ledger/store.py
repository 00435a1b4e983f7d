"""The ledger's one store interface: runs, budget reservations, leases, spend queries.

`LedgerStore` holds every rule (what a reservation checks, how a run finishes, when a lease has
run out) over a few primitives each backend implements: one write transaction (`_transact`), one read
(`_read`) and how a moment is stored (`_ts`, `_dt`). SQLite (`ledger/sqlite.py`, the default, one
machine) and PostgreSQL (`ledger/postgres.py`, shared by a team) pass the same test suite.
The SQL is shared and written with `?` placeholders; PostgreSQL's adapter rewrites them.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Literal, Protocol, TypeVar

from modelroute.cost.calibration import Calibration
from modelroute.ledger.budget import (
    BudgetExceeded,
    Committed,
    Windows,
    as_utc,
    check_caps,
    day_window,
    month_window,
    reservation_usd,
    utc_now,
)
from modelroute.ledger.calibration import CATEGORY_VALUES, DEFAULT_WINDOW
from modelroute.ledger.lease import Heartbeat
from modelroute.ledger.model import (
    INTERRUPTED,
    Checked,
    FinalOutcome,
    Identity,
    LedgerError,
    LedgerUnavailable,
    Reservation,
    RunRecord,
    RunStart,
    UsageLike,
)
from modelroute.ledger.report import Report, build_report
from modelroute.policy.schema import BudgetSettings

log = logging.getLogger(__name__)
Period = Literal["day", "month"]
T = TypeVar("T")
Row = Mapping[str, Any]
_FINAL: frozenset[str] = frozenset({"applied", "rejected", "cancelled", "error", "answered", "reviewed"})
DEFAULT_LEASE = timedelta(seconds=120)
DEFAULT_ORPHAN_AFTER = timedelta(hours=24)
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 1, 1, tzinfo=UTC)

# Rows that count against a budget window, split into settled spend and open reservations.
# A finished row with unknown actual cost (a run interrupted by a crash) counts at its reservation:
# the provider may well have billed it. `{scope}` narrows to a person or a team.
_COMMITTED_SQL = """
SELECT
  COALESCE(SUM(CASE WHEN outcome = 'pending' THEN 0 ELSE COALESCE(act_usd, reserved_usd) END), 0) AS spent,
  COALESCE(SUM(CASE WHEN outcome = 'pending' THEN reserved_usd ELSE 0 END), 0) AS reserved
FROM runs
WHERE started_at >= ? AND started_at < ? AND outcome != 'refused_budget'{scope}
"""
# Rows of person '' were written before identities existed, on this machine's file: its user's.
_PERSON_SCOPE = " AND person IN (?, '')"
_TEAM_SCOPE = " AND team = ?"

_CALIBRATION_SQL = """
SELECT category, model, SUM(prior_output_tokens) AS prior, SUM(act_output_tokens) AS observed,
       COUNT(*) AS runs
FROM (
  SELECT category, model, prior_output_tokens, act_output_tokens,
         ROW_NUMBER() OVER (PARTITION BY category, model ORDER BY started_at DESC, id DESC) AS recent
  FROM runs
  WHERE started_at >= ? AND act_output_tokens IS NOT NULL AND prior_output_tokens > 0
    AND outcome IN ('applied', 'rejected', 'answered', 'reviewed')
) AS completed
WHERE recent <= ?
GROUP BY category, model
ORDER BY category, model
"""

_INSERT_SQL = """
INSERT INTO runs (started_at, finished_at, workspace, category, model, provider,
                  est_input_tokens, est_output_tokens, est_reasoning_tokens, prior_output_tokens,
                  est_usd, est_low_usd, est_high_usd, reserved_usd, outcome, error, pid, host,
                  person, team, lease_s, est_cache_read_tokens, strategy)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id
"""

_SETTLE_SQL = """
UPDATE runs SET finished_at = ?, act_input_tokens = ?, act_output_tokens = ?,
                act_cache_read_tokens = ?, act_cache_write_tokens = ?, act_reasoning_tokens = ?,
                act_usd = ?, latency_ms = ?, outcome = ?, error = ?, verified = ?, flagged = ?, offered = ?
WHERE id = ? AND (outcome = 'pending' OR (outcome = 'error' AND error = ?))
"""


class Tx(Protocol):
    """One open write transaction."""

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...
    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute; the number of rows changed."""
        ...


class LedgerStore(ABC):
    """Runs, spend and budget reservations. Thread-safe; several processes and machines may share
    one store (each backend serialises what must be atomic)."""

    where: str  # the file or the (password-free) URL, for messages

    def __init__(
        self,
        *,
        identity: Identity | None = None,
        lease: timedelta = DEFAULT_LEASE,
        orphan_after: timedelta = DEFAULT_ORPHAN_AFTER,
    ) -> None:
        self.identity = identity or Identity()
        self.lease = lease  # this process's reservations are released this long after it stops renewing
        self.orphan_after = orphan_after  # pending this long: interrupted, whatever its lease says
        self._host = socket.gethostname()
        self._lock = threading.RLock()
        self._heartbeat = Heartbeat(self._renew, interval_s=max(0.05, lease.total_seconds() / 4))
        # Settlements the database could not take (it was away): written before the next write,
        # the heartbeat's included, so a run's real cost is recorded once the database is back.
        self._unsettled: dict[int, tuple[Any, ...]] = {}

    # -- backend primitives ------------------------------------------------------------------

    @abstractmethod
    def _transact(self, work: Callable[[Tx], T]) -> T:
        """Run `work` in one write transaction, atomic against every other user of the store;
        failures surface as LedgerError with the transaction rolled back."""

    @abstractmethod
    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    @abstractmethod
    def _ts(self, moment: datetime) -> Any:
        """A moment as the backend stores it."""

    @abstractmethod
    def _dt(self, value: Any) -> datetime:
        """A stored moment back as an aware UTC datetime."""

    @abstractmethod
    def _close_connection(self) -> None: ...

    # -- writes ------------------------------------------------------------------------------

    def _write(self, work: Callable[[Tx], T]) -> T:
        """Every write goes through here: a kept settlement first, then `work`."""
        with self._lock:
            self._flush_unsettled()
            return self._transact(work)

    def _flush_unsettled(self) -> None:
        for run_id, params in list(self._unsettled.items()):
            changed = self._transact(lambda tx, p=params: tx.run(_SETTLE_SQL, p))  # type: ignore[misc]
            del self._unsettled[run_id]
            self._heartbeat.release(run_id)
            if changed != 1:
                log.warning("run %s was finished elsewhere before its delayed settlement", run_id)

    @property
    def unsettled(self) -> list[int]:
        """Runs whose settlement waits for the database to come back."""
        with self._lock:
            return sorted(self._unsettled)

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self._heartbeat.close()
        with self._lock:
            self._close_connection()

    def __enter__(self) -> LedgerStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- budgets -----------------------------------------------------------------------------

    def reserve(self, run: RunStart, budgets: BudgetSettings, now: datetime | None = None) -> Reservation:
        """Hold the high end of the run's estimate, or refuse it (a refused_budget row) when that
        plus settled spend plus other open reservations would pass a personal or team cap."""
        moment = as_utc(now) if now is not None else utc_now()
        needed = reservation_usd(run.estimate)

        def work(tx: Tx) -> tuple[int, BudgetExceeded | None]:
            self._release_stale_in(tx, moment)
            exceeded = check_caps(needed, self._windows(tx, moment), budgets, self.identity.team)
            return self._insert_run(tx, run, moment, needed, exceeded), exceeded

        run_id, exceeded = self._write(work)
        if exceeded is not None:
            exceeded.run_id = run_id
            raise exceeded
        self._heartbeat.hold(run_id)
        return Reservation(run_id=run_id, reserved_usd=needed, started_at=moment)

    def extend(self, reservation: Reservation, extra_usd: float, budgets: BudgetSettings) -> Reservation:
        """Hold `extra_usd` more for a run in progress (another agent turn), or raise BudgetExceeded
        and leave the reservation as it was. Counts against the windows the run started in."""
        if extra_usd < 0:
            raise ValueError("extra_usd must be >= 0")

        def work(tx: Tx) -> tuple[float, BudgetExceeded | None]:
            found = tx.rows("SELECT reserved_usd, outcome FROM runs WHERE id = ?", (reservation.run_id,))
            if not found or found[0]["outcome"] != "pending":
                raise LedgerError(f"run {reservation.run_id} is not in progress")
            exceeded = check_caps(
                extra_usd, self._windows(tx, reservation.started_at), budgets, self.identity.team
            )
            total = float(found[0]["reserved_usd"]) + extra_usd
            if exceeded is None:
                tx.run("UPDATE runs SET reserved_usd = ? WHERE id = ?", (total, reservation.run_id))
            return total, exceeded

        total, exceeded = self._write(work)
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
        checked: Checked | None = None,
    ) -> RunRecord:
        """Record what the run really used and cost; its reservation is released. `checked`: what
        the check said of it (runs that check their work).

        The actual cost is recorded even when it is above the reservation: money spent is spent,
        and later reservations see it."""
        return self._finish(reservation, usage, actual_usd, outcome, latency_ms, error, now, checked)

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
        checked: Checked | None = None,
    ) -> RunRecord:
        if outcome not in _FINAL:
            raise ValueError(f"a run cannot end with outcome {outcome!r}")
        if actual_usd < 0:
            raise ValueError("actual_usd must be >= 0")
        moment = as_utc(now) if now is not None else utc_now()
        if latency_ms is None:
            latency_ms = max(0, int((moment - reservation.started_at).total_seconds() * 1000))
        tokens: tuple[int | None, ...] = (
            (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens,
             usage.reasoning_tokens)
            if usage is not None
            else (None,) * 5
        )
        check = checked or Checked()
        params = (self._ts(moment), *tokens, actual_usd, latency_ms, outcome, error, check.verified, check.flagged,
                  check.offered, reservation.run_id, INTERRUPTED)
        try:
            changed = self._write(lambda tx: tx.run(_SETTLE_SQL, params))
        except LedgerUnavailable:
            # Kept, and written before the next write once the database is back; the lease keeps
            # being renewed meanwhile. If this process ends first, the lease runs out and the run
            # counts at its reservation (fail closed).
            with self._lock:
                self._unsettled[reservation.run_id] = params
            raise
        self._heartbeat.release(reservation.run_id)
        if changed != 1:
            raise LedgerError(f"run {reservation.run_id} is not in progress (already finished?)")
        return self.get(reservation.run_id)

    # -- leases ------------------------------------------------------------------------------

    def release_stale(self, now: datetime | None = None) -> list[int]:
        """Mark pending runs whose lease ran out (their process died) as error "interrupted" so
        they stop holding budget; returns their ids. Writes only when there is something to release."""
        moment = as_utc(now) if now is not None else utc_now()
        pending = self._read("SELECT id, started_at, renewed_at, lease_s FROM runs WHERE outcome = 'pending'")
        if not self._stale_ids(pending, moment):
            return []
        return self._write(lambda tx: self._release_stale_in(tx, moment))

    def renew(self, now: datetime | None = None) -> list[int]:
        """Renew the leases of every run this process holds now (the heartbeat does this on its own)."""
        held = sorted(self._heartbeat.held())
        if held:
            self._renew(held, now)
        return held

    def _renew(self, run_ids: list[int], now: datetime | None = None) -> None:
        moment = as_utc(now) if now is not None else utc_now()
        marks = ", ".join("?" for _ in run_ids)
        sql = f"UPDATE runs SET renewed_at = ? WHERE outcome = 'pending' AND id IN ({marks})"
        self._write(lambda tx: tx.run(sql, (self._ts(moment), *run_ids)))

    def _stale_ids(self, pending: list[Row], moment: datetime) -> list[int]:
        mine = self._heartbeat.held()
        stale = []
        for row in pending:
            started = self._dt(row["started_at"])
            last = self._dt(row["renewed_at"]) if row["renewed_at"] is not None else started
            expired = last + timedelta(seconds=float(row["lease_s"])) < moment
            if int(row["id"]) not in mine and (expired or started < moment - self.orphan_after):
                stale.append(int(row["id"]))
        return stale

    def _release_stale_in(self, tx: Tx, moment: datetime) -> list[int]:
        pending = tx.rows("SELECT id, started_at, renewed_at, lease_s FROM runs WHERE outcome = 'pending'")
        stale = self._stale_ids(pending, moment)
        for run_id in stale:
            tx.run(
                "UPDATE runs SET outcome = 'error', error = ?, finished_at = ? WHERE id = ? AND outcome = 'pending'",
                (INTERRUPTED, self._ts(moment), run_id),
            )
        return stale

    # -- queries -----------------------------------------------------------------------------

    def _committed_in(
        self, query: Callable[[str, Sequence[Any]], list[Row]], window: tuple[datetime, datetime], team: bool
    ) -> Committed:
        if team:
            scope, extra = (_TEAM_SCOPE, (self.identity.team,)) if self.identity.team else ("", ())
        else:
            scope, extra = _PERSON_SCOPE, (self.identity.person,)
        (row,) = query(_COMMITTED_SQL.format(scope=scope), (self._ts(window[0]), self._ts(window[1]), *extra))
        return Committed(spent_usd=float(row["spent"]), reserved_usd=float(row["reserved"]))

    def _windows(self, tx: Tx, moment: datetime) -> Windows:
        day, month = day_window(moment), month_window(moment)
        return Windows(
            day=self._committed_in(tx.rows, day, team=False),
            month=self._committed_in(tx.rows, month, team=False),
            team_day=self._committed_in(tx.rows, day, team=True),
            team_month=self._committed_in(tx.rows, month, team=True),
        )

    def committed(self, period: Period = "day", now: datetime | None = None, *, team: bool = False) -> Committed:
        """Settled spend and open reservations in the UTC day or month containing `now`: this
        person's, or with `team` the team's."""
        moment = as_utc(now) if now is not None else utc_now()
        window = day_window(moment) if period == "day" else month_window(moment)
        return self._committed_in(self._read, window, team=team)

    def spent(self, period: Period = "day", now: datetime | None = None) -> float:
        """This person's spend of finished runs in the UTC day or month containing `now` (USD)."""
        return self.committed(period, now).spent_usd

    def status(self, budgets: BudgetSettings, now: datetime | None = None) -> dict[str, Any]:
        day = self.committed("day", now)
        month = self.committed("month", now)
        status: dict[str, Any] = {
            "spent_today_usd": day.spent_usd,
            "spent_month_usd": month.spent_usd,
            "reserved_today_usd": day.reserved_usd,
            "reserved_month_usd": month.reserved_usd,
            "daily_usd": budgets.daily_usd,
            "monthly_usd": budgets.monthly_usd,
            "per_request_usd": budgets.per_request_usd,
        }
        if budgets.team_daily_usd is not None or budgets.team_monthly_usd is not None:
            team_day = self.committed("day", now, team=True)
            team_month = self.committed("month", now, team=True)
            status.update(
                team=self.identity.team,
                team_spent_today_usd=team_day.spent_usd,
                team_spent_month_usd=team_month.spent_usd,
                team_reserved_today_usd=team_day.reserved_usd,
                team_reserved_month_usd=team_month.reserved_usd,
                team_daily_usd=budgets.team_daily_usd,
                team_monthly_usd=budgets.team_monthly_usd,
            )
        return status

    def calibration(self, since: datetime | None = None, window: int = DEFAULT_WINDOW) -> Calibration:
        """Output-token calibration per (category, model) from its last `window` completed runs
        (the same aggregate as `calibration.output_aggregates`, computed in SQL)."""
        rows = self._read(_CALIBRATION_SQL, (self._ts(since if since is not None else _EARLIEST), window))
        return Calibration.from_aggregates(
            (row["category"], row["model"], int(row["prior"]), int(row["observed"]), int(row["runs"]))
            for row in rows
            if row["category"] in CATEGORY_VALUES
        )

    def report(self, since: datetime | None = None, now: datetime | None = None) -> Report:
        moment = as_utc(now) if now is not None else utc_now()
        return build_report(self.runs(since=since, until=None), since, moment)

    def get(self, run_id: int) -> RunRecord:
        rows = self._read("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise LedgerError(f"no run {run_id} in the ledger")
        return self._record(rows[0])

    def runs(self, since: datetime | None = None, until: datetime | None = None) -> list[RunRecord]:
        """Runs started in [since, until), oldest first (everyone's: the report groups them)."""
        low = self._ts(since if since is not None else _EARLIEST)
        high = self._ts(until if until is not None else _LATEST)
        rows = self._read(
            "SELECT * FROM runs WHERE started_at >= ? AND started_at < ? ORDER BY started_at, id", (low, high)
        )
        return [self._record(row) for row in rows]

    # -- rows --------------------------------------------------------------------------------

    def _insert_run(
        self, tx: Tx, run: RunStart, moment: datetime, needed: float, exceeded: BudgetExceeded | None
    ) -> int:
        est = run.estimate
        prior = run.prior_output_tokens
        if prior is None:
            prior = est.tokens.output + est.tokens.reasoning
        stamp = self._ts(moment)
        (row,) = tx.rows(
            _INSERT_SQL,
            (
                stamp, stamp if exceeded else None, run.workspace, run.category.value, run.model, run.provider,
                est.tokens.input, est.tokens.output, est.tokens.reasoning, prior,
                est.usd, est.low_usd, est.high_usd, needed,
                "refused_budget" if exceeded else "pending", str(exceeded) if exceeded else None,
                os.getpid(), self._host, self.identity.person, self.identity.team,
                self.lease.total_seconds(), est.tokens.cache_read, run.strategy,
            ),
        )
        return int(row["id"])

    def _record(self, row: Row) -> RunRecord:
        data = dict(row)
        for key in ("started_at", "finished_at", "renewed_at"):
            data[key] = self._dt(data[key]) if data[key] is not None else None
        return RunRecord.model_validate(data)
