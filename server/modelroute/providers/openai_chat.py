"""OpenAI-compatible Chat Completions through `openai.AsyncOpenAI(base_url=...)`, streamed.

For Kimi, GLM, MiniMax, DeepSeek and local servers (Ollama, vLLM, llama.cpp). Reasoning text comes
as the `reasoning_content` extension these servers use, and is sent back with tool-call turns
(Kimi and DeepSeek thinking modes require it).
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import openai

from modelroute.providers.base import IncompleteStream, MalformedReply, ModelClient, Sink
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

_STOP: dict[str, StopReason] = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "refusal",
}


class ChatClient(ModelClient):
    api: Api = "openai-chat"

    @property
    def _sdk_module(self) -> ModuleType:
        return openai

    async def _stream(self, request: ModelRequest, sink: Sink) -> TurnResult:
        acc = _Accumulator(sink)
        stream = await self._sdk.chat.completions.create(
            **build_params(self.model.api_model, request), stream=True
        )
        sink.started = True
        async with stream:
            async for chunk in stream:
                await acc.feed(chunk)
        if acc.finish is None:
            raise IncompleteStream()
        return acc.result(request_id=getattr(stream.response, "headers", {}).get("x-request-id"))


def build_params(api_model: str, request: ModelRequest) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": request.system}] if request.system else []
    params: dict[str, Any] = {
        "model": api_model,
        "messages": messages + to_messages(request.messages),
        # `max_tokens`, not `max_completion_tokens`: the one every compatible server understands.
        "max_tokens": request.max_output_tokens,
        "stream_options": {"include_usage": True},
    }
    if request.tools:
        params["tools"] = [
            {
                "type": "function",
                "function": {"name": t.name, "description": t.description, "parameters": t.input_schema},
            }
            for t in request.tools
        ]
    if request.temperature is not None:
        params["temperature"] = request.temperature
    return params


def to_messages(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, UserMessage):
            out.append({"role": "user", "content": message.text})
        elif isinstance(message, ToolResultsMessage):
            out += [
                {"role": "tool", "tool_call_id": r.call_id, "content": r.content} for r in message.results
            ]
        elif message.native is not None and message.native.api == "openai-chat":
            out += [dict(item) for item in message.native.items]
        else:
            out.append(_assistant(message.text, message.tool_calls, ""))
    return out


def _assistant(text: str, calls: tuple[ToolCall, ...], thinking: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
            }
            for c in calls
        ]
    if thinking:
        message["reasoning_content"] = thinking
    return message


class _Accumulator:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.text: list[str] = []
        self.thinking: list[str] = []
        self.calls: dict[int, dict[str, str]] = {}
        self.finish: str | None = None
        self.model = ""

    async def feed(self, chunk: Any) -> None:
        self.model = chunk.model or self.model
        if chunk.usage is not None:
            await self.sink.update_usage(_usage(chunk.usage.model_dump()))
        for choice in chunk.choices or []:
            if choice.index != 0:
                continue
            await self._delta(choice.delta)
            if choice.finish_reason:
                self.finish = choice.finish_reason

    async def _delta(self, delta: Any) -> None:
        if delta is None:
            return
        extra = delta.model_extra or {}
        reasoning = extra.get("reasoning_content") or extra.get("reasoning")
        if isinstance(reasoning, str):
            self.thinking.append(reasoning)
        if delta.content:
            self.text.append(delta.content)
            await self.sink.text(delta.content)
        for call in delta.tool_calls or []:
            slot = self.calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
            slot["id"] = call.id or slot["id"]
            if call.function is not None:
                slot["name"] = call.function.name or slot["name"]
                slot["arguments"] += call.function.arguments or ""

    def result(self, request_id: str | None) -> TurnResult:
        calls = tuple(_tool_call(self.calls[i], i) for i in sorted(self.calls))
        text, thinking = "".join(self.text), "".join(self.thinking)
        native = NativeTurn(api="openai-chat", items=(_assistant(text, calls, thinking),))
        assistant = AssistantMessage(text=text, tool_calls=calls, thinking=thinking, native=native)
        stop = "tool_use" if calls else _STOP.get(self.finish or "", "other")
        return TurnResult(
            text=text,
            tool_calls=calls,
            usage=self.sink.usage,
            stop_reason=stop,
            thinking=thinking,
            assistant=assistant,
            model=self.model,
            request_id=request_id,
        )


def _tool_call(slot: dict[str, str], index: int) -> ToolCall:
    try:
        arguments = json.loads(slot["arguments"] or "{}")
    except ValueError as err:
        raise MalformedReply(f"tool {slot['name']!r} arguments are not JSON") from err
    if not isinstance(arguments, dict) or not slot["name"]:
        raise MalformedReply(f"tool call {index} has no name or its arguments are not an object")
    # Some local servers omit call ids; the conversation still needs one to pair the result.
    return ToolCall(id=slot["id"] or f"call_{index}", name=slot["name"], arguments=arguments)


def _usage(usage: dict[str, Any]) -> Usage:
    prompt_details = usage.get("prompt_tokens_details") or {}
    # prompt_tokens counts cached tokens too. OpenAI: prompt_tokens_details.cached_tokens;
    # Moonshot: top-level cached_tokens; DeepSeek: prompt_cache_hit_tokens.
    cached = int(
        prompt_details.get("cached_tokens")
        or usage.get("cached_tokens")
        or usage.get("prompt_cache_hit_tokens")
        or 0
    )
    written = int(prompt_details.get("cache_write_tokens") or 0)
    details = usage.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=int(usage.get("prompt_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
        cache_read_tokens=cached,
        cache_write_tokens=written,
        reasoning_tokens=int(details.get("reasoning_tokens") or 0),
    )
