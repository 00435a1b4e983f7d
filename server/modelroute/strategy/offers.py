"""From a routing decision to the priced strategies an editor offers, and the default. Pure.

Options are the decision's eligible, available candidates, each with its pass rate for the kind
(`PassRates`: the catalog's strength, corrected by the ledger) and its cost estimate. The single
run uses the routed model. A cascade is offered when there is a check to escalate on; it is picked
by `choose.choose_cascade` against the routed model, and becomes the default when it is expected to
cost less than the routed model alone (it is at least as likely to be right by construction). Under
the `quality` objective the cascade must contain and beat the strongest model set up.
Best-of-n runs the three strongest models and lets the strongest pick; plan has the strongest write
the steps. Answers (explain, review) have nothing to check or merge: they are single runs only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from modelroute.categories import Category
from modelroute.cost.estimate import EXPECTED_TURNS
from modelroute.policy.schema import Objective
from modelroute.route.format import money
from modelroute.route.model import Candidate, Decision
from modelroute.strategy.calibration import PassRates
from modelroute.strategy.choose import (
    DEFAULT_RULE,
    JUDGE_ACCURACY,
    CascadePick,
    CascadeRule,
    best_of_n,
    best_of_n_attempts,
    choose_cascade,
    strongest,
)
from modelroute.strategy.joint import cascade_expectation
from modelroute.strategy.model import Option, StrategyChoice, StrategyKind, StrategyPlan, at_most

BEST_OF_N = 3
PLAN_KINDS = frozenset({Category.MULTI_FILE_REFACTOR, Category.UI_GREENFIELD, Category.SHELL_AUTOMATION})
PLAN_OUTPUT_TOKENS = (1_500, 4_000)  # a plan of a few steps: expected, high
SYNTH_OUTPUT_SHARE = 0.5  # a pick is short; a merge rewrites part of one candidate


def options_for(decision: Decision, rates: PassRates, names: Mapping[str, str] | None = None) -> list[Option]:
    """The decision's eligible candidates whose provider is set up, as the chooser sees them."""
    names = names or {}
    out = []
    for c in decision.candidates:
        if c.eligible and c.available:
            out.append(_option(c, decision.category, rates, names))
    return out


def option_for(
    decision: Decision, rates: PassRates, model: str, names: Mapping[str, str] | None = None
) -> Option | None:
    """`model` as the chooser sees it for this decision (None: not a candidate for this action)."""
    found = next((c for c in decision.candidates if c.model == model), None)
    return _option(found, decision.category, rates, names or {}) if found is not None else None


def _option(c: Candidate, category: Category, rates: PassRates, names: Mapping[str, str]) -> Option:
    estimate = rates.estimate(c.model, category, c.quality)
    return Option(
        name=c.model, label=names.get(c.model, c.display_name), pass_rate=estimate.rate,
        cost_usd=c.cost.usd, max_cost_usd=c.cost.high_usd, evidence=estimate.evidence(),
    )


def propose(
    decision: Decision,
    rates: PassRates,
    *,
    objective: Objective,
    verify_command: str | None,
    rule: CascadeRule = DEFAULT_RULE,
    names: Mapping[str, str] | None = None,
    judge_accuracy: float = JUDGE_ACCURACY,
) -> StrategyChoice:
    """The default strategy and the priced offers for a routed action. `verify_command` is the check
    (configured or detected); None means there is nothing to escalate on. Under the `quality`
    objective a cascade must beat the strongest model set up (not just the routed one), and include it."""
    names = names or {}
    chosen = decision.candidates[0]
    single_option = _option(chosen, decision.category, rates, names)
    single = _single(single_option)
    if not decision.category.edits_code:
        return StrategyChoice(default=single, offers=(single,))
    options = options_for(decision, rates, names)
    notes: list[str] = []
    offers = [single]
    reference = single_option
    if objective == "quality" and options and strongest(options).pass_rate > single_option.pass_rate:
        reference = strongest(options)
    cascade = _cascade(options, reference, rule, verify_command, notes)
    if cascade is not None:
        offers.append(cascade)
    by_id = {c.model: c for c in decision.candidates}
    if len(options) >= 2:
        offers.append(_best_of_n(options, by_id, decision.category, rule, verify_command, judge_accuracy))
    else:
        notes.append("Best of N and cascades need two models whose providers are set up")
    if decision.category in PLAN_KINDS and options:
        offers.append(_plan(options, by_id, decision.category))
    default = cascade if cascade is not None and cascade.expected_cost_usd < single.expected_cost_usd else single
    ordered = (default, *(o for o in offers if o is not default))
    return StrategyChoice(default=default, offers=ordered, notes=tuple(notes))


