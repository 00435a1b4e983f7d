"""OpenAI Responses API through `openai.AsyncOpenAI` (GPT-5 family, Codex), streamed.

Stateless: `store=False`, and for reasoning models the encrypted reasoning items are requested
and replayed with the next turn, so nothing of the conversation is kept on OpenAI's side.
"""

from __future__ import annotations

import hashlib
import json
from types import ModuleType
from typing import Any

import openai

from modelroute.providers.base import IncompleteStream, MalformedReply, ModelClient, Sink, StreamErrorEvent
from modelroute.providers.types import (
    Api,
    AssistantMessage,
    Message,
    ModelRequest,
    NativeTurn,
    StopReason,
    ToolCall,
    ToolResultsMessage,
    TurnResult,
    Usage,
    UserMessage,
)


class ResponsesClient(ModelClient):
    api: Api = "openai-responses"

    @property
    def _sdk_module(self) -> ModuleType:
        return openai

    async def _stream(self, request: ModelRequest, sink: Sink) -> TurnResult:
        acc = _Accumulator(sink)
        params = build_params(self.model.api_model, self.model.reasoning, request, self.model.service_tier)
        stream = await self._sdk.responses.create(**params, stream=True)
        sink.started = True
        async with stream:
            async for event in stream:
                await acc.feed(event)
        if acc.final is None:
            raise IncompleteStream()
        return acc.result(request_id=getattr(stream.response, "headers", {}).get("x-request-id"))


def prompt_cache_key(api_model: str, request: ModelRequest) -> str:
    """One key per stable prefix (model, instructions, tools): OpenAI routes requests with the same
    key to the same cache, so every turn of a run, and runs with the same prompt, hit it."""
    prefix = json.dumps(
        [api_model, request.system, [t.model_dump(mode="json") for t in request.tools]], sort_keys=True
    )
    return "modelroute-" + hashlib.sha256(prefix.encode()).hexdigest()[:32]


def build_params(
    api_model: str, reasoning: str, request: ModelRequest, service_tier: str = "standard"
) -> dict[str, Any]:
    """The request in a stable prefix order for OpenAI's automatic prompt caching: instructions,
    then tools, then the conversation, which later turns only append to."""
    params: dict[str, Any] = {
        "model": api_model,
        "input": to_input(request.messages),
        "max_output_tokens": request.max_output_tokens,
        "store": False,
    }
    if request.prompt_cache:
        params["prompt_cache_key"] = prompt_cache_key(api_model, request)
    if service_tier != "standard":  # priced at this tier in the catalog (catalog/library.py)
        params["service_tier"] = service_tier
    if request.system:
        params["instructions"] = request.system
    if request.tools:
        params["tools"] = [
            {
                "type": "function",
                "name": t.name,
                "description": t.description,
                "parameters": t.input_schema,
                "strict": False,
            }
            for t in request.tools
        ]
    if reasoning == "reasoning-effort":
        params["reasoning"] = {"effort": request.reasoning_effort or "medium", "summary": "auto"}
        params["include"] = ["reasoning.encrypted_content"]
    elif request.temperature is not None:
        params["temperature"] = request.temperature
    return params


def to_input(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, UserMessage):
            items.append({"role": "user", "content": [{"type": "input_text", "text": message.text}]})
        elif isinstance(message, ToolResultsMessage):
            items += [
                {"type": "function_call_output", "call_id": r.call_id, "output": r.content}
                for r in message.results
            ]
        elif message.native is not None and message.native.api == "openai-responses":
            items += [dict(item) for item in message.native.items]
        else:
            items += _assistant_items(message)
    return items


def _assistant_items(message: AssistantMessage) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if message.text:
        items.append(_message_item(message.text))
    items += [
        {"type": "function_call", "call_id": c.id, "name": c.name, "arguments": json.dumps(c.arguments)}
        for c in message.tool_calls
    ]
    return items


