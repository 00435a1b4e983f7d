"""`modelroute report [--json] [--days N] [--ledger PATH|URL] [--by person|team]` (wired into
modelroute.cli).

Which ledger: `--ledger` (a SQLite file or a postgresql:// URL), else `[ledger] url` from the user
file, else $MODELROUTE_LEDGER_URL, else this machine's SQLite file.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import NoReturn

from rich.console import Console

from modelroute.ledger.budget import day_window, utc_now
from modelroute.ledger.model import LedgerError
from modelroute.ledger.open import is_postgres_url, ledger_url, open_ledger
from modelroute.ledger.paths import default_ledger_path
from modelroute.ledger.report import Report, build_report, render_report_table, report_json
from modelroute.policy.schema import Settings

PROG = "modelroute report"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's hook: same exit code, our wording
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Spend by day, model, category, person and team, and how good the estimates were.",
    )
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--days", type=_days, default=30, metavar="N", help="last N UTC days (default 30)")
    parser.add_argument(
        "--ledger",
        default=None,
        metavar="PATH|URL",
        help="a ledger file or a postgresql:// URL (default: [ledger] url, $MODELROUTE_LEDGER_URL, "
        "else the file in the user data dir)",
    )
    parser.add_argument(
        "--by",
        choices=("person", "team"),
        action="append",
        default=[],
        help="add spend by person or by team (repeatable; shown anyway when the ledger has several)",
    )
    return parser


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--days takes a whole number of days, 1 or more (got {text!r})") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--days takes a whole number of days, 1 or more (got {value})")
    return value


def _user_settings() -> Settings:
    """The user file's settings (the report never reads a workspace file: it names no workspace)."""
    from modelroute.policy import resolve_settings, user_config_path

    resolved = resolve_settings(user_file=user_config_path(), workspace_file=None, client=None)
    if resolved.errors:
        raise _Usage("\n".join(error.format() for error in resolved.errors))
    return resolved.settings


class _Usage(Exception):
    """Bad arguments or settings: exit 2."""


def _load(target: str | None, settings: Settings, since: datetime, now: datetime) -> tuple[Report, str | None]:
    """The report, and a note for the reader when there was nothing to read."""
    chosen = target if target is not None else ledger_url(settings)
    if chosen is not None and is_postgres_url(chosen):
        with open_ledger(settings, target=chosen) as ledger:
            return build_report(ledger.runs(since=since), since, now), None
    path = Path(chosen).expanduser() if chosen is not None else default_ledger_path()
    if not path.exists():
        if target is not None:  # the user named a file that is not there: say so, do not invent one
            raise _Usage(f"no ledger at {path} (check the path; a ledger is created by the first run)")
        return build_report([], since, now), f"no runs recorded yet (the ledger {path} does not exist)"
    if path.is_dir():
        raise _Usage(f"{path} is a directory, not a ledger file")
    with open_ledger(settings, target=str(path)) as ledger:
        return build_report(ledger.runs(since=since), since, now), None


def report_main(argv: Sequence[str] | None = None) -> int:
    """`modelroute report ...`; returns the exit code (0 ok, 1 ledger unreadable, 2 bad arguments)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help or a usage error; the parser already printed
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    now = utc_now()
    since = day_window(now)[0] - timedelta(days=args.days - 1)
    try:
        report, note = _load(args.ledger, _user_settings(), since, now)
    except _Usage as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except LedgerError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    try:
        if args.json:
            print(report_json(report))
        else:
            Console(highlight=False).print(render_report_table(report, by=tuple(args.by)))
            if note:
                print(note, file=sys.stderr)
        sys.stdout.flush()
    except BrokenPipeError:  # `modelroute report | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush quiet
    return 0
