"""Budgets per strategy: a strategy whose maximum does not fit is refused before any call. Pure.

The ledger reserves a strategy's maximum (every attempt at its high estimate) and settles each
attempt as it ends. Before anything runs, `refusal` compares that maximum with what is left under
each cap and, when it does not fit, says so with what would: the other offers that fit, and for a
cascade the longest first part of it that fits (its cheaper steps without the last ones).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from modelroute.strategy.model import StrategyPlan, at_most


class Cap(BaseModel):
    """What is left under one limit, e.g. ("today's budget", 0.42)."""

    model_config = ConfigDict(frozen=True)

    name: str
    left_usd: float


def cascade_prefix(plan: StrategyPlan, left_usd: float) -> StrategyPlan | None:
    """The cascade without its last steps, as long as it fits; None when not even two steps fit."""
    if plan.kind != "cascade":
        return None
    for size in range(len(plan.attempts) - 1, 1, -1):
        steps = plan.attempts[:size]
        maximum = sum(s.max_cost_usd for s in steps)
        if maximum <= left_usd:
            expected = min(plan.expected_cost_usd, maximum)
            dropped = ", ".join(s.label for s in plan.attempts[size:])
            return plan.model_copy(update={
                "attempts": steps, "max_cost_usd": maximum, "expected_cost_usd": expected, "expected_pass": None,
                "reasons": (f"The cascade without {dropped}, to fit the budget",),
            })
    return None


def _exceeded(what: str, maximum: float, caps: Sequence[Cap], *, together: bool = False) -> str | None:
    """Why `maximum` does not fit the tightest cap it exceeds (None: it fits every cap)."""
    over = [c for c in caps if maximum > c.left_usd]
    if not over:
        return None
    cap = min(over, key=lambda c: c.left_usd)
    return (f"Not run: {what} could cost up to {at_most(maximum)}{' together' if together else ''}, more than "
            f"the {at_most(max(cap.left_usd, 0.0))} left of {cap.name}. Nothing was sent to any model.")


def refusal(plan: StrategyPlan, caps: Sequence[Cap], offers: Sequence[StrategyPlan] = ()) -> str | None:
    """None when `plan`'s maximum fits every cap; otherwise why not, and what would fit."""
    exceeded = _exceeded(plan.title(), plan.max_cost_usd, caps)
    if exceeded is None:
        return None
    text = exceeded
    limit = min(c.left_usd for c in caps)
    fits = [o for o in offers if o.max_cost_usd <= limit and o != plan]
    prefix = cascade_prefix(plan, limit)
    if prefix is not None:
        fits.insert(0, prefix)
    if fits:
        text += " Would fit: " + "; ".join(o.title() for o in fits) + "."
    else:
        text += " No offered strategy fits; raise the budget or pick a cheaper model."
    return text


def steps_refusal(steps: Sequence[StrategyPlan], caps: Sequence[Cap]) -> str | None:
    """None when the steps of a plan (each its own strategy, run one after another) fit every cap
    together at their maximum; otherwise why not, and how many of the first steps would fit."""
    total = sum(s.max_cost_usd for s in steps)
    text = _exceeded(f"the {len(steps)} steps", total, caps, together=True)
    if text is None:
        return None
    left = max(min(c.left_usd for c in caps), 0.0)
    running, fits = 0.0, 0
    for step in steps:
        if running + step.max_cost_usd > left:
            break
        running += step.max_cost_usd
        fits += 1
    if fits:
        text += f" Would fit: the first {fits} step(s), at most {at_most(running)}; remove the others from the plan."
    else:
        text += " Not even the first step fits; raise the budget or pick cheaper models."
    return text


__all__ = ["Cap", "cascade_prefix", "refusal", "steps_refusal"]
