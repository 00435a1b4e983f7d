"""Plans and split instructions: steps run one at a time, each routed by its own kind, each with
its own strategy and check, stopping at the first step that does not finish.

`plan`: the planner model writes the steps (`strategy.plan.planner_request`, `parse_plan`); they are
priced and shown as a Markdown document the user edits before anything runs (`render_plan`, the
editor's `edit_document`; read back with `parse_plan_document`). `split`: an instruction that
already holds several independent tasks (`strategy.split.split_instruction`) runs as its steps, with
no planner.

Each step is routed with its own kind (or classified, for `auto`) and run by the policy's default
for it (a cascade when one is worth it, else the routed model), on top of the steps before it: a
step's accepted result that is not on disk yet (applied in the editor's buffers, or proposed on the
command line) is carried into the next step's copy of the workspace. Before the first step runs,
the steps' maxima together must fit the budgets (`strategy.budget.steps_refusal`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from modelroute.changeset import ChangeSet
from modelroute.route.format import money
from modelroute.run.editor import Editor, Markdown
from modelroute.run.flow import Action, Attempt, Conclusion, Run, RunReport, RunSession
from modelroute.run.outcome import Outcome
from modelroute.run.strategies import Driver, caps
from modelroute.run.workspace import compose
from modelroute.strategy.model import StrategyPlan, at_most
from modelroute.strategy.plan import (
    Plan,
    PlanError,
    PlanStep,
    PlanStopped,
    StepResult,
    next_step,
    parse_plan,
    parse_plan_document,
    planner_request,
    render_plan,
    title_from,
)
from modelroute.strategy.split import split_instruction

if TYPE_CHECKING:
    from modelroute.pipeline import Routed
    from modelroute.run.check import Checker
    from modelroute.strategy.calibration import PassRates

log = logging.getLogger(__name__)

STEP_CONCLUSION: dict[str, Any] = {"done": "done", "verification_failed": "verification_failed",
                                   "refused": "rejected", "error": "error"}


def splits(action: Action) -> bool:
    """The action's instruction holds several independent tasks."""
    return split_instruction(action.instruction) is not None


class StepUnroutable(Exception):
    """A step no model can run here (budgets, privacy, the catalog): the message says why."""


@dataclass
class RoutedStep:
    """One step of a plan, routed and priced."""

    step: PlanStep
    action: Action
    strategy: StrategyPlan


