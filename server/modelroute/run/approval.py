"""Approval before every command a model proposes, then the sandbox, then the audit log.

`command_runner` gives the agent loop a `RunCommand`: parse -> rules -> ask (through the editor) ->
run in the attempt's sandbox -> audit. Nothing runs without a rule or a human saying so; what runs,
runs in bubblewrap unless the human picked "Run without sandbox", which is offered only when the
user file sets `sandbox.mode = "off"` and is never stored. "Always allow" prefixes are kept per
workspace for the session and in `<data dir>/always-allow.json`, outside every workspace, so a
repository cannot plant one. (The order follows codex's tool orchestrator: approval, then the
sandbox choice, then the attempt.)
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from modelroute.execute import approval as rules
from modelroute.execute.agent import CommandOutcome
from modelroute.execute.audit import AuditLog, data_dir
from modelroute.execute.shellparse import ParsedCommand, parse_command
from modelroute.policy.schema import SandboxSettings, Settings
from modelroute.run.editor import Editor, Level, Question

if TYPE_CHECKING:
    from modelroute.run.workspace import AttemptWorkspace
    from modelroute.sandbox import SandboxResult

log = logging.getLogger(__name__)

RunCommand = Callable[[str, str], Awaitable[CommandOutcome]]
OnStatus = Callable[[str], None]
Decision = Literal["run_sandboxed", "run_unsandboxed", "deny"]

ALWAYS_FILE = "always-allow.json"
OUTPUT_LIMIT = 24_000  # characters of output handed back to the model (head and tail kept)
SHORT = 60  # characters of the command shown in one-line summaries
_SECRET_NAME = re.compile(r"(?i)KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION")
_NO_RETRY = "Do not retry it in another form or without the sandbox; continue without it or ask the user."


# ---------------------------------------------------------------- approval books


class AlwaysStore:
    """Per-workspace "always allow" prefixes, persisted as JSON in the user data directory."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else data_dir() / ALWAYS_FILE

    def load(self) -> dict[str, list[str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): [str(p) for p in v if isinstance(p, str)] for k, v in data.items() if isinstance(v, list)}

    def add(self, workspace: Path, prefix: str) -> None:
        data = self.load()
        prefixes = data.setdefault(str(workspace), [])
        if prefix in prefixes:
            return
        prefixes.append(prefix)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, self.path)


@dataclass
class Approvals:
    """A session's approval state: one book per workspace (seeded from the store), the store of
    "always allow" answers, and the audit log. One per server or command-line run."""

    store: AlwaysStore = field(default_factory=AlwaysStore)
    audit: AuditLog = field(default_factory=AuditLog)
    books: dict[Path, rules.ApprovalBook] = field(default_factory=dict)

    def book(self, root: Path) -> rules.ApprovalBook:
        book = self.books.get(root)
        if book is None:
            book = rules.ApprovalBook()
            for prefix in self.store.load().get(str(root), []):
                book.add_always(root, prefix)
            self.books[root] = book
        return book


# ---------------------------------------------------------------- pure helpers


def sandboxed_settings(sandbox: SandboxSettings) -> SandboxSettings:
    """What "run in the sandbox" means: mode "off" still runs sandboxed, workspace-write (leaving the
    sandbox is a per-command human choice, never a setting's automatic effect)."""
    return sandbox.model_copy(update={"mode": "workspace-write"}) if sandbox.mode == "off" else sandbox


def unsandboxed_allowed(settings: Settings, user_file: Path | None) -> bool:
    """Offer "Run without sandbox" only when the settings in force say "off" AND the user
    file itself says so (narrowing already keeps the workspace file from setting it; re-reading the
    user file alone makes that independent of how the settings were assembled)."""
    if settings.sandbox.mode != "off" or user_file is None:
        return False
    from modelroute.policy import resolve_settings

    alone = resolve_settings(user_file=user_file, workspace_file=None, client=None)
    return alone.ok and alone.settings.sandbox.mode == "off"


def short(command: str) -> str:
    one = rules.escape_visible(" ".join(command.split()))
    return one if len(one) <= SHORT else one[: SHORT - 1] + "…"


