"""The strategy state machine: what runs next, and what is offered, for every kind of report."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from modelroute.strategy.machine import AttemptReport, Finish, RunNext, advance
from tests.strategy.helpers import option, plan

CHEAP, MID, STRONG = option("cheap", 0.6, 0.01), option("mid", 0.7, 0.1), option("strong", 0.8, 0.5)
CASCADE = plan("cascade", CHEAP, MID, STRONG)
BEST = plan("best-of-n", STRONG, MID, CHEAP, synthesiser=STRONG)


def report(model: str, verified: str = "fail", **kw: object) -> AttemptReport:
    return AttemptReport(model=model, verified=verified, **kw)  # type: ignore[arg-type]


def run_next(step: object) -> list[str]:
    assert isinstance(step, RunNext), step
    return [a.model for a in step.attempts]


def finish(step: object) -> Finish:
    assert isinstance(step, Finish), step
    return step


def test_a_cascade_starts_with_its_cheapest_model() -> None:
    step = advance(CASCADE, [])
    assert run_next(step) == ["cheap"]


def test_a_passing_attempt_is_offered_as_done() -> None:
    done = finish(advance(CASCADE, [report("cheap", "pass")]))
    assert (done.offer, done.conclusion) == (0, "done") and "CHEAP passed its check" in done.reason


def test_a_failed_check_escalates_and_tells_the_next_model_what_failed() -> None:
    step = advance(CASCADE, [report("cheap", "fail")])
    assert isinstance(step, RunNext)
    (nxt,) = step.attempts
    assert (nxt.model, nxt.feedback_from) == ("mid", 0)
    assert nxt.reason == "CHEAP failed its check: escalating to MID"
    done = finish(advance(CASCADE, [report("cheap"), report("mid", "pass")]))
    assert (done.offer, done.conclusion) == (1, "done")


def test_tampering_rejection_error_and_empty_results_escalate() -> None:
    flagged = advance(CASCADE, [report("cheap", "pass", flagged=True)])
    assert isinstance(flagged, RunNext) and "changed or skipped tests" in flagged.attempts[0].reason
    rejected = advance(CASCADE, [report("cheap", "pass", rejected=True)])
    assert isinstance(rejected, RunNext) and "was rejected" in rejected.attempts[0].reason
    failed = advance(CASCADE, [report("cheap", "none", error="HTTP 529 overloaded")])
    assert isinstance(failed, RunNext) and failed.attempts[0].feedback_from is None
    empty = advance(CASCADE, [report("cheap", "none", empty=True)])
    assert isinstance(empty, RunNext) and "produced no change" in empty.attempts[0].reason


def test_when_every_check_fails_the_last_result_is_offered_as_failing() -> None:
    done = finish(advance(CASCADE, [report("cheap"), report("mid"), report("strong")]))
    assert (done.offer, done.conclusion) == (2, "verification_failed")
    assert "STRONG's result, which failed its check" in done.reason


def test_an_unflagged_result_is_offered_before_a_flagged_one() -> None:
    reports = [report("cheap"), report("mid"), report("strong", "pass", flagged=True)]
    done = finish(advance(CASCADE, reports))
    assert (done.offer, done.conclusion) == (1, "verification_failed")
    only_flagged = [report("cheap", error="x"), report("mid", error="x"), report("strong", "pass", flagged=True)]
    assert finish(advance(CASCADE, only_flagged)).offer == 2


def test_all_rejected_or_all_errors_offer_nothing() -> None:
    rejected = finish(advance(CASCADE, [report(m, "pass", rejected=True) for m in ("cheap", "mid", "strong")]))
    assert (rejected.offer, rejected.conclusion) == (None, "rejected")
    errors = finish(advance(CASCADE, [report(m, "none", error="boom") for m in ("cheap", "mid", "strong")]))
    assert (errors.offer, errors.conclusion) == (None, "error")


def test_without_a_check_the_first_result_is_offered_and_a_rejection_escalates() -> None:
    assert finish(advance(CASCADE, [report("cheap", "none")])).conclusion == "done"
    step = advance(CASCADE, [report("cheap", "none", rejected=True)])
    assert run_next(step) == ["mid"]


def test_single_offers_its_result_even_when_the_check_fails() -> None:
    single = plan("single", STRONG)
    assert run_next(advance(single, [])) == ["strong"]
    done = finish(advance(single, [report("strong")]))
    assert (done.offer, done.conclusion) == (0, "verification_failed")


def test_best_of_n_runs_every_attempt_at_once() -> None:
    step = advance(BEST, [])
    assert run_next(step) == ["strong", "mid", "cheap"]


def test_best_of_n_synthesises_two_or_more_verified_candidates() -> None:
    reports = [report("strong", "pass"), report("mid", "fail"), report("cheap", "pass")]
    step = advance(BEST, reports)
    assert isinstance(step, RunNext)
    (synth,) = step.attempts
    assert (synth.model, synth.role, synth.candidates) == ("strong", "synthesis", (0, 2))
    picked = [*reports, report("strong", "pass", role="synthesis", picked=2)]
    done = finish(advance(BEST, picked))
    assert (done.offer, done.conclusion) == (2, "done") and "picked CHEAP" in done.reason


def test_best_of_n_merge_is_offered_only_when_it_passes() -> None:
    reports = [report("strong", "pass"), report("mid", "pass"), report("cheap", "fail")]
    merged = [*reports, report("strong", "pass", role="synthesis")]
    assert finish(advance(BEST, merged)).offer == 3
    failed = [*reports, report("strong", "fail", role="synthesis")]
    assert finish(advance(BEST, failed)).offer == 0
    broken = [*reports, report("strong", "none", role="synthesis", error="bad answer")]
    assert finish(advance(BEST, broken)).offer == 0
    bogus = [*reports, report("strong", "pass", role="synthesis", picked=2)]  # not a candidate
    assert finish(advance(BEST, bogus)).offer == 0


def test_best_of_n_with_one_candidate_skips_the_synthesiser() -> None:
    done = finish(advance(BEST, [report("strong"), report("mid", "pass"), report("cheap")]))
    assert (done.offer, done.conclusion) == (1, "done")


def test_best_of_n_with_no_candidate_offers_the_strongest_as_failing() -> None:
    done = finish(advance(BEST, [report("strong"), report("mid"), report("cheap")]))
    assert (done.offer, done.conclusion) == (0, "verification_failed")


def test_best_of_n_rejection_moves_to_the_next_candidate() -> None:
    reports = [report("strong", "pass"), report("mid", "pass"), report("cheap", "pass")]
    synth = report("strong", "pass", role="synthesis", picked=1)
    rejected_pick = [reports[0], reports[1].model_copy(update={"rejected": True}), reports[2], synth]
    assert finish(advance(BEST, rejected_pick)).offer == 0
    all_rejected = [r.model_copy(update={"rejected": True}) for r in reports] + [synth]
    done = finish(advance(BEST, all_rejected))
    assert (done.offer, done.conclusion) == (None, "rejected")


def test_plan_runs_the_planner_then_offers_the_plan_for_editing() -> None:
    planned = plan("plan", planner=STRONG)
    step = advance(planned, [])
    assert isinstance(step, RunNext) and step.attempts[0].role == "plan"
    assert finish(advance(planned, [report("strong", "none", role="plan")])).offer == 0
    assert finish(advance(planned, [report("strong", "none", role="plan", error="x")])).conclusion == "error"


reports_strategy = st.builds(
    dict,
    verified=st.sampled_from(["pass", "fail", "none"]),
    flagged=st.booleans(), rejected=st.booleans(), empty=st.booleans(),
    error=st.one_of(st.none(), st.just("boom")),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(reports_strategy, min_size=3, max_size=3), st.sampled_from(["cascade", "single"]))
def test_a_cascade_always_ends_within_its_models_and_offers_only_usable_results(
    fates: list[dict[str, object]], kind: str
) -> None:
    strategy = CASCADE if kind == "cascade" else plan("single", STRONG)
    reports: list[AttemptReport] = []
    for _ in range(5):
        step = advance(strategy, reports)
        if isinstance(step, Finish):
            break
        (nxt,) = step.attempts
        reports.append(AttemptReport(model=nxt.model, **fates[len(reports)]))  # type: ignore[arg-type]
    assert isinstance(step, Finish) and len(reports) <= len(strategy.attempts)
    if step.offer is not None:
        assert reports[step.offer].usable
        assert (step.conclusion == "done") == reports[step.offer].acceptable
    else:
        assert not any(r.usable for r in reports)


def test_best_of_n_reasons_say_why_a_candidate_is_offered() -> None:
    reports = [report("strong", "pass"), report("mid", "pass"), report("cheap", "fail")]
    failed_merge = finish(advance(BEST, [*reports, report("strong", "fail", role="synthesis")]))
    assert failed_merge.reason == ("offering STRONG's result: the synthesiser's answer could not be used "
                                   "(its merge failed its check)")
    bogus = finish(advance(BEST, [*reports, report("strong", "pass", role="synthesis", picked=2)]))
    assert "it picked a result that was not a candidate" in bogus.reason
    rejected = [reports[0], reports[1].model_copy(update={"rejected": True}), reports[2],
                report("strong", "pass", role="synthesis", picked=1)]
    assert finish(advance(BEST, rejected)).reason == "you rejected the synthesiser's choice; offering STRONG's result"
    no_synth = plan("best-of-n", STRONG, MID)
    assert "no synthesiser" in finish(advance(no_synth, reports[:2])).reason