@dataclass
class Steps:
    """Runs a plan's steps one at a time through the strategy driver."""

    run: Run  # the plan's own run (its action, editor, session and check)
    plan: Plan
    rates: PassRates
    made: list[Attempt] = field(default_factory=list)
    carried: ChangeSet = field(default_factory=ChangeSet)  # accepted, not on disk: the next step starts there
    combined: ChangeSet = field(default_factory=ChangeSet)  # everything the steps changed
    done: list[dict[str, Any]] = field(default_factory=list)

    @property
    def editor(self) -> Editor:
        return self.run.editor

    async def route(self) -> list[RoutedStep]:
        """Every step routed by its own kind and priced by its default strategy, before any runs."""
        return [await self._route(step) for step in self.plan.steps]

    async def _route(self, step: PlanStep) -> RoutedStep:
        from modelroute.context.gather import ContextError
        from modelroute.route.model import Unroutable
        from modelroute.strategy.offers import propose

        action = self.run.action
        try:
            routed = await asyncio.to_thread(self._decide, step)
        except (Unroutable, ContextError) as exc:
            raise StepUnroutable(f"step {self.plan.steps.index(step) + 1} ({step.title}) cannot run: {exc}") from exc
        step_action = Action(engine=action.engine, routed=routed, document=action.document,
                             instruction=_instruction(step), brief=action.brief, loose=action.loose,
                             verify=action.verify)
        checks = self.run.checker.plan.text if self.run.checker is not None else None
        choice = propose(routed.decision, self.rates, objective=action.engine.settings.objective,
                         verify_command=checks)
        return RoutedStep(step=step, action=step_action, strategy=choice.default)

    def _decide(self, step: PlanStep) -> Routed:
        from modelroute.context.gather import ActionRequest

        action = self.run.action
        context = action.routed.context
        text = self._document_text()
        request = ActionRequest(file=action.document, cursor=context.cursor, instruction=_instruction(step),
                                document_text=text, language=context.language, notebook=context.notebook)
        return action.engine.decide(request, category=step.kind)

    def _document_text(self) -> str | None:
        """The action's document as the next step will find it (the editor's text, a carried step's)."""
        action = self.run.action
        buffer = self.editor.buffer(action.engine.root / action.document)
        if buffer is not None and not buffer.view:
            return buffer.text
        carried = next((c for c in self.carried.changes if c.path == action.document), None)
        return carried.new if carried is not None else None

    async def refused(self, routed: list[RoutedStep]) -> str | None:
        """Why the steps cannot all run within the budgets (None: they fit)."""
        from modelroute.strategy.budget import steps_refusal

        try:
            left = await caps(self.run.session, self.run.action)
        except Exception as exc:  # an unreadable ledger: each attempt's own reservation says so
            log.warning("ledger unreadable before a plan: %s", exc)
            return None
        return steps_refusal([r.strategy for r in routed], left)

    async def execute(self, first: list[RoutedStep]) -> tuple[list[StepResult], PlanStopped]:
        """Run the steps in order (the first routed already); stop at the first that does not finish."""
        results: list[StepResult] = []
        while True:
            nxt = next_step(self.plan, results)
            if isinstance(nxt, PlanStopped):
                return results, nxt
            # later steps are routed again: the steps before them changed what they will find
            try:
                routed = first[nxt.index] if nxt.index == 0 else await self._route(nxt.step)
            except StepUnroutable as exc:
                self.editor.tell("error", f"modelroute: {exc}")
                self.done.append({"step": nxt.index + 1, "title": nxt.step.title, "kind": None, "strategy": None,
                                  "conclusion": "refused", "outcome": "refused", "cost_usd": 0.0,
                                  "message": str(exc)})
                results.append(StepResult(conclusion="rejected", summary=str(exc)))
                continue
            results.append(await self._one(nxt.index, routed))

    async def _one(self, index: int, routed: RoutedStep) -> StepResult:
        total = len(self.plan.steps)
        strategy = routed.strategy
        self.editor.tell("info", f"modelroute: step {index + 1} of {total}: {routed.step.title} — {strategy.title()}")
        run = Run(self.run.session, self.editor, routed.action, strategy=strategy.kind,
                  base=self.carried if self.carried.changes else None, checker=self.run.checker)
        run.confirmed = True  # the plan's cost was confirmed as a whole
        run.recorded_as = "plan"
        report = await Driver(run, strategy).drive()
        self.made.extend(report.attempts)
        conclusion = report.conclusion
        if report.outcome == "rejected":
            conclusion = "refused"
        offered = report.change_set is not None and report.offered is not None and report.offered.offered
        if offered and report.change_set is not None:
            accepted = report.outcome in ("applied", "answered") and conclusion == "done"
            if accepted and not report.summary.get("on_disk", False):  # the next step starts from it
                self.carried = compose(self.carried, report.change_set)
            self.combined = compose(self.combined, report.change_set)
        kind = routed.action.routed.decision.category.value
        self.done.append({"step": index + 1, "title": routed.step.title, "kind": kind, "strategy": strategy.kind,
                          "conclusion": conclusion, "outcome": report.outcome,
                          "cost_usd": round(sum(a.cost_usd for a in report.attempts), 6),
                          "message": report.summary.get("message", "")})
        return StepResult(conclusion=STEP_CONCLUSION[conclusion], summary=str(report.summary.get("message", "")))

    def report(self, stopped: PlanStopped, planner: str | None, head: list[Attempt]) -> RunReport:
        """The plan's report: every attempt, the steps' combined change set, what remains."""
        remaining = [f"{self.plan.steps.index(s) + 1}. {s.title}" for s in stopped.remaining]
        last = self.done[-1] if self.done else None
        conclusion: Conclusion = "done"
        if stopped.stopped_at is not None and last is not None:
            conclusion = {"verification_failed": "verification_failed", "refused": "refused"}.get(
                last["conclusion"], "error")  # type: ignore[assignment]
        message = stopped.reason + (f": {'; '.join(remaining)}" if remaining else "")
        if stopped.stopped_at is not None:
            self.editor.tell("warning", f"modelroute: {message}")
        else:
            self.editor.tell("info", f"modelroute: {message}")
        outcome = "applied" if self.done and all(d["outcome"] == "applied" for d in self.done) else (
            last["outcome"] if last is not None and stopped.stopped_at is not None else "answered")
        summary = {"outcome": outcome, "message": message, "strategy": "plan", "steps": self.done,
                   "remaining": remaining}
        return RunReport(strategy="plan", attempts=[*head, *self.made], summary=summary,
                         change_set=self.combined, reason=stopped.reason, fixed=conclusion,
                         check_unavailable=self.run.checker.unavailable if self.run.checker is not None else [],
                         extra={"steps": self.done, "remaining": remaining, "planner": planner})


def _instruction(step: PlanStep) -> str:
    files = f"\n\nFiles: {', '.join(step.files)}" if step.files else ""
    return f"{step.instruction}{files}"


