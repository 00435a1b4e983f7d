"""Model providers: Anthropic Messages, OpenAI Responses and OpenAI-compatible Chat Completions,
through the official SDKs, streamed, behind one neutral request/response model.

    client = client_for(model_entry, provider_settings)       # raises ProviderNotConfigured
    result = await client.turn(request, on_text=print, cancel=event)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelroute.lazy import lazy_names

if TYPE_CHECKING:
    from modelroute.providers.base import ModelClient
    from modelroute.providers.errors import ErrorKind, ProviderError, ProviderNotConfigured
    from modelroute.providers.factory import availability, base_url_for, client_for, key_env_for
    from modelroute.providers.types import (
        AssistantMessage,
        Message,
        ModelRequest,
        NativeTurn,
        StopReason,
        ToolCall,
        ToolResult,
        ToolResultsMessage,
        ToolSpec,
        TurnResult,
        Usage,
        UserMessage,
        sum_usage,
    )

__all__ = [
    "AssistantMessage",
    "ErrorKind",
    "Message",
    "ModelClient",
    "ModelRequest",
    "NativeTurn",
    "ProviderError",
    "ProviderNotConfigured",
    "StopReason",
    "ToolCall",
    "ToolResult",
    "ToolResultsMessage",
    "ToolSpec",
    "TurnResult",
    "Usage",
    "UserMessage",
    "availability",
    "base_url_for",
    "client_for",
    "key_env_for",
    "sum_usage",
]

# Names load on first use: routing asks `availability` of a provider, which must not import the
# client base (httpx2, asyncio) that only a run needs.
_HOME = {
    "ModelClient": "base",
    **dict.fromkeys(("ErrorKind", "ProviderError", "ProviderNotConfigured"), "errors"),
    **dict.fromkeys(("availability", "base_url_for", "client_for", "key_env_for"), "factory"),
    **dict.fromkeys(("AssistantMessage", "Message", "ModelRequest", "NativeTurn", "StopReason", "ToolCall",
                     "ToolResult", "ToolResultsMessage", "ToolSpec", "TurnResult", "Usage", "UserMessage",
                     "sum_usage"), "types"),
}  # fmt: skip


__getattr__ = lazy_names(__name__, _HOME, globals())