def _single(option: Option) -> StrategyPlan:
    return StrategyPlan(
        kind="single", attempts=(option,), expected_cost_usd=option.cost_usd, max_cost_usd=option.max_cost_usd,
        expected_pass=option.pass_rate, reasons=(f"{option.label}: {option.evidence}",),
    )


def _cascade(
    options: Sequence[Option], reference: Option, rule: CascadeRule, verify_command: str | None, notes: list[str]
) -> StrategyPlan | None:
    if verify_command is None:
        notes.append("No check found: set [verify] command (or add a test command) to offer cascades")
        return None
    if len(options) < 2:
        return None
    if all(o.name != reference.name for o in options):
        notes.append(f"No cascade: {reference.label} (the routed model) cannot run here yet")
        return None
    pick = choose_cascade(options, reference, rule)
    if pick is None:
        notes.append(
            f"No cascade of the available models is expected to beat {reference.label} alone by "
            f"{rule.margin:.1%} (see docs/strategies.md)"
        )
        return None
    return cascade_plan(pick, reference, rule, verify_command)


def cascade_plan(
    pick: CascadePick, reference: Option, rule: CascadeRule, verify_command: str | None
) -> StrategyPlan:
    steps = pick.steps
    e = pick.expectation
    first, rest = steps[0], steps[1:]
    check = f"`{verify_command}` fails, " if verify_command else ""
    reasons = [
        f"{first.label} first: {first.evidence}",
        f"Escalates to {' then '.join(s.label for s in rest)} only when {check}"
        "the result changes or skips tests, or you reject it; the next model is told what failed",
    ]
    if not verify_command:
        reasons.append("No check found: without one a result that changes no test is taken as it is")
    reasons += [f"{s.label} runs in ~{reach:.0%} of runs" for s, reach in zip(rest, e.reach[1:], strict=True)]
    reasons += [
        f"Expected {money(e.cost_usd)} against {money(reference.cost_usd)} for {reference.label} alone; "
        f"at most {at_most(sum(s.max_cost_usd for s in steps))} if every step runs",
        f"Expected right {e.right:.0%} of the time against {reference.pass_rate:.0%} for {reference.label} alone "
        f"(a check that passes {rule.check.false_pass:.0%} of wrong results and fails "
        f"{rule.check.false_fail:.0%} of right ones; models share hard tasks)",
    ]
    return StrategyPlan(
        kind="cascade", attempts=steps, expected_cost_usd=e.cost_usd,
        max_cost_usd=sum(s.max_cost_usd for s in steps), expected_pass=e.right, reasons=tuple(reasons),
    )


def _prices(c: Candidate) -> tuple[float, float]:
    """USD per input token and per output token, from the candidate's own estimate."""
    t = c.cost.tokens
    return c.cost.input_usd / max(t.input, 1), c.cost.output_usd / max(t.output + t.reasoning, 1)


def one_request_usd(c: Candidate, category: Category, extra_input: int, output: int) -> float:
    """One request to `c`'s model: the action's prompt once (its estimate spans every turn), plus
    `extra_input` tokens, producing `output` tokens."""
    per_input, per_output = _prices(c)
    prompt = c.cost.tokens.input / EXPECTED_TURNS[category]
    return (prompt + extra_input) * per_input + (output + c.cost.tokens.reasoning) * per_output


def synthesis_usd(synth: Candidate, attempts: Sequence[Candidate], category: Category, *, high: bool) -> float:
    """The synthesiser reads every candidate's changes (about its output tokens) and writes a pick or
    a merge (about half a candidate's output)."""
    outputs = [(a.cost.tokens.output_high if high else a.cost.tokens.output) for a in attempts]
    return one_request_usd(synth, category, sum(outputs), int(max(outputs, default=0) * SYNTH_OUTPUT_SHARE))


