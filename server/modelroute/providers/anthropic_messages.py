"""Anthropic Messages API through `anthropic.AsyncAnthropic`, streamed from the raw events."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import anthropic

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
    "end_turn": "end_turn",
    "stop_sequence": "end_turn",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "model_context_window_exceeded": "max_tokens",
    "refusal": "refusal",
}
MIN_THINKING_BUDGET = 1024  # the API's minimum for budget_tokens


class AnthropicClient(ModelClient):
    api: Api = "anthropic-messages"

    @property
    def _sdk_module(self) -> ModuleType:
        return anthropic

    async def _stream(self, request: ModelRequest, sink: Sink) -> TurnResult:
        acc = _Accumulator(sink)
        params = build_params(self.model.api_model, self.model.reasoning, request, self.model.service_tier)
        stream = await self._sdk.messages.create(**params, stream=True)
        sink.started = True
        async with stream:
            async for event in stream:
                await acc.feed(event)
        if not acc.stopped:
            raise IncompleteStream()
        return acc.result(request_id=getattr(stream.response, "headers", {}).get("request-id"))

    async def count_input_tokens(self, request: ModelRequest) -> int:
        """Claude's own input-token count for a request (free endpoint): calibrates o200k estimates."""
        params = build_params(self.model.api_model, self.model.reasoning, request)
        params.pop("max_tokens")
        params.pop("extra_body", None)
        params.pop("speed", None)
        try:
            counted = await self._sdk.messages.count_tokens(**params)
        except Exception as err:
            raise self._map(err, Sink()) from err
        return int(counted.input_tokens)


FAST_MODE_BETA = "fast-mode-2026-02-01"  # some models take `speed` only with this beta header


def build_params(
    api_model: str, reasoning: str, request: ModelRequest, service_tier: str = "standard"
) -> dict[str, Any]:
    """Messages API parameters for a neutral request (pure; tests compare it to what was sent)."""
    messages = to_messages(request.messages)
    params: dict[str, Any] = {"model": api_model, "max_tokens": request.max_output_tokens, "messages": messages}
    cache = _CACHE if request.prompt_cache else {}
    if request.system:
        params["system"] = [{"type": "text", "text": request.system, **cache}]
    if request.tools:
        params["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": t.input_schema}
            for t in request.tools
        ]
        params["tools"][-1].update(cache)
    if request.prompt_cache:
        _mark_cache_breakpoints(messages)
    if service_tier == "fast":
        params["speed"] = "fast"
        params["extra_headers"] = {"anthropic-beta": FAST_MODE_BETA}
    thinking = _thinking(reasoning, request.max_output_tokens)
    if thinking is not None:
        params["thinking"] = thinking
    elif request.temperature is not None:  # this SDK has no temperature argument; the API takes it
        params["extra_body"] = {"temperature": request.temperature}
    return params


# Prompt caching: a breakpoint caches everything up to and including its block (tools, then the
# system prompt, then messages, in that order). Four are allowed per request; we use them on the
# stable prefix: the tools, the system prompt, the first user message (the context and the files
# the prompt carries) and the newest message (so the next turn reads this whole turn back, files
# read by tools included). Below the model's minimum length a breakpoint is ignored, not an error.
_CACHE: dict[str, Any] = {"cache_control": {"type": "ephemeral"}}
_CACHEABLE_BLOCKS = frozenset({"text", "tool_result", "tool_use", "image", "document"})


def _mark_cache_breakpoints(messages: list[dict[str, Any]]) -> None:
    """The prompt's own context (the first user block) and the newest block of the conversation."""
    first_user = next((m for m in messages if m["role"] == "user"), None)
    if first_user is not None and first_user["content"] and _cacheable(first_user["content"][0]):
        first_user["content"][0].update(_CACHE)
    if messages:
        newest = [b for b in messages[-1]["content"] if _cacheable(b)]
        if newest:
            newest[-1].update(_CACHE)


def _cacheable(block: dict[str, Any]) -> bool:
    return block.get("type") in _CACHEABLE_BLOCKS and bool(block.get("text", True))


