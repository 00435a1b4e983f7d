"""Strength per category (0..100) for each built-in model, with the public source of every number.

A measured score is the model's published result on the category's benchmark, in percent:
- shell_automation: Terminal-Bench 2.0 (https://www.tbench.ai/leaderboard)
- debugging: SWE-bench Verified (https://www.swebench.com), as reported by the vendor
- multi_file_refactor: SWE-bench Verified, with the model's thinking mode on where reported
- explain: GPQA Diamond
- ui_greenfield, code_review, quick_edit: no comparable published percentages for these models;
  documented priors (WebDev Arena ranks Claude Opus first, code-review comparisons favour
  GPT-5.3-Codex, and every frontier model handles a small local edit).
Scores are compared within a category only. A model without a public result in a category gets a
prior: its nearest sibling's score plus a stated offset (newer release of a line, cheaper tier of
the same generation, open-weight peer). `prior=True` marks those, and the evidence says so.
Vendor-reported SWE-bench figures use the vendors' own harnesses and are not strictly comparable:
they count VENDOR_DISCOUNT points under their headline. An unmeasured newer release inherits its
line's score with no bonus: being newer is not evidence of being better at a category.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelroute.catalog.model import Strength
from modelroute.categories import ALL_CATEGORIES, Category

C = Category
TBENCH = "https://www.tbench.ai/leaderboard"
SWEBENCH = "https://www.swebench.com"
WEBDEV = "https://web.lmarena.ai/leaderboard"
OPUS_46 = "https://www.anthropic.com/news/claude-opus-4-6"
CODEX_53 = "https://openai.com/index/introducing-gpt-5-3-codex/"
GPT_54 = "https://openai.com/index/introducing-gpt-5-4/"
SONNET_46 = "https://www.anthropic.com/news/claude-sonnet-4-6"
HAIKU_45 = "https://www.anthropic.com/news/claude-haiku-4-5"
KIMI_K25 = "https://huggingface.co/moonshotai/Kimi-K2.5"
GLM_5 = "https://huggingface.co/zai-org/GLM-5"
MINIMAX_M25 = "https://www.minimax.io/news/minimax-m25"


def _m(score: float, evidence: str, source: str) -> Strength:
    return Strength(score=score, evidence=evidence, source=source)


def _p(score: float, evidence: str, source: str) -> Strength:
    return Strength(score=score, evidence=evidence, source=source, prior=True)


# Vendor-reported SWE-bench figures come from the vendors' own harnesses; independent runs of
# open-weight models have usually come in lower, so they count a few points under their headline.
VENDOR_DISCOUNT = 3.0


def _v(reported: float, benchmark: str, source: str) -> Strength:
    counted = reported - VENDOR_DISCOUNT
    return _m(counted, f"{benchmark} (vendor-reported): {reported:g}%, counted as {counted:g} "
                       f"(vendor harness, -{VENDOR_DISCOUNT:g})", source)


# Published results (and, for the two anchor models, the documented category priors every other
# prior is derived from, so each category has a reference point).
MEASURED: dict[str, dict[Category, Strength]] = {
    "claude-opus-4-6": {
        C.SHELL_AUTOMATION: _m(
            65.4, "Terminal-Bench 2.0: 65.4% (OSWorld 72.7%)", f"{OPUS_46}; {TBENCH}"
        ),
        C.DEBUGGING: _m(
            79.4, "SWE-bench Verified: 79.4% (TAU-bench airline 67.5%)", f"{OPUS_46}; {SWEBENCH}"
        ),
        C.MULTI_FILE_REFACTOR: _m(
            80.8, "SWE-bench Verified with extended thinking: 80.8% (79.4% without)", f"{OPUS_46}; {SWEBENCH}"
        ),
        C.EXPLAIN: _m(77.3, "GPQA Diamond: 77.3 (vs GPT-5.3-Codex 73.8)", OPUS_46),
        C.UI_GREENFIELD: _p(
            80.0, "prior: no exact public score recorded; Claude Opus ranks first on WebDev Arena", WEBDEV
        ),
        C.CODE_REVIEW: _p(78.0, "prior: code-review comparisons rate it below GPT-5.3-Codex", CODEX_53),
        C.QUICK_EDIT: _p(85.0, "prior: frontier model; small local edits rarely separate models", OPUS_46),
    },
    "gpt-5.3-codex": {
        C.SHELL_AUTOMATION: _m(77.3, "Terminal-Bench 2.0: 77.3% (OSWorld 64.7%)", f"{CODEX_53}; {TBENCH}"),
        C.EXPLAIN: _m(73.8, "GPQA Diamond: 73.8 (vs Opus 4.6 77.3)", CODEX_53),
        C.DEBUGGING: _p(77.4, "prior: no SWE-bench Verified result published; Opus 4.6 79.4 - 2 "
                        "(TAU-bench airline 61.2% vs 67.5%)", CODEX_53),
        C.MULTI_FILE_REFACTOR: _p(76.8, "prior: no SWE-bench Verified result published; Opus 4.6 80.8 - 4 "
                                  "(Opus is preferred for multi-file refactors)", CODEX_53),
        C.UI_GREENFIELD: _p(74.0, "prior: no exact public score recorded; below Claude Opus on WebDev Arena",
                            WEBDEV),
        C.CODE_REVIEW: _p(80.0, "prior: published code-review comparisons favour GPT-5.3-Codex", CODEX_53),
        C.QUICK_EDIT: _p(85.0, "prior: frontier model; small local edits rarely separate models", CODEX_53),
    },
    "gpt-5.4": {
        C.SHELL_AUTOMATION: _m(75.1, "Terminal-Bench 2.0: 75.1%", f"{GPT_54}; {TBENCH}"),
    },
    "claude-sonnet-4-6": {
        C.DEBUGGING: _m(79.6, "SWE-bench Verified: 79.6%", f"{SONNET_46}; {SWEBENCH}"),
        C.MULTI_FILE_REFACTOR: _m(79.6, "SWE-bench Verified: 79.6%", f"{SONNET_46}; {SWEBENCH}"),
    },
    "claude-haiku-4-5": {
        C.DEBUGGING: _m(73.3, "SWE-bench Verified: 73.3%", f"{HAIKU_45}; {SWEBENCH}"),
        C.MULTI_FILE_REFACTOR: _m(73.3, "SWE-bench Verified: 73.3%", f"{HAIKU_45}; {SWEBENCH}"),
    },
    "kimi-k2.5": {
        C.DEBUGGING: _v(76.8, "SWE-bench Verified", KIMI_K25),
        C.MULTI_FILE_REFACTOR: _v(76.8, "SWE-bench Verified", KIMI_K25),
    },
    "glm-5": {
        C.DEBUGGING: _v(77.8, "SWE-bench Verified", GLM_5),
        C.MULTI_FILE_REFACTOR: _v(77.8, "SWE-bench Verified", GLM_5),
    },
    "minimax-m2.5": {
        C.DEBUGGING: _v(80.2, "SWE-bench Verified", MINIMAX_M25),
        C.MULTI_FILE_REFACTOR: _v(80.2, "SWE-bench Verified", MINIMAX_M25),
    },
}


@dataclass(frozen=True)
class PriorRule:
    sibling: str
    offset: float
    why: str


PRIORS: dict[str, PriorRule] = {
    "claude-sonnet-4-6": PriorRule("claude-opus-4-6", -3, "cheaper tier of the same generation"),
    "claude-haiku-4-5": PriorRule("claude-opus-4-6", -10, "small tier of the generation"),
    "claude-opus-5-5": PriorRule("claude-opus-4-6", 0, "newer release of the same line; unmeasured, so no bonus"),
    "claude-fable-5-2": PriorRule("claude-opus-5-5", 0, "library: Anthropic's most capable wide release; unmeasured"),
    "claude-sonnet-5-5": PriorRule("claude-sonnet-4-6", 0, "newer release of the same line; unmeasured, so no bonus"),
    "claude-haiku-5-5": PriorRule("claude-haiku-4-5", 0, "newer release of the same line; unmeasured, so no bonus"),
    "gpt-5.4": PriorRule("gpt-5.3-codex", 0, "library: OpenAI's most capable model at its release"),
    "gpt-5-mini": PriorRule("gpt-5.3-codex", -12, "small tier of the GPT-5 generation"),
    "gpt-6-astra": PriorRule("gpt-5.4", 0, "next generation, top tier; unmeasured, so no bonus"),
    "gpt-6.1-sol": PriorRule("gpt-6-astra", -2, "library: coding tier below Astra"),
    "gpt-6.1-terra": PriorRule("gpt-6.1-sol", -5, "library: balanced tier"),
    "gpt-6-luna": PriorRule("gpt-5-mini", 0, "next generation, small tier; unmeasured, so no bonus"),
    "kimi-k2.5": PriorRule("claude-sonnet-4-6", -4, "open-weight peer; SWE-bench Verified 76.8 vs 79.6"),
    "kimi-k3": PriorRule("kimi-k2.5", 0, "newer release of the same line; unmeasured, so no bonus"),
    "kimi-k3.1-pro": PriorRule("kimi-k3", 0, "newer release of the same line; unmeasured, so no bonus"),
    "glm-5": PriorRule("claude-sonnet-4-6", -3, "open-weight peer; SWE-bench Verified 77.8 vs 79.6"),
    "glm-5.3": PriorRule("glm-5", 0, "newer release of the same line; unmeasured, so no bonus"),
    "glm-5.3-flash": PriorRule("glm-5.3", -10, "small tier of the generation"),
    "minimax-m2.5": PriorRule("claude-sonnet-4-6", -3, "open-weight peer"),
    "minimax-m3": PriorRule("minimax-m2.5", 0, "newer release of the same line; unmeasured, so no bonus"),
    "minimax-m3.1-flash": PriorRule("minimax-m3", -8, "small tier of the generation"),
    "deepseek-v4-pro": PriorRule("glm-5", 0, "open-weight frontier peer"),
    "deepseek-v4-flash": PriorRule("deepseek-v4-pro", -8, "small tier of the generation"),
}

# Custom models ([models] add) with no score for a category.
CUSTOM_PRIOR = 50.0
CUSTOM_PRIOR_EVIDENCE = "prior: custom model with no score in settings; neutral 50"


def _clip(score: float) -> float:
    return max(0.0, min(100.0, score))


def strength_for(model_id: str, category: Category, names: dict[str, str]) -> Strength:
    """The model's strength in a category: measured, else derived from its sibling (recursively)."""
    measured = MEASURED.get(model_id, {}).get(category)
    if measured is not None:
        return measured
    rule = PRIORS.get(model_id)
    if rule is None:
        return _p(CUSTOM_PRIOR, CUSTOM_PRIOR_EVIDENCE, "modelroute default")
    base = strength_for(rule.sibling, category, names)
    sibling = names.get(rule.sibling, rule.sibling)
    return _p(
        _clip(base.score + rule.offset),
        f"prior: no public result; tier of {sibling} {base.score:g} {rule.offset:+g} ({rule.why})",
        base.source,
    )


def builtin_strengths(model_id: str, names: dict[str, str]) -> dict[Category, Strength]:
    return {category: strength_for(model_id, category, names) for category in ALL_CATEGORIES}