def _best_of_n(
    options: Sequence[Option], by_id: Mapping[str, Candidate], category: Category, rule: CascadeRule,
    verify_command: str | None, judge_accuracy: float, n: int = BEST_OF_N,
) -> StrategyPlan:
    attempts = best_of_n_attempts(options, n)
    synth = strongest(options)
    chosen = [by_id[a.name] for a in attempts]
    synth_cost = synthesis_usd(by_id[synth.name], chosen, category, high=False)
    synth_high = synthesis_usd(by_id[synth.name], chosen, category, high=True)
    check = rule.check if verify_command is not None else None
    e = best_of_n(attempts, synth_cost, check, rule.population, judge_accuracy)
    synthesiser = synth.model_copy(update={"cost_usd": synth_cost, "max_cost_usd": max(synth_high, synth_cost)})
    checked = f"each result is checked with `{verify_command}`" if verify_command else "there is no check to run"
    reasons = (
        f"{len(attempts)} independent attempts on separate copies of the workspace: "
        + ", ".join(a.label for a in attempts) + f"; {checked}",
        f"{synth.label} sees the candidates that passed and picks or merges; you see every candidate's "
        "verdict and cost",
        f"Expected {money(e.cost_usd)} (every attempt runs); at most "
        f"{at_most(sum(a.max_cost_usd for a in attempts) + synthesiser.max_cost_usd)}",
        f"Expected right {e.right:.0%} of the time",
    )
    return StrategyPlan(
        kind="best-of-n", attempts=attempts, synthesiser=synthesiser, expected_cost_usd=e.cost_usd,
        max_cost_usd=sum(a.max_cost_usd for a in attempts) + synthesiser.max_cost_usd,
        expected_pass=e.right, reasons=reasons,
    )


def _plan(options: Sequence[Option], by_id: Mapping[str, Candidate], category: Category) -> StrategyPlan:
    planner = strongest(options)
    c = by_id[planner.name]
    expected = one_request_usd(c, category, 0, PLAN_OUTPUT_TOKENS[0])
    high = one_request_usd(c, category, 0, PLAN_OUTPUT_TOKENS[1])
    option = planner.model_copy(update={"cost_usd": expected, "max_cost_usd": max(high, expected)})
    reasons = (
        f"{planner.label} writes a plan: steps, the files each touches, and each step's kind",
        "You edit the plan (reword, reorder, delete steps) before anything runs",
        "Each step is then routed by its own kind and run one at a time with its own check; "
        "the run stops at the first failed step and shows what remains",
        f"Planning costs {money(expected)}, at most {at_most(high)}; each step is priced in the plan",
    )
    return StrategyPlan(
        kind="plan", planner=option, expected_cost_usd=expected, max_cost_usd=max(high, expected),
        reasons=reasons, note="steps priced in the plan",
    )


class Blocked(ValueError):
    """A listed model fails a hard limit for this action (a budget, its context window)."""


def listed(
    kind: StrategyKind,
    decision: Decision,
    rates: PassRates,
    models: Sequence[str],
    *,
    verify_command: str | None,
    rule: CascadeRule = DEFAULT_RULE,
    names: Mapping[str, str] | None = None,
    judge_accuracy: float = JUDGE_ACCURACY,
) -> StrategyPlan:
    """The strategy the user asked for with the models they listed (`--strategy K --models A,B`),
    priced like the offers: a cascade runs them in the order given, best-of-n runs each of them (the
    strongest synthesises), a plan has the first write the steps. ValueError says what is wrong."""
    options: list[Option] = []
    for model in dict.fromkeys(models):
        found = next((c for c in decision.candidates if c.model == model), None)
        if found is None:
            raise ValueError(f"{model} is not in the catalog allowed for this workspace")
        if not found.eligible:
            raise Blocked(f"{found.display_name} cannot run this action: {'; '.join(found.blocked_by)}")
        options.append(_option(found, decision.category, rates, names or {}))
    if not options:
        raise ValueError(f"--strategy {kind} needs at least one model")
    if kind == "single":
        if len(options) > 1:
            raise ValueError("a single run uses one model: give one")
        return _single(options[0])
    if kind == "plan":
        return _plan(options[:1], {c.model: c for c in decision.candidates}, decision.category)
    if len(options) < 2:
        raise ValueError(f"--strategy {kind} needs at least two models")
    if kind == "cascade":
        steps = tuple(options)
        check = rule.check if verify_command else None
        expectation = cascade_expectation(steps, check, rule.population)
        return cascade_plan(CascadePick(steps=steps, expectation=expectation), steps[-1], rule, verify_command)
    by_id = {c.model: c for c in decision.candidates}
    return _best_of_n(options, by_id, decision.category, rule, verify_command, judge_accuracy, n=len(options))


__all__ = [
    "BEST_OF_N",
    "PLAN_KINDS",
    "Blocked",
    "cascade_plan",
    "listed",
    "one_request_usd",
    "option_for",
    "options_for",
    "propose",
    "synthesis_usd",
]
