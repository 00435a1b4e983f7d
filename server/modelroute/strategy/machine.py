"""The decision logic of a strategy as a small state machine: reports in, next step out. Pure.

The runner starts attempts, checks them, and appends an `AttemptReport` per attempt (in the order
the attempts were asked for); `advance(plan, reports)` says what to do next: run one or more
attempts (`RunNext`) or stop with the report whose change set to offer (`Finish`). When the user
rejects an offered result, the runner marks that report `rejected` and calls `advance` again.
The replay (`strategy.replay`) drives the same function with outcomes from a file.

- single / cascade: the attempts run one at a time in plan order. The first attempt that passes its
  check (or, with no check, any result that is not flagged) is offered. A failed check, a flagged
  attempt (tests tampered with), a rejected result, an error or an empty result escalates to the
  next model, which is told what failed (`feedback_from`). When every attempt failed, the last
  usable result is offered as `verification_failed`: the user sees it, marked as failing.
- best-of-n: every attempt runs (in parallel: one `RunNext` with all of them). Candidates are the
  usable, unflagged attempts whose check did not fail. One candidate is offered as is; two or more
  go to the synthesiser, which picks one (`picked`) or merges them into its own result (which is
  checked like any attempt). A failed merge or a synthesiser error falls back to the first
  candidate in plan order (the strongest model). A rejected result moves to the next candidate.
- plan: the planner runs once; its result (the plan) is offered for the user to edit. The steps
  then run one at a time (`strategy.plan.next_step`), each as its own single or cascade.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from modelroute.strategy.model import StrategyPlan, Verified

Role = Literal["attempt", "synthesis", "plan"]
Conclusion = Literal["done", "verification_failed", "rejected", "error"]


class AttemptReport(BaseModel):
    """What one attempt came to, as the runner reports it."""

    model_config = ConfigDict(frozen=True)

    model: str
    role: Role = "attempt"
    verified: Verified = "none"
    flagged: bool = False  # the tamper guard flagged its change set
    rejected: bool = False  # the user rejected this result
    error: str | None = None  # it ended without a result (provider error, cancelled, refused)
    empty: bool = False  # it finished with nothing to offer
    cost_usd: float = Field(0.0, ge=0.0)
    picked: int | None = None  # synthesis: index of the report it picked; None: it merged into its own result

    @property
    def usable(self) -> bool:
        return self.error is None and not self.empty and not self.rejected

    @property
    def acceptable(self) -> bool:
        """Offerable as done: usable, not flagged, and the check (if any) passed."""
        return self.usable and not self.flagged and self.verified != "fail"

    def why_not(self) -> str:
        if self.error is not None:
            return f"failed: {self.error}"
        if self.empty:
            return "produced no change"
        if self.rejected:
            return "was rejected"
        if self.flagged:
            return "changed or skipped tests"
        if self.verified == "fail":
            return "failed its check"
        return "passed"


class NextAttempt(BaseModel):
    model_config = ConfigDict(frozen=True)

    model: str
    role: Role = "attempt"
    feedback_from: int | None = None  # report whose failure the model is told about (strategy.feedback)
    candidates: tuple[int, ...] = ()  # synthesis: the reports it chooses among
    reason: str


class RunNext(BaseModel):
    """Run these attempts now (more than one: in parallel, each on its own copy of the workspace)."""

    model_config = ConfigDict(frozen=True)

    attempts: tuple[NextAttempt, ...]


class Finish(BaseModel):
    """Stop: offer the change set of report `offer` (None: nothing to offer)."""

    model_config = ConfigDict(frozen=True)

    offer: int | None
    conclusion: Conclusion
    reason: str


Step = RunNext | Finish


def advance(plan: StrategyPlan, reports: Sequence[AttemptReport]) -> Step:
    """The next step of `plan`, given the reports so far (in the order the attempts were asked for)."""
    if plan.kind == "best-of-n":
        return _best_of_n(plan, reports)
    if plan.kind == "plan":
        return _plan(plan, reports)
    return _cascade(plan, reports)


def _label(plan: StrategyPlan, model: str) -> str:
    for option in (*plan.attempts, plan.synthesiser, plan.planner):
        if option is not None and option.name == model:
            return option.label
    return model


def _cascade(plan: StrategyPlan, reports: Sequence[AttemptReport]) -> Step:
    if not reports:
        first = plan.attempts[0]
        why = "cheapest adequate model first" if len(plan.attempts) > 1 else "the chosen model"
        return RunNext(attempts=(NextAttempt(model=first.name, reason=why),))
    last_index = len(reports) - 1
    last = reports[last_index]
    label = _label(plan, last.model)
    if last.acceptable:
        how = "passed its check" if last.verified == "pass" else "finished (no check to run)"
        return Finish(offer=last_index, conclusion="done", reason=f"{label} {how}")
    if len(reports) < len(plan.attempts):
        following = plan.attempts[len(reports)]
        told = last_index if last.error is None and not last.empty else None
        return RunNext(attempts=(NextAttempt(
            model=following.name, feedback_from=told,
            reason=f"{label} {last.why_not()}: escalating to {following.label}",
        ),))
    return _fallback(plan, reports, range(last_index, -1, -1), "every attempt")


def _fallback(plan: StrategyPlan, reports: Sequence[AttemptReport], order: Sequence[int], who: str) -> Finish:
    """Nothing acceptable: offer the first usable result in `order`, unflagged ones first."""
    usable = [i for i in order if reports[i].usable]
    pick = next((i for i in usable if not reports[i].flagged), usable[0] if usable else None)
    if pick is not None:
        why = reports[pick].why_not()
        return Finish(offer=pick, conclusion="verification_failed",
                      reason=f"{who} failed; offering {_label(plan, reports[pick].model)}'s result, which {why}")
    if any(r.rejected for r in reports):
        return Finish(offer=None, conclusion="rejected", reason=f"{who} was rejected or failed")
    return Finish(offer=None, conclusion="error", reason=f"{who} ended without a result")


def _best_of_n(plan: StrategyPlan, reports: Sequence[AttemptReport]) -> Step:
    attempt_indices = [i for i, r in enumerate(reports) if r.role == "attempt"]
    if len(attempt_indices) < len(plan.attempts):
        total = len(plan.attempts)
        return RunNext(attempts=tuple(
            NextAttempt(model=o.name, reason=f"independent attempt {k + 1} of {total}")
            for k, o in enumerate(plan.attempts) if k >= len(attempt_indices)
        ))
    candidates = [i for i in attempt_indices if reports[i].acceptable or _was_candidate(reports[i])]
    synthesis = next((i for i, r in enumerate(reports) if r.role == "synthesis"), None)
    if synthesis is None and len(candidates) >= 2 and plan.synthesiser is not None:
        labels = ", ".join(_label(plan, reports[i].model) for i in candidates)
        return RunNext(attempts=(NextAttempt(
            model=plan.synthesiser.name, role="synthesis", candidates=tuple(candidates),
            reason=f"{len(candidates)} candidates passed ({labels}): the synthesiser picks or merges",
        ),))
    order = _preference(reports, candidates, synthesis)
    offer = next((i for i in order if reports[i].acceptable), None)
    if offer is not None:
        return Finish(offer=offer, conclusion="done",
                      reason=_best_reason(plan, reports, offer, synthesis, candidates))
    if candidates:  # every candidate was rejected
        return Finish(offer=None, conclusion="rejected", reason="every verified candidate was rejected")
    return _fallback(plan, reports, attempt_indices, "every attempt")


def _was_candidate(report: AttemptReport) -> bool:
    """A candidate the user has since rejected still counts for the synthesiser's choice."""
    return report.rejected and report.error is None and not report.empty and not report.flagged and (
        report.verified != "fail"
    )


