"""Replay public per-task outcomes through the strategy state machine, exactly. Pure.

The outcomes format (shared/outcomes/README.md): tasks, each with a `half` (tune or report) and,
per model, whether the model resolved it and what it cost. A strategy is replayed by driving
`machine.advance` as the runner does: every attempt's result and cost come from the file, and
the check's verdict is not drawn at random but branched on (a right result passes with
1 - false_fail, a wrong one with false_pass), so the figures are exact expectations and
deterministic. A synthesiser's pick is branched on the same way (`joint.judged_right`); its cost
is one average call of the synthesiser's model on that task (the file's cost / api_calls).

"Resolved" means the change set the strategy finally offers resolves the task, whether or not its
check passed (a strategy whose every attempt failed offers the last one, marked as failing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from modelroute.strategy.machine import AttemptReport, Finish, NextAttempt, advance
from modelroute.strategy.model import CheckRates, Option, StrategyPlan, Verified

Half = Literal["tune", "report"]


class ModelRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    resolved: bool
    cost_usd: float = Field(ge=0.0)
    api_calls: int = Field(0, ge=0)


class TaskOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    half: Half
    runs: dict[str, ModelRun]
    kind: str | None = None  # optional: a task category; the SWE-bench file has none


class OutcomeFile(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: str
    unit: str = ""
    split: str = ""
    models: tuple[str, ...]
    tasks: dict[str, TaskOutcome]

    def half(self, half: Half) -> list[TaskOutcome]:
        return [self.tasks[name] for name in sorted(self.tasks) if self.tasks[name].half == half]


class Tally(BaseModel):
    """Expected totals of a strategy over a set of tasks."""

    model_config = ConfigDict(frozen=True)

    tasks: int
    resolved: float  # expected number of tasks whose offered result resolves them
    verified: float  # expected number offered as having passed the check
    cost_usd: float  # expected total cost
    attempts: float  # expected number of model calls (attempts and syntheses)

    @property
    def rate(self) -> float:
        return self.resolved / self.tasks if self.tasks else 0.0


def options_from(tasks: Sequence[TaskOutcome], models: Iterable[str]) -> list[Option]:
    """Each model as the chooser sees it, learned from `tasks`: its resolve rate and mean cost
    (the highest cost seen is its maximum)."""
    options = []
    for name in models:
        runs = [t.runs[name] for t in tasks if name in t.runs]
        if not runs:
            continue
        costs = [r.cost_usd for r in runs]
        options.append(Option(
            name=name, label=name, pass_rate=sum(r.resolved for r in runs) / len(runs),
            cost_usd=sum(costs) / len(costs), max_cost_usd=max(costs),
            evidence=f"resolved {sum(r.resolved for r in runs)} of {len(runs)} tune tasks",
        ))
    return options


def _verdicts(run: ModelRun, check: CheckRates) -> list[tuple[Verified, float]]:
    passed = (1.0 - check.false_fail) if run.resolved else check.false_pass
    both: list[tuple[Verified, float]] = [("pass", passed), ("fail", 1.0 - passed)]
    return [(verdict, w) for verdict, w in both if w > 0.0]


class _Leaf(NamedTuple):
    weight: float
    resolved: bool
    verified: bool
    cost_usd: float
    calls: int


def _walk(
    plan: StrategyPlan, task: TaskOutcome, check: CheckRates, judge_accuracy: float,
    reports: tuple[AttemptReport, ...], truth: tuple[bool, ...], weight: float,
) -> Iterable[_Leaf]:
    step = advance(plan, reports)
    if isinstance(step, Finish):
        offered = step.offer
        yield _Leaf(
            weight=weight,
            resolved=offered is not None and truth[offered],
            verified=offered is not None and reports[offered].verified == "pass",
            cost_usd=sum(r.cost_usd for r in reports),
            calls=sum(1 for r in reports if r.error is None),
        )
        return
    for outcome, outcome_truth, w in _outcomes(step.attempts, task, check, judge_accuracy, reports, truth):
        yield from _walk(plan, task, check, judge_accuracy, reports + outcome, truth + outcome_truth, weight * w)


def _outcomes(
    attempts: Sequence[NextAttempt], task: TaskOutcome, check: CheckRates, judge_accuracy: float,
    reports: tuple[AttemptReport, ...], truth: tuple[bool, ...],
) -> list[tuple[tuple[AttemptReport, ...], tuple[bool, ...], float]]:
    """Every joint outcome of attempts started together, with its probability."""
    joint: list[tuple[tuple[AttemptReport, ...], tuple[bool, ...], float]] = [((), (), 1.0)]
    for attempt in attempts:
        single = _one(attempt, task, check, judge_accuracy, reports, truth)
        joint = [((*r, rep), (*t, tr), w * v) for r, t, w in joint for rep, tr, v in single]
    return joint


def _one(
    attempt: NextAttempt, task: TaskOutcome, check: CheckRates, judge_accuracy: float,
    reports: tuple[AttemptReport, ...], truth: tuple[bool, ...],
) -> list[tuple[AttemptReport, bool, float]]:
    run = task.runs.get(attempt.model)
    if run is None:
        return [(AttemptReport(model=attempt.model, role=attempt.role, error="no result in the file"), False, 1.0)]
    if attempt.role == "synthesis":
        call = run.cost_usd / max(run.api_calls, 1)
        right = [truth[i] for i in attempt.candidates]
        n_right = sum(right)
        out = []
        for i, is_right in zip(attempt.candidates, right, strict=True):
            # as joint.judged_right: it recognises a right candidate with judge_accuracy, else picks at random
            recognised = (float(is_right) / n_right) if n_right else 1.0 / len(right)
            chance = judge_accuracy * recognised + (1.0 - judge_accuracy) / len(right)
            if chance > 0.0:
                report = AttemptReport(model=attempt.model, role="synthesis", verified=reports[i].verified,
                                       cost_usd=call, picked=i)
                out.append((report, is_right, chance))
        return out
    return [
        (AttemptReport(model=attempt.model, verified=verdict, cost_usd=run.cost_usd), run.resolved, w)
        for verdict, w in _verdicts(run, check)
    ]


def replay_task(plan: StrategyPlan, task: TaskOutcome, check: CheckRates, judge_accuracy: float) -> Tally:
    leaves = list(_walk(plan, task, check, judge_accuracy, (), (), 1.0))
    return Tally(
        tasks=1,
        resolved=sum(leaf.weight * leaf.resolved for leaf in leaves),
        verified=sum(leaf.weight * leaf.verified for leaf in leaves),
        cost_usd=sum(leaf.weight * leaf.cost_usd for leaf in leaves),
        attempts=sum(leaf.weight * leaf.calls for leaf in leaves),
    )


def replay(plan: StrategyPlan, tasks: Sequence[TaskOutcome], check: CheckRates, judge_accuracy: float) -> Tally:
    """Expected totals of `plan` over `tasks` (exact: every branch of every check is weighed)."""
    return total(replay_task(plan, task, check, judge_accuracy) for task in tasks)


def total(tallies: Iterable[Tally]) -> Tally:
    items = list(tallies)
    return Tally(
        tasks=sum(t.tasks for t in items),
        resolved=sum(t.resolved for t in items),
        verified=sum(t.verified for t in items),
        cost_usd=sum(t.cost_usd for t in items),
        attempts=sum(t.attempts for t in items),
    )


def oracle(tasks: Sequence[TaskOutcome]) -> Tally:
    """Knowing in advance the cheapest model that resolves each task (the cheapest attempt when none does)."""
    resolved = 0
    cost = 0.0
    for task in tasks:
        solving = [r.cost_usd for r in task.runs.values() if r.resolved]
        resolved += bool(solving)
        cost += min(solving) if solving else min((r.cost_usd for r in task.runs.values()), default=0.0)
    return Tally(tasks=len(tasks), resolved=resolved, verified=resolved, cost_usd=cost, attempts=len(tasks))


def by_kind(tasks: Sequence[TaskOutcome]) -> Mapping[str, list[TaskOutcome]]:
    groups: dict[str, list[TaskOutcome]] = {}
    for task in tasks:
        groups.setdefault(task.kind or "all", []).append(task)
    return groups


__all__ = [
    "ModelRun",
    "OutcomeFile",
    "Tally",
    "TaskOutcome",
    "by_kind",
    "options_from",
    "oracle",
    "replay",
    "replay_task",
    "total",
]
