"""The built-in models: which library entries, how they are called, and the few typed limits.

Prices and context windows come from genai-prices (see library.py). What the library lacks is typed
here with its public source next to it: the maximum output tokens, and for a few models the API name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from modelroute.catalog.model import Api

Reasoning = Literal["none", "extended-thinking", "adaptive-thinking", "reasoning-effort"]

CLAUDE_MODELS = "https://platform.claude.com/docs/en/about-claude/models/overview"
OPENAI_MODELS = "https://developers.openai.com/api/docs/models"
# modelroute's own cap where a provider publishes no separate output limit: it bounds a request and
# its worst-case cost; the model's context window still bounds input plus output.
PRODUCT_CAP = 32_768
PRODUCT_CAP_NOTE = "no separate output limit in our sources; modelroute caps requests at 32,768 tokens"


@dataclass(frozen=True)
class Builtin:
    id: str
    provider: str  # our provider key
    library_ref: str  # model reference in genai-prices, looked up under the provider
    display_name: str
    short_name: str
    api: Api
    max_output_tokens: int
    max_output_source: str
    reasoning: Reasoning
    api_model: str | None = None  # defaults to `id`
    context_from: tuple[str, str] | None = None  # (library provider, ref) when the entry lacks it
    open_weight: bool = False
    required: bool = False  # named by the product brief; kept whatever the selection rule says


def _claude(
    id_: str, display: str, short: str, max_out: int, source: str, *, required: bool = False
) -> Builtin:
    return Builtin(
        id=id_, provider="anthropic", library_ref=id_, display_name=display, short_name=short,
        api="anthropic-messages", max_output_tokens=max_out, max_output_source=source,
        reasoning="adaptive-thinking" if "haiku-4" not in id_ else "extended-thinking",
        required=required,
    )


def _gpt(id_: str, display: str, short: str, source: str, *, required: bool = False) -> Builtin:
    return Builtin(
        id=id_, provider="openai", library_ref=id_, display_name=display, short_name=short,
        api="openai-responses", max_output_tokens=128_000, max_output_source=source,
        reasoning="reasoning-effort", required=required,
    )


def _open(
    id_: str, provider: str, ref: str, display: str, short: str, *, api_model: str | None = None,
    open_weight: bool = False, required: bool = False, max_out: int = PRODUCT_CAP,
    source: str = PRODUCT_CAP_NOTE, context_from: tuple[str, str] | None = None,
) -> Builtin:
    return Builtin(
        id=id_, provider=provider, library_ref=ref, display_name=display, short_name=short,
        api="openai-chat", max_output_tokens=max_out, max_output_source=source,
        reasoning="extended-thinking", api_model=api_model, context_from=context_from,
        open_weight=open_weight, required=required,
    )


_NEWER_CLAUDE = "not in our sources; assumed equal to its line's 4.x model (" + CLAUDE_MODELS + ")"
_NEWER_GPT = "not in our sources; assumed equal to GPT-5.4's 128,000 (" + OPENAI_MODELS + "/gpt-5.4)"

BUILTINS: tuple[Builtin, ...] = (
    # Anthropic: the brief's three, then the newest release of each current line.
    _claude("claude-opus-4-6", "Claude Opus 4.6", "Opus 4.6", 128_000, CLAUDE_MODELS, required=True),
    _claude("claude-sonnet-4-6", "Claude Sonnet 4.6", "Sonnet 4.6", 64_000, CLAUDE_MODELS, required=True),
    _claude("claude-haiku-4-5", "Claude Haiku 4.5", "Haiku 4.5", 64_000, CLAUDE_MODELS, required=True),
    _claude("claude-fable-5-2", "Claude Fable 5.2", "Fable 5.2", 128_000, _NEWER_CLAUDE),
    _claude("claude-opus-5-5", "Claude Opus 5.5", "Opus 5.5", 128_000, _NEWER_CLAUDE),
    _claude("claude-sonnet-5-5", "Claude Sonnet 5.5", "Sonnet 5.5", 64_000, _NEWER_CLAUDE),
    _claude("claude-haiku-5-5", "Claude Haiku 5.5", "Haiku 5.5", 64_000, _NEWER_CLAUDE),
    # OpenAI
    _gpt("gpt-5.3-codex", "GPT-5.3-Codex", "5.3-Codex", OPENAI_MODELS + "/gpt-5.3-codex", required=True),
    _gpt("gpt-5.4", "GPT-5.4", "GPT-5.4", OPENAI_MODELS + "/gpt-5.4", required=True),
    _gpt("gpt-5-mini", "GPT-5 mini", "5 mini", OPENAI_MODELS + "/gpt-5-mini", required=True),
    _gpt("gpt-6-astra", "GPT-6 Astra", "6 Astra", _NEWER_GPT),
    _gpt("gpt-6.1-sol", "GPT-6.1 Sol", "6.1 Sol", _NEWER_GPT),
    _gpt("gpt-6.1-terra", "GPT-6.1 Terra", "6.1 Terra", _NEWER_GPT),
    _gpt("gpt-6-luna", "GPT-6 Luna", "6 Luna", _NEWER_GPT),
    # Moonshot (Kimi)
    _open("kimi-k2.5", "moonshot", "kimi-k2.5", "Kimi K2.5", "K2.5", open_weight=True, required=True),
    _open("kimi-k3", "moonshot", "kimi-k3", "Kimi K3", "K3"),
    _open("kimi-k3.1-pro", "moonshot", "kimi-k3.1-pro", "Kimi K3.1 Pro", "K3.1 Pro"),
    # Z.ai (GLM). Z.ai's API takes lower-case model names (https://docs.z.ai/api-reference).
    _open(
        "glm-5", "zai", "GLM-5", "GLM-5", "GLM-5", api_model="glm-5", open_weight=True, required=True,
        max_out=128_000, source="https://docs.z.ai/guides/llm/glm-5",
        # The library's Z.ai entry has no context window; its Zhipu (same model, same maker) entry has.
        context_from=("zhipuai", "GLM-5"),
    ),
    _open("glm-5.3", "zai", "GLM-5.3", "GLM-5.3", "GLM-5.3", api_model="glm-5.3"),
    _open("glm-5.3-flash", "zai", "GLM-5.3-Flash", "GLM-5.3 Flash", "5.3 Flash", api_model="glm-5.3-flash"),
    # MiniMax. The library prices M2.5 under its "MiniMax-M2" entry, which matches "MiniMax-M2.5".
    _open(
        "minimax-m2.5", "minimax", "MiniMax-M2.5", "MiniMax M2.5", "M2.5", api_model="MiniMax-M2.5",
        open_weight=True, required=True,
    ),
    _open("minimax-m3", "minimax", "minimax-m3", "MiniMax M3", "M3", api_model="MiniMax-M3"),
    _open(
        "minimax-m3.1-flash", "minimax", "MiniMax-M3.1-Flash", "MiniMax M3.1 Flash", "M3.1 Flash",
        api_model="MiniMax-M3.1-Flash", open_weight=True,  # the library describes it as open-weight
    ),
    # DeepSeek
    _open("deepseek-v4-pro", "deepseek", "deepseek-v4-pro", "DeepSeek V4 Pro", "V4 Pro"),
    _open("deepseek-v4-flash", "deepseek", "deepseek-v4-flash", "DeepSeek V4 Flash", "V4 Flash"),
)
