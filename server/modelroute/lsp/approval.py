"""Approval before every proposed shell command, then the sandbox (issue 5, DESIGN section 4).

`command_runner` gives the agent loop a `RunCommand`: parse -> rules -> (prompt) -> run -> audit.
Nothing runs without a rule or a human saying so; what runs, runs in bubblewrap unless the human
picked "Run without sandbox", which is offered only when the user file sets `sandbox.mode = "off"`
and is never stored. "Always allow" prefixes are kept per workspace for the server's lifetime and
in `<data dir>/always-allow.json`, outside every workspace, so a repository cannot plant one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lsprotocol import types

from modelroute.execute import approval as rules
from modelroute.execute.agent import CommandOutcome
from modelroute.execute.audit import AuditLog, data_dir
from modelroute.execute.shellparse import ParsedCommand, parse_command
from modelroute.lsp.asking import ask
from modelroute.lsp.server import ModelrouteServer
from modelroute.policy.schema import SandboxSettings, Settings
from modelroute.sandbox import (
    SandboxResult,
    SandboxSpec,
    SandboxUnavailable,
    run_sandboxed,
    run_unsandboxed,
)

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


_BOOKS: weakref.WeakKeyDictionary[ModelrouteServer, dict[Path, rules.ApprovalBook]] = weakref.WeakKeyDictionary()


def book_for(ls: ModelrouteServer, root: Path, store: AlwaysStore | None = None) -> rules.ApprovalBook:
    """The server's approval book for one workspace, seeded with its persisted "always" prefixes."""
    books = _BOOKS.setdefault(ls, {})
    book = books.get(root)
    if book is None:
        book = rules.ApprovalBook()
        for prefix in (store or AlwaysStore()).load().get(str(root), []):
            book.add_always(root, prefix)
        books[root] = book
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