def _thinking(reasoning: str, max_tokens: int) -> dict[str, Any] | None:
    if reasoning == "adaptive-thinking":
        return {"type": "adaptive"}
    if reasoning == "extended-thinking" and max_tokens > MIN_THINKING_BUDGET + 256:
        # Half the output for thinking, leaving room for the answer; the budget must stay below max_tokens.
        return {"type": "enabled", "budget_tokens": max(MIN_THINKING_BUDGET, max_tokens // 2)}
    return None


def to_messages(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in messages:
        role, blocks = _blocks(message)
        if out and out[-1]["role"] == role == "user":  # tool results and a follow-up share one user turn
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    return out


def _blocks(message: Message) -> tuple[str, list[dict[str, Any]]]:
    if isinstance(message, UserMessage):
        return "user", [{"type": "text", "text": message.text}]
    if isinstance(message, ToolResultsMessage):
        return "user", [
            {"type": "tool_result", "tool_use_id": r.call_id, "content": r.content, "is_error": r.is_error}
            for r in message.results
        ]
    if message.native is not None and message.native.api == "anthropic-messages":
        return "assistant", [dict(item) for item in message.native.items]
    blocks: list[dict[str, Any]] = [{"type": "text", "text": message.text}] if message.text else []
    blocks += [
        {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in message.tool_calls
    ]
    return "assistant", blocks


class _Accumulator:
    """Builds the turn from raw stream events."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.blocks: dict[int, dict[str, Any]] = {}
        self.partial_json: dict[int, str] = {}
        self.usage: dict[str, int] = {}
        self.stop_reason: str | None = None
        self.stopped = False
        self.model = ""

    async def feed(self, event: Any) -> None:
        kind = event.type
        if kind == "message_start":
            self.model = event.message.model or ""
            await self._usage(event.message.usage)
        elif kind == "content_block_start":
            self.blocks[event.index] = _clean_block(event.content_block.model_dump(exclude_none=True))
        elif kind == "content_block_delta":
            await self._delta(event.index, event.delta)
        elif kind == "content_block_stop":
            self._finish_block(event.index)
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason
            await self._usage(event.usage)
        elif kind == "message_stop":
            self.stopped = True

    async def _delta(self, index: int, delta: Any) -> None:
        block = self.blocks.setdefault(index, {"type": "text", "text": ""})
        if delta.type == "text_delta":
            block["text"] = block.get("text", "") + delta.text
            await self.sink.text(delta.text)
        elif delta.type == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + delta.thinking
        elif delta.type == "signature_delta":
            block["signature"] = block.get("signature", "") + delta.signature
        elif delta.type == "input_json_delta":
            self.partial_json[index] = self.partial_json.get(index, "") + delta.partial_json

    def _finish_block(self, index: int) -> None:
        block = self.blocks.get(index)
        if block is None or block.get("type") != "tool_use" or index not in self.partial_json:
            return
        raw = self.partial_json.pop(index)
        try:
            arguments = json.loads(raw) if raw.strip() else {}
        except ValueError as err:
            raise MalformedReply(f"tool {block.get('name')!r} arguments are not JSON") from err
        if not isinstance(arguments, dict):
            raise MalformedReply(f"tool {block.get('name')!r} arguments are not an object")
        block["input"] = arguments

    async def _usage(self, usage: Any) -> None:
        if usage is None:
            return
        for name in (
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
        ):
            value = getattr(usage, name, None)
            if isinstance(value, int):
                self.usage[name] = value
        await self.sink.update_usage(self.normalised_usage())

    def normalised_usage(self) -> Usage:
        return Usage.from_anthropic(
            input_tokens=self.usage.get("input_tokens", 0),
            output_tokens=self.usage.get("output_tokens", 0),
            cache_read_input_tokens=self.usage.get("cache_read_input_tokens", 0),
            cache_creation_input_tokens=self.usage.get("cache_creation_input_tokens", 0),
        )

    def result(self, request_id: str | None) -> TurnResult:
        items = tuple(self.blocks[i] for i in sorted(self.blocks))
        text = "".join(b.get("text", "") for b in items if b["type"] == "text")
        thinking = "".join(b.get("thinking", "") for b in items if b["type"] == "thinking")
        calls = tuple(
            ToolCall(id=b["id"], name=b["name"], arguments=b.get("input") or {})
            for b in items
            if b["type"] == "tool_use"
        )
        stop = "tool_use" if calls else _STOP.get(self.stop_reason or "", "other")
        native = NativeTurn(api="anthropic-messages", items=items)
        assistant = AssistantMessage(text=text, tool_calls=calls, thinking=thinking, native=native)
        return TurnResult(
            text=text,
            tool_calls=calls,
            usage=self.normalised_usage(),
            stop_reason=stop,
            thinking=thinking,
            assistant=assistant,
            model=self.model,
            request_id=request_id,
        )


def _clean_block(block: dict[str, Any]) -> dict[str, Any]:
    """Keep only what the API accepts back as input for the block's type."""
    keep = {
        "text": ("type", "text"),
        "thinking": ("type", "thinking", "signature"),
        "redacted_thinking": ("type", "data"),
        "tool_use": ("type", "id", "name", "input"),
    }
    fields = keep.get(str(block.get("type")))
    return {k: v for k, v in block.items() if k in fields} if fields else block
