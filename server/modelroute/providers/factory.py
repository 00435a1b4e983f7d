"""Build a ModelClient from catalog and settings; say what is missing when it cannot.

Keys come only from the environment: ANTHROPIC_API_KEY for the Anthropic API, OPENAI_API_KEY
for OpenAI, or the variable a provider entry names in `api_key_env` (always required when named).
An endpoint marked `local = true` (Ollama, vLLM, llama.cpp) or whose base_url is a loopback
address needs no key unless it names one; a fixed placeholder is sent, never a real key.
The SDKs' ANTHROPIC_BASE_URL / OPENAI_BASE_URL apply when the settings give no base_url.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from modelroute.catalog.model import ModelEntry
from modelroute.policy.schema import ProviderSettings
from modelroute.providers.errors import ProviderNotConfigured
from modelroute.providers.types import Api

if TYPE_CHECKING:
    from modelroute.providers.base import ModelClient

ANTHROPIC_DEFAULT_URL = "https://api.anthropic.com"
OPENAI_DEFAULT_URL = "https://api.openai.com/v1"
# A local server ignores the key, but the openai SDK refuses to start without one. This value is
# sent instead of any real key, so a key meant for OpenAI never reaches a local endpoint.
LOCAL_PLACEHOLDER_KEY = "local-no-key"
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def base_url_for(api: Api, provider: ProviderSettings, env: Mapping[str, str]) -> str:
    if provider.base_url:
        return provider.base_url
    if api == "anthropic-messages":
        return env.get("ANTHROPIC_BASE_URL") or ANTHROPIC_DEFAULT_URL
    return env.get("OPENAI_BASE_URL") or OPENAI_DEFAULT_URL


def key_env_for(api: Api, provider: ProviderSettings) -> str | None:
    """The variable that holds the key; None for a local endpoint that needs none; "" when unknown."""
    if provider.api_key_env:
        return provider.api_key_env
    if provider.base_url and is_local(provider):
        return None
    if api == "anthropic-messages":
        return "ANTHROPIC_API_KEY"
    if api == "openai-responses" or not provider.base_url:
        return "OPENAI_API_KEY"
    return ""


def is_local(provider: ProviderSettings) -> bool:
    host = urlsplit(provider.base_url or "").hostname or ""
    return provider.local or host in _LOOPBACK


def availability(
    provider: ProviderSettings, env: Mapping[str, str] = os.environ, *, name: str = ""
) -> tuple[bool, str]:
    """(usable, hint): whether the provider is configured, else what to set, e.g. "needs OPENAI_API_KEY"."""
    api: Api = provider.api
    key_env = key_env_for(api, provider)
    if key_env is None:
        return True, f"local endpoint {base_url_for(api, provider, env)}, no key needed"
    if key_env == "":
        where = f"[providers.{name}]" if name else "the provider entry"
        return False, f"needs api_key_env in {where} (the variable holding its key), or local = true"
    if env.get(key_env):
        return True, f"{key_env} is set"
    return False, f"needs {key_env}"


def client_for(
    model: ModelEntry, provider: ProviderSettings, env: Mapping[str, str] = os.environ
) -> ModelClient:
    """A streaming client for `model` served by `provider`; raises ProviderNotConfigured if no key."""
    # The SDKs take over a second to import: only runs pay for it, never routing or start-up.
    import anthropic
    import openai

    from modelroute.providers.anthropic_messages import AnthropicClient
    from modelroute.providers.openai_chat import ChatClient
    from modelroute.providers.openai_responses import ResponsesClient

    api: Api = model.api
    provider = provider.model_copy(update={"api": api})
    ok, hint = availability(provider, env, name=model.provider)
    if not ok:
        raise ProviderNotConfigured(
            f"{model.display_name} cannot run: {model.provider} {hint} (set it in the environment the "
            f"editor starts modelroute from; keys are never read from settings files)",
            provider=model.provider,
            missing_env=key_env_for(api, provider) or None,
        )
    key_env = key_env_for(api, provider)
    # Always an explicit key: given None, the SDKs would read ANTHROPIC_API_KEY / OPENAI_API_KEY
    # from the process environment and send them to whatever endpoint this is.
    key = env.get(key_env, "") if key_env else LOCAL_PLACEHOLDER_KEY
    base_url = base_url_for(api, provider, env)
    common: dict[str, Any] = {
        "base_url": base_url,
        "timeout": provider.timeout_s,
        "max_retries": provider.max_retries,
    }
    secrets = (key,) if key_env else ()
    if api == "anthropic-messages":
        sdk: Any = anthropic.AsyncAnthropic(api_key=key, **common)
        return AnthropicClient(
            model, model.provider, sdk, base_url=base_url, max_retries=provider.max_retries, secrets=secrets
        )
    sdk = openai.AsyncOpenAI(api_key=key, **common)
    cls = ResponsesClient if api == "openai-responses" else ChatClient
    return cls(
        model, model.provider, sdk, base_url=base_url, max_retries=provider.max_retries, secrets=secrets
    )
