"""The run as a core use case: a routed action, run by a model, delivered through the editor.

The order of one attempt (`Run.attempt`): plan (the model's own prompt and estimate) -> ask when
the estimate is above `per_request_usd` (unless the strategy's cost was confirmed already) ->
reserve in the ledger (a refused run never reaches a provider) -> cancellable progress with the
streamed text and the running cost -> the agent loop on the attempt's own copy-on-write workspace
(commands through approval and the sandbox). Then the check judges it (`run/check.py`), the
strategy decides what to deliver (`run/strategies.py` over `strategy.machine.advance`), the change
set is offered, review findings are presented, an answer is shown; the ledger settles each attempt
with what happened.

No protocol here: the language server, the command line and the ACP agent are editors
(`run/editor.py`) over this flow. `run_action` is the one entry point they call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from modelroute.route.format import money
from modelroute.run.approval import Approvals, CommandRunner, command_runner
from modelroute.run.editor import Buffer, Editor, Markdown, Offer, OfferResult, Progress, Question, Review
from modelroute.run.outcome import (
    Outcome,
    answer_markdown,
    failure_outcome,
    notes_suffix,
    output_cap,
    progress_text,
    run_summary,
    running_usd,
)
from modelroute.run.workspace import AttemptWorkspace

if TYPE_CHECKING:
    from modelroute.changeset import ChangeSet, Refusal
    from modelroute.execute.agent import RunResult
    from modelroute.ledger import LedgerStore as Ledger
    from modelroute.ledger import Reservation
    from modelroute.pipeline import Engine, Routed, RunPlan
    from modelroute.policy.schema import Settings
    from modelroute.providers import ProviderError
    from modelroute.run.check import Checker, Verdict
    from modelroute.strategy.machine import Role

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.25  # at most four progress reports a second
CANCEL_POLL_S = 0.05
STRATEGIES = ("single", "cascade", "best-of-n", "plan")
BUILT_STRATEGIES = STRATEGIES

Strategy = Literal["single", "cascade", "best-of-n", "plan"]
# How a run is asked for: a strategy of the contract, or `split` (an instruction that holds several
# tasks, run as steps without a planner; reported as strategy `plan`).
RunStrategy = Literal["single", "cascade", "best-of-n", "plan", "split"]
Verified = Literal["pass", "fail", "none"]
# What a run came to, for a contract (DESIGN 2.2b): the run finished; a check failed; a budget,
# the user or approval refused it; a provider, the network or the editor failed it.
Conclusion = Literal["done", "verification_failed", "refused", "error"]
DELIVERED = ("applied", "proposed", "answered", "reviewed")


class RunRefused(Exception):
    """The action cannot run at all (no such model here, blocked by a hard limit: `limited`): nothing
    was called."""

    def __init__(self, message: str, *, limited: bool = False) -> None:
        super().__init__(message)
        self.limited = limited


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
    verify: str | None = None  # the check the user gave for this run (`modelroute run --verify`)


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
        self.derived: dict[str, Any] = {}  # figures computed from the ledger (pass rates), dropped on a settle
        self.previous: dict[str, Any] = {}  # the figures a settle dropped: for answers that must not wait

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

        self.previous.update(self.derived)
        self.derived.clear()
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
    role: Role = "attempt"
    label: str = ""  # how the user knows it: "Haiku 4.5 (cascade step 1 of 2)"
    workspace: AttemptWorkspace | None = None
    commands: CommandRunner | None = None
    result: RunResult | None = None
    reservation: Reservation | None = None
    error: ProviderError | None = None
    started: float = field(default_factory=time.monotonic)
    verdict: Verdict | None = None
    changes: ChangeSet | None = None  # what it offers (its checked result; a merge: with its base)
    offered: bool = False
    settled: bool = False

    @property
    def finished(self) -> bool:
        """Ended before a result could be delivered (declined, refused, failed, cancelled)."""
        return self.result is None or self.summary.get("outcome") == "cancelled"

    @property
    def cost_usd(self) -> float:
        if self.result is not None:
            return self.result.cost_usd
        return self.error.spent_usd if self.error is not None else 0.0

    @property
    def verified(self) -> Verified:
        return self.verdict.verified if self.verdict is not None else "none"

    @property
    def flagged(self) -> bool:
        return self.verdict is not None and self.verdict.flagged

    def latency_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def contract(self) -> dict[str, Any]:
        """One entry of `attempts` in the `modelroute run --json` object."""
        entry: dict[str, Any] = {
            "model": self.plan.model.id, "estimated_cost_usd": round(self.plan.estimate.usd, 6),
            "cost_usd": round(self.cost_usd, 6), "verified": self.verified, "role": self.role,
            "label": self.label, "offered": self.offered, "outcome": self.summary.get("outcome"),
        }
        if self.verdict is not None:
            entry["check"] = self.verdict.reason
            entry["flagged"] = [f.model_dump() for f in self.verdict.change_set.flagged]
        return entry


@dataclass
class RunReport:
    """How a run ended: the front end's answer (`summary`, the `modelroute.run` JSON), the attempts
    made, the change set proposed, and what approval refused."""

    strategy: Strategy
    attempts: list[Attempt]
    summary: dict[str, Any]
    change_set: ChangeSet | None = None
    offered: Attempt | None = None  # whose result was delivered
    finish: str | None = None  # the strategy's own conclusion (`verification_failed` when nothing passed)
    reason: str = ""  # why the strategy ended as it did
    refused: tuple[Refusal, ...] = ()  # what the apply guard would not write
    check_unavailable: list[str] = field(default_factory=list)  # the check needed a sandbox it did not get
    extra: dict[str, Any] = field(default_factory=dict)  # strategy specifics (a plan's steps)
    fixed: Conclusion | None = None  # decided by the strategy itself (a plan stopped at a step)

    @property
    def outcome(self) -> str:
        return str(self.summary.get("outcome", "error"))

    @property
    def denied_commands(self) -> list[str]:
        return [c for a in self.attempts if a.commands is not None for c in a.commands.denials]

    @property
    def approval(self) -> str:
        """How the run's commands were approved, for telemetry: denied (any refused), asked (the user
        approved one), policy (rules decided all), none (no command was proposed)."""
        decided = [d for a in self.attempts if a.commands is not None for d in a.commands.decided_by]
        if self.denied_commands:
            return "denied"
        if "user" in decided:
            return "asked"
        return "policy" if decided else "none"

    @property
    def sandbox_unavailable(self) -> list[str]:
        found = [r for a in self.attempts if a.commands is not None for r in a.commands.unavailable]
        return found + self.check_unavailable

    @property
    def conclusion(self) -> Conclusion:
        if self.fixed is not None:
            return "error" if self.fixed == "done" and self.sandbox_unavailable else self.fixed
        outcome = self.outcome
        offered = self.offered
        denied = offered.commands.denials if offered is not None and offered.commands is not None else []
        if outcome in ("declined", "refused_budget", "refused") or denied:
            return "refused"
        if self.finish == "verification_failed" and outcome in DELIVERED:
            return "verification_failed"
        if outcome in DELIVERED:
            return "error" if self.sandbox_unavailable else "done"
        return "error"

    def contract(self) -> dict[str, Any]:
        """The `modelroute run --json` object (DESIGN 2.2b) plus a few readable extras."""
        changes = self.change_set.changes if self.change_set is not None else ()
        flagged = self.change_set.flagged if self.change_set is not None else ()
        refused = (*(self.change_set.refused if self.change_set is not None else ()), *self.refused)
        return {
            "outcome": self.conclusion,
            "strategy": self.strategy,
            "attempts": [a.contract() for a in self.attempts],
            "changes": [{"path": c.path, "kind": c.kind, "diff": c.diff()} for c in changes],
            "flagged": [{"path": f.path, "reason": f.reason} for f in flagged],
            "refused": [{"path": r.path, "reason": r.reason} for r in dict.fromkeys(refused)],
            "left_out": list(self.change_set.left_out) if self.change_set is not None else [],
            "cost_usd": round(sum(a.cost_usd for a in self.attempts), 6),
            "message": self.summary.get("message", ""),
            "reason": self.reason,
            "run_outcome": self.outcome,
            "denied_commands": self.denied_commands,
            "text": self.summary.get("text", ""),
            "findings": self.summary.get("findings", 0),
            **self.extra,
        }


class Run:
    """One action run through one editor: the attempt primitive and delivery. Strategies drive it."""

    def __init__(self, session: RunSession, editor: Editor, action: Action, *, strategy: Strategy = "single",
                 base: ChangeSet | None = None, checker: Checker | None = None) -> None:
        self.session = session
        self.editor = editor
        self.action = action
        self.strategy = strategy
        self.base = base  # changes of earlier steps not on disk: every attempt starts from them
        self.checker = checker
        self.confirmed = False  # the strategy's cost was confirmed: attempts do not ask again
        self.recorded_as: str = strategy  # the strategy the ledger's rows name (a plan's steps: "plan")

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
            raise RunRefused(str(exc), limited=exc.limited) from exc

    # -- the attempt primitive ----------------------------------------------------------
    async def attempt(
        self,
        plan: RunPlan,
        *,
        label: str = "",
        role: Role = "attempt",
        notes: Sequence[str] = (),
        system: str | None = None,
        base: ChangeSet | None = None,
        hold_usd: float = 0.0,
    ) -> Attempt:
        """Run `plan`'s model once, up to its result. The reservation stays open when a result came
        back (check and deliver it, then `settle`); any other ending is already in the ledger.

        `notes` are added to the first message (a failed attempt's account, a synthesis request),
        `system` before the system prompt; `base` replaces the run's base for this attempt (a merge
        starts from a candidate); `hold_usd` more is held on this attempt's row for the strategy's
        attempts still to come (released when this one settles)."""
        from modelroute.ledger import BudgetExceeded, LedgerError, RunStart, needs_confirmation
        from modelroute.providers import ProviderError, client_for

        settings = self.engine.settings
        model = plan.model
        attempt = Attempt(plan=plan, role=role, label=label or model.display_name, summary={
            "model": model.id, "category": plan.category.value, "estimated_usd": round(plan.estimate.usd, 6)})
        question = None if self.confirmed else needs_confirmation(plan.estimate, settings.budget)
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
            try:
                ledger = await self.session.ledger(settings)
                start = RunStart(workspace=str(self.engine.root), category=plan.category, model=model.id,
                                 provider=model.provider, estimate=plan.estimate,
                                 prior_output_tokens=plan.prior_output_tokens, strategy=self.recorded_as)
                attempt.reservation = await asyncio.to_thread(ledger.reserve, start, settings.budget)
            except BudgetExceeded as exc:
                self.editor.tell("error", f"modelroute: {exc}")
                await self.session.spent()
                return self._ended(attempt, "refused_budget", str(exc), run_id=exc.run_id)
            except LedgerError as exc:  # the database is away: no run starts without a reservation
                self.editor.tell("error", f"modelroute: {exc}")
                return self._ended(attempt, "error", str(exc), error_kind="ledger")
            attempt.summary["run_id"] = attempt.reservation.run_id
            limit = attempt.reservation.reserved_usd  # the agent's own budget, not the strategy's hold
            if hold_usd > 0:
                await self._hold(ledger, attempt, hold_usd)
            serial, cancel = self.session.register()
            try:
                await self._agent(attempt, client, ledger, cancel, limit, notes, system, base)
            finally:
                self.session.active.pop(serial, None)
                if attempt.finished:
                    await self.session.spent()
        finally:
            await _close(client)
        return attempt

    async def _hold(self, ledger: Ledger, attempt: Attempt, hold_usd: float) -> None:
        from modelroute.ledger import BudgetExceeded, LedgerError

        assert attempt.reservation is not None
        try:
            attempt.reservation = await asyncio.to_thread(ledger.extend, attempt.reservation, hold_usd,
                                                          self.engine.settings.budget)
        except (BudgetExceeded, LedgerError) as exc:  # spent elsewhere since the strategy was priced: run what fits
            self.editor.log("warning", f"modelroute: could not hold {money(hold_usd)} for the strategy's later "
                            f"attempts ({exc}); they reserve their own when they start")

    async def _agent(
        self, attempt: Attempt, client: Any, ledger: Ledger, cancel: asyncio.Event, budget_usd: float,
        notes: Sequence[str], system: str | None, base: ChangeSet | None,
    ) -> None:
        from modelroute.execute.agent import RunLimits, run_agent
        from modelroute.ledger import output_token_limit
        from modelroute.providers import ProviderError

        plan, settings, model = attempt.plan, self.engine.settings, attempt.plan.model
        assert attempt.reservation is not None
        reservation = attempt.reservation
        workspace = attempt.workspace = self._workspace(plan, base if base is not None else self.base)
        tier = model.price.tier_for(plan.estimate.tokens.input)
        limit = output_token_limit(budget_usd, plan.estimate.input_usd, tier.output_mtok)
        limits = RunLimits(max_turns=settings.run.max_turns, budget_usd=budget_usd,
                           max_output_tokens=output_cap(model.max_output_tokens, limit))
        title = f"modelroute: {plan.category.verb} with {attempt.label}"
        async with self.editor.progress(title, cancellable=True,
                                        message=f"estimated {money(plan.estimate.usd)}") as bar:
            watcher = asyncio.ensure_future(_watch(bar, cancel))
            attempt.commands = command_runner(
                self.editor, self.session.approvals, workspace, lambda: self.engine.settings, model.display_name,
                user_file=self.engine.user_file, on_status=bar.report,
            )
            try:
                attempt.result = await run_agent(
                    client, self._prompt(plan, notes, system), model, privacy=settings.privacy, files=workspace,
                    limits=limits, run_command=attempt.commands, on_text=Ticker(bar, plan), cancel=cancel,
                )
            except ProviderError as exc:
                await self._failed(attempt, ledger, exc, cancel.is_set())
                return
            except asyncio.CancelledError:  # the front end cancelled the whole request
                await self._record(ledger.abandon, reservation, "cancelled", "request cancelled",
                                        latency_ms=attempt.latency_ms())
                attempt.settled = True
                raise
            except Exception as exc:  # a bug must not leave a reservation pending or kill the server
                log.exception("run failed")
                await self._record(ledger.abandon, reservation, "error", f"internal: {exc}",
                                        latency_ms=attempt.latency_ms())
                attempt.settled = True
                self.editor.tell("error", f"modelroute: the run failed: {exc}; nothing was applied")
                self._ended(attempt, "error", str(exc), error_kind="internal")
                return
            finally:
                watcher.cancel()
            if cancel.is_set():
                self.editor.tell("info", f"modelroute: run cancelled; nothing was changed ({model.display_name})")
                await self.settle(attempt, Outcome("cancelled", "cancelled; nothing was changed"))

    def _workspace(self, plan: RunPlan, base: ChangeSet | None) -> AttemptWorkspace:
        action = self.action
        workspace = AttemptWorkspace(
            self.engine.root, self.engine.settings.privacy, model_is_local=plan.model.local,
            buffers=self.editor.buffer, only=action.document if action.loose else None,
            sandbox=self.engine.settings.sandbox, base=base,
        )
        if action.pinned is not None and base is None:
            workspace.pin(action.document, action.pinned)
        return workspace

    def _prompt(self, plan: RunPlan, notes: Sequence[str], system: str | None) -> Any:
        prompt = plan.prompt
        extra = [n for n in (self.action.brief, *notes) if n]
        if system:
            prompt = prompt.model_copy(update={"system": f"{system}\n\n{prompt.system}"})
        if not extra or not prompt.messages or prompt.messages[0].role != "user":
            return prompt
        first = prompt.messages[0]
        added = first.model_copy(update={"content": "\n\n".join((first.content, *extra))})
        return prompt.model_copy(update={"messages": (added, *prompt.messages[1:])})

    async def _failed(self, attempt: Attempt, ledger: Ledger, exc: ProviderError, cancel_requested: bool) -> None:
        model = attempt.plan.model
        outcome = failure_outcome(exc.kind, cancel_requested)
        assert attempt.reservation is not None
        await self._record(ledger.abandon, attempt.reservation, outcome, str(exc),
                                latency_ms=attempt.latency_ms(), usage=exc.spent_usage, actual_usd=exc.spent_usd)
        attempt.settled = True
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
    async def judge(self, attempt: Attempt) -> Verdict | None:
        """Check an attempt that came back with a result (None: an answer, nothing to check)."""
        if attempt.finished or attempt.workspace is None or not attempt.plan.category.edits_code:
            return None
        if self.checker is None:
            from modelroute.run.check import Checker, check_plan

            plan = check_plan(self.engine.root, self.engine.settings, self.action.routed.context.language,
                              self.action.verify)
            self.checker = Checker(self.editor, self.session.approvals, self.engine.settings, plan,
                                   user_file=self.engine.user_file)
        attempt.verdict = await self.checker.judge(attempt.workspace, attempt.label)
        attempt.changes = attempt.verdict.change_set
        return attempt.verdict

    async def settle(self, attempt: Attempt, done: Outcome, *, error: str | None = None) -> None:
        """Record in the ledger how an attempt that reached the model ended; the summary follows.
        An attempt settled already (out of a cascade, then offered as its last resort) keeps its row."""
        from modelroute.ledger import Checked

        assert attempt.result is not None and attempt.reservation is not None
        latency = attempt.latency_ms()
        if not attempt.settled:
            ledger = await self.session.ledger()
            checked = Checked(verified=attempt.verdict.verified if attempt.verdict is not None else None,
                              flagged=attempt.flagged, offered=attempt.offered)
            await self._record(ledger.settle, attempt.reservation, attempt.result.usage,
                               attempt.result.cost_usd, done.outcome, latency, error=error, checked=checked)
            attempt.settled = True
        attempt.summary = run_summary(attempt.summary, done, attempt.result, latency)
        await self.session.spent()

    async def release(self, attempt: Attempt, why: str) -> None:
        """Settle an attempt whose result is not offered (a failed check, another candidate chosen)."""
        if attempt.settled or attempt.result is None or attempt.reservation is None:
            return
        await self.settle(attempt, Outcome("rejected", f"not offered: {why}"), error=f"not offered: {why}")

    async def deliver(self, attempt: Attempt, failing: str | None = None) -> tuple[Outcome, OfferResult | None]:
        """Hand an attempt's result to the user: offer its changes, present its review, or show its
        answer. `failing` says why a result is offered although it did not pass."""
        assert attempt.result is not None and attempt.workspace is not None
        result, plan = attempt.result, attempt.plan
        notes = notes_suffix(result.notes)
        changes = attempt.changes if attempt.changes is not None else attempt.workspace.result()
        attempt.changes = changes
        if changes.changes:
            attempt.offered = True
            return await self._offer(attempt, changes, notes, failing)
        for refused in changes.refused:  # nothing to offer, but never dropped silently
            self.editor.tell("warning", f"modelroute: not offered: {refused.path}: {refused.reason}")
        if result.findings or plan.category.value == "code_review":
            await self.editor.review(Review(document=self.action.document, findings=tuple(result.findings),
                                            model=plan.model.id))
            count = len(result.findings)
            self.editor.tell("info", f"modelroute: {plan.model.display_name} reviewed {self.action.document}: "
                             f"{count} finding(s), {money(result.cost_usd)}{notes}")
            return Outcome("reviewed", f"{count} finding(s)", findings=count), None
        markdown = answer_markdown(plan, self.action.instruction, result)
        key = f"run|{self.engine.root}|{self.action.document}|{self.action.instruction}|{plan.model.id}"
        shown = await self.editor.show(Markdown(title=f"{plan.category.verb} with {plan.model.display_name}",
                                                text=markdown, key=key))
        return Outcome("answered", "answer shown" if shown.shown else "answer sent as a message",
                       shown_document=shown.location), None

    async def _offer(
        self, attempt: Attempt, changes: ChangeSet, notes: str, failing: str | None
    ) -> tuple[Outcome, OfferResult | None]:
        assert attempt.result is not None and attempt.workspace is not None
        workspace, plan, result = attempt.workspace, attempt.plan, attempt.result
        files = changes.paths()
        if changes.left_out:
            shown = ", ".join(changes.left_out[:8]) + (" …" if len(changes.left_out) > 8 else "")
            self.editor.log("info", f"modelroute: git-ignored output left out of the change set: {shown}")
        why = workspace.stale(changes)
        if why is not None:
            self.editor.tell("warning", f"modelroute: {why}. The run cost {money(result.cost_usd)}.")
            return Outcome("rejected", why, files=files), OfferResult("rejected", why, by_user=False)
        label = f"{plan.model.display_name}: {self.action.instruction or plan.category.words}"[:120]
        offered = await self.editor.offer(Offer(
            changes=changes, label=label, description=f"{len(files)} file(s), {money(result.cost_usd)}",
            read_versions=workspace.read_versions(),
            denied_commands=tuple(attempt.commands.denials) if attempt.commands is not None else (),
            failing=failing, write=workspace.write,
        ))
        if offered.status == "applied":
            self.editor.tell("info", f"modelroute: {plan.model.display_name} edited {', '.join(files)} "
                             f"({money(result.cost_usd)}){notes}")
            return Outcome("applied", f"edited {len(files)} file(s)", files=files), offered
        if offered.status == "proposed":
            return Outcome("answered", offered.reason or "changes proposed", files=files), offered
        why = workspace.stale(changes) or offered.reason or "the editor did not apply the edit; nothing was applied"
        self.editor.tell("warning", f"modelroute: {why}. The run cost {money(result.cost_usd)}.")
        return Outcome("rejected", why, files=files), offered


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


async def run_action(
    session: RunSession,
    editor: Editor,
    action: Action,
    model_id: str | None = None,
    *,
    strategy: RunStrategy | None = None,
    models: Sequence[str] = (),
) -> RunReport:
    """Run `action` by `strategy` with `models` (default: the policy's choice for the action; a
    pinned `model_id` alone means a single run of it). RunRefused when it cannot run at all
    (nothing was called, the editor was told why); every other ending is in the report."""
    from modelroute.run.strategies import run_strategy

    return await run_strategy(session, editor, action, model_id, strategy=strategy, models=models)


async def traced(action: Action, strategy: Strategy, expected_usd: float, model: str | None,
                 body: Callable[[], Awaitable[RunReport]]) -> RunReport:
    """Run `body` (a whole run, once its strategy is known) inside the run's OpenTelemetry span, and
    put its cost, the offered result's verdict, the approval and the conclusion on it. The one place
    a run starts and ends for telemetry."""
    from modelroute import telemetry

    category = action.routed.decision.category.value
    with telemetry.run_span(category, strategy, expected_usd, model=model,
                            export_content=action.engine.settings.telemetry.export_content) as span:
        report = await body()
        span.cost_usd = round(sum(a.cost_usd for a in report.attempts), 6)
        span.verified = report.offered.verified if report.offered is not None else None
        span.approval = report.approval
        span.outcome = report.conclusion
        return report


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
    "RunStrategy",
    "Strategy",
    "Ticker",
    "Verified",
    "run_action",
    "traced",
]
