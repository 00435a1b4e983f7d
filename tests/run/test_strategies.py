"""Runs that check their work, in the core: the real SDKs against the fake provider, the real sandbox
running the project's tests in each attempt's overlay, the real ledger, a scripted editor.

A cascade whose first model's edit fails pytest and whose second passes; a model's own pytest that
sees its staged edit; best of three with a synthesiser; a tampered test flagged and escalated; a
strategy refused by budget before any call; nothing ever written to the workspace by a run."""

from __future__ import annotations

import dataclasses

import pytest

from modelroute.run.editor import OfferResult
from modelroute.run.flow import Action, RunReport, run_action
from modelroute.strategy.calibration import PassRates
from modelroute.strategy.offers import listed
from tests.run.helpers import Bench
from tests.run.scenarios import (
    CALC,
    CHECK,
    FIX_INSTRUCTION,
    HAIKU,
    MINI,
    OTHER_RIGHT_FIX,
    RIGHT_FIX,
    SONNET,
    TAMPER,
    TEST_CALC,
    WRONG_FIX,
    project,
    runs_its_own_test,
    synthesis,
)
from tests.sandbox.conftest import needs_bwrap

pytestmark = needs_bwrap


@pytest.fixture
def bench(bench: Bench) -> Bench:
    """The conftest's bench, holding the project whose test fails."""
    project(bench.root)
    return bench


def fix_action(bench: Bench, *, verify: str | None = CHECK, instruction: str = FIX_INSTRUCTION) -> Action:
    action = bench.action(document="calc.py", line=1, instruction=instruction)
    return dataclasses.replace(action, verify=verify)


def untouched(bench: Bench) -> bool:
    """The workspace on disk is exactly as the test made it: no run wrote anything."""
    files = sorted(p.relative_to(bench.root).as_posix() for p in bench.root.rglob("*") if p.is_file())
    return (files == [".gitignore", "app/store.py", "calc.py", "test_calc.py"]
            and (bench.root / "calc.py").read_text() == CALC and (bench.root / "test_calc.py").read_text() == TEST_CALC)


def first_request(bench: Bench, model: str) -> str:
    return next(r.raw_without_auth() for r in bench.fake.model_requests() if r.json.get("model") == model)


async def cascade(bench: Bench, *models: str, action: Action | None = None) -> RunReport:
    return await run_action(bench.session, bench.editor, action or fix_action(bench), strategy="cascade",
                            models=list(models))


async def test_a_cascade_escalates_when_the_first_edit_fails_pytest_in_its_overlay(bench: Bench) -> None:
    bench.fake.queue_for(HAIKU, WRONG_FIX)
    bench.fake.queue_for(MINI, RIGHT_FIX)
    report = await cascade(bench, HAIKU, MINI)
    contract = report.contract()
    assert contract["outcome"] == "done" and contract["strategy"] == "cascade", contract["message"]
    assert [(a["model"], a["verified"]) for a in contract["attempts"]] == [(HAIKU, "fail"), (MINI, "pass")]
    [change] = contract["changes"]
    assert change["path"] == "calc.py" and "+    return a + b" in change["diff"]
    assert contract["cost_usd"] == round(sum(a["cost_usd"] for a in contract["attempts"]), 6) > 0
    # The second model is told what failed: the check, its exit, the end of pytest's output, as data.
    told = first_request(bench, MINI)
    assert "was not accepted" in told and "failed (exit 1)" in told and "1 failed" in told
    assert "do not edit, skip or delete tests" in told
    [offer] = bench.editor.offers
    assert offer.failing is None and offer.changes.paths() == ["calc.py"]
    assert [(r["model"], r["outcome"]) for r in bench.rows()] == [(HAIKU, "rejected"), (MINI, "applied")]
    assert bench.rows()[0]["error"].startswith("not offered: failed its check")
    assert untouched(bench)


