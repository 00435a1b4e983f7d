"""run/outcome.py: the pure decisions and texts behind a `modelroute.run` answer."""

from __future__ import annotations

from modelroute.catalog.load import builtin_models
from modelroute.categories import Category
from modelroute.cost.model import CostEstimate, TokenEstimate
from modelroute.execute.agent import CommandOutcome, RunResult
from modelroute.pipeline import RunPlan
from modelroute.policy.schema import ProviderSettings
from modelroute.prompt.model import PromptRequest
from modelroute.providers.types import Usage
from modelroute.route.model import Candidate
from modelroute.run.outcome import (
    MIN_OUTPUT_TOKENS,
    Outcome,
    answer_markdown,
    failure_outcome,
    fallback_for,
    fallback_offer,
    fallback_question,
    notes_suffix,
    output_cap,
    progress_text,
    run_summary,
    running_usd,
)


def _estimate(usd: float) -> CostEstimate:
    return CostEstimate(usd=usd, low_usd=usd / 2, high_usd=usd * 2, tokens=TokenEstimate(input=1000, output=200))


def _candidate(model: str, *, eligible: bool = True, available: bool = True, usd: float = 0.01) -> Candidate:
    return Candidate(model=model, display_name=model.upper(), provider="p", quality=80.0, score=1.0,
                     cost=_estimate(usd), eligible=eligible, available=available)


def _plan(usd: float = 0.0123) -> RunPlan:
    model = builtin_models()[0]
    prompt = PromptRequest(model=model.id, system="", messages=(), tools=(), included=())
    return RunPlan(model=model, provider=ProviderSettings(), category=Category.EXPLAIN, prompt=prompt,
                   estimate=_estimate(usd), prior_output_tokens=200)


def _result(text: str = "It adds.", notes: list[str] | None = None,
            commands: list[CommandOutcome] | None = None) -> RunResult:
    usage = Usage(input_tokens=1200, output_tokens=300, cache_read_tokens=100, reasoning_tokens=50)
    return RunResult(model="m", text=text, usage=usage, cost_usd=0.0098765432, turns=2,
                     notes=notes or [], commands=commands or [])


def test_failure_outcome_is_cancelled_when_the_provider_or_the_user_says_so() -> None:
    assert failure_outcome("cancelled", False) == "cancelled"
    assert failure_outcome("rate_limit", True) == "cancelled"
    assert failure_outcome("rate_limit", False) == "error"


def test_output_cap_follows_the_budget_between_the_floor_and_the_model_max() -> None:
    assert output_cap(32_000, None) == 32_000
    assert output_cap(32_000, 5_000) == 5_000
    assert output_cap(32_000, 10) == MIN_OUTPUT_TOKENS  # a nearly spent budget still lets the model answer
    assert output_cap(32_000, 100_000) == 32_000
    assert output_cap(512, 10) == 512  # never above what the model can produce


def test_running_cost_counts_the_input_and_about_four_chars_a_token() -> None:
    assert running_usd(0.5, 10.0, 0) == 0.5
    assert running_usd(0.5, 10.0, 4_000) == 0.5 + 1_000 * 10.0 / 1_000_000
    assert progress_text(0.0123, "  hello\n  world ") == "~$0.012 so far · hello world"
    assert progress_text(0.0123, " \n") == "~$0.012 so far"


def test_fallback_is_the_best_runnable_eligible_model_not_tried() -> None:
    cands = [_candidate("a"), _candidate("b", eligible=False), _candidate("c", available=False), _candidate("d")]
    assert fallback_for(cands, {"a"}) is cands[3]
    assert fallback_for(cands, set()) is cands[0]
    assert fallback_for(cands, {"a", "d"}) is None


def test_fallback_question_names_the_failure_and_the_offer() -> None:
    offer = fallback_offer(_candidate("b", usd=0.25))
    assert offer == "Try B (~$0.25)"
    assert fallback_question("A", "openai", "overloaded", offer) == "A failed (openai: overloaded). Try B (~$0.25)?"


def test_notes_suffix() -> None:
    assert notes_suffix([]) == ""
    assert notes_suffix(["turn limit", "truncated"]) == " (turn limit; truncated)"


def test_answer_markdown_has_the_answer_the_instruction_and_the_cost() -> None:
    plan = _plan()
    text = answer_markdown(plan, "what does it do?", _result(notes=["stopped at the turn limit"]))
    assert text.startswith(f"# Explain with {plan.model.display_name}\n\n> what does it do?\n\nIt adds.\n")
    assert "1200 input and 300 output tokens." in text
    assert text.endswith("- stopped at the turn limit\n")
    assert "> " not in answer_markdown(plan, "", _result(text="  "))
    assert "(the model gave no text)" in answer_markdown(plan, "", _result(text="  "))


def test_run_summary_reports_usage_outcome_and_document() -> None:
    commands = [CommandOutcome(True, 0, "ok", "ran: pytest")]
    done = Outcome("answered", "answer shown", shown_document="file:///tmp/a.md")
    summary = run_summary({"model": "m", "run_id": 7}, done, _result(commands=commands), 42)
    assert summary["outcome"] == "answered" and summary["run_id"] == 7
    assert summary["actual_usd"] == 0.009877
    assert summary["usage"] == {"input_tokens": 1200, "output_tokens": 300, "cache_read_tokens": 100,
                                "reasoning_tokens": 50}
    assert summary["latency_ms"] == 42 and summary["turns"] == 2 and summary["commands"] == ["ran: pytest"]
    assert summary["document"] == "file:///tmp/a.md"
    assert "document" not in run_summary({}, Outcome("applied", "edited 1 file(s)", files=["a.py"]), _result(), 1)
