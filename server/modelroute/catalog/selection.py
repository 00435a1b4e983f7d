"""The rule that decides which library models are current, generally available chat models.

The built-in catalog lists, for each built-in provider, the newest release of each model line the
library knows that passes this rule; a test checks the list against the rule, so a library update
that adds a newer release shows up as a failing test rather than silently going stale.

A library model is excluded when:
- the library marks it deprecated;
- it is not a text chat model: it has audio/image/per-hour/per-character prices, or its id names
  image, audio, realtime, transcribe, tts, embedding, whisper, moderation, live, search, ocr, or a
  vision variant (GLM "...V");
- it is a preview or experiment: "preview" or "-exp" in its id, or "research preview" in its name;
- it has limited availability: "limited availability" or "verified through" in the library's
  description or comments (Claude Mythos), or it is a gated cyber/research variant
  ("cyber", "rosalind", "deep-research");
- it is a speed or compute variant of another listed model: "-highspeed", "-turbo", "-flashx",
  "-pro" on OpenAI ids (GPT-5.x Pro: same model, more compute, 6-12x the price);
- it is an alias or a chat-product model: "latest" in the id, "chat" in the id or
  "Instant" in the description (ChatGPT's Instant models), or OpenAI's open-weight ids whose prices
  the library imported from a reseller ("Imported from OpenRouter").
- it is not priced by the provider's own API in the library (a fine-tune "ft:" prefix).

A model line is the id with its version numbers removed (claude-opus-4-6 -> claude-opus,
gpt-6.1-sol -> gpt-sol, kimi-k2.7-code -> kimi-k-code); the newest release of a line is the one with
the highest version tuple. Only lines whose newest release belongs to the provider's newest major
version count as current (so Claude 5.x lines, GPT-6 lines, Kimi K3, GLM-5, MiniMax M3, DeepSeek V4);
older lines (o-series, GPT-4o, Claude 2) are superseded. The models the product brief names
(Claude Opus 4.6, Sonnet 4.6, Haiku 4.5, GPT-5.3-Codex, GPT-5.4, GPT-5 mini, Kimi K2.5, GLM-5,
MiniMax M2.5) are listed in addition, whatever this rule says about them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from genai_prices import types as gp

from modelroute.catalog.library import LIBRARY_PROVIDER, provider_models

_NON_CHAT_WORDS = (
    "image", "audio", "realtime", "transcribe", "tts", "embedding", "whisper", "moderation",
    "live", "search", "ocr", "computer-use",
)
_NON_TOKEN_PRICES = ("audio", "image", "hours", "mchars")
_GATED_WORDS = ("cyber", "rosalind", "deep-research")
_SPEED_SUFFIXES = ("-highspeed", "-turbo", "-flashx")
_VERSION = re.compile(r"\d+(?:[.-]\d+)*")


@dataclass(frozen=True)
class Verdict:
    model_id: str
    current: bool
    reason: str


def _text(model: gp.ModelInfo) -> str:
    return " ".join(filter(None, (model.name, model.description, model.price_comments)))


def judge(provider_id: str, model: gp.ModelInfo) -> Verdict:
    mid = model.id.lower()

    def no(reason: str) -> Verdict:
        return Verdict(model.id, False, reason)

    if model.deprecated:
        return no("deprecated in the library")
    prices = model.prices if isinstance(model.prices, gp.ModelPrice) else model.prices[-1].prices
    priced = [key for key, value in prices.__dict__.items() if value is not None]
    if "input_mtok" not in priced or "output_mtok" not in priced:
        return no("not priced per token")
    if any(word in key for key in priced for word in _NON_TOKEN_PRICES):
        return no("audio/image/other non-text prices")
    if any(word in mid for word in _NON_CHAT_WORDS) or re.search(r"\d(\.\d+)?v(-|$)", mid):
        return no("not a text chat model")
    if "preview" in mid or "-exp" in mid or "research preview" in (model.name or "").lower():
        return no("preview")
    text = _text(model).lower()
    if "limited availability" in text or "verified through" in text:
        return no("limited availability")
    if any(word in mid for word in _GATED_WORDS):
        return no("gated variant")
    if mid.endswith(_SPEED_SUFFIXES):
        return no("speed variant")
    if provider_id == "openai" and mid.endswith("-pro"):
        return no("compute variant (Pro)")
    if "latest" in mid or "chat" in mid or "instant" in (model.description or "").lower():
        return no("alias or chat-product model")
    if mid.startswith("ft:") or "imported from openrouter" in text:
        return no("not priced from the provider's own API")
    return Verdict(model.id, True, "current")


def line_of(model_id: str) -> str:
    """The model line: the id without version numbers (and without a leading dash left over)."""
    line = _VERSION.sub("", model_id.lower())
    return re.sub(r"-{2,}", "-", line).strip("-.")


def version_of(model_id: str) -> tuple[int, ...]:
    found = _VERSION.findall(model_id)
    return tuple(int(part) for part in re.split(r"[.-]", found[0])) if found else ()


def newest_per_line(provider_key: str) -> dict[str, str]:
    """Line -> id of its newest current release, for one of our built-in providers."""
    library_id = LIBRARY_PROVIDER[provider_key]
    best: dict[str, str] = {}
    for model in provider_models(library_id):
        if not judge(library_id, model).current:
            continue
        line = line_of(model.id)
        if line not in best or version_of(model.id) > version_of(best[line]):
            best[line] = model.id
    majors = [version_of(model_id)[:1] for model_id in best.values()]
    newest_major = max(majors, default=())
    return {line: mid for line, mid in best.items() if newest_major and version_of(mid)[:1] == newest_major}
