"""Fitting the joint model recovers the population that generated the outcomes."""

from __future__ import annotations

import math
import random

import pytest

from modelroute.strategy.fit import fit_cost_elasticity, fit_population, fit_spread, log_likelihood
from modelroute.strategy.replay import ModelRun, TaskOutcome

MODELS = [f"m{i}" for i in range(10)]
ABILITIES = [-1.0, -0.5, 0.0, 0.3, 0.6, 0.9, 1.2, 1.6, 2.0, 2.5]


def synthetic(spread: float, elasticity: float, tasks: int = 400, seed: int = 7) -> list[TaskOutcome]:
    rng = random.Random(seed)
    out = []
    for _ in range(tasks):
        d = rng.gauss(0.0, 1.0)
        runs = {}
        for name, a in zip(MODELS, ABILITIES, strict=True):
            solved = rng.random() < 1.0 / (1.0 + math.exp(-(a - spread * d)))
            cost = 0.1 * math.exp(elasticity * d + rng.gauss(0.0, 0.3))
            runs[name] = ModelRun(resolved=solved, cost_usd=cost, api_calls=5)
        out.append(TaskOutcome(half="tune", runs=runs))
    return out


def test_the_spread_and_the_cost_elasticity_are_recovered() -> None:
    tasks = synthetic(spread=2.0, elasticity=0.5)
    spread = fit_spread(tasks, MODELS)
    assert spread == pytest.approx(2.0, abs=0.35)
    assert fit_cost_elasticity(tasks, MODELS, spread) == pytest.approx(0.5, abs=0.15)


def test_independent_models_fit_a_small_spread() -> None:
    assert fit_spread(synthetic(spread=0.0, elasticity=0.0), MODELS) < 0.5


def test_the_fit_is_the_likelihood_maximum() -> None:
    tasks = synthetic(spread=1.5, elasticity=0.0, tasks=300)
    population = fit_population(tasks, MODELS, "synthetic")
    best = log_likelihood(tasks, MODELS, population.spread)
    assert all(best >= log_likelihood(tasks, MODELS, s) for s in (0.5, 1.0, 2.5, 4.0))
    assert population.source == "synthetic"
