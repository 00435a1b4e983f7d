"""`modelroute run` (DESIGN 2.2b): one action run headless, through the same run core as the language
server, with the terminal as its editor.

    modelroute run --workspace DIR --file PATH [--line N --character N] [--end-line N --end-character N]
        --instruction TEXT [--model ID] [--strategy single|cascade|best-of-n|plan] [--models ID[,ID...]]
        [--verify COMMAND] [--approve deny|ask] [--apply] [--json]

Nothing in DIR changes without --apply: the proposed change set prints as a unified diff (or goes in
the JSON). Commands the model proposes are approved by the policy's rules; anything else is asked on
the terminal with --approve ask and denied with --approve deny (the default when stdin is not a
terminal). A run in which approval refused a command is `refused` and its change set is not applied,
since it may be incomplete.

Exit codes: 0 done, 1 run error (provider, network), 2 bad arguments or settings, 3 verification
failed, 4 refused by budget or approval, 125 a sandbox was needed and none could be set up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from modelroute.action_args import add_action_arguments
from modelroute.run.editor import Buffer, Level, Markdown, Offer, OfferResult, Question, Review, Shown

if TYPE_CHECKING:
    from modelroute.run.flow import RunReport

EXIT_DONE, EXIT_ERROR, EXIT_USAGE, EXIT_VERIFY, EXIT_REFUSED, EXIT_NO_SANDBOX = 0, 1, 2, 3, 4, 125
EXIT_FOR = {"done": EXIT_DONE, "error": EXIT_ERROR, "verification_failed": EXIT_VERIFY, "refused": EXIT_REFUSED}
STRATEGIES = ("single", "cascade", "best-of-n", "plan")


class UsageError(Exception):
    """Bad arguments or settings: exit 2 with the message (`raw`: already formatted, compiler-style)."""

    def __init__(self, message: str, *, raw: bool = False) -> None:
        super().__init__(message)
        self.raw = raw


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="modelroute run",
        description="Run one action headless with the routed (or a pinned) model. Nothing in the workspace "
                    "changes without --apply.",
    )
    add_action_arguments(p)
    p.add_argument("--model", help="pin one model (catalog id); default: the routed model")
    p.add_argument("--strategy", choices=STRATEGIES, default=None,
                   help="how the run is made (default: the policy's choice for the action; an instruction "
                        "holding several tasks runs them one at a time)")
    p.add_argument("--models", help="comma-separated catalog ids for the strategy (a cascade: in the order to try)")
    p.add_argument("--verify", metavar="COMMAND",
                   help="command that judges an attempt in the sandbox (exit 0 = pass); default: [verify] command, "
                        "else one detected from the workspace, else none")
    p.add_argument("--approve", choices=("deny", "ask"), default=None,
                   help="commands no rule allows: ask on the terminal, or deny (default when stdin is not a terminal)")
    p.add_argument("--apply", action="store_true", help="write the accepted change set to the workspace")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


class TerminalEditor:
    """The run core's editor on a terminal: questions on stderr answered on stdin, messages on
    stderr, the result on stdout (a diff, the answer, findings) unless --json."""

    def __init__(self, root: Path, *, approve: str, apply: bool, as_json: bool,
                 stdin: IO[str] | None = None, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> None:
        self.root = root
        self.approve = approve
        self.apply = apply
        self.as_json = as_json
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.interactive = approve == "ask" or _isatty(self.stdin)
        self.written: list[str] = []

    # -- talking to the user -----------------------------------------------------------
    async def ask(self, question: Question) -> str | None:
        if question.purpose == "approval" and self.approve == "deny":
            self.say(f"denied (--approve deny): {question.message.splitlines()[0]}")
            return None
        if not self.interactive:
            self.say(f"declined (no terminal to ask): {question.message.splitlines()[0]}")
            return None
        lines = [question.message, *[f"  [{i}] {c}" for i, c in enumerate(question.choices, 1)],
                 f"Choose 1-{len(question.choices)}: "]
        self.stderr.write("\n".join(lines))
        self.stderr.flush()
        try:
            reply = await asyncio.wait_for(asyncio.to_thread(self.stdin.readline), question.timeout_s)
        except TimeoutError:
            self.say(f"no answer within {question.timeout_s:g} s: declined")
            return None
        return _choice(reply.strip(), question.choices)

    def say(self, message: str) -> None:
        self.stderr.write(f"modelroute: {message}\n")
        self.stderr.flush()

    def tell(self, level: Level, message: str) -> None:
        text = message.removeprefix("modelroute: ")
        self.say(text if level == "info" else f"{level}: {text}")

    def log(self, level: Level, message: str) -> None:
        self.tell(level, message)

    @asynccontextmanager
    async def progress(self, title: str, *, cancellable: bool = False, message: str | None = None
                       ) -> AsyncIterator[_Progress]:
        bar = _Progress(self.stderr, live=_isatty(self.stderr))
        self.say(f"{title.removeprefix('modelroute: ')}{f' ({message})' if message else ''}")
        try:
            yield bar
        finally:
            bar.end()

    async def show(self, document: Markdown) -> Shown:
        if document.aside:  # an account beside the result: with the messages, never in the output
            self.stderr.write(document.text)
            self.stderr.flush()
        elif not self.as_json:
            self.stdout.write(document.text)
            self.stdout.flush()
        return Shown(True, None)

    async def edit_document(self, document: Markdown, action: str) -> str | None:
        """The document on stderr; on a terminal: run it, edit it in $EDITOR first, or cancel. With
        no terminal to ask, it is taken as it is (every step still runs under approval and budgets,
        and nothing is written without --apply)."""
        text = document.text
        while True:
            self.stderr.write(f"\n{text.rstrip()}\n\n")
            self.stderr.flush()
            if not self.interactive:
                self.say(f"{action}: taken as shown (no terminal to confirm or edit it)")
                return text
            edit = f"Edit it in {_editor_name()}"
            picked = await self.ask(Question(message=f"{action} as shown?", choices=(action, edit, "Cancel"),
                                             purpose="plan", level="info"))
            if picked == action:
                return text
            if picked != edit:
                return None
            edited = await asyncio.to_thread(_edit_in_editor, text, self)
            if edited is None:
                return None
            text = edited

    async def review(self, review: Review) -> None:
        if self.as_json:
            return
        for f in review.findings:
            lines = f"{f.line}" if f.end_line == f.line else f"{f.line}-{f.end_line}"
            self.stdout.write(f"{f.path}:{lines}: {f.severity}: {f.message}\n")
        self.stdout.flush()

    def buffer(self, path: Path) -> Buffer | None:
        return None  # the terminal holds no unsaved text: the run reads the disk

    # -- the change set ---------------------------------------------------------------
    async def offer(self, offer: Offer) -> OfferResult:
        """The diff on stdout; with --apply the change set is written through the apply guard,
        unless it failed its check, changed tests, or approval refused a command the model wanted."""
        changes = offer.changes
        if not self.as_json:
            self.stdout.write(changes.diff())
            self.stdout.flush()
        for refused in changes.refused:
            self.say(f"not offered: {refused.path}: {refused.reason}")
        if changes.left_out:
            self.say(f"left out (git-ignored output): {', '.join(changes.left_out[:10])}")
        if not self.apply:
            return OfferResult("proposed", "not applied: run again with --apply to write the change set")
        if offer.denied_commands:
            return OfferResult("proposed", f"not applied: approval refused {len(offer.denied_commands)} command(s) "
                                           "the model wanted to run, so the change set may be incomplete")
        if changes.flagged:
            flagged = "; ".join(f"{f.path}: {f.reason}" for f in changes.flagged)
            return OfferResult("proposed", f"not applied: flagged changes need a review first ({flagged})")
        if offer.failing:
            return OfferResult("proposed", f"not applied: {offer.failing}")
        if offer.write is None:
            return OfferResult("rejected", "not applied: this run cannot write its changes", by_user=False)
        applied = await asyncio.to_thread(offer.write, changes)
        self.written += list(applied.applied)
        new = tuple(r for r in applied.refused if r not in changes.refused)
        for refused in new:  # the guard's refusals: said, never dropped
            self.say(f"not written: {refused.path}: {refused.reason}")
        if not applied.applied and changes.changes:
            return OfferResult("rejected", "nothing was written: the apply guard refused every change",
                               by_user=False, refused=new)
        return OfferResult("applied", on_disk=True, refused=new)


class _Progress:
    """Streamed progress on one terminal line (only when stderr is a terminal)."""

    def __init__(self, stream: IO[str], *, live: bool) -> None:
        self.stream = stream
        self.live = live
        self.cancelled = False  # Ctrl-C cancels the whole command instead
        self.shown = False

    def report(self, message: str) -> None:
        if self.live:
            self.stream.write("\r\x1b[2K  " + message[:100])
            self.stream.flush()
            self.shown = True

    def end(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def _editor_name() -> str:
    return os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"


def _edit_in_editor(text: str, editor: TerminalEditor) -> str | None:
    """`text` edited in the user's $VISUAL/$EDITOR (a temporary file); None when the editor failed."""
    command = shlex.split(_editor_name())
    with tempfile.TemporaryDirectory(prefix="modelroute-plan-") as folder:
        path = Path(folder) / "plan.md"
        path.write_text(text, encoding="utf-8")
        try:
            code = subprocess.call([*command, str(path)])
        except OSError as exc:
            editor.say(f"could not start {command[0]}: {exc}")
            return None
        if code != 0:
            editor.say(f"{command[0]} exited {code}: the plan was not changed")
            return None
        return path.read_text(encoding="utf-8")