async def test_a_model_s_own_pytest_sees_its_staged_edit(bench: Bench) -> None:
    bench.editor.answer = lambda q: "Run in sandbox" if q.purpose == "approval" else None
    bench.fake.queue(*runs_its_own_test())
    report = await run_action(bench.session, bench.editor, fix_action(bench, verify=None), HAIKU)
    ran = bench.fake.model_requests()[2].raw_without_auth()  # the tool result of its pytest
    assert "1 passed" in ran and "Exit code: 0" in ran
    assert report.outcome == "applied" and report.contract()["changes"][0]["path"] == "calc.py"
    assert report.attempts[0].verified == "none"  # no check configured for this run
    assert untouched(bench)


async def test_best_of_three_with_a_synthesiser_that_picks(bench: Bench) -> None:
    plan = listed("best-of-n", fix_action(bench).routed.decision, PassRates(), [HAIKU, MINI, SONNET],
                  verify_command=CHECK)
    order = [o.name for o in plan.attempts]
    assert plan.synthesiser is not None
    fixes = {HAIKU: RIGHT_FIX, MINI: OTHER_RIGHT_FIX, SONNET: WRONG_FIX}
    for model in order:
        bench.fake.queue_for(model, fixes[model])
    passing = [m for m in order if m != SONNET]  # candidates A and B, in plan order
    bench.fake.queue_for(plan.synthesiser.name, synthesis("PICK B"))
    report = await run_action(bench.session, bench.editor, fix_action(bench), strategy="best-of-n",
                              models=[HAIKU, MINI, SONNET])
    contract = report.contract()
    assert contract["outcome"] == "done" and contract["strategy"] == "best-of-n", contract["message"]
    verdicts = {a["model"]: a["verified"] for a in contract["attempts"] if a["role"] == "attempt"}
    assert verdicts == {HAIKU: "pass", MINI: "pass", SONNET: "fail"}
    assert [a["role"] for a in contract["attempts"]].count("synthesis") == 1
    expected = "+    return a + b" if passing[1] == HAIKU else "+    return sum((a, b))"
    assert expected in contract["changes"][0]["diff"]
    asked = [r.raw_without_auth() for r in bench.fake.model_requests()][-1]
    assert "Candidate A" in asked and "Candidate B" in asked and "Candidate C" not in asked
    assert "who wrote each is not shown" in asked
    [account] = [d for d in bench.editor.shown if d.aside]
    assert account.text.count("(attempt ") == 3 and "offered" in account.text and "failed" in account.text
    assert untouched(bench)


async def test_a_tampered_test_is_flagged_and_the_cascade_escalates(bench: Bench) -> None:
    bench.fake.queue_for(HAIKU, TAMPER)
    bench.fake.queue_for(MINI, RIGHT_FIX)
    report = await cascade(bench, HAIKU, MINI)
    contract = report.contract()
    first, second = contract["attempts"]
    assert first["verified"] == "none" and first["flagged"] and first["flagged"][0]["path"] == "test_calc.py"
    assert second["verified"] == "pass" and contract["outcome"] == "done"
    assert contract["flagged"] == [] and [c["path"] for c in contract["changes"]] == ["calc.py"]
    told = first_request(bench, MINI)
    assert "It changed tests, which does not count as a fix: test_calc.py" in told
    assert untouched(bench)


async def test_when_every_attempt_fails_the_last_is_offered_as_failing(bench: Bench) -> None:
    bench.fake.queue_for(HAIKU, WRONG_FIX)
    bench.fake.queue_for(MINI, WRONG_FIX)
    bench.editor.accept = lambda offer: OfferResult("proposed", "shown")
    report = await cascade(bench, HAIKU, MINI)
    assert report.conclusion == "verification_failed"
    [offer] = bench.editor.offers
    assert offer.failing is not None and "every attempt failed" in offer.failing
    assert untouched(bench)


