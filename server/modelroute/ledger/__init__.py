"""The cost ledger: one row per run, hard personal and team budgets, leases, calibration and the
report; SQLite on one machine or PostgreSQL shared by a team, behind one store interface."""

from modelroute.ledger.budget import (
    BudgetExceeded,
    Committed,
    needs_confirmation,
    output_token_limit,
    reservation_usd,
)
from modelroute.ledger.calibration import calibration_from, output_aggregates
from modelroute.ledger.cli import report_main
from modelroute.ledger.model import (
    OUTCOMES,
    Checked,
    FinalOutcome,
    Identity,
    LedgerError,
    LedgerUnavailable,
    Outcome,
    Reservation,
    RunRecord,
    RunStart,
    UsageLike,
)
from modelroute.ledger.open import (
    LEDGER_URL_ENV,
    PERSON_ENV,
    TEAM_ENV,
    identity_from,
    is_postgres_url,
    ledger_url,
    open_ledger,
)
from modelroute.ledger.paths import DATA_DIR_ENV, data_dir, default_ledger_path
from modelroute.ledger.report import Report, build_report, render_report_table, report_json, report_text
from modelroute.ledger.sqlite import Ledger
from modelroute.ledger.store import LedgerStore

__all__ = [
    "DATA_DIR_ENV",
    "LEDGER_URL_ENV",
    "OUTCOMES",
    "PERSON_ENV",
    "TEAM_ENV",
    "BudgetExceeded",
    "Checked",
    "Committed",
    "FinalOutcome",
    "Identity",
    "Ledger",
    "LedgerError",
    "LedgerStore",
    "LedgerUnavailable",
    "Outcome",
    "Report",
    "Reservation",
    "RunRecord",
    "RunStart",
    "UsageLike",
    "build_report",
    "calibration_from",
    "data_dir",
    "default_ledger_path",
    "identity_from",
    "is_postgres_url",
    "ledger_url",
    "needs_confirmation",
    "open_ledger",
    "output_aggregates",
    "output_token_limit",
    "render_report_table",
    "report_json",
    "report_main",
    "report_text",
    "reservation_usd",
]
