"""The cascade rule: the cheapest cascade that includes the reference and beats it by the margin."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelroute.strategy.choose import (
    DEFAULT_RULE,
    CascadeRule,
    best_of_n_attempts,
    cascade_order,
    choose_cascade,
    strongest,
)
from modelroute.strategy.joint import cascade_expectation
from modelroute.strategy.model import Option
from tests.strategy.helpers import option

CHEAP = option("cheap", 0.60, 0.01)
MID = option("mid", 0.66, 0.15)
STRONG = option("strong", 0.75, 0.45)
PRICEY = option("pricey", 0.74, 0.70)
WEAK_PRICEY = option("weak-pricey", 0.40, 0.90)
OPTIONS = [CHEAP, MID, STRONG, PRICEY, WEAK_PRICEY]


def test_the_pick_includes_the_reference_and_runs_cheapest_first() -> None:
    pick = choose_cascade(OPTIONS, STRONG)
    assert pick is not None
    names = [s.name for s in pick.steps]
    assert "strong" in names and names[0] != "strong"
    assert [s.cost_usd for s in pick.steps] == sorted(s.cost_usd for s in pick.steps)
    assert pick.expectation.right >= STRONG.pass_rate + DEFAULT_RULE.margin
    assert pick.expectation.cost_usd < STRONG.cost_usd


def test_a_larger_margin_buys_a_stronger_more_expensive_cascade() -> None:
    low = choose_cascade(OPTIONS, STRONG, CascadeRule(margin=0.0))
    high = choose_cascade(OPTIONS, STRONG, CascadeRule(margin=0.05))
    assert low is not None and high is not None
    assert high.expectation.right >= low.expectation.right
    assert high.expectation.cost_usd >= low.expectation.cost_usd


def test_no_cascade_when_nothing_can_beat_the_reference() -> None:
    assert choose_cascade([STRONG], STRONG) is None
    assert choose_cascade(OPTIONS, STRONG, CascadeRule(margin=0.5)) is None


def test_order_strongest_and_best_of_n() -> None:
    assert [o.name for o in cascade_order(OPTIONS)] == ["cheap", "mid", "strong", "pricey", "weak-pricey"]
    assert strongest(OPTIONS) is STRONG
    assert [o.name for o in best_of_n_attempts(OPTIONS, 3)] == ["strong", "pricey", "mid"]
    with pytest.raises(ValueError):
        strongest([])


def _brute_force(options: list[Option], reference: Option, rule: CascadeRule) -> tuple[str, ...] | None:
    best: tuple[float, float, tuple[str, ...]] | None = None
    others = [o for o in options if o.name != reference.name]
    for size in range(1, rule.max_steps):
        for combo in itertools.combinations(others, size):
            steps = cascade_order((reference, *combo))
            e = cascade_expectation(steps, rule.check, rule.population)
            if e.right >= reference.pass_rate + rule.margin:
                key = (e.cost_usd, -e.right, tuple(s.name for s in steps))
                best = key if best is None or key < best else best
    return best[2] if best else None


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(0.2, 0.9), st.floats(0.001, 1.0)), min_size=2, max_size=7),
       st.floats(-0.02, 0.06))
def test_the_pick_is_the_brute_force_best(specs: list[tuple[float, float]], margin: float) -> None:
    options = [option(f"m{i}", p, c) for i, (p, c) in enumerate(specs)]
    rule = CascadeRule(margin=margin)
    reference = strongest(options)
    pick = choose_cascade(options, reference, rule)
    assert (tuple(s.name for s in pick.steps) if pick else None) == _brute_force(options, reference, rule)