async def test_a_rejected_result_escalates_to_the_next_model(bench: Bench) -> None:
    bench.fake.queue_for(HAIKU, RIGHT_FIX)
    bench.fake.queue_for(MINI, OTHER_RIGHT_FIX)
    results = iter([OfferResult("rejected", "the user pressed Discard"), OfferResult("applied")])
    bench.editor.accept = lambda offer: next(results)
    report = await cascade(bench, HAIKU, MINI)
    assert report.conclusion == "done" and len(bench.editor.offers) == 2
    assert "sum((a, b))" in report.contract()["changes"][0]["diff"]
    assert "The user rejected the result" in first_request(bench, MINI)
    assert [r["outcome"] for r in bench.rows()] == ["rejected", "applied"]


async def test_a_strategy_over_the_budget_is_refused_before_any_call(bench: Bench) -> None:
    action = fix_action(bench)
    bench.user_file.write_text(bench.user_toml + "\n[budget]\ndaily_usd = 0.0001\n")
    bench.engine.reload_settings()
    report = await run_action(bench.session, bench.editor, action, strategy="best-of-n",
                              models=[HAIKU, MINI, SONNET])
    assert report.conclusion == "refused" and not report.attempts
    assert not bench.fake.model_requests() and not bench.rows()
    [message] = bench.editor.messages("error")
    assert "could cost up to" in message and "Nothing was sent to any model" in message
    assert "today's budget" in message


async def test_the_check_is_asked_once_per_run_and_its_writes_are_not_offered(bench: Bench) -> None:
    bench.fake.queue_for(HAIKU, WRONG_FIX)
    bench.fake.queue_for(MINI, RIGHT_FIX)
    bench.editor.answer = lambda q: "Run in sandbox" if q.purpose == "approval" else None
    action = fix_action(bench, verify=None)
    bench.user_file.write_text(bench.user_toml + f'\n[verify]\ncommand = "{CHECK} && touch check-was-here"\n')
    bench.engine.reload_settings()
    report = await run_action(bench.session, bench.editor, action, strategy="cascade", models=[HAIKU, MINI])
    assert [a.verified for a in report.attempts] == ["fail", "pass"]
    approvals = [q for q in bench.editor.questions if q.purpose == "approval"]
    assert len(approvals) == 1 and "modelroute (the check) wants to run" in approvals[0].message
    assert report.change_set is not None and report.change_set.paths() == ["calc.py"]
    assert untouched(bench)


async def test_a_repository_s_own_check_is_asked_and_cannot_reach_the_host(bench: Bench) -> None:
    """A hostile repository names its check in .modelroute.toml: it is asked about like any command
    (a denied check runs nothing and verifies nothing), and approved it runs in the attempt's overlay:
    what it writes inside the workspace is not offered and nothing outside it is written."""
    outside = bench.root.parent / "outside.txt"
    (bench.root / ".modelroute.toml").write_text(
        f'[verify]\ncommand = "echo owned > {outside}; touch planted.txt; {CHECK}"\n')
    bench.engine.reload_settings()
    bench.fake.queue(*RIGHT_FIX)
    denied = await run_action(bench.session, bench.editor, fix_action(bench, verify=None), HAIKU)
    assert denied.attempts[0].verified == "none" and not outside.exists()
    [question] = [q for q in bench.editor.questions if q.purpose == "approval"]
    assert "modelroute (the check) wants to run" in question.message and "planted.txt" in question.message

    bench.editor.answer = lambda q: "Run in sandbox" if q.purpose == "approval" else None
    bench.fake.queue(*RIGHT_FIX)
    approved = await run_action(bench.session, bench.editor, fix_action(bench, verify=None), HAIKU)
    assert approved.attempts[0].verified == "pass"  # the check's own exit: the fix passes pytest
    assert approved.change_set is not None and approved.change_set.paths() == ["calc.py"]
    assert not outside.exists() and not (bench.root / "planted.txt").exists()
    assert (bench.root / "calc.py").read_text() == CALC
