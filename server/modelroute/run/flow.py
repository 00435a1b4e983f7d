"""The run as a core use case: a routed action, run by a model, delivered through the editor.

The order of one attempt: plan (the model's own prompt and estimate) -> ask when the estimate is
above `per_request_usd` -> reserve in the ledger (a refused run never reaches a provider) ->
cancellable progress with the streamed text and the running cost -> the agent loop on an attempt
workspace (commands through approval and the sandbox). Then the strategy decides what to deliver:
the change set is offered, review findings are presented, an answer is shown; the ledger is
settled with what happened.

A strategy is "run attempts, check, decide" over that one attempt primitive (`Run.attempt`). Built
here: `single`, one model; on a transient provider failure it offers the next model, never
switching on its own. Cascade, best-of-n and plan build on the same primitive.

No protocol here: the language server, the command line and the ACP agent are editors
(`run/editor.py`) over this flow.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from modelroute.changeset import ChangeSet
from modelroute.route.format import money
from modelroute.run.approval import Approvals, CommandRunner, command_runner
from modelroute.run.editor import Buffer, Editor, Markdown, Offer, Progress, Question, Review
from modelroute.run.outcome import (
    Outcome,
    answer_markdown,
    failure_outcome,
    fallback_for,
    fallback_offer,
    fallback_question,
    notes_suffix,
    output_cap,
    progress_text,
    run_summary,
    running_usd,
)
from modelroute.run.workspace import AttemptWorkspace

if TYPE_CHECKING:
    from modelroute.execute.agent import RunResult
    from modelroute.ledger import LedgerStore as Ledger
    from modelroute.ledger import Reservation
    from modelroute.pipeline import Engine, Routed, RunPlan
    from modelroute.policy.schema import Settings
    from modelroute.providers import ProviderError

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.25  # at most four progress reports a second
CANCEL_POLL_S = 0.05
STRATEGIES = ("single", "cascade", "best-of-n", "plan")
BUILT_STRATEGIES = ("single",)

Strategy = Literal["single", "cascade", "best-of-n", "plan"]
Verified = Literal["pass", "fail", "none"]
# What a run came to, for a contract (DESIGN 2.2b): the run finished; a check failed; a budget,
# the user or approval refused it; a provider, the network or the editor failed it.
Conclusion = Literal["done", "verification_failed", "refused", "error"]


class RunRefused(Exception):
    """The action cannot run at all (no such model here, blocked by a hard limit): nothing was called."""


@dataclass(frozen=True)
class Action:
    """One routed action, ready to run."""

    engine: Engine
    routed: Routed
    document: str  # the action's document, relative to the workspace
    instruction: str
    pinned: Buffer | None = None  # the document as the editor held it when asked (None: from disk)
    brief: str | None = None  # how the model reads this document (a notebook's cells), added to the prompt
    loose: bool = False  # outside every workspace folder: the model sees this file only, runs no command


class RunSession:
    """What runs share in one front end (a server, one command line): the ledger, the runs in
    progress (to cancel them), the approval books. `on_spend` hears about every settled run."""

    def __init__(
        self,
        *,
        approvals: Approvals | None = None,
        open_ledger: Callable[[], Ledger] | None = None,
        on_spend: Callable[[Ledger], Awaitable[None]] | None = None,
    ) -> None:
        self.approvals = approvals if approvals is not None else Approvals()
        self._open_ledger = open_ledger
        self._ledger: Ledger | None = None
        self._lock = asyncio.Lock()
        self.active: dict[int, asyncio.Event] = {}  # run serial -> its cancel event
        self._serial = 0
        self.on_spend = on_spend

    async def ledger(self, settings: Settings | None = None) -> Ledger:
        """The ledger, opened once (off the event loop: opening may migrate the schema): the one
        `[ledger] url` names (user file or client; a workspace file cannot set it), else SQLite."""
        async with self._lock:
            if self._ledger is None and self._open_ledger is not None:
                self._ledger = await asyncio.to_thread(self._open_ledger)
            elif self._ledger is None:
                self._ledger = await asyncio.to_thread(_default_ledger, settings)
            return self._ledger

    def register(self) -> tuple[int, asyncio.Event]:
        self._serial += 1
        event = self.active[self._serial] = asyncio.Event()
        return self._serial, event

    def cancel_all(self) -> int:
        events = list(self.active.values())
        for event in events:
            event.set()
        return len(events)

    async def spent(self) -> None:
        from modelroute.ledger import LedgerError

        if self.on_spend is None:
            return
        try:
            await self.on_spend(await self.ledger())
        except LedgerError as exc:  # the shared database is away: keep the last known figures
            log.warning("ledger unreadable, spend not refreshed: %s", exc)


def _default_ledger(settings: Settings | None) -> Ledger:
    from modelroute.ledger import open_ledger

    return open_ledger(settings)


@dataclass
class Attempt:
    """One model's try at the action. `summary` is what the front end reports; an attempt that
    reached the model holds its result and its open reservation until it is settled."""

    plan: RunPlan
    summary: dict[str, Any]
    workspace: AttemptWorkspace | None = None
    commands: CommandRunner | None = None
    result: RunResult | None = None
    reservation: Reservation | None = None
    error: ProviderError | None = None
    started: float = field(default_factory=time.monotonic)
    verified: Verified = "none"

    @property
    def finished(self) -> bool:
        """Ended before a result could be delivered (declined, refused, failed, cancelled)."""
        return self.result is None or self.summary.get("outcome") == "cancelled"

    @property
    def cost_usd(self) -> float:
        if self.result is not None:
            return self.result.cost_usd
        return self.error.spent_usd if self.error is not None else 0.0

    def latency_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)


@dataclass
class RunReport:
    """How a run ended: the front end's answer (`summary`, the `modelroute.run` JSON), the attempts
    made, the change set proposed, and what approval refused."""

    strategy: Strategy
    attempts: list[Attempt]
    summary: dict[str, Any]
    change_set: ChangeSet | None = None

    @property
    def outcome(self) -> str:
        return str(self.summary.get("outcome", "error"))

    @property
    def denied_commands(self) -> list[str]:
        return [c for a in self.attempts if a.commands is not None for c in a.commands.denials]

    @property
    def sandbox_unavailable(self) -> list[str]:
        return [r for a in self.attempts if a.commands is not None for r in a.commands.unavailable]

    @property
    def conclusion(self) -> Conclusion:
        outcome = self.outcome
        if outcome in ("declined", "refused_budget", "refused") or self.denied_commands:
            return "refused"
        if outcome == "verification_failed":
            return "verification_failed"
        if outcome in ("applied", "proposed", "answered", "reviewed"):
            return "error" if self.sandbox_unavailable else "done"
        return "error"

    def contract(self) -> dict[str, Any]:
        """The `modelroute run --json` object (DESIGN 2.2b) plus a few readable extras."""
        changes = self.change_set.changes if self.change_set is not None else ()
        flagged = self.change_set.flagged if self.change_set is not None else ()
        refused = self.change_set.refused if self.change_set is not None else ()
        return {
            "outcome": self.conclusion,
            "strategy": self.strategy,
            "attempts": [
                {"model": a.plan.model.id, "estimated_cost_usd": round(a.plan.estimate.usd, 6),
                 "cost_usd": round(a.cost_usd, 6), "verified": a.verified} for a in self.attempts
            ],
            "changes": [{"path": c.path, "kind": c.kind, "diff": c.diff()} for c in changes],
            "flagged": [{"path": f.path, "reason": f.reason} for f in flagged],
            "refused": [{"path": r.path, "reason": r.reason} for r in refused],
            "cost_usd": round(sum(a.cost_usd for a in self.attempts), 6),
            "message": self.summary.get("message", ""),
            "run_outcome": self.outcome,
            "denied_commands": self.denied_commands,
            "text": self.summary.get("text", ""),
            "findings": self.summary.get("findings", 0),
        }


class Run:
    """One action run through one editor: the attempt primitive and delivery. Strategies drive it."""

    def __init__(self, session: RunSession, editor: Editor, action: Action) -> None:
        self.session = session
        self.editor = editor
        self.action = action

    @property
    def engine(self) -> Engine:
        return self.action.engine

    # -- planning ---------------------------------------------------------------------
    async def plan(self, model_id: str) -> RunPlan:
        """The plan for `model_id`; RunRefused (told to the user) when it cannot run this action."""
        from modelroute.pipeline import RunUnavailable

        try:
            return await asyncio.to_thread(self.engine.prepare_run, self.action.routed, model_id)
        except RunUnavailable as exc:
            self.editor.tell("error", f"modelroute: {exc}")
            raise RunRefused(str(exc)) from exc

    # -- the attempt primitive ----------------------------------------------------------
    async def attempt(self, plan: RunPlan) -> Attempt:
        """Run `plan`'s model once, up to its result. The reservation stays open when a result came
        back (deliver or check it, then `settle`); any other ending is already in the ledger."""
        from modelroute.ledger import BudgetExceeded, LedgerError, RunStart, needs_confirmation
        from modelroute.providers import ProviderError, client_for

        settings = self.engine.settings
        model = plan.model
        attempt = Attempt(plan=plan, summary={"model": model.id, "category": plan.category.value,
                                              "estimated_usd": round(plan.estimate.usd, 6)})
        question = needs_confirmation(plan.estimate, settings.budget)
        if question is not None and not await self.confirm(
            f"{model.display_name}: {question}", f"Run ({money(plan.estimate.usd)})", "budget"
        ):
            return self._ended(attempt, "declined", "not run: the user declined the estimate")
        try:
            client = client_for(model, plan.provider, self.engine.env)
            # The redaction choke point in the client: off only by the user's own settings (narrowing keeps
            # a workspace file from turning it off).
            client.redact_secrets = settings.privacy.redact_secrets
        except ProviderError as exc:
            self.editor.tell("error", f"modelroute: {exc}")
            return self._ended(attempt, "error", str(exc), error_kind=exc.kind)
        try:
            ledger = await self.session.ledger(settings)
        except LedgerError as exc:  # no run starts without a reservation
            self.editor.tell("error", f"modelroute: {exc}")
            return self._ended(attempt, "error", str(exc), error_kind="ledger")
        start = RunStart(workspace=str(self.engine.root), category=plan.category, model=model.id,
                         provider=model.provider, estimate=plan.estimate, prior_output_tokens=plan.prior_output_tokens)
        try:
            attempt.reservation = await asyncio.to_thread(ledger.reserve, start, settings.budget)
        except BudgetExceeded as exc:
            self.editor.tell("error", f"modelroute: {exc}")
            await self.session.spent()
            return self._ended(attempt, "refused_budget", str(exc), run_id=exc.run_id)
        except LedgerError as exc:  # the database went away: no run starts without a reservation
            self.editor.tell("error", f"modelroute: {exc}")
            return self._ended(attempt, "error", str(exc), error_kind="ledger")
        attempt.summary["run_id"] = attempt.reservation.run_id
        serial, cancel = self.session.register()
        try:
            await self._agent(attempt, client, ledger, cancel)
        finally:
            self.session.active.pop(serial, None)
            await _close(client)
            if attempt.finished:
                await self.session.spent()
        return attempt

    async def _agent(self, attempt: Attempt, client: Any, ledger: Ledger, cancel: asyncio.Event) -> None:
        from modelroute.execute.agent import RunLimits, run_agent
        from modelroute.ledger import output_token_limit
        from modelroute.providers import ProviderError

        plan, settings, model = attempt.plan, self.engine.settings, attempt.plan.model
        assert attempt.reservation is not None
        reservation = attempt.reservation
        workspace = attempt.workspace = self._workspace(plan)
        tier = model.price.tier_for(plan.estimate.tokens.input)
        limit = output_token_limit(reservation.reserved_usd, plan.estimate.input_usd, tier.output_mtok)
        limits = RunLimits(max_turns=settings.run.max_turns, budget_usd=reservation.reserved_usd,
                           max_output_tokens=output_cap(model.max_output_tokens, limit))
        title = f"modelroute: {plan.category.verb} with {model.display_name}"
        async with self.editor.progress(title, cancellable=True,
                                        message=f"estimated {money(plan.estimate.usd)}") as bar:
            watcher = asyncio.ensure_future(_watch(bar, cancel))
            attempt.commands = command_runner(
                self.editor, self.session.approvals, workspace, lambda: self.engine.settings, model.display_name,
                user_file=self.engine.user_file, on_status=bar.report,
            )
            try:
                attempt.result = await run_agent(
                    client, self._prompt(plan), model, privacy=settings.privacy, files=workspace, limits=limits,
                    run_command=attempt.commands, on_text=Ticker(bar, plan), cancel=cancel,
                )
            except ProviderError as exc:
                await self._failed(attempt, ledger, exc, cancel.is_set())
                return
            except asyncio.CancelledError:  # the front end cancelled the whole request
                await self._record(ledger.abandon, reservation, "cancelled", "request cancelled",
                                        latency_ms=attempt.latency_ms())
                raise
            except Exception as exc:  # a bug must not leave a reservation pending or kill the server
                log.exception("run failed")
                await self._record(ledger.abandon, reservation, "error", f"internal: {exc}",
                                        latency_ms=attempt.latency_ms())
                self.editor.tell("error", f"modelroute: the run failed: {exc}; nothing was applied")
                self._ended(attempt, "error", str(exc), error_kind="internal")
                return
            finally:
                watcher.cancel()
            if cancel.is_set():
                self.editor.tell("info", f"modelroute: run cancelled; nothing was changed ({model.display_name})")
                await self.settle(attempt, Outcome("cancelled", "cancelled; nothing was changed"))

    def _workspace(self, plan: RunPlan) -> AttemptWorkspace:
        action = self.action
        workspace = AttemptWorkspace(
            self.engine.root, self.engine.settings.privacy, model_is_local=plan.model.local,
            buffers=self.editor.buffer, only=action.document if action.loose else None,
        )
        if action.pinned is not None:
            workspace.pin(action.document, action.pinned)
        return workspace

    def _prompt(self, plan: RunPlan) -> Any:
        prompt = plan.prompt
        brief = self.action.brief
        if brief is None or not prompt.messages or prompt.messages[0].role != "user":
            return prompt
        first = prompt.messages[0]
        added = first.model_copy(update={"content": f"{first.content}\n\n{brief}"})
        return prompt.model_copy(update={"messages": (added, *prompt.messages[1:])})

    async def _failed(self, attempt: Attempt, ledger: Ledger, exc: ProviderError, cancel_requested: bool) -> None:
        model = attempt.plan.model
        outcome = failure_outcome(exc.kind, cancel_requested)
        assert attempt.reservation is not None
        await self._record(ledger.abandon, attempt.reservation, outcome, str(exc),
                                latency_ms=attempt.latency_ms(), usage=exc.spent_usage, actual_usd=exc.spent_usd)
        if outcome == "cancelled":
            self.editor.tell("info", f"modelroute: run cancelled; nothing was changed ({model.id})")
            self._ended(attempt, "cancelled", "cancelled; nothing was changed")
            return
        kind = f"{exc.provider or model.provider}: {exc.kind}"
        self.editor.tell("error", f"modelroute: {model.display_name} failed ({kind}); nothing was applied. {exc}")
        attempt.error = exc
        self._ended(attempt, "error", str(exc), error_kind=exc.kind)

    async def _record(self, finish: Any, reservation: Reservation, *args: Any, **kwargs: Any) -> None:
        """Settle or abandon a run in the ledger. If the ledger's database went away during the run,
        say so: the store keeps the settlement and writes it when the database is back."""
        from modelroute.ledger import LedgerError

        try:
            await asyncio.to_thread(finish, reservation, *args, **kwargs)
        except LedgerError as exc:
            self.editor.tell("warning", f"modelroute: the run's cost could not be recorded yet ({exc}); it is "
                             f"written when the ledger is back, and counts at its reservation of "
                             f"{money(reservation.reserved_usd)} until then")

    def _ended(self, attempt: Attempt, outcome: str, message: str, **extra: Any) -> Attempt:
        attempt.summary.update(outcome=outcome, message=message, **extra)
        return attempt

    async def confirm(self, message: str, yes: str, purpose: Literal["budget", "fallback"]) -> bool:
        picked = await self.editor.ask(Question(
            message=message, choices=(yes, "Cancel"), purpose=purpose, level="warning",
            timeout_s=self.engine.settings.approval.timeout_s,
        ))
        return picked == yes  # no answer, a failure or Cancel: do not spend money on a guess

    # -- after an attempt -------------------------------------------------------------
    async def settle(self, attempt: Attempt, done: Outcome) -> None:
        """Record in the ledger how an attempt that reached the model ended; the summary follows."""
        assert attempt.result is not None and attempt.reservation is not None
        ledger = await self.session.ledger()
        latency = attempt.latency_ms()
        await self._record(ledger.settle, attempt.reservation, attempt.result.usage, attempt.result.cost_usd,
                                done.outcome, latency)
        attempt.summary = run_summary(attempt.summary, done, attempt.result, latency)
        await self.session.spent()

    async def deliver(self, attempt: Attempt) -> Outcome:
        """Hand an attempt's result to the user: offer its changes, present its review, or show its answer."""
        assert attempt.result is not None and attempt.workspace is not None
        result, plan = attempt.result, attempt.plan
        notes = notes_suffix(result.notes)
        change_set = attempt.workspace.change_set()
        if change_set.changes:
            return await self._offer(attempt, change_set, notes)
        for refused in change_set.refused:  # nothing to offer, but never dropped silently
            self.editor.tell("warning", f"modelroute: not offered: {refused.path}: {refused.reason}")
        if result.findings or plan.category.value == "code_review":
            await self.editor.review(Review(document=self.action.document, findings=tuple(result.findings),
                                            model=plan.model.id))
            count = len(result.findings)
            self.editor.tell("info", f"modelroute: {plan.model.display_name} reviewed {self.action.document}: "
                             f"{count} finding(s), {money(result.cost_usd)}{notes}")
            return Outcome("reviewed", f"{count} finding(s)", findings=count)
        markdown = answer_markdown(plan, self.action.instruction, result)
        key = f"run|{self.engine.root}|{self.action.document}|{self.action.instruction}|{plan.model.id}"
        shown = await self.editor.show(Markdown(title=f"{plan.category.verb} with {plan.model.display_name}",
                                                text=markdown, key=key))
        return Outcome("answered", "answer shown" if shown.shown else "answer sent as a message",
                       shown_document=shown.location)

    async def _offer(self, attempt: Attempt, change_set: ChangeSet, notes: str) -> Outcome:
        assert attempt.result is not None and attempt.workspace is not None
        workspace, plan, result = attempt.workspace, attempt.plan, attempt.result
        files = change_set.paths()
        why = workspace.stale()
        if why is None:
            label = f"{plan.model.display_name}: {self.action.instruction or plan.category.words}"[:120]
            offered = await self.editor.offer(Offer(
                changes=change_set, label=label,
                description=f"{len(files)} file(s), {money(result.cost_usd)}",
                read_versions=workspace.read_versions(),
                denied_commands=tuple(attempt.commands.denials) if attempt.commands is not None else (),
                content_root=workspace.content_root,
            ))
            if offered.status == "applied":
                self.editor.tell("info", f"modelroute: {plan.model.display_name} edited {', '.join(files)} "
                                 f"({money(result.cost_usd)}){notes}")
                return Outcome("applied", f"edited {len(files)} file(s)", files=files)
            if offered.status == "proposed":
                return Outcome("answered", offered.reason or "changes proposed", files=files)
            why = workspace.stale() or offered.reason or "the editor did not apply the edit; nothing was applied"
        self.editor.tell("warning", f"modelroute: {why}. The run cost {money(result.cost_usd)}.")
        return Outcome("rejected", why, files=files)


