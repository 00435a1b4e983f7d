"""How a run is made, priced: the four strategies (DESIGN 2.2b) as plain data. No I/O.

A strategy is a list of attempts and a rule for what to offer. `single` runs one model. `cascade`
runs the cheapest adequate model first and the next one only when the check fails (or the result
is flagged or rejected). `best-of-n` runs several models on their own copies of the workspace and
a synthesiser picks or merges the verified ones. `plan` has a strong model write steps that are
then routed and run one at a time.

`Option` is a model as the chooser sees it: a name, a chance that its attempt is right, and what
an attempt costs. The product fills it from the catalog, the routing decision and the ledger; the
replay (bench/bench_outcomes.py) fills it from a file of public per-task results. Both hand it to
the same functions.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from modelroute.route.format import money

StrategyKind = Literal["single", "cascade", "best-of-n", "plan"]
STRATEGY_KINDS: tuple[StrategyKind, ...] = ("single", "cascade", "best-of-n", "plan")
# A check's verdict on an attempt: its command exited 0, did not, or there was no check.
Verified = Literal["pass", "fail", "none"]


class CheckRates(BaseModel):
    """How far the check (the workspace's tests) can be trusted. A test suite passes some wrong
    results (it does not cover the change) and fails some right ones (flaky or unrelated tests)."""

    model_config = ConfigDict(frozen=True)

    false_pass: float = Field(0.2, ge=0.0, le=1.0, description="chance a wrong result passes")
    false_fail: float = Field(0.1, ge=0.0, le=1.0, description="chance a right result fails")

    @model_validator(mode="after")
    def _informative(self) -> CheckRates:
        if self.false_pass + self.false_fail >= 1.0:
            raise ValueError("a check that passes wrong results as often as right ones says nothing")
        return self

    def passes(self, right: float) -> float:
        """The chance an attempt passes the check, when it is right with probability `right`."""
        return right * (1.0 - self.false_fail) + (1.0 - right) * self.false_pass


PERFECT_CHECK = CheckRates(false_pass=0.0, false_fail=0.0)


class Option(BaseModel):
    """One model the chooser may use for this action."""

    model_config = ConfigDict(frozen=True)

    name: str  # catalog id (or the outcome file's own model name)
    label: str  # short name for titles: "Opus 4.6"
    pass_rate: float = Field(ge=0.0, le=1.0)  # chance an attempt of this kind is right
    cost_usd: float = Field(ge=0.0)  # expected cost of one attempt
    max_cost_usd: float = Field(ge=0.0)  # the high end of the attempt's estimate
    evidence: str = ""  # why we believe the pass rate, for the reasons

    @model_validator(mode="after")
    def _max_covers_expected(self) -> Option:
        if self.max_cost_usd < self.cost_usd:
            raise ValueError(f"max_cost_usd {self.max_cost_usd} is below the expected cost {self.cost_usd}")
        return self


class StrategyPlan(BaseModel):
    """A priced way to run the action, as an editor offers it."""

    model_config = ConfigDict(frozen=True)

    kind: StrategyKind
    attempts: tuple[Option, ...] = ()  # in the order they run (cascade: cheapest first; best-of-n: strongest first)
    synthesiser: Option | None = None  # best-of-n: picks or merges the verified candidates
    planner: Option | None = None  # plan: writes the steps
    expected_cost_usd: float = Field(ge=0.0)
    max_cost_usd: float = Field(ge=0.0)  # what the ledger reserves: every attempt runs at its high estimate
    expected_pass: float | None = Field(None, ge=0.0, le=1.0)  # chance the offered result is right
    reasons: tuple[str, ...] = ()
    note: str = ""  # a short qualifier for the title, e.g. "steps priced in the plan"

    @model_validator(mode="after")
    def _shape(self) -> StrategyPlan:
        if self.kind == "plan":
            if self.planner is None:
                raise ValueError("a plan strategy needs a planner")
        elif not self.attempts:
            raise ValueError(f"a {self.kind} strategy needs at least one attempt")
        if self.kind == "single" and len(self.attempts) != 1:
            raise ValueError("a single strategy runs exactly one attempt")
        if self.max_cost_usd < self.expected_cost_usd:
            raise ValueError("the maximum cost is below the expected cost")
        return self

    @property
    def models(self) -> tuple[str, ...]:
        """Every model the strategy may call, in the order it may call them."""
        first = (self.planner,) if self.planner is not None else ()
        last = (self.synthesiser,) if self.synthesiser is not None else ()
        return tuple(o.name for o in (*first, *self.attempts, *last))

    def title(self) -> str:
        """"Cascade MiniMax M2.5 -> Opus 4.6 · ~$0.09, at most $0.31"."""
        labels = [o.label for o in self.attempts]
        if self.kind == "cascade":
            head = "Cascade " + " -> ".join(labels)
        elif self.kind == "best-of-n":
            synth = f", {self.synthesiser.label} picks" if self.synthesiser else ""
            head = f"Best of {len(labels)} ({', '.join(labels)}{synth})"
        elif self.planner is not None:
            head = f"Plan with {self.planner.label}, then step by step"
        else:
            head = labels[0]
        cost = f"{money(self.expected_cost_usd)}, at most {at_most(self.max_cost_usd)}"
        return f"{head} · {cost}" + (f" ({self.note})" if self.note else "")


class StrategyChoice(BaseModel):
    """The default strategy for an action and every priced strategy the editor offers (default first)."""

    model_config = ConfigDict(frozen=True)

    default: StrategyPlan
    offers: tuple[StrategyPlan, ...]
    notes: tuple[str, ...] = ()  # why a strategy is not offered (no check found, one model available)

    def offer(self, kind: StrategyKind) -> StrategyPlan | None:
        return next((p for p in self.offers if p.kind == kind), None)


def at_most(usd: float) -> str:
    """A bound, not an estimate: `$0.31` without the `~`."""
    return money(usd).removeprefix("~")


__all__ = [
    "PERFECT_CHECK",
    "STRATEGY_KINDS",
    "CheckRates",
    "Option",
    "StrategyChoice",
    "StrategyKind",
    "StrategyPlan",
    "Verified",
    "at_most",
]