def run_report(command: str, how: str, result: SandboxResult) -> str:
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
    ls: ModelrouteServer
    root: Path
    settings: Settings
    model: str
    reason_prefix: str
    on_status: OnStatus | None
    audit: AuditLog
    store: AlwaysStore

    async def run(self, command: str, reason: str) -> CommandOutcome:
        parsed = parse_command(command)
        book = book_for(self.ls, self.root, self.store)
        settings = self._live_settings()  # a run is long: the settings in force now, not at its start
        book.timeout_s = settings.approval.timeout_s
        verdict = rules.evaluate(parsed, settings.approval, book.always_prefixes(self.root))
        sandbox = sandboxed_settings(settings.sandbox)
        if verdict.action == "deny":
            why = "; ".join(verdict.reasons) or "denied by the rules"
            return self._denied(
                parsed, verdict, "rule", sandbox, f"Denied by the approval rules: {why}.", f"denied by rule: {why}"
            )
        if verdict.action == "allow":
            return await self._execute(parsed, verdict, "run_sandboxed", "rule", sandbox)
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
        escalate = await asyncio.to_thread(unsandboxed_allowed, settings, self._user_file())
        why = f"{self.reason_prefix}{reason}".strip() or "(no reason given)"
        prompt = rules.build_prompt(self.model, why, parsed, self.root, sandbox, escalate, verdict=verdict)
        token = book.open(rules.binding_hash(parsed, self.root, sandbox), self.root, prompt, escalate)
        self._status(f"waiting for your approval: {short(parsed.text)}")
        choice = await self._prompt(prompt, book, token)
        answer = book.answer(token, choice)
        if answer.stored_prefix is not None:
            await asyncio.to_thread(self.store.add, self.root, answer.stored_prefix)
        # Settings reloaded while the prompt was open: the approval was for other sandbox settings.
        live_after = self._live_settings()
        current = sandbox if live_after is settings else sandboxed_settings(live_after.sandbox)
        outcome = book.consume(token, rules.binding_hash(parsed, self.root, current))
        if answer.decided_by == "timeout":
            return self._denied(
                parsed,
                verdict,
                "timeout",
                sandbox,
                f"Denied: nobody answered the approval prompt within {settings.approval.timeout_s:g} s.",
                "denied: no answer in time",
            )
        if outcome == "ignored":
            outcome = "deny"
        if outcome == "deny" and answer.outcome in ("run_sandboxed", "run_unsandboxed"):
            return self._denied(
                parsed,
                verdict,
                "user",
                current,
                "Not run: the sandbox settings changed while the prompt was open, so the "
                "approval no longer matches this command.",
                "not run: settings changed during the prompt (stale approval ignored)",
            )
        if outcome == "deny":
            return self._denied(parsed, verdict, "user", sandbox, "Denied by the user.", "denied by you")
        return await self._execute(parsed, verdict, outcome, "user", current, stored=answer.stored_prefix)

    async def _prompt(self, prompt: rules.PromptSpec, book: rules.ApprovalBook, token: str) -> str | None:
        """The button the user picked; None on no answer in time or a client error."""
        params = types.ShowMessageRequestParams(
            type=types.MessageType.Warning,
            message=prompt.message,
            actions=[types.MessageActionItem(title=a) for a in prompt.actions],
        )
        return await ask(
            self.ls,
            params,
            book.timeout_s,
            msg_id_prefix="modelroute-approval-",
            on_late=lambda title: self._late(title, book, token),
            on_error=lambda exc: self.ls.log(
                f"modelroute: approval prompt failed: {exc}", types.MessageType.Warning
            ),
        )

    def _late(self, title: str, book: rules.ApprovalBook, token: str) -> None:
        ignored = book.answer(token, title).outcome == "ignored"
        self.ls.log(
            f"modelroute: ignored a late answer {title!r} to an approval prompt that had "
            f"already timed out{'' if ignored else ' (unexpectedly accepted)'}",
            types.MessageType.Warning,
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
    ) -> CommandOutcome:
        who = "approved by you" if decided_by == "user" else "allowed by your rules"
        if stored:
            who += f"; `{rules.escape_visible(stored)}` is now always allowed here"
        try:
            if decision == "run_unsandboxed":
                self._status(f"running WITHOUT sandbox: {short(parsed.text)}")
                result = await asyncio.to_thread(
                    run_unsandboxed,
                    parsed.text,
                    self.root,
                    timeout_s=sandbox.timeout_s,
                    max_output_bytes=sandbox.max_output_bytes,
                    env=scrubbed_env(),
                )
                how = "WITHOUT the sandbox (the user chose so for this command only)"
            else:
                self._status(f"running in the sandbox: {short(parsed.text)}")
                spec = SandboxSpec.from_settings(self.root, sandbox)
                result = await asyncio.to_thread(run_sandboxed, parsed.text, spec)
                how = f"in the sandbox ({sandbox.mode}, network {'on' if sandbox.network else 'off'})"
        except SandboxUnavailable as exc:
            self._record(parsed, verdict, decision, decided_by, sandbox, None, error=exc.reason)
            return self._tell(
                CommandOutcome(
                    False,
                    None,
                    f"Not run: no sandbox could be set up: {exc.reason}. {_NO_RETRY}",
                    f"`{short(parsed.text)}` not run: no sandbox ({exc.reason})",
                ),
                types.MessageType.Error,
            )
        self._record(
            parsed,
            verdict,
            decision,
            decided_by,
            sandbox,
            result.exit_code,
            timed_out=result.timed_out,
            violations=list(result.violations),
        )
        where = "without sandbox" if decision == "run_unsandboxed" else "in sandbox"
        flags = " (timed out)" if result.timed_out else ""
        flags += f"; {len(result.violations)} protected-path violation(s)" if result.violations else ""
        summary = (
            f"`{short(parsed.text)}` ran {where} ({who}): exit {result.exit_code}{flags}, {result.duration_s:.1f} s"
        )
        level = types.MessageType.Info if result.exit_code == 0 and not result.violations else types.MessageType.Warning
        return self._tell(CommandOutcome(True, result.exit_code, run_report(parsed.text, how, result), summary), level)

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
        return self._tell(
            CommandOutcome(False, None, f"{for_model} {_NO_RETRY}", f"`{short(parsed.text)}` {for_user}"),
            types.MessageType.Warning,
        )

    def _tell(self, outcome: CommandOutcome, level: types.MessageType) -> CommandOutcome:
        self.ls.log(f"modelroute: {outcome.summary}", level)
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
        try:
            self.audit.record(
                model=self.model,
                parsed=parsed,
                verdict=verdict,
                decision=decision,
                decided_by=decided_by,
                cwd=self.root,
                sandbox=sandbox.model_dump(mode="json"),
                exit_code=exit_code,
                extra={k: v for k, v in extra.items() if v not in (None, [], False)},
            )
        except OSError as exc:  # an unwritable log is reported, and does not undo the decision
            self.ls.log(f"modelroute: could not write the audit log {self.audit.path}: {exc}", types.MessageType.Error)

    def _live_settings(self) -> Settings:
        """The workspace's settings as now in force (they may reload while a prompt is open)."""
        state = self.ls.registry.find(self.root)
        engine = state.engine if state is not None else None
        return engine.settings if engine is not None else self.settings

    def _user_file(self) -> Path | None:
        state = self.ls.registry.find(self.root)
        engine = state.engine if state is not None else None
        if engine is not None:
            return engine.user_file
        from modelroute.policy import user_config_path

        return user_config_path()


def command_runner(
    ls: ModelrouteServer,
    root: Path,
    settings: Settings,
    model_display: str,
    reason_prefix: str = "",
    *,
    on_status: OnStatus | None = None,
    audit: AuditLog | None = None,
    always_store: AlwaysStore | None = None,
) -> RunCommand:
    """A `RunCommand` for `run_agent`: every proposed command is judged, maybe prompted, sandboxed,
    audited; the model gets the (capped) output or why nothing ran; the user gets one line.

    Each command is judged under the workspace's settings in force when it is proposed (`settings`
    is the fallback for a root without a loaded engine): a run takes minutes and settings reload."""
    runner = _Runner(
        ls,
        Path(os.path.realpath(root)),
        settings,
        model_display,
        reason_prefix,
        on_status,
        audit if audit is not None else AuditLog(),
        always_store if always_store is not None else AlwaysStore(),
    )
    return runner.run


__all__ = ["AlwaysStore", "RunCommand", "book_for", "command_runner", "sandboxed_settings", "unsandboxed_allowed"]
