"""The agent loop: one run of one model on one action, through the provider-neutral client.

The model gets tools to read files (never files the privacy settings withhold), to propose edits
(staged, never written: the user accepts the change set at the end, all or nothing), to propose
commands (handed to the approval and sandbox layer, never run here) and to report review findings.
Turns are bounded, and the run stops before a turn could push its cost past the budget it reserved.

Files are read and edited through `AgentFiles`: the run core passes its attempt workspace; callers
with just a read function get `StagedFiles` over it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from modelroute.catalog.model import ModelEntry
from modelroute.cost import actual_cost_usd
from modelroute.execute.edits import EditRejected, FileChange, ReadFile, StagedFiles, normalize_path
from modelroute.ledger.budget import output_token_limit
from modelroute.policy.schema import PrivacySettings
from modelroute.prompt.model import PromptRequest
from modelroute.prompt.redact import redact
from modelroute.providers.base import ModelClient
from modelroute.providers.errors import ProviderError
from modelroute.providers.types import (
    ModelRequest,
    OnText,
    ToolCall,
    ToolResult,
    ToolResultsMessage,
    TurnResult,
    Usage,
    sum_usage,
)

READ_LIMIT_CHARS = 200_000
MIN_TURN_OUTPUT = 256  # below this a turn cannot say anything useful: stop instead

StopReason = Literal["done", "max_turns", "budget", "max_tokens", "refusal"]


@dataclass(frozen=True)
class CommandOutcome:
    ran: bool
    exit_code: int | None
    output: str  # what goes back to the model
    summary: str  # one line for the user


@dataclass(frozen=True)
class Finding:
    path: str
    line: int  # 1-based, as the model reports it
    end_line: int
    severity: Literal["error", "warning", "info"]
    message: str


RunCommand = Callable[[str, str], Awaitable[CommandOutcome]]  # (command, reason) -> outcome


@dataclass
class RunResult:
    model: str
    text: str = ""  # the model's final answer or summary
    changes: list[FileChange] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    commands: list[CommandOutcome] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    turns: int = 0
    stop: StopReason = "done"
    notes: list[str] = field(default_factory=list)


@dataclass
class RunLimits:
    max_turns: int
    budget_usd: float  # what the ledger reserved for this run
    max_output_tokens: int


class AgentFiles(Protocol):
    """The files a run reads and edits (privacy enforced; EditRejected says why not)."""

    def read(self, path: str) -> str | None: ...  # as the run sees it, staged edits included

    def stage(self, path: str, old_text: str, new_text: str) -> str: ...  # a line for the model

    def changes(self) -> list[FileChange]: ...


@dataclass
class _Tools:
    """Executes tool calls against the run's files and the command callback."""

    files: AgentFiles
    redact_secrets: bool
    run_command: RunCommand | None
    findings: list[Finding] = field(default_factory=list)
    commands: list[CommandOutcome] = field(default_factory=list)

    def read_file(self, args: dict[str, Any]) -> str:
        path = normalize_path(str(args.get("path", "")))
        text = self.files.read(path)
        if text is None:
            raise EditRejected(f"{path} does not exist")
        lines = text.splitlines()
        start = max(int(args.get("start_line") or 1), 1)
        end = min(int(args.get("end_line") or len(lines)), len(lines))
        body = "\n".join(f"{n}| {lines[n - 1]}" for n in range(start, end + 1))
        if len(body) > READ_LIMIT_CHARS:
            body = body[:READ_LIMIT_CHARS] + "\n[cut: ask for a line range]"
        if self.redact_secrets:
            body, _ = redact(body)
        return body or f"{path} is empty"

    def propose_edit(self, args: dict[str, Any]) -> str:
        path = normalize_path(str(args.get("path", "")))
        return self.files.stage(path, str(args.get("old_text", "")), str(args.get("new_text", "")))

    async def propose_command(self, args: dict[str, Any]) -> str:
        command, reason = str(args.get("command", "")), str(args.get("reason", ""))
        if self.run_command is None:
            outcome = CommandOutcome(False, None, "Declined: running commands is not available in this run.",
                                     f"declined (no command runner): {command}")
        else:
            outcome = await self.run_command(command, reason)
        self.commands.append(outcome)
        return outcome.output

    def report_finding(self, args: dict[str, Any]) -> str:
        path = normalize_path(str(args.get("path", "")))
        line = max(int(args.get("line") or 1), 1)
        raw = args.get("severity")
        severity: Literal["error", "warning", "info"] = raw if raw in ("error", "warning", "info") else "warning"
        self.findings.append(Finding(path, line, max(int(args.get("end_line") or line), line),
                                     severity, str(args.get("message", "")).strip()))
        return "recorded"

    async def call(self, call: ToolCall) -> ToolResult:
        try:
            if call.name == "read_file":
                content = self.read_file(call.arguments)
            elif call.name == "propose_edit":
                content = self.propose_edit(call.arguments)
            elif call.name == "propose_command":
                content = await self.propose_command(call.arguments)
            elif call.name == "report_finding":
                content = self.report_finding(call.arguments)
            else:
                raise EditRejected(f"unknown tool {call.name!r}")
        except EditRejected as exc:
            return ToolResult(call_id=call.id, content=f"error: {exc}", is_error=True)
        except (TypeError, ValueError) as exc:
            return ToolResult(call_id=call.id, content=f"error: bad arguments: {exc}", is_error=True)
        return ToolResult(call_id=call.id, content=content)


