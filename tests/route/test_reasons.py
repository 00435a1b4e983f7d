"""The reasons a user reads: a low-confidence category is flagged, estimated strengths say they are
estimates, the runner-up's evidence comes with why it was not chosen, and a choice that had no
alternative says so."""

from __future__ import annotations

from tests.route.test_decide import ALL_AVAILABLE, CHEAP, MID, MODELS, STRONG, model

from modelroute.catalog.model import ModelEntry
from modelroute.categories import Category
from modelroute.classify.model import Classification
from modelroute.policy.schema import Settings
from modelroute.route import Decision, RouteInput, decide


def route(
    models: tuple[ModelEntry, ...] = MODELS,
    settings: Settings | None = None,
    availability: dict[str, str | None] | None = None,
    confidence: float = 0.9,
    scores: dict[Category, float] | None = None,
) -> Decision:
    cls = Classification(
        label=Category.QUICK_EDIT,
        confidence=confidence,
        reasons=("a small local change",),
        scores=scores or {Category.QUICK_EDIT: 1.0},
    )
    inp = RouteInput(classification=cls, input_tokens=5000)
    return decide(inp, models, settings or Settings(), ALL_AVAILABLE if availability is None else availability)


def runner_up_reason(d: Decision) -> str:
    return next(r for r in d.reasons if r.startswith("Runner-up "))


def test_low_confidence_is_flagged_with_the_next_guess() -> None:
    scores = {Category.QUICK_EDIT: 0.23, Category.MULTI_FILE_REFACTOR: 0.21, Category.EXPLAIN: 0.1}
    d = route(confidence=0.23, scores=scores)
    assert d.reasons[0] == "Task looks like quick edit, with low confidence (0.23); next guess: multi file refactor"
    assert d.notes[0] == (
        "low confidence (0.23): the task may not be quick edit; next guess: multi file refactor; "
        "the model and the estimate are for quick edit"
    )


def test_confidence_at_the_threshold_is_not_flagged() -> None:
    d = route(settings=Settings.model_validate({"route": {"low_confidence": 0.5}}), confidence=0.5)
    assert d.reasons[0] == "Task looks like quick edit (confidence 0.50)"
    assert not any("low confidence" in n for n in d.notes)


def test_an_estimated_strength_says_it_is_an_estimate() -> None:
    guessed = model("guessed", "a", 70.0, 0.1, 0.4, prior=True)
    d = route((guessed,))
    line = next(r for r in d.reasons if r.startswith("Guessed: "))
    assert line == "Guessed: estimated strength 70 for quick edit, not a published result (bench: 70.0%)"
    measured = next(r for r in route().reasons if r.startswith(f"{route().display_name}: "))
    assert "estimated" not in measured and "bench:" in measured


def test_the_runner_up_says_why_it_was_not_chosen_stronger_but_dearer() -> None:
    d = route((STRONG, MID), settings=Settings(objective="cost"))
    assert d.model == "mid"
    line = runner_up_reason(d)
    assert line.startswith("Runner-up Strong: bench: 80.0%; not chosen: stronger (80.0 vs 76.0) but ~$")
    assert "which the cost objective does not pay for (score" in line


def test_the_runner_up_says_why_it_was_not_chosen_weaker() -> None:
    d = route(settings=Settings(objective="quality"))
    assert d.model == "strong"
    assert runner_up_reason(d).startswith("Runner-up Mid: bench: 76.0%; not chosen: weaker (76.0 vs 80.0; score ")


def test_the_runner_up_that_cannot_run_says_what_to_set() -> None:
    d = route(settings=Settings(objective="quality"), availability={"a": "needs A_API_KEY", "b": None, "c": None})
    assert d.model == "mid"
    assert runner_up_reason(d) == "Runner-up Strong: bench: 80.0%; not chosen: it cannot run yet (needs A_API_KEY)"


def test_a_pin_is_the_reason_the_runner_up_lost() -> None:
    settings = Settings.model_validate({"objective": "quality", "route": {"quick_edit": {"pin": "cheap"}}})
    d = route(settings=settings)
    assert d.model == "cheap"
    assert runner_up_reason(d).endswith("not chosen: Cheap is pinned for this category")


def test_the_only_model_that_passes_the_limits_says_so() -> None:
    d = route(settings=Settings.model_validate({"models": {"allow": ["mid"]}}))
    assert "Mid is the only model that passes the limits for this action (see candidates)" in d.reasons
    assert not any(r.startswith("Runner-up") for r in d.reasons)


def test_the_only_model_that_can_run_says_what_the_others_need() -> None:
    d = route(availability={"a": "needs A_API_KEY", "b": "needs B_API_KEY", "c": None})
    assert d.model == "cheap"
    assert "Cheap is the only eligible model that can run now: the others need A_API_KEY, B_API_KEY" in d.reasons


def test_a_free_choice_does_not_claim_to_be_the_only_one() -> None:
    assert not any("the only" in r for r in route().reasons)


def test_every_model_shown_with_evidence_is_the_choice_or_explained() -> None:
    """No reason quotes a model's evidence without saying whether it was chosen and why not."""
    for objective in ("quality", "balanced", "cost"):
        d = route(settings=Settings(objective=objective))
        for c in (STRONG, MID, CHEAP):
            quoting = [r for r in d.reasons if r.startswith((f"{c.display_name}: ", f"Runner-up {c.display_name}:"))]
            for r in quoting:
                assert c.id == d.model or "not chosen: " in r, r
