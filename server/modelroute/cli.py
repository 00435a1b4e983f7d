"""Command line: route, run, serve, acp, sandbox, doctor, report (DESIGN 2.2, 2.2b).

Subcommands import their modules lazily so `modelroute route` starts fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from modelroute.action_args import add_action_arguments

if TYPE_CHECKING:
    import logging

    from modelroute.context.model import Diagnostic
    from modelroute.pipeline import Routed
    from modelroute.policy.schema import SandboxSettings

EXIT_FAILURE = 1  # the command could not do its work (e.g. the server cannot listen)
EXIT_USAGE = 2  # bad settings, bad arguments, missing workspace or file
EXIT_UNROUTABLE = 3
TABLE_ROWS = 10
DESCRIPTION = """\
Route each editor action to the best-fit AI model, with the estimated cost and the reasons.
Run the language server for your editor with `modelroute serve`, or ask for one decision here
with `modelroute route` (no API key or network needed)."""
EPILOG = """\
exit codes: 0 ok; 1 the command failed (doctor found a problem, serve cannot listen); 2 bad
arguments or settings; 3 route: no model passes the limits; sandbox: the command's own code, or
125 when no sandbox can be set up. Each command has its own --help."""


class CliError(Exception):
    """A user-facing error: printed as `modelroute: error: ...`, exit code attached."""

    def __init__(self, message: str, code: int = EXIT_USAGE, *, raw: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.raw = raw  # already formatted (compiler-style settings errors)


def _route_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "route",
        help="decide which model would handle an action, without calling any",
        description="Gather the action's context from the workspace, classify it and route it, as the "
        "server does; print the chosen model, its estimated cost, the reasons and the alternatives.",
    )
    add_action_arguments(p)
    p.add_argument("--diagnostics", type=Path, help="JSON file: an array of LSP Diagnostic objects")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--show-prompt", action="store_true", help="print the exact request, send nothing")


def _load_diagnostics(path: Path | None) -> list[Diagnostic]:
    from pydantic import TypeAdapter, ValidationError

    from modelroute.context.model import Diagnostic

    if path is None:
        return []
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return TypeAdapter(list[Diagnostic]).validate_python(raw)
    except OSError as exc:
        raise CliError(f"cannot read diagnostics file {path}: {exc.strerror}") from exc
    except (json.JSONDecodeError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise CliError(f"{path}: not a JSON array of LSP Diagnostic objects: {first}") from exc


def _decide(args: argparse.Namespace) -> Routed:
    from modelroute.context.gather import ActionRequest, ContextError
    from modelroute.context.model import Position
    from modelroute.cost.tokens import use_token_cache
    from modelroute.pipeline import Engine
    from modelroute.route import Unroutable

    workspace: Path = args.workspace
    if not workspace.is_dir():
        raise CliError(f"workspace {workspace} is not a folder")
    engine = Engine(workspace)
    if engine.resolved.errors:
        raise CliError("\n".join(e.format() for e in engine.resolved.errors), raw=True)
    for warning in engine.resolved.warnings:
        print(warning.format(), file=sys.stderr)
    for note in engine.catalog.warnings:  # e.g. a provider listing a model the catalog lacks
        print(f"settings: warning: {note}", file=sys.stderr)
    if engine.git is not None:
        engine.git.refresh_async()  # git status and diff run while the index loads
    engine.build_index()
    end = None
    if args.end_line is not None:
        end = Position(line=args.end_line, character=args.end_character or 0)
    elif args.end_character is not None:
        raise CliError("--end-character needs --end-line")
    request = ActionRequest(
        file=args.file,
        cursor=Position(line=args.line, character=args.character),
        selection_end=end,
        instruction=args.instruction,
        diagnostics=_load_diagnostics(args.diagnostics),
    )
    use_token_cache()  # one decision per process: counts seen before need no tokenizer load
    try:
        return engine.decide(request)
    except ContextError as exc:
        raise CliError(str(exc)) from exc
    except Unroutable as exc:
        raise CliError(str(exc), EXIT_UNROUTABLE) from exc


def _print_table(routed: Routed) -> None:
    from rich.console import Console
    from rich.table import Table

    from modelroute.route.format import money, tokens

    d = routed.decision
    console = Console()
    t = d.cost.tokens
    console.print(
        f"[bold]{d.category.verb} with {d.display_name}[/bold] ({d.provider})  "
        f"{money(d.cost.usd)} [dim](range {money(d.cost.low_usd)}-{money(d.cost.high_usd)}, "
        f"{tokens(t.input)} in / {tokens(t.output + t.reasoning)} out)[/dim]"
    )
    console.print(f"category [bold]{d.category.value}[/bold], confidence {d.confidence:.2f}")
    for reason in d.reasons:
        console.print(f"  • {reason.strip()}")
    for note in d.notes:
        console.print(f"  [yellow]! {note}[/yellow]")
    table = Table(title="candidates", title_justify="left")
    for col, justify in (("model", "left"), ("score", "right"), ("strength", "right"),
                         ("est. cost", "right"), ("status", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    shown = d.candidates[:TABLE_ROWS]
    for c in shown:
        if c.model == d.model:
            status = "chosen"
        elif not c.eligible:
            status = "; ".join(c.blocked_by)
        else:
            status = "alternative"
        if c.eligible and not c.available:
            status += f" · {c.setup_hint}"
        table.add_row(c.display_name, f"{c.score:.1f}", f"{c.quality:.1f}", money(c.cost.usd), status)
    console.print(table)
    if len(d.candidates) > TABLE_ROWS:
        console.print(f"[dim]{len(d.candidates) - TABLE_ROWS} more candidates: use --json[/dim]")


def cmd_route(args: argparse.Namespace) -> int:
    routed = _decide(args)
    if args.show_prompt:
        print(json.dumps({"decision": routed.decision.to_json(), "requests": [routed.prompt.to_json()]},
                         indent=2, ensure_ascii=False))
    elif args.json:
        print(json.dumps(routed.decision.to_json(), ensure_ascii=False))
    else:
        _print_table(routed)
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from modelroute.doctor import run_doctor

    return run_doctor(args.workspace, as_json=args.json)


def _exit_in_connection(record: logging.LogRecord) -> bool:
    """pygls ends a TCP server by raising SystemExit inside asyncio's connection callback, and Ctrl-C
    cancels a connected client's task, whose callback Python 3.11 then logs with a CancelledError
    traceback: both are the normal way out, not errors."""
    error = record.exc_info[1] if record.exc_info else None
    return not (isinstance(error, SystemExit) or type(error).__name__ == "CancelledError")


def _serve(argv: list[str]) -> int:
    import logging

    from modelroute.lsp import serve_main

    logging.getLogger("asyncio").addFilter(_exit_in_connection)
    try:
        return serve_main(argv)
    except OSError as exc:  # the TCP socket: address in use, not allowed, unknown host
        where = argv[argv.index("--tcp") + 1] if "--tcp" in argv[:-1] else "the socket"
        reason = (exc.strerror or str(exc)).rsplit(": ", 1)[-1]
        raise CliError(f"cannot listen on {where}: {reason}", EXIT_FAILURE) from None


def _passthrough(name: str) -> int:
    """Subcommands with their own argument parsers: everything after the name is theirs."""
    argv = sys.argv[sys.argv.index(name) + 1 :]
    if name == "serve":
        return _serve(argv)
    if name == "run":
        from modelroute.terminal import run_main

        return run_main(argv)
    if name == "sandbox":
        return sandbox_main(argv, _sandbox_settings(argv))
    if name == "acp":
        from modelroute.acp.main import acp_main

        return acp_main(argv)
    from modelroute.ledger import report_main

    return report_main(argv)


PASSTHROUGH = ("serve", "run", "sandbox", "report", "acp")


def _sandbox_settings(argv: list[str]) -> SandboxSettings | None:
    """The [sandbox] settings the server would use for the workspace named in argv (same sandbox)."""
    from modelroute.policy import resolve_settings, user_config_path

    head = argv[: argv.index("--")] if "--" in argv else argv
    if "--workspace" not in head or head.index("--workspace") + 1 >= len(head):
        return None  # sandbox_main reports the missing argument
    workspace = Path(head[head.index("--workspace") + 1])
    resolved = resolve_settings(
        user_file=user_config_path(), workspace_file=workspace / ".modelroute.toml", client=None
    )
    if resolved.errors:
        raise CliError("\n".join(e.format() for e in resolved.errors), raw=True)
    sandbox = resolved.settings.sandbox
    # "off" means the server may offer unsandboxed runs; this command always sandboxes.
    return sandbox.model_copy(update={"mode": "workspace-write"}) if sandbox.mode == "off" else sandbox


def sandbox_main(argv: list[str], settings: SandboxSettings | None = None) -> int:
    """`modelroute sandbox --workspace DIR [--network] [--timeout S] [--read-only] -- COMMAND [ARG...]`.

    The command sees the workspace through a copy-on-write overlay; what it changed is then written to
    the workspace through the apply guard, and what the guard refused is said on stderr."""
    from modelroute.policy.schema import SandboxSettings
    from modelroute.sandbox import EXIT_NO_SANDBOX, SandboxSpec, SandboxUnavailable, run_sandboxed

    parser = argparse.ArgumentParser(
        prog="modelroute sandbox", description="Run one command in the sandbox the server uses."
    )
    parser.add_argument("--workspace", required=True, type=Path)
    parser.add_argument("--network", action="store_true", help="share the host network")
    parser.add_argument("--timeout", type=float, default=None, help="seconds before the process tree is killed")
    parser.add_argument("--read-only", action="store_true", help="mount the workspace read-only")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given (put it after --)")
    try:
        spec = SandboxSpec.from_settings(args.workspace, settings or SandboxSettings())
        spec = dataclasses.replace(
            spec,
            network=args.network or spec.network,
            timeout_s=args.timeout or spec.timeout_s,
            mode="read-only" if args.read_only else spec.mode,
        )
        result = run_sandboxed(command, spec)
    except SandboxUnavailable as exc:
        print(f"modelroute sandbox: no sandbox, nothing was run: {exc.reason}", file=sys.stderr)
        return EXIT_NO_SANDBOX
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    for line in (*result.violations, *result.notes):
        print(f"modelroute sandbox: {line}", file=sys.stderr)
    if result.truncated:
        print(f"modelroute sandbox: output cut at {spec.max_output_bytes} bytes; command killed", file=sys.stderr)
    if result.timed_out:
        print(f"modelroute sandbox: timed out after {spec.timeout_s:g} s; process tree killed", file=sys.stderr)
    return result.exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelroute",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from modelroute import __version__

    parser.add_argument("--version", action="version", version=f"modelroute {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _route_parser(sub)
    doctor = sub.add_parser("doctor", help="check providers, settings and the sandbox")
    doctor.add_argument("--workspace", type=Path, default=Path.cwd())
    doctor.add_argument("--json", action="store_true")
    sub.add_parser("serve", help="run the language server (stdio, or --tcp HOST:PORT)", add_help=False)
    sub.add_parser("run", help="run one action headless with a model; nothing changes without --apply",
                   add_help=False)
    sub.add_parser("sandbox", help="run one command in the sandbox", add_help=False)
    sub.add_parser("acp", help="run as an Agent Client Protocol agent on stdio (Zed, Jupyter AI, ...)",
                   add_help=False)
    sub.add_parser("report", help="spend by day, model and category", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in args_list if not a.startswith("-")), None)
    try:
        if first in PASSTHROUGH:
            if argv is not None:
                sys.argv = ["modelroute", *args_list]
            return _passthrough(first)
        args = build_parser().parse_args(args_list)
        handler = {"route": cmd_route, "doctor": cmd_doctor}[args.command]
        return handler(args)
    except CliError as exc:
        print(str(exc) if exc.raw else f"modelroute: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