def _choice(reply: str, choices: Sequence[str]) -> str | None:
    if reply.isdigit() and 1 <= int(reply) <= len(choices):
        return choices[int(reply) - 1]
    lowered = reply.lower()
    matches = [c for c in choices if c.lower() == lowered]
    return matches[0] if matches else None


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# -- the command ----------------------------------------------------------------------------
def run_main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    try:
        return asyncio.run(_run(args))
    except UsageError as exc:
        return _fail(args, "error", str(exc), EXIT_USAGE, raw=exc.raw)


async def _run(args: argparse.Namespace) -> int:
    from modelroute.context.gather import ContextError
    from modelroute.route.model import Unroutable
    from modelroute.run.flow import RunRefused, RunSession, run_action

    model = _model(args)
    engine = _engine(args.workspace)
    try:
        routed = await asyncio.to_thread(engine.decide, _request(args))
    except ContextError as exc:
        raise UsageError(str(exc)) from exc
    except Unroutable as exc:
        return _fail(args, "refused", str(exc), EXIT_REFUSED)
    approve = args.approve or ("ask" if _isatty(sys.stdin) else "deny")
    editor = TerminalEditor(engine.root, approve=approve, apply=args.apply, as_json=args.json)
    from modelroute.run.flow import Action

    action = Action(engine=engine, routed=routed, document=routed.context.file, instruction=args.instruction,
                    loose=False, verify=args.verify)
    try:
        report = await run_action(RunSession(), editor, action, model, strategy=args.strategy, models=_listed(args))
    except RunRefused as exc:  # a hard limit (a budget, the context window) refuses; anything else is usage
        if exc.limited:
            return _fail(args, "refused", str(exc), EXIT_REFUSED)
        raise UsageError(str(exc)) from exc
    return _finish(args, editor, report)


