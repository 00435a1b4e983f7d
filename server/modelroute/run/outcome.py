"""What a run ends as and says: outcome names, the summary, the fallback model, the output cap.

Pure decisions and text, no protocol and no I/O: the run flow (run/flow.py) says them through the editor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from modelroute.route.format import money

if TYPE_CHECKING:
    from modelroute.execute.agent import RunResult
    from modelroute.ledger.model import FinalOutcome
    from modelroute.pipeline import RunPlan
    from modelroute.route.model import Candidate

MIN_OUTPUT_TOKENS = 1024  # below this a run cannot even say why it stopped
CHARS_PER_TOKEN = 4  # for the running cost of streamed text (the settled cost is the provider's)


@dataclass
class Outcome:
    """How a run that reached the model ended, as the ledger and the command's answer name it."""

    outcome: FinalOutcome
    message: str
    files: list[str] = field(default_factory=list)
    findings: int = 0
    shown_document: str | None = None


def failure_outcome(error_kind: str, cancel_requested: bool) -> FinalOutcome:
    """A provider failure is a cancellation when the provider says so or the user asked for one."""
    return "cancelled" if error_kind == "cancelled" or cancel_requested else "error"


def output_cap(model_max: int, budget_limit: int | None) -> int:
    """Output tokens a run may use: what the reserved budget allows, never below MIN_OUTPUT_TOKENS
    nor above the model's own maximum."""
    allowed = budget_limit if budget_limit is not None else model_max
    return min(model_max, max(allowed, MIN_OUTPUT_TOKENS))


def running_usd(input_usd: float, output_mtok_usd: float, streamed_chars: int) -> float:
    """The cost so far while text streams: the whole input plus the output seen (about 4 chars a token)."""
    return input_usd + streamed_chars / CHARS_PER_TOKEN * output_mtok_usd / 1_000_000


def progress_text(usd: float, tail: str) -> str:
    snippet = " ".join(tail.split())
    return f"{money(usd)} so far · {snippet}" if snippet else f"{money(usd)} so far"


def fallback_for(candidates: Iterable[Candidate], tried: set[str]) -> Candidate | None:
    """The best-scored eligible, runnable model not tried yet (candidates come best first)."""
    for candidate in candidates:
        if candidate.model not in tried and candidate.eligible and candidate.available:
            return candidate
    return None


def fallback_offer(alternative: Candidate) -> str:
    return f"Try {alternative.display_name} ({money(alternative.cost.usd)})"


def fallback_question(failed_model: str, provider: str, error_kind: str, offer: str) -> str:
    return f"{failed_model} failed ({provider}: {error_kind}). {offer}?"


def notes_suffix(notes: Sequence[str]) -> str:
    return f" ({'; '.join(notes)})" if notes else ""


def answer_markdown(plan: RunPlan, instruction: str, result: RunResult) -> str:
    lines = [f"# {plan.category.verb} with {plan.model.display_name}", ""]
    if instruction:
        lines += [f"> {instruction}", ""]
    lines += [result.text.strip() or "(the model gave no text)", "", "---",
              f"Cost {money(result.cost_usd)} (estimated {money(plan.estimate.usd)}), "
              f"{result.usage.input_tokens} input and {result.usage.output_tokens} output tokens."]
    lines += [f"- {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def run_summary(base: dict[str, Any], done: Outcome, result: RunResult, latency_ms: int) -> dict[str, Any]:
    """The `modelroute.run` answer for a run the model finished (or that was cancelled mid-way)."""
    usage = result.usage
    summary = {
        **base,
        "outcome": done.outcome,
        "message": done.message,
        "actual_usd": round(result.cost_usd, 6),
        "usage": {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
                  "cache_read_tokens": usage.cache_read_tokens, "reasoning_tokens": usage.reasoning_tokens},
        "latency_ms": latency_ms,
        "turns": result.turns,
        "stop": result.stop,
        "files": done.files,
        "findings": done.findings,
        "commands": [c.summary for c in result.commands],
        "notes": result.notes,
        "text": result.text,
    }
    if done.shown_document is not None:
        summary["document"] = done.shown_document
    return summary