async def run_split(session: RunSession, editor: Editor, action: Action, rates: PassRates,
                    checker: Checker) -> RunReport:
    """An instruction holding several tasks, run as its steps without a planner."""
    split = split_instruction(action.instruction)
    assert split is not None
    steps = tuple(PlanStep(title=title_from(text), instruction=text) for text in split.instructions())
    plan = Plan(task=action.instruction, steps=steps)
    run = Run(session, editor, action, strategy="plan", checker=checker)
    runner = Steps(run, plan, rates)
    listed = "; ".join(f"{i}. {s.title}" for i, s in enumerate(steps, 1))
    editor.tell("info", f"modelroute: the instruction holds {len(steps)} tasks ({split.how}); "
                f"running them one at a time: {listed}")
    return await _run_steps(run, runner, None, [], confirm=True)


async def run_plan(run: Run, strategy: StrategyPlan, rates: PassRates) -> RunReport:
    """The planner writes the steps; the user edits them; they run one at a time."""
    assert strategy.planner is not None
    action = run.action
    plan_run = await run.plan(strategy.planner.name)
    planner = await run.attempt(plan_run, label=f"{plan_run.model.display_name} (planner)", role="plan",
                                notes=[planner_request(action.instruction)])
    head = [planner]
    try:
        if planner.finished or planner.result is None:
            return _stopped(run, head, str(planner.summary.get("message") or "the planner failed"),
                            str(planner.summary.get("outcome", "error")))
        try:
            plan = parse_plan(planner.result.text, action.instruction)
        except PlanError as exc:
            await run.settle(planner, Outcome("rejected", f"no usable plan: {exc}"), error=f"no usable plan: {exc}")
            run.editor.tell("error", f"modelroute: the planner's answer holds no usable plan: {exc}")
            return _stopped(run, head, f"the planner's answer holds no usable plan: {exc}", "error")
        await run.settle(planner, Outcome("answered", f"a plan of {len(plan.steps)} step(s)"))
        runner = Steps(run, plan, rates)
        try:
            routed = await runner.route()
        except StepUnroutable as exc:
            run.editor.tell("error", f"modelroute: {exc}")
            return _stopped(run, head, str(exc), "refused")
        prices = [f"{r.action.routed.decision.category.words}: {r.strategy.title()}" for r in routed]
        key = f"plan|{action.engine.root}|{action.document}|{action.instruction}"
        edited = await run.editor.edit_document(
            Markdown(title=f"Plan: {action.instruction[:60]}", text=render_plan(plan, prices), key=key), "Run the plan")
        if edited is None:
            return _stopped(run, head, "the plan was not run: you cancelled it", "declined")
        try:
            changed = parse_plan_document(edited)
        except PlanError as exc:
            run.editor.tell("error", f"modelroute: the edited plan cannot be read: {exc}")
            return _stopped(run, head, f"the edited plan cannot be read: {exc}", "error")
        runner.plan = changed.model_copy(update={"task": changed.task or plan.task})
        return await _run_steps(run, runner, plan_run.model.id, head, routed=None if changed != plan else routed)
    finally:
        if planner.workspace is not None:
            planner.workspace.close()


async def _run_steps(run: Run, runner: Steps, planner: str | None, head: list[Attempt], *,
                     routed: list[RoutedStep] | None = None, confirm: bool = False) -> RunReport:
    try:
        routed = routed if routed is not None else await runner.route()
    except StepUnroutable as exc:
        run.editor.tell("error", f"modelroute: {exc}")
        return _stopped(run, head, str(exc), "refused")
    why = await runner.refused(routed)
    if why is not None:
        run.editor.tell("error", f"modelroute: {why}")
        return _stopped(run, head, why, "refused_budget")
    expected = sum(r.strategy.expected_cost_usd for r in routed)
    per_request = run.engine.settings.budget.per_request_usd
    if confirm and expected > per_request:
        most = sum(r.strategy.max_cost_usd for r in routed)
        question = (f"{len(routed)} steps: expected {money(expected)}, at most {at_most(most)}, above your "
                    f"per-request limit of ${per_request:.2f}. Run them?")
        if not await run.confirm(question, f"Run ({money(expected)})", "budget"):
            return _stopped(run, head, "not run: the user declined the estimate", "declined")
    _, stopped = await runner.execute(routed)
    return runner.report(stopped, planner, head)


def _stopped(run: Run, head: list[Attempt], message: str, outcome: str) -> RunReport:
    fixed: Conclusion = "refused" if outcome in ("declined", "refused_budget", "refused") else "error"
    return RunReport(strategy="plan", attempts=head, summary={"outcome": outcome, "message": message,
                                                              "strategy": "plan"},
                     reason=message, fixed=fixed)


__all__ = ["RoutedStep", "Steps", "run_plan", "run_split", "splits"]