def _message_item(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def _replayable(item: dict[str, Any]) -> dict[str, Any] | None:
    """An output item in the form the API takes back as input with store=False (no server ids,
    except on reasoning items, whose encrypted content carries the state)."""
    kind = item.get("type")
    if kind == "reasoning":
        return {k: item[k] for k in ("type", "id", "summary", "encrypted_content") if item.get(k) is not None}
    if kind == "message":
        text = "".join(p.get("text", "") for p in item.get("content", []) if p.get("type") == "output_text")
        return _message_item(text) if text else None
    if kind == "function_call":
        return {k: item[k] for k in ("type", "call_id", "name", "arguments")}
    return None


class _Accumulator:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.text: list[str] = []
        self.thinking: list[str] = []
        self.items: dict[int, dict[str, Any]] = {}
        self.final: dict[str, Any] | None = None
        self.model = ""

    async def feed(self, event: Any) -> None:
        kind = event.type
        if kind == "response.created":
            self.model = event.response.model or ""
        elif kind == "response.output_text.delta":
            self.text.append(event.delta)
            await self.sink.text(event.delta)
        elif kind == "response.reasoning_summary_text.delta":
            self.thinking.append(event.delta)
        elif kind == "response.output_item.done":
            self.items[event.output_index] = event.item.model_dump(exclude_none=True)
        elif kind in ("response.completed", "response.incomplete"):
            self.final = event.response.model_dump(exclude_none=True)
            await self.sink.update_usage(_usage(self.final.get("usage") or {}))
        elif kind == "response.failed":
            raise StreamErrorEvent(event.response.model_dump().get("error"))
        elif kind == "error":
            raise StreamErrorEvent(event.model_dump())

    def result(self, request_id: str | None) -> TurnResult:
        final = self.final or {}
        output = final.get("output") or [self.items[i] for i in sorted(self.items)]
        calls = tuple(_tool_call(item) for item in output if item.get("type") == "function_call")
        text = "".join(self.text) or "".join(
            p.get("text", "")
            for item in output
            if item.get("type") == "message"
            for p in item.get("content", [])
            if p.get("type") == "output_text"
        )
        thinking = "".join(self.thinking)
        native = NativeTurn(
            api="openai-responses", items=tuple(r for r in (_replayable(i) for i in output) if r is not None)
        )
        assistant = AssistantMessage(text=text, tool_calls=calls, thinking=thinking, native=native)
        return TurnResult(
            text=text,
            tool_calls=calls,
            usage=self.sink.usage,
            stop_reason=_stop(final, output),
            thinking=thinking,
            assistant=assistant,
            model=final.get("model") or self.model,
            request_id=request_id,
        )


def _tool_call(item: dict[str, Any]) -> ToolCall:
    try:
        arguments = json.loads(item.get("arguments") or "{}")
    except ValueError as err:
        raise MalformedReply(f"tool {item.get('name')!r} arguments are not JSON") from err
    if not isinstance(arguments, dict):
        raise MalformedReply(f"tool {item.get('name')!r} arguments are not an object")
    return ToolCall(id=item["call_id"], name=item["name"], arguments=arguments)


def _stop(final: dict[str, Any], output: list[dict[str, Any]]) -> StopReason:
    if any(item.get("type") == "function_call" for item in output):
        return "tool_use"
    reason = (final.get("incomplete_details") or {}).get("reason")
    if reason == "max_output_tokens":
        return "max_tokens"
    if reason == "content_filter" or any(
        p.get("type") == "refusal" for item in output for p in item.get("content", []) or []
    ):
        return "refusal"
    return "end_turn" if final.get("status") == "completed" else "other"


def _usage(usage: dict[str, Any]) -> Usage:
    details = usage.get("input_tokens_details") or {}
    cached = int(details.get("cached_tokens") or 0)
    written = int(details.get("cache_write_tokens") or 0)
    return Usage(
        input_tokens=int(usage.get("input_tokens") or 0),
        output_tokens=int(usage.get("output_tokens") or 0),
        cache_read_tokens=cached,
        cache_write_tokens=written,
        reasoning_tokens=int((usage.get("output_tokens_details") or {}).get("reasoning_tokens") or 0),
    )
