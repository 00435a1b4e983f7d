"""`modelroute report [--json] [--days N] [--ledger PATH]` (wired into modelroute.cli)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from modelroute.ledger.budget import day_window, utc_now
from modelroute.ledger.model import LedgerError
from modelroute.ledger.paths import default_ledger_path
from modelroute.ledger.report import build_report, render_report_table, report_json
from modelroute.ledger.store import Ledger


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelroute report", description="Spend by day, model and category, and the estimate error."
    )
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--days", type=_positive_int, default=30, help="last N UTC days (default 30)")
    parser.add_argument("--ledger", type=str, default=None, help="ledger file (default: user data dir)")
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def report_main(argv: Sequence[str] | None = None) -> int:
    """`modelroute report [--json] [--days N] [--ledger PATH]`; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help or a usage error; argparse already printed
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    now = utc_now()
    since = day_window(now)[0] - timedelta(days=args.days - 1)
    path = Path(args.ledger) if args.ledger else default_ledger_path()
    try:
        if path.exists():
            with Ledger(path) as ledger:
                report = build_report(ledger.runs(since=since), since, now)
        else:  # nothing recorded yet; do not create a data directory just to report on it
            report = build_report([], since, now)
    except LedgerError as exc:
        print(f"modelroute report: {exc}", file=sys.stderr)
        return 1
    try:
        if args.json:
            print(report_json(report))
        else:
            Console(highlight=False).print(render_report_table(report))
        sys.stdout.flush()
    except BrokenPipeError:  # `modelroute report | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush quiet
    return 0
