"""Classification + catalog + policy + token estimate -> Decision. Pure.

Score = strength for the category (0..100, from public results) minus a cost penalty per doubling of
the estimated cost over the cheapest eligible model. The objective sets that penalty: under `quality`
cost only breaks near-ties, under `cost` a model must be far better to justify twice the price.
Hard limits (allowed, fits the context window, within budget, local-only files) are never traded off.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from modelroute.catalog.model import ModelEntry
from modelroute.categories import Category
from modelroute.classify.model import Classification
from modelroute.cost import Calibration, estimate
from modelroute.cost.model import CostEstimate
from modelroute.policy.schema import Settings
from modelroute.route.format import money, tokens
from modelroute.route.model import Candidate, Decision, Unroutable

PENALTY_PER_DOUBLING = {"quality": 0.25, "balanced": 1.0, "cost": 4.0}
PRIOR_PENALTY = 1.5  # a guessed strength should not beat a measured one of the same size
PREFER_BONUS = (4.0, 3.0, 2.0, 1.0)
MIN_ALTERNATIVES = 2


@dataclass(frozen=True)
class Spend:
    today_usd: float = 0.0
    month_usd: float = 0.0


@dataclass(frozen=True)
class RouteInput:
    classification: Classification
    input_tokens: int  # o200k tokens billed over the run (every turn re-sends the prompt), for cost
    context_tokens: int | None = None  # the largest single request, for the context window; default input
    local_only_file: bool = False  # the file matches privacy.local_only
    spend: Spend = Spend()
    calibration: Calibration | None = None


def is_allowed(model_id: str, settings: Settings) -> bool:
    allow = settings.models.allow or ["*"]
    if not any(fnmatchcase(model_id, pat) for pat in allow):
        return False
    return not any(fnmatchcase(model_id, pat) for pat in settings.models.deny)


def _blocked_by(
    model: ModelEntry, cost: CostEstimate, inp: RouteInput, settings: Settings
) -> tuple[str, ...]:
    reasons: list[str] = []
    if not is_allowed(model.id, settings):
        reasons.append("not allowed by [models] allow/deny")
    single = inp.context_tokens if inp.context_tokens is not None else inp.input_tokens
    scale = cost.tokens.input / max(inp.input_tokens, 1)  # the model's own tokenizer (Claude: ~1.2x)
    needed = int(single * scale) + cost.tokens.output_high
    if needed > model.context_window:
        reasons.append(f"needs ~{tokens(needed)} tokens, context window is {tokens(model.context_window)}")
    budget = settings.budget
    left_today = budget.daily_usd - inp.spend.today_usd
    left_month = budget.monthly_usd - inp.spend.month_usd
    if cost.usd > left_today:
        reasons.append(f"estimate {money(cost.usd)} is over what is left of the daily budget ({money(left_today)})")
    elif cost.usd > left_month:
        reasons.append(f"estimate {money(cost.usd)} is over what is left of the monthly budget ({money(left_month)})")
    if inp.local_only_file and not model.local:
        reasons.append("the file is local_only and this endpoint is not local")
    return tuple(reasons)


def _quality(model: ModelEntry, category: Category) -> tuple[float, str, bool]:
    strength = model.strengths.get(category)
    if strength is None:
        return 50.0, "prior: no data for this category", True
    return strength.score, strength.evidence, strength.prior


def _candidates(
    models: Sequence[ModelEntry], inp: RouteInput, settings: Settings, availability: Mapping[str, str | None]
) -> list[Candidate]:
    category = inp.classification.label
    costs = {m.id: estimate(inp.input_tokens, category, m, inp.calibration) for m in models}
    blocked = {m.id: _blocked_by(m, costs[m.id], inp, settings) for m in models}
    eligible_costs = [costs[m.id].usd for m in models if not blocked[m.id]]
    cheapest = max(min(eligible_costs, default=0.0), 1e-9)
    penalty = PENALTY_PER_DOUBLING[settings.objective]
    prefer = settings.route.for_category(category).prefer
    rows = []
    for m in models:
        quality, evidence, prior = _quality(m, category)
        doublings = math.log2(max(costs[m.id].usd, 1e-9) / cheapest)
        score = quality - penalty * max(doublings, 0.0) - (PRIOR_PENALTY if prior else 0.0)
        if m.id in prefer:
            index = prefer.index(m.id)
            score += PREFER_BONUS[index] if index < len(PREFER_BONUS) else 0.5
        hint = availability.get(m.provider, f"configure [providers.{m.provider}]")
        rows.append(
            Candidate(
                model=m.id,
                display_name=m.display_name,
                provider=m.provider,
                quality=quality,
                score=score,
                cost=costs[m.id],
                eligible=not blocked[m.id],
                available=hint is None,
                blocked_by=blocked[m.id],
                setup_hint=hint,
                evidence=evidence,
                prior=prior,
            )
        )
    return rows


@dataclass(frozen=True)
class _Choice:
    """The chosen candidate, and which rule chose it when it was not the best score."""

    candidate: Candidate
    rule: str | None = None  # "pin" or "tie-break"
    notes: tuple[str, ...] = ()


def _pick(rows: list[Candidate], inp: RouteInput, settings: Settings) -> _Choice:
    """The chosen candidate: a usable pin, else the cheapest on an unsure label when asked, else the
    best score among the eligible models that can run (all eligible ones when none can)."""
    pool = _runnable(rows) or [r for r in rows if r.eligible]
    by_score = sorted(pool, key=lambda r: (-r.score, r.cost.usd, r.model))
    notes: list[str] = []
    category = inp.classification.label
    pin = settings.route.for_category(category).pin
    if pin:
        pinned = next((r for r in rows if r.model == pin), None)
        if pinned and pinned.eligible:
            return _Choice(pinned, "pin", (f"Pinned for {category.words} by [route.{category.value}] pin",))
        why = "; ".join(pinned.blocked_by) if pinned else "not in the catalog"
        notes.append(f"Pinned model {pin} was not used: {why}")
    conf = inp.classification.confidence
    if settings.route.tie_break_cheapest and conf < settings.route.low_confidence:
        cheapest = min(pool, key=lambda r: (r.cost.usd, -r.score))
        best = by_score[0]
        notes.append(
            f"Unsure of the category (confidence {conf:.2f} < {settings.route.low_confidence:.2f}): "
            f"tie-break picked the cheapest allowed model, {money(cheapest.cost.usd)} "
            f"instead of {best.display_name} at {money(best.cost.usd)}"
        )
        return _Choice(cheapest, "tie-break", tuple(notes))
    return _Choice(by_score[0], None, tuple(notes))


def _runnable(rows: list[Candidate]) -> list[Candidate]:
    return [r for r in rows if r.eligible and r.available]


def _reasons(choice: _Choice, rows: list[Candidate], inp: RouteInput, settings: Settings) -> list[str]:
    chosen = choice.candidate
    cls = inp.classification
    reasons = [_category_reason(inp, settings)]
    reasons += [f"  {r}" for r in cls.reasons[:3]]
    reasons.append(f"{chosen.display_name}: {_strength(chosen, cls.label)}")
    only = _only_one(chosen, rows)
    if only:
        reasons.append(only)
    others = sorted((r for r in rows if r.eligible and r.model != chosen.model), key=lambda r: -r.score)
    if others:
        runner = others[0]
        reasons.append(
            f"Runner-up {runner.display_name}: {_strength(runner, cls.label)}; "
            f"not chosen: {_why_not(runner, choice, settings)}"
        )
    t = chosen.cost.tokens
    line = (
        f"Estimated {money(chosen.cost.usd)} ({tokens(t.input)} in, {tokens(t.output + t.reasoning)} out"
        f"{'' if t.exact_input else ', Claude tokens estimated'})"
    )
    cheaper = [r for r in others if r.cost.usd < chosen.cost.usd]
    if cheaper:
        c = max(cheaper, key=lambda r: r.score)
        line += f"; {c.display_name} would cost {money(c.cost.usd)} (score {c.score:.1f} vs {chosen.score:.1f})"
    reasons.append(line)
    reasons.append(_objective_reason(settings.objective))
    if chosen.cost.tier_note:
        reasons.append(chosen.cost.tier_note)
    return reasons


def _category_reason(inp: RouteInput, settings: Settings) -> str:
    cls = inp.classification
    if cls.confidence >= settings.route.low_confidence:
        return f"Task looks like {cls.label.words} (confidence {cls.confidence:.2f})"
    return f"Task looks like {cls.label.words}, with low confidence ({cls.confidence:.2f}){_next_guess(cls)}"


def _next_guess(cls: Classification) -> str:
    # the classifier names its runner-up; a classification made elsewhere may carry only the scores
    ranked = sorted((c for c, p in cls.scores.items() if c != cls.label and p > 0), key=lambda c: -cls.scores[c])
    runner = cls.runner_up if cls.runner_up is not None else (ranked[0] if ranked else None)
    return f"; next guess: {runner.words}" if runner is not None else ""


def _strength(c: Candidate, category: Category) -> str:
    """The evidence behind a candidate's strength, marked as an estimate when it is one."""
    if c.prior:
        evidence = c.evidence.removeprefix("prior: ")
        return f"estimated strength {c.quality:.0f} for {category.words}, not a published result ({evidence})"
    return c.evidence