async def _close(client: Any) -> None:
    """Close the SDK client's connections now, not when the garbage collector finds them."""
    try:
        await client.aclose()
    except Exception as exc:  # closing must never turn a finished run into a failed one
        log.info("closing the model client failed: %s", exc)


async def _watch(bar: Progress, cancel: asyncio.Event) -> None:
    """Turn the progress display's Cancel into the run's cancel event."""
    while not cancel.is_set():
        if bar.cancelled:
            cancel.set()
            return
        await asyncio.sleep(CANCEL_POLL_S)


class Ticker:
    """Streams text deltas and the running cost into the progress display, throttled."""

    def __init__(self, bar: Progress, plan: RunPlan) -> None:
        self.bar = bar
        self.plan = plan
        self.chars = 0
        self.tail = ""
        self.last = 0.0

    def __call__(self, delta: str) -> None:
        self.chars += len(delta)
        self.tail = (self.tail + delta)[-60:]
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY_S:
            self.last = now
            self.bar.report(self.message())

    def message(self) -> str:
        tier = self.plan.model.price.tier_for(self.plan.estimate.tokens.input)
        return progress_text(running_usd(self.plan.estimate.input_usd, tier.output_mtok, self.chars), self.tail)


# -- strategies ----------------------------------------------------------------------------
async def run_single(run: Run, model_id: str) -> RunReport:
    """One model. A transient provider failure offers the next runnable model (the user decides)."""
    tried: set[str] = set()
    attempts: list[Attempt] = []
    failed: list[dict[str, Any]] = []
    try:
        while True:
            plan = await run.plan(model_id)
            tried.add(plan.model.id)
            attempt = await run.attempt(plan)
            attempts.append(attempt)
            alternative = _fallback(run, attempt, tried)
            if alternative is None:
                break
            question, yes, next_model = alternative
            if not await run.confirm(question, yes, "fallback"):
                break
            failed.append(attempt.summary)
            model_id = next_model
        change_set = None
        if not attempt.finished:
            done = await run.deliver(attempt)
            change_set = attempt.workspace.change_set() if attempt.workspace is not None else None
            await run.settle(attempt, done)
    finally:
        for each in attempts:
            if each.workspace is not None:
                each.workspace.close()
    summary = dict(attempt.summary)
    if failed:  # the latest failure first, each holding the one before it
        summary["fallback_from"] = _with_earlier(len(failed) - 1, failed)
    return RunReport(strategy="single", attempts=attempts, summary=summary, change_set=change_set)


