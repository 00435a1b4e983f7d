"""Built-in provider endpoints. Keys come from the environment variable each one names."""

from __future__ import annotations

from modelroute.catalog.builtin import BUILTINS
from modelroute.policy.schema import ProviderSettings

# (api, key variable, base URL, public source of the base URL). Anthropic and OpenAI use their SDK's
# default endpoint (and honour ANTHROPIC_BASE_URL / OPENAI_BASE_URL); the rest are OpenAI-compatible.
_BUILTIN: dict[str, tuple[str, str, str | None, str]] = {
    "anthropic": ("anthropic-messages", "ANTHROPIC_API_KEY", None, "https://docs.anthropic.com/en/api"),
    "openai": ("openai-responses", "OPENAI_API_KEY", None, "https://platform.openai.com/docs/api-reference"),
    "moonshot": (
        "openai-chat", "MOONSHOT_API_KEY", "https://api.moonshot.ai/v1",
        "https://platform.moonshot.ai/docs/guide/start-using-kimi-api",
    ),
    "zai": (
        "openai-chat", "ZAI_API_KEY", "https://api.z.ai/api/paas/v4",
        "https://docs.z.ai/guides/develop/openai/python",
    ),
    "minimax": (
        "openai-chat", "MINIMAX_API_KEY", "https://api.minimax.io/v1",
        "https://platform.minimax.io/docs/guides/text-generation",
    ),
    "deepseek": ("openai-chat", "DEEPSEEK_API_KEY", "https://api.deepseek.com", "https://api-docs.deepseek.com/"),
}

BASE_URL_SOURCES: dict[str, str] = {name: spec[3] for name, spec in _BUILTIN.items()}


def default_providers() -> dict[str, ProviderSettings]:
    """A fresh dict each call (callers may change it): built-in endpoints and the models they serve."""
    providers: dict[str, ProviderSettings] = {}
    for name, (api, key_env, base_url, _source) in _BUILTIN.items():
        providers[name] = ProviderSettings.model_validate(
            {
                "api": api,
                "api_key_env": key_env,
                "base_url": base_url,
                "models": [b.id for b in BUILTINS if b.provider == name],
            }
        )
    return providers