def _only_one(chosen: Candidate, rows: list[Candidate]) -> str | None:
    """Say so when nothing else could have been chosen: no other model passes the limits, or no other
    eligible one can run (no key or endpoint)."""
    eligible = [r for r in rows if r.eligible]
    if len(eligible) == 1:
        return f"{chosen.display_name} is the only model that passes the limits for this action (see candidates)"
    runnable = _runnable(rows)
    if len(runnable) == 1 and runnable[0] is chosen:
        hints = sorted({r.setup_hint for r in eligible if not r.available and r.setup_hint})
        more = ", ".join(h.removeprefix("needs ") for h in hints[:3]) + (", ..." if len(hints) > 3 else "")
        return f"{chosen.display_name} is the only eligible model that can run now: the others need {more or 'a key'}"
    return None


def _why_not(runner: Candidate, choice: _Choice, settings: Settings) -> str:
    """Why the best-scoring other model was not the choice, in the rule's own terms."""
    chosen = choice.candidate
    if choice.rule == "pin":
        return f"{chosen.display_name} is pinned for this category"
    if choice.rule == "tie-break":
        return "the category is uncertain, so the cheapest allowed model was picked"
    if not runner.available and chosen.available:
        return f"it cannot run yet ({runner.setup_hint})"
    scores = f"score {runner.score:.1f} vs {chosen.score:.1f}"
    if runner.quality > chosen.quality:
        return (
            f"stronger ({runner.quality:.1f} vs {chosen.quality:.1f}) but {money(runner.cost.usd)} vs "
            f"{money(chosen.cost.usd)}, which the {settings.objective} objective does not pay for ({scores})"
        )
    if runner.prior and not chosen.prior and runner.quality - chosen.quality > -PRIOR_PENALTY:
        return f"its strength is an estimate, which counts {PRIOR_PENALTY:g} points below a measured one ({scores})"
    if runner.quality == chosen.quality:
        return f"as strong, at {money(runner.cost.usd)} vs {money(chosen.cost.usd)} ({scores})"
    return f"weaker ({runner.quality:.1f} vs {chosen.quality:.1f}; {scores})"


