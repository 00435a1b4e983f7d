"""Judging an attempt: its result sealed, the test-tamper guard over it, the check command run in
the sandbox against the attempt's own copy of the workspace, then the optional linter.

Which check: the command the user gave for this run (`modelroute run --verify`), else the
policy's `[verify] command`, else one detected from the workspace's own files on disk
(`strategy.verify.detect_verify`: never from what the model wrote), else none. The check runs
through the approval rules like any command, but in the attempt's overlay even in read-only mode
and never outside the sandbox; a user who approves it once is not asked again within the run (a
command given with `--verify` is approved by giving it). What the check writes (caches, build
output, snapshots) is not part of the attempt's result: the result is sealed before it runs.

Verdicts (`strategy.verify.judge_exit`): exit 0 passes; a timeout or any other exit fails; a check
that could not run at all (not found, no sandbox, no tests collected, not approved) is `none`. A
flagged attempt (tests changed, skipped or deleted) is not checked: it never counts as verified.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from modelroute.changeset import ChangeSet
from modelroute.strategy.feedback import FailedAttempt
from modelroute.strategy.model import Verified
from modelroute.strategy.untrusted import excerpt, safe
from modelroute.strategy.verify import VERIFY_FILES, VerifyCommand, detect_verify, judge_exit

if TYPE_CHECKING:
    from modelroute.policy.schema import Settings
    from modelroute.run.approval import Approvals, CommandRunner
    from modelroute.run.editor import Editor
    from modelroute.run.workspace import AttemptWorkspace

MAX_VERIFY_FILE_BYTES = 1_000_000
LINT_SHOWN_CHARS = 2_000
CHECKER = "modelroute (the check)"


@dataclass(frozen=True)
class CheckPlan:
    """The check of one run: its command (None: no check) and where it came from."""

    command: VerifyCommand | None
    given: bool = False  # the user gave it for this run (`--verify`): approved by giving it

    @property
    def text(self) -> str | None:
        return self.command.command if self.command is not None else None


@dataclass
class Verdict:
    """What judging one attempt found."""

    verified: Verified
    reason: str
    change_set: ChangeSet  # the attempt's result as offered: sealed before the check, with the guard's flags
    command: str | None = None
    exit_code: int | None = None
    timed_out: bool = False
    output: str = ""  # the check's stdout and stderr (for the next model's account: cleaned there)
    lint: str | None = None  # the linter's output, shown with the result; never fails the check
    check_writes: list[str] = field(default_factory=list)  # left out of the result

    @property
    def flagged(self) -> bool:
        return bool(self.change_set.flagged)

    @property
    def empty(self) -> bool:
        return self.change_set.empty

    def failed_attempt(self, *, rejected: bool = False, note: str | None = None,
                       error: str | None = None) -> FailedAttempt:
        """What the next model of a cascade is told about this attempt (`strategy.feedback`)."""
        return FailedAttempt(
            check_command=self.command, exit_code=self.exit_code, timed_out=self.timed_out,
            output=self.output if self.verified == "fail" else "", flags=self.change_set.flagged,
            rejected=rejected, user_note=note, error=error, changed=tuple(self.change_set.paths()),
        )


def verify_files(root: Path) -> dict[str, str]:
    """The files `detect_verify` reads, from the workspace root on disk: regular files only (never
    through a symlink), at most 1 MB each; folders named with a trailing slash map to ""."""
    found: dict[str, str] = {}
    for name in VERIFY_FILES:
        path = root / name.rstrip("/")
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if name.endswith("/"):
            if stat.S_ISDIR(info.st_mode):
                found[name] = ""
        elif stat.S_ISREG(info.st_mode) and info.st_size <= MAX_VERIFY_FILE_BYTES:
            try:
                found[name] = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
    return found


def check_plan(root: Path, settings: Settings, language: str | None, given: str | None = None) -> CheckPlan:
    """The run's check: `given` (--verify), else `[verify] command`, else detected (unless `[verify]
    detect = false`), else none."""
    if given is not None and given.strip():
        return CheckPlan(VerifyCommand(command=given.strip(), source="--verify"), given=True)
    configured = settings.verify.command
    if not settings.verify.detect and not (configured and configured.strip()):
        return CheckPlan(None)
    files = verify_files(root) if root.is_dir() else {}
    return CheckPlan(detect_verify(files, configured, language))


def guarded(change_set: ChangeSet, settings: Settings, command: str | None) -> ChangeSet:
    """The change set with the test-tamper guard's flags (when `[verify] protect_tests`)."""
    if not settings.verify.protect_tests or change_set.empty:
        return change_set
    from modelroute.strategy.tamper import guard

    return guard(change_set, command)


@dataclass
class Checker:
    """Runs a run's check on its attempts; remembers the user's approval of it within the run."""

    editor: Editor
    approvals: Approvals
    settings: Settings
    plan: CheckPlan
    user_file: Path | None = None
    approved: set[str] = field(default_factory=set)
    runners: list[CommandRunner] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.plan.given and self.plan.text:
            self.approved.add(self.plan.text)

    @property
    def unavailable(self) -> list[str]:
        return [reason for runner in self.runners for reason in runner.unavailable]

    async def judge(self, workspace: AttemptWorkspace, label: str) -> Verdict:
        """Seal the attempt's result, flag tampered tests, and run the check on what is left."""
        command = self.plan.text
        result = guarded(workspace.seal(), self.settings, command)
        if result.empty:
            return Verdict("none", f"{label} changed nothing", result, command)
        if result.flagged:
            return Verdict("none", f"{label}'s result changed, skipped or deleted tests: not checked", result, command)
        if command is None:
            return Verdict("none", "no check: set [verify] command or pass --verify", result)
        title = f"modelroute: checking {label}'s result with `{safe(command)}`"
        async with self.editor.progress(title, message=self.plan.command.source if self.plan.command else None) as bar:
            runner = self._runner(workspace, bar.report)
            outcome = await runner(command, f"check {label}'s result; its changes are in the sandbox's copy")
            ran = runner.last
            verdict = self._verdict(command, result, ran, outcome.summary)
            if ran is not None and self.settings.verify.lint:
                verdict.lint = await self._lint(workspace, bar.report)
        verdict.check_writes = workspace.check_writes()
        verdict.change_set = workspace.result().model_copy(update={"flagged": result.flagged})
        return verdict

    def _runner(self, workspace: AttemptWorkspace, on_status: object) -> CommandRunner:
        from modelroute.run.approval import command_runner

        runner = command_runner(
            self.editor, self.approvals, workspace, lambda: self.settings, CHECKER, user_file=self.user_file,
            on_status=on_status if callable(on_status) else None, check=True,
            timeout_s=self.settings.verify.timeout_s, remember=self.approved,
        )
        self.runners.append(runner)
        return runner

    @staticmethod
    def _verdict(command: str, result: ChangeSet, ran: object, summary: str) -> Verdict:
        from modelroute.sandbox import SandboxResult

        if not isinstance(ran, SandboxResult):  # not approved, or no sandbox: no verdict either way
            return Verdict("none", f"`{command}` did not run ({summary})", result, command)
        judged = judge_exit(command, ran.exit_code, timed_out=ran.timed_out)
        return Verdict(judged.verified, judged.reason, result, command, exit_code=ran.exit_code,
                       timed_out=ran.timed_out, output=_output(ran.stdout, ran.stderr))

    async def _lint(self, workspace: AttemptWorkspace, on_status: object) -> str | None:
        lint = self.settings.verify.lint
        assert lint is not None
        runner = self._runner(workspace, on_status)
        await runner(lint, "lint the attempt's result (findings are shown, they do not fail the check)")
        ran = runner.last
        if ran is None:
            return None
        text = _output(ran.stdout, ran.stderr).strip()
        body = excerpt(safe(text), LINT_SHOWN_CHARS) if text else "(no output)"
        return f"`{lint}` exit {ran.exit_code}:\n{body}"


def _output(stdout: str, stderr: str) -> str:
    return "\n".join(part for part in (stdout, stderr) if part)


def describe(verdict: Verdict) -> Mapping[str, object]:
    """The verdict for a run's JSON summary."""
    return {
        "verified": verdict.verified, "reason": verdict.reason, "check": verdict.command,
        "exit_code": verdict.exit_code, "flagged": [f.model_dump() for f in verdict.change_set.flagged],
        "lint": verdict.lint, "check_writes": verdict.check_writes,
    }


__all__ = ["CHECKER", "CheckPlan", "Checker", "Verdict", "check_plan", "describe", "guarded", "verify_files"]
