"""Builders shared by the strategy tests."""

from __future__ import annotations

from modelroute.strategy.model import Option, StrategyKind, StrategyPlan


def option(name: str, pass_rate: float, cost: float, high: float | None = None) -> Option:
    return Option(name=name, label=name.upper(), pass_rate=pass_rate, cost_usd=cost,
                  max_cost_usd=cost * 2 if high is None else high, evidence=f"{name} evidence")


def plan(kind: StrategyKind, *options: Option, synthesiser: Option | None = None,
         planner: Option | None = None) -> StrategyPlan:
    return StrategyPlan(kind=kind, attempts=options, synthesiser=synthesiser, planner=planner,
                        expected_cost_usd=0.0, max_cost_usd=0.0)