def _objective_reason(objective: str) -> str:
    return {
        "quality": "Objective quality: the strongest model wins; cost only breaks near-ties",
        "balanced": "Objective balanced: each doubling of cost must buy a point of benchmark score",
        "cost": "Objective cost: each doubling of cost must buy four points of benchmark score",
    }[objective]


def _notes(chosen: Candidate, rows: list[Candidate], inp: RouteInput, settings: Settings) -> list[str]:
    notes = []
    cls = inp.classification
    if cls.confidence < settings.route.low_confidence:
        notes.append(
            f"low confidence ({cls.confidence:.2f}): the task may not be {cls.label.words}{_next_guess(cls)}; "
            f"the model and the estimate are for {cls.label.words}"
        )
    if not chosen.available:
        notes.append(f"{chosen.display_name} cannot run yet: {chosen.setup_hint}")
    if chosen.cost.usd > settings.budget.per_request_usd:
        notes.append(
            f"Estimate {money(chosen.cost.usd)} is above the per-request budget "
            f"{money(settings.budget.per_request_usd)}: running will ask first"
        )
    if inp.local_only_file:
        notes.append("The file is local_only: only endpoints marked local were considered")
    skipped = sum(1 for r in rows if not r.eligible)
    if skipped:
        notes.append(f"{skipped} model(s) excluded by hard limits (see candidates)")
    return notes


def decide(
    inp: RouteInput,
    models: Sequence[ModelEntry],
    settings: Settings,
    availability: Mapping[str, str | None],
) -> Decision:
    """Route one classified action. `availability` maps provider -> None or what to set to use it."""
    rows = _candidates(models, inp, settings, availability)
    if not any(r.eligible for r in rows):
        detail = "; ".join(f"{r.model}: {', '.join(r.blocked_by)}" for r in rows[:12])
        raise Unroutable(f"No model passes the limits for this action. {detail}", tuple(rows))
    choice = _pick(rows, inp, settings)
    chosen = choice.candidate
    rest = sorted((r for r in rows if r.model != chosen.model), key=lambda r: (not r.eligible, -r.score))
    reasons = _reasons(choice, rows, inp, settings) + list(choice.notes)
    return Decision(
        category=inp.classification.label,
        confidence=inp.classification.confidence,
        model=chosen.model,
        display_name=chosen.display_name,
        provider=chosen.provider,
        cost=chosen.cost,
        candidates=(chosen, *rest),
        reasons=tuple(reasons),
        classification_reasons=inp.classification.reasons,
        notes=tuple(_notes(chosen, rows, inp, settings)),
    )


__all__ = ["MIN_ALTERNATIVES", "RouteInput", "Spend", "decide", "is_allowed"]
