"""The run core's editor, spoken in ACP, for one prompt turn of one session.

- a question (budget, fallback, a command's approval) is `session/request_permission` on a tool call
  (kind `execute` for a command), each choice one option; no answer, a cancelled turn or a failed
  request is None, never a yes;
- messages are agent message chunks (warnings and errors marked), log lines agent thoughts, except
  a command's result, which closes the tool call its approval opened;
- progress is the session's plan (ACP plan updates): each attempt an entry, in progress then done;
- an answer or review findings are message text;
- a change set is a tool call of kind `edit` holding one ACP diff per file, offered with Apply and
  Reject; only Apply writes, through the same all-or-nothing apply guard as the command line. A
  file whose unsaved text the client sent is written back through the client (`fs/write_text_file`)
  when it can, so the user's buffer gets the edit; a notebook's cells are written back into its JSON.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acp import plan_entry, start_tool_call, text_block, tool_content, tool_diff_content, update_plan, update_tool_call
from acp.schema import (
    AgentMessageChunk,
    AgentThoughtChunk,
    AllowedOutcome,
    PermissionOption,
    PlanEntry,
    ToolCallLocation,
    ToolCallUpdate,
)

from modelroute.acp.choices import chat_safe
from modelroute.run.editor import Buffer, Level, Markdown, Offer, OfferResult, Question, Review, Shown
from modelroute.sandbox import refusal_of

if TYPE_CHECKING:
    from acp.interfaces import Client
    from acp.schema import (
        ContentToolCallContent,
        FileEditToolCallContent,
        PermissionOptionKind,
        TerminalToolCallContent,
        ToolCallStatus,
        ToolKind,
    )

    ToolCallContentVariant = ContentToolCallContent | FileEditToolCallContent | TerminalToolCallContent

    from modelroute.acp.notebook import Notebook
    from modelroute.changeset import Change, ChangeSet

log = logging.getLogger(__name__)

PLAN_EVERY_S = 1.0  # progress text reaches the plan at most once a second
REVIEW_TIMEOUT_S = 24 * 3600.0  # what the user reads before answering (a plan, a change set) waits for them
# What the run core tells, followed into the plan (run/check.py, run/steps.py, strategy/plan.py).
_CHECKING = re.compile(r"checking (?P<label>.+)'s result with `")
_STEP_STARTS = re.compile(r"step (?P<index>\d+) of \d+: ")
_PLAN_STOPPED = re.compile(r"step \d+ \(.*\) (?P<why>failed its check|was rejected|ended with an error); ")
_PLAN_DONE = re.compile(r"all \d+ steps done")
APPLY, REJECT = "apply", "reject"
_MARK = {"error": "**Error:** ", "warning": "**Warning:** ", "info": ""}
_ids = itertools.count(1)


def next_id(kind: str) -> str:
    return f"modelroute-{kind}-{next(_ids)}"


@dataclass
class Turn:
    """One prompt turn: what the client sent with it and whether the user cancelled it."""

    root: Path
    buffers: dict[str, str] = field(default_factory=dict)  # rel path -> the client's (unsaved) text
    notebooks: dict[str, Notebook] = field(default_factory=dict)  # rel path -> the notebook as read
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    writes_files: bool = False  # the client offers fs/write_text_file

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()


class AcpEditor:
    """`run.editor.Editor` over one ACP connection, for one session's prompt turn."""

    def __init__(self, client: Client, session_id: str, turn: Turn) -> None:
        self.client = client
        self.session_id = session_id
        self.turn = turn
        self.plan: list[PlanEntry] = []
        self._keys: list[int] = []  # one per plan entry: entries move when a step's attempts are added
        self._steps: list[int] = []  # a confirmed plan's steps, in order
        self._checks: dict[str, int] = {}  # attempt label -> its check's entry
        self._at: int | None = None  # where a running step's entries go
        self._command: str | None = None  # the tool call an approval opened, closed by the command's result
        self._last: asyncio.Future[None] | None = None

    # -- session updates ----------------------------------------------------------------
    async def send(self, update: Any) -> None:
        """Send one session update after every update sent or posted before it."""
        await self.post(update)

    def post(self, update: Any) -> asyncio.Future[None]:
        """Queue one session update from synchronous code (tell, log, progress): updates reach the
        client in the order they were made, whether awaited or not."""
        previous = self._last
        task = asyncio.ensure_future(self._deliver(previous, update))
        self._last = task
        return task

    async def _deliver(self, previous: asyncio.Future[None] | None, update: Any) -> None:
        if previous is not None:
            await asyncio.wait({previous})
        try:
            await self.client.session_update(session_id=self.session_id, update=update)
        except Exception as exc:  # a client that went away must not end the run mid-way
            log.warning("session/update failed: %s", exc)

    async def flush(self) -> None:
        """Wait for every update queued so far (before the turn's answer goes out)."""
        if self._last is not None:
            await asyncio.wait({self._last})

    def say(self, markdown: str) -> None:
        self.post(AgentMessageChunk(session_update="agent_message_chunk", content=text_block(markdown)))

    def set_plan(self, entries: list[PlanEntry]) -> None:
        self.plan = entries
        self._keys = [next(_ids) for _ in entries]
        self._steps, self._checks, self._at = [], {}, None
        self.post(update_plan(list(entries)))

    def add_step(self, content: str, status: Any = "in_progress") -> int:
        """Add a plan entry; its key (for `step`). While a plan's step runs, the entries its attempts
        add go under that step's entry, before the steps still to come."""
        key = next(_ids)
        entry = plan_entry(content, priority="medium", status=status)
        at = len(self.plan) if self._at is None else self._at
        self.plan.insert(at, entry)
        self._keys.insert(at, key)
        if self._at is not None:
            self._at += 1
        self.post(update_plan(list(self.plan)))
        return key

    def step(self, key: int, *, status: Any = None, content: str | None = None) -> None:
        index = self._keys.index(key)
        entry = self.plan[index]
        self.plan[index] = entry.model_copy(update={k: v for k, v in (("status", status), ("content", content))
                                                     if v is not None})
        self.post(update_plan(list(self.plan)))

    def _plan_steps(self, document: str) -> None:
        """A confirmed plan's steps as pending entries, run in turn (`_follow`)."""
        from modelroute.strategy.plan import PlanError, parse_plan_document

        try:
            steps = parse_plan_document(document).steps
        except PlanError:  # the core reads it again and says what is wrong
            return
        self._steps = [self.add_step(f"Step {i}: {chat_safe(s.title)}", status="pending")
                       for i, s in enumerate(steps, 1)]

    def _follow(self, text: str) -> None:
        """Follow what the run core tells into the plan: a plan's step starting, a check's verdict
        (onto the check's entry), the plan's end."""
        started = _STEP_STARTS.match(text) if self._steps else None
        if started is not None:
            self._step_started(int(started["index"]) - 1)
            return
        label = next((label for label in self._checks if text.startswith(f"{label}: ")), None)
        if label is not None:
            self.step(self._checks[label], content=f"Check of {text}")
            return
        stopped = _PLAN_STOPPED.match(text) if self._steps else None
        if stopped is not None:
            self._plan_ended(stopped["why"])
        elif self._steps and _PLAN_DONE.match(text):
            self._plan_ended(None)

    def _step_started(self, index: int) -> None:
        """Step `index` runs: the one before it is done; its attempts' entries go under it."""
        for earlier in self._steps[:index]:
            if self.plan[self._keys.index(earlier)].status == "in_progress":
                self.step(earlier, status="completed")
        if index < len(self._steps):
            self.step(self._steps[index], status="in_progress")
            self._at = self._keys.index(self._steps[index]) + 1

    def _plan_ended(self, why: str | None) -> None:
        """Every step done (`why` None), or stopped at the running one: it says why (ACP's entries
        have no "failed" status), and the steps after it stay pending, marked as not run."""
        for key in self._steps:
            entry = self.plan[self._keys.index(key)]
            if entry.status == "in_progress" or why is None:
                ending = "" if why is None else f" — {why}; the plan stopped here"
                self.step(key, status="completed", content=entry.content + ending)
            elif entry.status == "pending":
                self.step(key, content=f"{entry.content} — not run")
        self._at = None

    # -- talking to the user -------------------------------------------------------------
    async def ask(self, question: Question) -> str | None:
        approval = question.purpose == "approval"
        call_id = next_id("command" if approval else question.purpose)
        command = _command_text(question.message) if approval else None
        title = f"Run `{command}`" if command else question.message.splitlines()[0]
        kind: ToolKind = "execute" if approval else "other"
        body = [tool_content(text_block(chat_safe(question.message)))]
        await self.send(start_tool_call(call_id, title, kind=kind, status="pending", content=body,
                                        raw_input={"command": command} if command else None))
        options = [PermissionOption(option_id=str(i), name=c, kind=_kind(c, i)) for i, c in enumerate(question.choices)]
        answer = await self.permission(
            ToolCallUpdate(tool_call_id=call_id, title=title, kind=kind, status="pending", content=body),
            options, question.timeout_s, on_late=question.on_late,
        )
        picked = question.choices[int(answer)] if answer is not None and answer.isdigit() and \
            int(answer) < len(question.choices) else None
        if approval:
            self._command = call_id
            granted = picked is not None and _kind(picked, question.choices.index(picked)).startswith("allow")
            await self.send(update_tool_call(call_id, status="in_progress" if granted else "failed"))
        else:
            await self.send(update_tool_call(call_id, status="completed" if picked else "failed",
                                             content=[*body, tool_content(text_block(f"Answer: {picked or 'none'}"))]))
        return picked

    async def permission(self, tool_call: ToolCallUpdate, options: list[PermissionOption], timeout_s: float, *,
                         on_late: Callable[[str], None] | None = None) -> str | None:
        """The option id the user picked; None when they declined, cancelled the turn, or nobody
        answered within `timeout_s` (a late answer is then reported to `on_late`, never acted on)."""
        if self.turn.cancelled:
            return None
        request = asyncio.ensure_future(self.client.request_permission(
            session_id=self.session_id, tool_call=tool_call, options=options))
        cancelled = asyncio.ensure_future(self.turn.cancel.wait())
        try:
            done, _ = await asyncio.wait({request, cancelled}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            cancelled.cancel()
        if request not in done:
            if on_late is not None:
                request.add_done_callback(lambda r: _late(r, on_late, options))
            else:
                request.cancel()
            return None
        try:
            outcome = request.result().outcome
        except Exception as exc:  # the client failed the request: no answer, fail safe
            self.log("warning", f"modelroute: could not ask the user: {exc}")
            return None
        if isinstance(outcome, AllowedOutcome) and any(o.option_id == outcome.option_id for o in options):
            return outcome.option_id
        if not isinstance(outcome, AllowedOutcome):
            # ACP's "cancelled" outcome means the client cancelled the prompt turn; its session/cancel may
            # still be on the way, and the turn must end as cancelled, not go on as if one question was declined.
            self.turn.cancel.set()
        return None

    def tell(self, level: Level, message: str) -> None:
        text = chat_safe(message.removeprefix("modelroute: "))
        self._follow(text)
        self.say(f"\n\n{_MARK[level]}{text}\n\n")

    def log(self, level: Level, message: str) -> None:
        text = chat_safe(message.removeprefix("modelroute: "))
        if self._command is not None and message.startswith("modelroute: `"):
            call_id, self._command = self._command, None
            status: ToolCallStatus = "completed" if level == "info" else "failed"
            self.post(update_tool_call(call_id, status=status, content=[tool_content(text_block(text))]))
            return
        self.post(AgentThoughtChunk(session_update="agent_thought_chunk", content=text_block(f"{text}\n")))

    @asynccontextmanager
    async def progress(self, title: str, *, cancellable: bool = False, message: str | None = None
                       ) -> AsyncIterator[_Step]:
        name = chat_safe(title.removeprefix("modelroute: "))
        step = _Step(self, self.add_step(f"{name} ({message})" if message else name), name)
        checked = _CHECKING.match(name)
        if checked is not None:
            self._checks[checked["label"]] = step.key
        try:
            yield step
        finally:
            # done: the name alone (the streamed text's tail and its cost "so far" are stale by now)
            self.step(step.key, status="completed", content=name)

    async def show(self, document: Markdown) -> Shown:
        self.say(f"\n\n{chat_safe(document.text)}\n")
        return Shown(True, None)

    async def edit_document(self, document: Markdown, action: str) -> str | None:
        """ACP has no way to hand an edited document back: the plan is shown in the chat and taken as
        it is or cancelled; to change it, the user cancels and says what to change in the next prompt."""
        await self.show(document)
        picked = await self.ask(Question(
            message=f"{action} as shown above? To change it, cancel and say what to change in your next message.",
            choices=(action, "Cancel"), purpose="plan", level="info",
            timeout_s=REVIEW_TIMEOUT_S))  # a plan is read before it runs; cancelling the turn ends the wait
        if picked != action:
            return None
        self._plan_steps(document.text)
        return document.text

    async def review(self, review: Review) -> None:
        if not review.findings:
            self.say(f"\n\nNo findings from {review.model} on `{review.document}`.\n")
            return
        lines = [f"\n\n**{len(review.findings)} finding(s)** from {review.model}:", ""]
        for f in review.findings:
            where = f"{f.line}" if f.end_line == f.line else f"{f.line}-{f.end_line}"
            lines.append(f"- `{f.path}:{where}` **{f.severity}**: {chat_safe(f.message)}")
        self.say("\n".join(lines) + "\n")

    def buffer(self, path: Path) -> Buffer | None:
        try:
            rel = path.resolve().relative_to(self.turn.root.resolve()).as_posix()
        except (ValueError, OSError):
            return None
        notebook = self.turn.notebooks.get(rel)
        if notebook is not None:
            return Buffer(notebook.text, ("acp-notebook", notebook.raw))
        text = self.turn.buffers.get(rel)
        return Buffer(text, ("acp", text)) if text is not None else None

    # -- the change set -------------------------------------------------------------------
    async def offer(self, offer: Offer) -> OfferResult:
        changes = offer.changes
        for refused in changes.refused:  # never dropped silently
            self.tell("warning", f"not offered: {refused.path}: {refused.reason}")
        blocked = [f"{c.path}: {why}" for c in changes.changes
                   if (why := refusal_of(self.turn.root, c.path)) is not None]
        if blocked:  # the apply guard would refuse the whole set: say so instead of asking for nothing
            return OfferResult("rejected", "the change set touches files a run never writes ("
                               + "; ".join(blocked) + "); nothing was applied")
        call_id = next_id("edit")
        content = self._diffs(changes)
        notes = [offer.description]
        if offer.failing:  # the strategy's last resort: nothing passed its check
            notes.insert(0, f"Did not pass its check: {offer.failing}. Apply it only if you mean to fix it yourself.")
        notes += [f"Flagged, review it: {f.path}: {f.reason}" for f in changes.flagged]
        if offer.denied_commands:
            notes.append(f"Approval refused {len(offer.denied_commands)} command(s) the model wanted to run, so "
                         "this change set may be incomplete.")
        content.insert(0, tool_content(text_block(chat_safe("\n".join(notes)))))
        locations = [ToolCallLocation(path=str(self.turn.root / c.path)) for c in changes.changes]
        title = f"Check failed: {offer.label}" if offer.failing else offer.label
        await self.send(start_tool_call(call_id, title, kind="edit", status="pending", content=content,
                                        locations=locations))
        entry = self.add_step(f"Review the change: {', '.join(changes.paths())}")
        answer = await self.permission(
            ToolCallUpdate(tool_call_id=call_id, title=title, kind="edit", status="pending", content=content,
                           locations=locations),
            [PermissionOption(option_id=APPLY, name="Apply", kind="allow_once"),
             PermissionOption(option_id=REJECT, name="Reject", kind="reject_once")],
            timeout_s=REVIEW_TIMEOUT_S,  # a change set waits for the user; cancelling the turn ends the wait
        )
        self.step(entry, status="completed")
        if answer != APPLY:
            await self.send(update_tool_call(call_id, status="failed"))
            why = "the turn was cancelled" if self.turn.cancelled else "you rejected the change"
            return OfferResult("rejected", f"{why}; nothing was applied")
        result = await self._apply(changes, offer)
        await self.send(update_tool_call(call_id, status="completed" if result.status == "applied" else "failed"))
        return result

    def _diffs(self, changes: ChangeSet) -> list[ToolCallContentVariant]:
        content: list[ToolCallContentVariant] = []
        for change in changes.changes:
            path = str(self.turn.root / change.path)
            if change.binary:
                content.append(tool_content(text_block(f"{change.path}: binary file {change.kind} "
                                                       f"({change.size or 0} bytes), shown as a summary only")))
                continue
            content.append(tool_diff_content(path, change.new or "", change.original))
        return content

    async def _apply(self, changes: ChangeSet, offer: Offer) -> OfferResult:
        from modelroute.changeset import ChangeSet as Set
        from modelroute.sandbox import apply_change_set

        # the attempt's own writer (its overlay holds binary content); the guard on the root otherwise
        write = offer.write or functools.partial(apply_change_set, self.turn.root)

        on_disk: list[Change] = []
        via_client: list[Change] = []
        for change in changes.changes:
            try:
                converted = self._on_disk(change)
            except ValueError as exc:
                return OfferResult("rejected", f"nothing was applied: {exc}")
            if converted is None:
                via_client.append(change)
            else:
                on_disk.append(converted)
        applied = await asyncio.to_thread(write, Set(changes=tuple(on_disk)))
        if applied.refused:
            reasons = "; ".join(f"{r.path}: {r.reason}" for r in applied.refused)
            return OfferResult("rejected", f"nothing was written: {reasons}")
        for change in via_client:
            try:
                await self.client.write_text_file(session_id=self.session_id, path=str(self.turn.root / change.path),
                                                  content=change.new or "")
            except Exception as exc:
                written = ", ".join(applied.applied) or "nothing else"
                return OfferResult("rejected", f"the editor did not take the edit of {change.path} ({exc}); "
                                               f"written on disk: {written}")
        books = [c.path for c in on_disk if c.path in self.turn.notebooks]
        if books:  # ACP clients do not take notebook writes (Jupyter AI refuses them): the file is written
            self.tell("info", f"Written on disk: {', '.join(books)}. A notebook already open shows the change once "
                              "reloaded from disk (JupyterLab: File > Reload Notebook from Disk).")
        return OfferResult("applied")

    def _on_disk(self, change: Change) -> Change | None:
        """The change as it is written on disk; None when it goes to the client's unsaved buffer.
        ValueError: the change cannot be applied (the message says why)."""
        from modelroute.context.notebook import NotebookEditError

        notebook = self.turn.notebooks.get(change.path)
        if notebook is not None:
            if change.new is None:
                raise ValueError(f"{change.path}: a notebook is not deleted by a run")
            try:
                new = notebook.write_back(change.new)
            except NotebookEditError as exc:
                raise ValueError(f"{change.path}: {exc}") from exc
            return change.model_copy(update={"original": notebook.raw, "new": new})
        buffer = self.turn.buffers.get(change.path)
        if buffer is None or change.new is None:
            return change
        disk = self.turn.root / change.path
        try:
            saved = disk.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            saved = None
        if saved == buffer:
            return change
        if not self.turn.writes_files:
            raise ValueError(f"{change.path} has unsaved changes in the editor, which cannot take edits: "
                             "save it and ask again")
        # The editor's buffer skips the apply guard's disk checks, not its rules on what is never written.
        why = refusal_of(self.turn.root, change.path)
        if why is not None:
            raise ValueError(f"{change.path}: {why}")
        return None


class _Step:
    """A progress display as a plan entry: reports update its text (throttled); Cancel is the turn's."""

    def __init__(self, editor: AcpEditor, key: int, name: str) -> None:
        self.editor = editor
        self.key = key  # its plan entry
        self.name = name
        self._at = 0.0

    @property
    def cancelled(self) -> bool:
        return self.editor.turn.cancelled

    def report(self, message: str) -> None:
        now = time.monotonic()
        if now - self._at < PLAN_EVERY_S:
            return
        self._at = now
        self.editor.step(self.key, content=f"{self.name}: {chat_safe(message)}")


def _kind(choice: str, index: int) -> PermissionOptionKind:
    lowered = choice.lower()
    if lowered in ("deny", "cancel", "reject", "don't run"):
        return "reject_once"
    if lowered.startswith("always"):
        return "allow_always"
    return "allow_once"


def _command_text(message: str) -> str | None:
    """The command an approval question is about (the rules' prompt ends with it, escaped)."""
    lines = [line for line in message.splitlines() if line.startswith("Full command text: ")]
    return lines[-1].removeprefix("Full command text: ") if lines else None


def _late(request: asyncio.Future[Any], on_late: Callable[[str], None], options: list[PermissionOption]) -> None:
    if request.cancelled() or request.exception() is not None:
        return
    outcome = request.result().outcome
    if isinstance(outcome, AllowedOutcome):
        name = next((o.name for o in options if o.option_id == outcome.option_id), outcome.option_id)
        on_late(name)


__all__ = ["APPLY", "REJECT", "AcpEditor", "Turn", "next_id"]
