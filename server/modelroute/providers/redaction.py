"""The one place every request passes on its way to a model: the secret redactor (prompt/redact.py).

`ModelClient.turn` calls `redact_request` on every request before any adapter sees it, so whatever a
run puts into a conversation (the prompt, file reads, command output, notebook outputs, diagnostics,
commit messages, and anything a later feature adds) is redacted without that feature having to
remember to. The model's own turns are replayed as they came: APIs verify signed thinking blocks
byte for byte, and the model only ever saw redacted text.

Redaction is deterministic, so a conversation's stable prefix stays byte-identical from turn to turn
(prompt caching depends on that), and cached per text, so the growing history of a tool-use loop is
not scanned again on every turn.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from modelroute.prompt.redact import redact
from modelroute.providers.types import (
    AssistantMessage,
    Message,
    ModelRequest,
    ToolResult,
    ToolResultsMessage,
    ToolSpec,
    UserMessage,
)

CACHE_TEXTS = 32  # a run's recent tool results; each at most a few hundred KB


@lru_cache(maxsize=CACHE_TEXTS)
def _redacted(text: str) -> tuple[str, int]:
    return redact(text)


def redact_text(text: str) -> tuple[str, int]:
    return _redacted(text) if text else (text, 0)


def redact_request(request: ModelRequest) -> tuple[ModelRequest, int]:
    """The request with every text we wrote into it redacted, and how many values were replaced."""
    count = 0

    def clean(text: str) -> str:
        nonlocal count
        out, n = redact_text(text)
        count += n
        return out

    system = clean(request.system)
    messages = tuple(_message(m, clean) for m in request.messages)
    tools = tuple(_tool(t, clean) for t in request.tools)
    if count == 0:
        return request, 0
    return request.model_copy(update={"system": system, "messages": messages, "tools": tools}), count


Clean = Callable[[str], str]


def _tool(tool: ToolSpec, clean: Clean) -> ToolSpec:
    description = clean(tool.description)
    if description == tool.description:
        return tool
    return ToolSpec(name=tool.name, description=description, input_schema=dict(tool.input_schema))


def _message(message: Message, clean: Clean) -> Message:
    if isinstance(message, UserMessage):
        text = clean(message.text)
        return message if text == message.text else UserMessage(text=text)
    if isinstance(message, ToolResultsMessage):
        results = tuple(_result(r, clean) for r in message.results)
        return message if results == message.results else ToolResultsMessage(results=results)
    assert isinstance(message, AssistantMessage)
    return message  # the model's own words, replayed verbatim (signed reasoning must not change)


def _result(result: ToolResult, clean: Clean) -> ToolResult:
    content = clean(result.content)
    return result if content == result.content else result.model_copy(update={"content": content})