def _turn_output_cap(model: ModelEntry, limits: RunLimits, spent: float, input_tokens: int) -> int:
    """Largest output this turn may ask for without crossing the reserved budget."""
    tier = model.price.tier_for(input_tokens)
    input_usd = input_tokens * tier.input_mtok / 1_000_000
    cap = output_token_limit(limits.budget_usd - spent, input_usd, tier.output_mtok)
    allowed = limits.max_output_tokens if cap is None else min(limits.max_output_tokens, cap)
    return min(allowed, model.max_output_tokens)


async def run_agent(
    client: ModelClient,
    prompt: PromptRequest,
    model: ModelEntry,
    *,
    privacy: PrivacySettings,
    limits: RunLimits,
    read: ReadFile | None = None,
    files: AgentFiles | None = None,
    run_command: RunCommand | None = None,
    on_text: OnText | None = None,
    cancel: asyncio.Event | None = None,
) -> RunResult:
    """Run until the model stops calling tools, or a limit stops it. Provider errors propagate.

    The model works on `files` (the run core's attempt workspace), or on `read` with edits staged in
    memory; either way `privacy` withholds files and redacts what is read."""
    if files is None:
        if read is None:
            raise ValueError("run_agent needs files or a read function")
        files = StagedFiles(read, privacy.exclude, privacy.local_only, model_is_local=model.local)
    tools = _Tools(files=files, redact_secrets=privacy.redact_secrets, run_command=run_command)
    result = RunResult(model=model.id)
    request = ModelRequest.from_prompt(prompt, max_output_tokens=limits.max_output_tokens)
    last_input = 0
    usages: list[Usage] = []
    for turn in range(limits.max_turns):
        cap = _turn_output_cap(model, limits, result.cost_usd, max(last_input, 1))
        if cap < MIN_TURN_OUTPUT:
            result.stop = "budget"
            result.notes.append(f"stopped before turn {turn + 1}: the reserved budget is spent")
            break
        request = request.model_copy(update={"max_output_tokens": cap})
        try:
            reply: TurnResult = await client.turn(request, on_text=on_text, cancel=cancel)
        except ProviderError as exc:
            if usages:  # earlier turns were billed: the ledger must not record this run as free
                exc.spent_usage, exc.spent_usd = result.usage, result.cost_usd
            raise
        usages.append(reply.usage)
        result.usage = sum_usage(*usages)
        result.cost_usd = actual_cost_usd(model, result.usage)
        result.turns = turn + 1
        last_input = reply.usage.input_tokens + reply.usage.output_tokens
        if reply.text:
            result.text = reply.text
        if not reply.tool_calls:
            result.stop = _stop(reply)
            break
        outputs = [await tools.call(call) for call in reply.tool_calls]
        request = request.followed_by(reply.assistant, ToolResultsMessage(results=tuple(outputs)))
    else:
        result.stop = "max_turns"
        result.notes.append(f"stopped after {limits.max_turns} turns (run.max_turns)")
    result.changes = files.changes()
    result.findings = tools.findings
    result.commands = tools.commands
    return result


def _stop(reply: TurnResult) -> StopReason:
    if reply.stop_reason == "max_tokens":
        return "max_tokens"
    if reply.stop_reason == "refusal":
        return "refusal"
    return "done"


def describe_call(call: ToolCall) -> str:
    """One line for progress messages."""
    args = json.dumps(call.arguments, ensure_ascii=False)
    return f"{call.name} {args[:80]}{'…' if len(args) > 80 else ''}"


__all__ = [
    "AgentFiles",
    "CommandOutcome",
    "Finding",
    "ReadFile",
    "RunCommand",
    "RunLimits",
    "RunResult",
    "describe_call",
    "run_agent",
]
