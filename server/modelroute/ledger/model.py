"""Ledger records: what a run asked for, what it reserved, what it really cost."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from modelroute.categories import Category
from modelroute.cost.model import CostEstimate

Outcome = Literal[
    "pending", "applied", "rejected", "cancelled", "error", "answered", "reviewed", "refused_budget"
]
OUTCOMES: tuple[Outcome, ...] = (
    "pending", "applied", "rejected", "cancelled", "error", "answered", "reviewed", "refused_budget"
)
# Outcomes a run can end with (settle/abandon); "pending" and "refused_budget" are set by reserve().
FinalOutcome = Literal["applied", "rejected", "cancelled", "error", "answered", "reviewed"]
# Runs whose output the model produced in full: the only ones that say anything about output length.
COMPLETED_OUTCOMES: tuple[Outcome, ...] = ("applied", "rejected", "answered", "reviewed")

INTERRUPTED = "interrupted"


class LedgerError(Exception):
    """The ledger cannot be opened or used (corrupt file, newer schema, unreachable database, wrong
    run state)."""


class LedgerUnavailable(LedgerError):
    """The ledger's database cannot be reached (server down, network gone). No run starts without a
    reservation, so a run refused this way never reaches a provider."""


class Identity(BaseModel):
    """Who a run is charged to: the person's caps (daily_usd, monthly_usd) count their own runs, the
    team caps (team_daily_usd, team_monthly_usd) their team's ("" = everyone on the ledger)."""

    model_config = ConfigDict(frozen=True)
    person: str = ""
    team: str = ""


class RunStart(BaseModel):
    """What the executor knows before the call: enough to reserve budget and to report later."""

    model_config = ConfigDict(frozen=True)
    workspace: str
    category: Category
    model: str  # catalog id
    provider: str
    estimate: CostEstimate
    # Billed output tokens (visible + reasoning) the uncalibrated prior predicted; calibration
    # compares actual output against this so that ratios do not compound once estimates are
    # themselves calibrated. Defaults to the estimate's output + reasoning.
    prior_output_tokens: int | None = Field(default=None, ge=0)
    # How the run was made (single, cascade, best-of-n, plan): each attempt is a row of its own.
    strategy: str | None = None


class Checked(BaseModel):
    """What the check said of an attempt when it is settled (runs that check their work)."""

    model_config = ConfigDict(frozen=True)
    verified: Literal["pass", "fail", "none"] | None = None  # None: no check was asked for
    flagged: bool = False  # the test-tamper guard flagged its change set
    offered: bool = False  # its result was offered to the user (so a rejection is the user's)


class UsageLike(Protocol):
    """Token usage as `modelroute.cost.Usage` reports it (genai-prices' convention):
    `input_tokens` includes cached parts, `output_tokens` includes reasoning."""

    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def cache_read_tokens(self) -> int: ...
    @property
    def cache_write_tokens(self) -> int: ...
    @property
    def reasoning_tokens(self) -> int: ...


class Reservation(BaseModel):
    """Budget held for one run until it is settled or abandoned."""

    model_config = ConfigDict(frozen=True)
    run_id: int
    reserved_usd: float
    started_at: datetime


class RunRecord(BaseModel):
    """One row of the `runs` table."""

    model_config = ConfigDict(frozen=True)
    id: int
    started_at: datetime
    finished_at: datetime | None
    workspace: str
    category: str
    model: str
    provider: str
    est_input_tokens: int
    est_output_tokens: int
    est_reasoning_tokens: int
    prior_output_tokens: int
    est_usd: float
    est_low_usd: float
    est_high_usd: float
    reserved_usd: float
    act_input_tokens: int | None
    act_output_tokens: int | None
    act_cache_read_tokens: int | None
    act_cache_write_tokens: int | None
    act_reasoning_tokens: int | None
    act_usd: float | None  # None: unknown (still pending, refused, or interrupted by a crash)
    latency_ms: int | None
    outcome: Outcome
    error: str | None
    pid: int
    host: str
    person: str = ""
    team: str = ""
    renewed_at: datetime | None = None  # last lease renewal of a pending run (None: not renewed yet)
    lease_s: float = 600.0  # a pending run not renewed for this long is released as interrupted
    est_cache_read_tokens: int = 0  # input tokens the estimate expected to be read from the cache
    strategy: str | None = None  # single, cascade, best-of-n, plan (None: before strategies)
    verified: str | None = None  # pass, fail, none (None: no check asked, or a row before checks)
    flagged: bool = False
    offered: bool = False

    @property
    def charged_usd(self) -> float:
        """What this row counts against the budget (see docs/ledger.md, "What counts")."""
        if self.outcome == "refused_budget":
            return 0.0
        if self.act_usd is None:
            return self.reserved_usd
        return self.act_usd