def _preference(reports: Sequence[AttemptReport], candidates: list[int], synthesis: int | None) -> list[int]:
    """Candidates in the order to offer them: the synthesiser's pick (or merge) first, then plan order."""
    if synthesis is None:
        return candidates
    synth = reports[synthesis]
    first: list[int] = []
    if synth.usable and synth.picked is None:
        first = [synthesis]  # a merge: offered only if it passed its own check (acceptable)
    elif synth.usable and synth.picked in candidates:
        first = [candidates[candidates.index(synth.picked)]]
    return first + [i for i in candidates if i not in first]


def _best_reason(
    plan: StrategyPlan, reports: Sequence[AttemptReport], offer: int, synthesis: int | None, candidates: list[int]
) -> str:
    label = _label(plan, reports[offer].model)
    if synthesis is None:
        if len(candidates) == 1:
            return f"{label}'s result is the only candidate that passed"
        return f"{label}'s result passed (no synthesiser; the first candidate in plan order)"
    synth = reports[synthesis]
    if offer == synthesis:
        return "the synthesiser merged the candidates and the merge passed its check"
    if synth.picked == offer:
        return f"the synthesiser picked {label}'s result"
    if synth.rejected or (synth.picked is not None and reports[synth.picked].rejected):
        return f"you rejected the synthesiser's choice; offering {label}'s result"
    why = "its merge failed its check" if synth.usable and synth.picked is None else synth.why_not()
    if synth.usable and synth.picked is not None:
        why = "it picked a result that was not a candidate"
    return f"offering {label}'s result: the synthesiser's answer could not be used ({why})"


def _plan(plan: StrategyPlan, reports: Sequence[AttemptReport]) -> Step:
    planner = plan.planner
    if planner is None:
        raise ValueError("a plan strategy needs a planner")
    if not reports:
        return RunNext(attempts=(NextAttempt(model=planner.name, role="plan", reason="the planner writes the steps"),))
    report = reports[0]
    if report.usable:
        return Finish(offer=0, conclusion="done", reason="the plan is ready to review and edit before any step runs")
    return Finish(offer=None, conclusion="rejected" if report.rejected else "error",
                  reason=f"the planner {report.why_not()}")


__all__ = ["AttemptReport", "Conclusion", "Finish", "NextAttempt", "Role", "RunNext", "Step", "advance"]