def _with_earlier(index: int, failed: list[dict[str, Any]]) -> dict[str, Any]:
    failure = failed[index]
    return {**failure, "fallback_from": _with_earlier(index - 1, failed)} if index else dict(failure)


def _fallback(run: Run, attempt: Attempt, tried: set[str]) -> tuple[str, str, str] | None:
    """(question, the yes button, model id) to offer after a transient failure, or None."""
    error = attempt.error
    if error is None or not error.transient:
        return None
    alternative = fallback_for(run.action.routed.decision.candidates, tried)
    if alternative is None:
        return None
    offer = fallback_offer(alternative)
    plan = attempt.plan
    question = fallback_question(plan.model.display_name, error.provider or plan.model.provider, error.kind, offer)
    return question, offer, alternative.model


async def run_action(
    session: RunSession, editor: Editor, action: Action, model_id: str | None = None, *, strategy: Strategy = "single"
) -> RunReport:
    """Run `action` with `model_id` (default: the routed model) by `strategy`. RunRefused when the
    model cannot run this action at all (nothing was called); every other ending is in the report."""
    if strategy not in BUILT_STRATEGIES:
        raise RunRefused(f"strategy {strategy!r} is not built yet; built: {', '.join(BUILT_STRATEGIES)}")
    run = Run(session, editor, action)
    return await run_single(run, model_id or action.routed.decision.model)


__all__ = [
    "BUILT_STRATEGIES",
    "STRATEGIES",
    "Action",
    "Attempt",
    "Conclusion",
    "Run",
    "RunRefused",
    "RunReport",
    "RunSession",
    "Strategy",
    "Ticker",
    "Verified",
    "run_action",
    "run_single",
]
