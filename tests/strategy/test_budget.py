"""A strategy whose maximum exceeds a cap is refused before any call, with what would fit."""

from __future__ import annotations

from modelroute.strategy.budget import Cap, cascade_prefix, refusal
from modelroute.strategy.model import Option, StrategyPlan

M25 = Option(name="minimax-m2.5", label="M2.5", pass_rate=0.72, cost_usd=0.01, max_cost_usd=0.03)
SONNET = Option(name="sonnet", label="Sonnet 4.6", pass_rate=0.78, cost_usd=0.08, max_cost_usd=0.12)
OPUS = Option(name="opus", label="Opus 4.6", pass_rate=0.8, cost_usd=0.2, max_cost_usd=0.4)
CASCADE = StrategyPlan(kind="cascade", attempts=(M25, SONNET, OPUS), expected_cost_usd=0.06, max_cost_usd=0.55)
SINGLE = StrategyPlan(kind="single", attempts=(M25,), expected_cost_usd=0.01, max_cost_usd=0.03)
BEST = StrategyPlan(kind="best-of-n", attempts=(OPUS, SONNET, M25), synthesiser=OPUS, expected_cost_usd=0.4,
                    max_cost_usd=0.9)


def test_a_strategy_within_every_cap_runs() -> None:
    caps = [Cap(name="today's budget", left_usd=1.0), Cap(name="this month's budget", left_usd=9)]
    assert refusal(CASCADE, caps) is None


def test_over_a_cap_it_is_refused_with_the_prefix_and_the_offers_that_fit() -> None:
    caps = [Cap(name="today's budget", left_usd=0.2), Cap(name="this month's budget", left_usd=5.0)]
    text = refusal(CASCADE, caps, offers=[CASCADE, SINGLE, BEST])
    assert text is not None
    assert text.startswith("Not run: Cascade M2.5 -> Sonnet 4.6 -> Opus 4.6 · ~$0.06, at most $0.55 could cost up to "
                           "$0.55, more than the $0.20 left of today's budget. Nothing was sent to any model.")
    assert "Would fit: Cascade M2.5 -> Sonnet 4.6 · ~$0.06, at most $0.15; M2.5 · ~$0.01, at most $0.03." in text
    assert "Best of" not in text


def test_nothing_fits() -> None:
    text = refusal(BEST, [Cap(name="today's budget", left_usd=-0.5)], offers=[BEST])
    assert text is not None and "more than the $0 left" in text and "No offered strategy fits" in text


def test_a_cascade_prefix_needs_two_steps() -> None:
    assert cascade_prefix(CASCADE, 0.02) is None
    assert cascade_prefix(SINGLE, 1.0) is None
    prefix = cascade_prefix(CASCADE, 0.15)
    assert prefix is not None and [a.label for a in prefix.attempts] == ["M2.5", "Sonnet 4.6"]