def cap_output(text: str, limit: int = OUTPUT_LIMIT) -> str:
    if len(text) <= limit:
        return text
    head, tail = text[: limit * 2 // 3], text[-(limit // 3) :]
    return f"{head}\n[… {len(text) - len(head) - len(tail)} characters cut …]\n{tail}"


def run_report(command: str, how: str, result: Any) -> str:
    """What the model reads back: the decision, the exit code, capped output, sandbox notes."""
    parts = [f"Command: {command}", f"Ran {how}.", f"Exit code: {result.exit_code}"]
    if result.timed_out:
        parts.append("Timed out: the process group was killed.")
    if result.truncated:
        parts.append("Output hit the cap: the command was killed.")
    parts += [f"Sandbox: {v}" for v in result.violations]
    if result.stdout:
        parts.append("--- stdout ---\n" + cap_output(result.stdout))
    if result.stderr:
        parts.append("--- stderr ---\n" + cap_output(result.stderr))
    if not result.stdout and not result.stderr:
        parts.append("(no output)")
    return "\n".join(parts)


def scrubbed_env() -> dict[str, str]:
    """The server's environment minus anything named like a secret (API keys never reach a command)."""
    return {k: v for k, v in os.environ.items() if not _SECRET_NAME.search(k)}


# ---------------------------------------------------------------- the runner


@dataclass
class _Runner:
    editor: Editor
    approvals: Approvals
    workspace: AttemptWorkspace
    settings: Callable[[], Settings]  # the settings in force now: a run is long, settings reload
    user_file: Path | None
    model: str
    reason_prefix: str
    on_status: OnStatus | None
    check: bool = False  # the run's own check: always in the attempt's overlay, never unsandboxed
    timeout_s: float | None = None  # instead of the sandbox's (the check has its own)
    remember: set[str] | None = None  # commands the user approved earlier in this run: not asked again
    denials: list[str] = field(default_factory=list)  # commands not run because approval refused them
    decided_by: list[str] = field(default_factory=list)  # who decided each command: user, rule, timeout, ...
    unavailable: list[str] = field(default_factory=list)  # commands approved but no sandbox could run them
    last: SandboxResult | None = None  # what the last command that ran came back with

    @property
    def root(self) -> Path:
        return self.workspace.root

    async def run(self, command: str, reason: str) -> CommandOutcome:
        parsed = parse_command(command)
        book = self.approvals.book(self.root)
        settings = self.settings()
        book.timeout_s = settings.approval.timeout_s
        verdict = rules.evaluate(parsed, settings.approval, book.always_prefixes(self.root))
        sandbox = sandboxed_settings(settings.sandbox)
        self.last = None
        if self.workspace.only is not None:
            return self._denied(parsed, verdict, "rule", sandbox,
                                f"Not run: {self.workspace.only} is outside every workspace folder, so no command "
                                "runs for it (open its folder as a workspace to allow commands).",
                                "not run: the file is outside every workspace folder")
        if verdict.action == "deny":
            why = "; ".join(verdict.reasons) or "denied by the rules"
            return self._denied(
                parsed, verdict, "rule", sandbox, f"Denied by the approval rules: {why}.", f"denied by rule: {why}"
            )
        if not self.workspace.runs_commands:  # no copy of the workspace to run in: asking would be moot
            return self._no_sandbox(parsed, verdict, "run_sandboxed", "rule", sandbox,
                                    self.workspace.unavailable or "no sandbox")
        if verdict.action == "allow":
            return await self._execute(parsed, verdict, "run_sandboxed", "rule", sandbox)
        if self.remember is not None and parsed.text in self.remember:
            return await self._execute(parsed, verdict, "run_sandboxed", "user", sandbox,
                                       earlier=True)
        return await self._ask(parsed, verdict, reason, book, settings)

    async def _ask(
        self,
        parsed: ParsedCommand,
        verdict: rules.Verdict,
        reason: str,
        book: rules.ApprovalBook,
        settings: Settings,
    ) -> CommandOutcome:
        sandbox = sandboxed_settings(settings.sandbox)
        escalate = not self.check and await asyncio.to_thread(unsandboxed_allowed, settings, self.user_file)
        why = f"{self.reason_prefix}{reason}".strip() or "(no reason given)"
        prompt = rules.build_prompt(self.model, why, parsed, self.root, sandbox, escalate, verdict=verdict)
        token = book.open(rules.binding_hash(parsed, self.root, sandbox), self.root, prompt, escalate)
        self._status(f"waiting for your approval: {short(parsed.text)}")
        choice = await self.editor.ask(Question(
            message=prompt.message, choices=tuple(prompt.actions), purpose="approval", level="warning",
            timeout_s=book.timeout_s, on_late=lambda title: self._late(title, book, token),
        ))
        answer = book.answer(token, choice)
        if answer.stored_prefix is not None:
            await asyncio.to_thread(self.approvals.store.add, self.root, answer.stored_prefix)
        # Settings reloaded while the prompt was open: the approval was for other sandbox settings.
        live_after = self.settings()
        current = sandbox if live_after is settings else sandboxed_settings(live_after.sandbox)
        outcome = book.consume(token, rules.binding_hash(parsed, self.root, current))
        if answer.decided_by == "timeout":
            return self._denied(
                parsed, verdict, "timeout", sandbox,
                f"Denied: nobody answered the approval prompt within {settings.approval.timeout_s:g} s.",
                "denied: no answer in time",
            )
        if outcome == "ignored":
            outcome = "deny"
        if outcome == "deny" and answer.outcome in ("run_sandboxed", "run_unsandboxed"):
            return self._denied(
                parsed, verdict, "user", current,
                "Not run: the sandbox settings changed while the prompt was open, so the "
                "approval no longer matches this command.",
                "not run: settings changed during the prompt (stale approval ignored)",
            )
        if outcome == "deny":
            return self._denied(parsed, verdict, "user", sandbox, "Denied by the user.", "denied by you")
        if self.remember is not None and outcome == "run_sandboxed":
            self.remember.add(parsed.text)
        return await self._execute(parsed, verdict, outcome, "user", current, stored=answer.stored_prefix)

    def _late(self, title: str, book: rules.ApprovalBook, token: str) -> None:
        ignored = book.answer(token, title).outcome == "ignored"
        self.editor.log(
            "warning",
            f"modelroute: ignored a late answer {title!r} to an approval prompt that had "
            f"already timed out{'' if ignored else ' (unexpectedly accepted)'}",
        )

    async def _execute(
        self,
        parsed: ParsedCommand,
        verdict: rules.Verdict,
        decision: Decision,
        decided_by: str,
        sandbox: SandboxSettings,
        *,
        stored: str | None = None,
        earlier: bool = False,
    ) -> CommandOutcome:
        from modelroute.sandbox import SandboxUnavailable

        who = "approved by you" if decided_by == "user" else "allowed by your rules"
        if earlier:
            who += " earlier in this run"
        if stored:
            who += f"; `{rules.escape_visible(stored)}` is now always allowed here"
        unsandboxed = decision == "run_unsandboxed"
        try:
            if unsandboxed:
                self._status(f"running WITHOUT sandbox: {short(parsed.text)}")
                how = "WITHOUT the sandbox (the user chose so for this command only)"
            else:
                self._status(f"running in the sandbox: {short(parsed.text)}")
                how = f"in the sandbox ({sandbox.mode}, network {'on' if sandbox.network else 'off'})"
            result = await self.workspace.run(
                parsed.text, sandbox, unsandboxed=unsandboxed, env=scrubbed_env() if unsandboxed else None,
                timeout_s=self.timeout_s, check=self.check,
            )
        except SandboxUnavailable as exc:
            return self._no_sandbox(parsed, verdict, decision, decided_by, sandbox, exc.reason)
        self.last = result
        self._record(parsed, verdict, decision, decided_by, sandbox, result.exit_code,
                     timed_out=result.timed_out, violations=list(result.violations))
        where = "without sandbox" if unsandboxed else "in sandbox"
        flags = " (timed out)" if result.timed_out else ""
        flags += f"; {len(result.violations)} protected-path violation(s)" if result.violations else ""
        summary = (
            f"`{short(parsed.text)}` ran {where} ({who}): exit {result.exit_code}{flags}, {result.duration_s:.1f} s"
        )
        level: Level = "info" if result.exit_code == 0 and not result.violations else "warning"
        return self._tell(CommandOutcome(True, result.exit_code, run_report(parsed.text, how, result), summary), level)

    def _no_sandbox(
        self, parsed: ParsedCommand, verdict: rules.Verdict, decision: Decision, decided_by: str,
        sandbox: SandboxSettings, reason: str,
    ) -> CommandOutcome:
        self._record(parsed, verdict, decision, decided_by, sandbox, None, error=reason)
        self.unavailable.append(reason)
        return self._tell(CommandOutcome(
            False, None, f"Not run: no sandbox could be set up: {reason}. {_NO_RETRY}",
            f"`{short(parsed.text)}` not run: no sandbox ({reason})",
        ), "error")

    def _denied(
        self,
        parsed: ParsedCommand,
        verdict: rules.Verdict,
        decided_by: str,
        sandbox: SandboxSettings,
        for_model: str,
        for_user: str,
    ) -> CommandOutcome:
        self._record(parsed, verdict, "deny", decided_by, sandbox, None)
        self.denials.append(parsed.text)
        return self._tell(
            CommandOutcome(False, None, f"{for_model} {_NO_RETRY}", f"`{short(parsed.text)}` {for_user}"), "warning"
        )

    def _tell(self, outcome: CommandOutcome, level: Level) -> CommandOutcome:
        self.editor.log(level, f"modelroute: {outcome.summary}")
        self._status(outcome.summary)
        return outcome

    def _status(self, line: str) -> None:
        if self.on_status is not None:
            try:
                self.on_status(line)
            except Exception:  # a progress display must never break a command
                log.exception("on_status failed")

    def _record(
        self,
        parsed: ParsedCommand,
        verdict: rules.Verdict,
        decision: str,
        decided_by: str,
        sandbox: SandboxSettings,
        exit_code: int | None,
        **extra: Any,
    ) -> None:
        self.decided_by.append(decided_by)
        audit = self.approvals.audit
        try:
            audit.record(
                model=self.model, parsed=parsed, verdict=verdict, decision=decision, decided_by=decided_by,
                cwd=self.root, sandbox=sandbox.model_dump(mode="json"), exit_code=exit_code,
                extra={k: v for k, v in extra.items() if v not in (None, [], False)},
            )
        except OSError as exc:  # an unwritable log is reported, and does not undo the decision
            self.editor.log("error", f"modelroute: could not write the audit log {audit.path}: {exc}")


class CommandRunner:
    """The agent's `run_command` for one attempt, and what it refused along the way."""

    def __init__(self, runner: _Runner) -> None:
        self._runner = runner

    async def __call__(self, command: str, reason: str) -> CommandOutcome:
        return await self._runner.run(command, reason)

    @property
    def denials(self) -> list[str]:
        """Commands approval refused (a rule, the user, no answer, no workspace)."""
        return list(self._runner.denials)

    @property
    def decided_by(self) -> list[str]:
        """Who decided each command proposed so far (user, rule, timeout, ...), in order."""
        return list(self._runner.decided_by)

    @property
    def unavailable(self) -> list[str]:
        """Why approved commands could not run (no sandbox)."""
        return list(self._runner.unavailable)

    @property
    def last(self) -> SandboxResult | None:
        """What the last command that ran came back with (None: it did not run)."""
        return self._runner.last


def command_runner(
    editor: Editor,
    approvals: Approvals,
    workspace: AttemptWorkspace,
    settings: Callable[[], Settings],
    model_display: str,
    *,
    user_file: Path | None = None,
    reason_prefix: str = "",
    on_status: OnStatus | None = None,
    check: bool = False,
    timeout_s: float | None = None,
    remember: set[str] | None = None,
) -> CommandRunner:
    """A `RunCommand` for `run_agent`: every proposed command is judged, maybe asked about, sandboxed,
    audited; the model gets the (capped) output or why nothing ran; the user gets one log line.

    Each command is judged under `settings()` as they are when it is proposed. `check`: the run's
    own check (it runs in the attempt's overlay even in read-only mode, never without the sandbox,
    with `timeout_s`); `remember`: a run's set of commands the user approved once, not asked again
    within that run (the rules are still applied each time)."""
    return CommandRunner(_Runner(editor, approvals, workspace, settings, user_file, model_display,
                                 reason_prefix, on_status, check, timeout_s, remember))


__all__ = [
    "AlwaysStore",
    "Approvals",
    "CommandRunner",
    "RunCommand",
    "cap_output",
    "command_runner",
    "run_report",
    "sandboxed_settings",
    "scrubbed_env",
    "short",
    "unsandboxed_allowed",
]
