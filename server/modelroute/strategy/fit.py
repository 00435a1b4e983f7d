"""Fit the joint model's two numbers (`joint.Population`) to per-task outcomes. Pure.

- spread: maximum likelihood of the whole tasks x models matrix of resolved/unresolved, each
  model's ability matched to its own resolve rate (golden-section search over the spread);
- cost_elasticity: the least-squares slope of log cost (relative to the model's own typical cost)
  on each task's posterior mean difficulty, pooled over models.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from modelroute.strategy.joint import GRID, GRID_POINTS, Population, pass_curve
from modelroute.strategy.replay import TaskOutcome

SPREAD_BOUNDS = (0.0, 8.0)
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0
_TINY = 1e-300


def _rates(tasks: Sequence[TaskOutcome], models: Sequence[str]) -> dict[str, float]:
    rates = {}
    for name in models:
        runs = [t.runs[name].resolved for t in tasks if name in t.runs]
        if runs:
            rates[name] = sum(runs) / len(runs)
    return rates


def _task_likelihoods(task: TaskOutcome, curves: dict[str, tuple[float, ...]]) -> list[float]:
    """P(this task's outcomes | d) at each grid point."""
    values = [1.0] * GRID_POINTS
    for name, curve in curves.items():
        run = task.runs.get(name)
        if run is None:
            continue
        for g in range(GRID_POINTS):
            values[g] *= curve[g] if run.resolved else 1.0 - curve[g]
    return values


def log_likelihood(tasks: Sequence[TaskOutcome], models: Sequence[str], spread: float) -> float:
    rates = _rates(tasks, models)
    curves = {name: pass_curve(rate, spread) for name, rate in rates.items()}
    return sum(math.log(max(sum(_task_likelihoods(t, curves)) / GRID_POINTS, _TINY)) for t in tasks)


def fit_spread(tasks: Sequence[TaskOutcome], models: Sequence[str], tolerance: float = 0.01) -> float:
    low, high = SPREAD_BOUNDS
    a = high - _GOLDEN * (high - low)
    b = low + _GOLDEN * (high - low)
    fa, fb = log_likelihood(tasks, models, a), log_likelihood(tasks, models, b)
    while high - low > tolerance:
        if fa > fb:
            high, b, fb = b, a, fa
            a = high - _GOLDEN * (high - low)
            fa = log_likelihood(tasks, models, a)
        else:
            low, a, fa = a, b, fb
            b = low + _GOLDEN * (high - low)
            fb = log_likelihood(tasks, models, b)
    return (low + high) / 2.0


def posterior_difficulty(tasks: Sequence[TaskOutcome], models: Sequence[str], spread: float) -> list[float]:
    """E[d | the task's outcomes] for each task."""
    rates = _rates(tasks, models)
    curves = {name: pass_curve(rate, spread) for name, rate in rates.items()}
    means = []
    for task in tasks:
        weights = _task_likelihoods(task, curves)
        mass = sum(weights)
        means.append(sum(w * d for w, d in zip(weights, GRID, strict=True)) / mass if mass > 0 else 0.0)
    return means


def fit_cost_elasticity(tasks: Sequence[TaskOutcome], models: Sequence[str], spread: float) -> float:
    difficulty = posterior_difficulty(tasks, models, spread)
    xs: list[float] = []
    ys: list[float] = []
    for name in models:
        pairs = [(d, t.runs[name].cost_usd) for d, t in zip(difficulty, tasks, strict=True)
                 if name in t.runs and t.runs[name].cost_usd > 0]
        if len(pairs) < 2:
            continue
        typical = sum(math.log(c) for _, c in pairs) / len(pairs)
        xs += [d for d, _ in pairs]
        ys += [math.log(c) - typical for _, c in pairs]
    mean_x = sum(xs) / len(xs) if xs else 0.0
    mean_y = sum(ys) / len(ys) if ys else 0.0
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx <= 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx


def fit_population(tasks: Sequence[TaskOutcome], models: Sequence[str], source: str) -> Population:
    spread = fit_spread(tasks, models)
    return Population(spread=spread, cost_elasticity=fit_cost_elasticity(tasks, models, spread), source=source)


__all__ = ["fit_cost_elasticity", "fit_population", "fit_spread", "log_likelihood", "posterior_difficulty"]