def _finish(args: argparse.Namespace, editor: TerminalEditor, report: RunReport) -> int:
    contract = report.contract()
    code = EXIT_NO_SANDBOX if report.sandbox_unavailable else EXIT_FOR[report.conclusion]
    if report.sandbox_unavailable:
        contract["outcome"] = "error"
        contract["message"] = f"no sandbox could be set up: {report.sandbox_unavailable[0]}"
    contract["applied"] = editor.written
    if args.json:
        print(json.dumps(contract, ensure_ascii=False))
    else:
        editor.say(_summary(contract))
    return code


def _summary(contract: dict[str, Any]) -> str:
    attempts = ", ".join(f"{a['model']} ${a['cost_usd']:.4f} (estimated ${a['estimated_cost_usd']:.4f})"
                         for a in contract["attempts"]) or "no model was called"
    message = f": {contract['message']}" if contract.get("message") else ""
    return f"{contract['outcome']}{message} · {attempts}"


def _listed(args: argparse.Namespace) -> list[str]:
    return [m.strip() for m in (args.models or "").split(",") if m.strip()]


def _model(args: argparse.Namespace) -> str | None:
    """The pinned model, after the arguments that cannot go together are refused clearly."""
    listed = _listed(args)
    strategy = args.strategy or "single"
    if strategy == "single" and len(listed) > 1:
        raise UsageError("--strategy single runs one model: give one --model (or one entry in --models)")
    if listed and args.model and args.model not in listed:
        raise UsageError(f"--model {args.model} and --models {','.join(listed)} disagree: give one")
    if args.model and strategy not in ("single", "plan") and not listed:
        raise UsageError(f"--model pins one model; --strategy {strategy} takes its models from --models A,B")
    if args.verify is not None and not args.verify.strip():
        raise UsageError("--verify needs a command (exit 0 = pass)")
    if (args.end_line is None) != (args.end_character is None):
        raise UsageError("--end-line and --end-character go together")
    model: str | None = args.model
    return model


def _engine(workspace: Path) -> Any:
    from modelroute.pipeline import Engine

    if not workspace.is_dir():
        raise UsageError(f"workspace {workspace} is not a folder")
    engine = Engine(workspace)
    if engine.resolved.errors:
        raise UsageError("\n".join(e.format() for e in engine.resolved.errors), raw=True)
    for warning in engine.resolved.warnings:
        print(warning.format(), file=sys.stderr)
    engine.build_index()
    from modelroute.ledger import LedgerError

    try:  # budgets and calibration hold as in the server
        engine.load_spend()
    except LedgerError as exc:  # the run's reservation then says clearly what is wrong
        print(f"modelroute: warning: ledger unreadable, routing without spend: {exc}", file=sys.stderr)
    return engine


def _request(args: argparse.Namespace) -> Any:
    from modelroute.context.gather import ActionRequest
    from modelroute.context.model import Position

    end = None
    if args.end_line is not None:
        end = Position(line=args.end_line, character=args.end_character)
    return ActionRequest(file=args.file, cursor=Position(line=args.line, character=args.character),
                         selection_end=end, instruction=args.instruction)


def _fail(args: argparse.Namespace, outcome: str, message: str, code: int, *, raw: bool = False) -> int:
    """Nothing ran: say why (and, with --json, as the one JSON object on stdout)."""
    if args.json:
        print(json.dumps({"outcome": outcome, "strategy": args.strategy or "single", "attempts": [], "changes": [],
                          "flagged": [], "cost_usd": 0.0, "message": message}, ensure_ascii=False))
    print(message if raw else f"modelroute run: error: {message}", file=sys.stderr)
    return code


__all__ = ["TerminalEditor", "build_parser", "run_main"]
