"""Pure text helpers: code action titles, inlay labels, hover text. No LSP types here.

Imported when the server starts, so it imports nothing of the routing core (`modelroute.route`
loads the classifier and the catalog): the amounts are formatted by `route.format.money` on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelroute.categories import Category

__all__ = ["action_title", "candidate_title", "category_label", "format_usd", "hover_markdown", "inlay_label"]

if TYPE_CHECKING:
    from modelroute.route.model import Candidate, Decision


def format_usd(usd: float) -> str:
    """`~$0.42`, as every other amount the user sees (route/format.py)."""
    from modelroute.route.format import money

    return money(usd)


def category_label(category: Category) -> str:
    return "multi-file refactor" if category is Category.MULTI_FILE_REFACTOR else category.words


def action_title(category: Category, display_name: str, usd: float) -> str:
    return f"{category.verb} with {display_name} · {format_usd(usd)} ({category_label(category)})"


def candidate_title(decision: Decision, candidate: Candidate) -> str:
    title = action_title(decision.category, candidate.display_name, candidate.cost.usd)
    if not candidate.available:
        title += f" — {candidate.setup_hint or 'provider not configured'}"
    return title


def inlay_label(short_name: str, usd: float) -> str:
    return f"→ {short_name} · {format_usd(usd)}"


def hover_markdown(decision: Decision, max_reasons: int = 3) -> str:
    lines = [
        f"**modelroute** → **{decision.display_name}** · {format_usd(decision.cost.usd)} "
        f"(range ${decision.cost.low_usd:.4g}–${decision.cost.high_usd:.4g})",
        "",
        f"Category: `{decision.category.value}` (confidence {decision.confidence:.0%})",
        "",
    ]
    lines += [f"- {reason}" for reason in decision.reasons[:max_reasons]]
    alternatives = decision.alternatives()[:3]
    if alternatives:
        alts = ", ".join(f"{c.display_name} {format_usd(c.cost.usd)}" for c in alternatives)
        lines += ["", f"Alternatives: {alts}"]
    return "\n".join(lines)
