"""The cost ledger: one row per run, hard daily/monthly budgets, calibration and the report."""

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
    FinalOutcome,
    LedgerError,
    Outcome,
    Reservation,
    RunRecord,
    RunStart,
    UsageLike,
)
from modelroute.ledger.paths import DATA_DIR_ENV, data_dir, default_ledger_path
from modelroute.ledger.report import Report, build_report, render_report_table, report_json, report_text
from modelroute.ledger.store import Ledger

__all__ = [
    "DATA_DIR_ENV",
    "OUTCOMES",
    "BudgetExceeded",
    "Committed",
    "FinalOutcome",
    "Ledger",
    "LedgerError",
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
    "needs_confirmation",
    "output_aggregates",
    "output_token_limit",
    "render_report_table",
    "report_json",
    "report_main",
    "report_text",
    "reservation_usd",
]
