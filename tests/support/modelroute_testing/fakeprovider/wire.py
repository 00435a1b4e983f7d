"""Render a scripted reply in the wire format of each API: a JSON body or a list of SSE events.

Field names follow the public API references (Anthropic Messages, OpenAI Responses and
Chat Completions), so the unmodified SDKs parse them.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from modelroute_testing.fakeprovider.script import Reply, ScriptedToolCall

Event = tuple[str | None, Any]  # (SSE event name or None, data: dict or the literal "[DONE]")

_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}_fake{next(_ids):06d}"


def chunks(text: str, size: int) -> list[str]:
    size = max(1, size)
    return [text[i : i + size] for i in range(0, len(text), size)]


def call_id(call: ScriptedToolCall, prefix: str) -> str:
    return call.id or new_id(prefix)


# ---------------------------------------------------------------- Anthropic Messages


def anthropic_usage(reply: Reply) -> dict[str, int]:
    return {
        "input_tokens": reply.input_tokens,
        "cache_read_input_tokens": reply.cache_read_tokens,
        "cache_creation_input_tokens": reply.cache_write_tokens,
        "output_tokens": reply.resolved_output_tokens(),
    }


def _anthropic_blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.thinking:
        blocks.append({"type": "thinking", "thinking": reply.thinking, "signature": "sig-" + new_id("th")})
    if reply.text:
        blocks.append({"type": "text", "text": reply.text})
    for call in reply.tool_calls:
        blocks.append(
            {
                "type": "tool_use",
                "id": call_id(call, "toolu"),
                "name": call.name,
                "input": call.arguments,
                "raw": call.raw_arguments(),
            }
        )
    return blocks


def anthropic_message(reply: Reply, model: str, *, keep_raw: bool = False) -> dict[str, Any]:
    blocks = _anthropic_blocks(reply)
    if not keep_raw:
        blocks = [{k: v for k, v in b.items() if k != "raw"} for b in blocks]
    return {
        "id": new_id("msg"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": reply.resolved_stop(),
        "stop_sequence": None,
        "usage": anthropic_usage(reply),
    }


def _anthropic_block_events(index: int, block: dict[str, Any], size: int) -> list[Event]:
    kind = block["type"]
    if kind == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": c} for c in chunks(block["thinking"], size)]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif kind == "text":
        start = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": c} for c in chunks(block["text"], size)]
    else:
        start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        raw = block["raw"]
        deltas = [{"type": "input_json_delta", "partial_json": c} for c in chunks(raw, max(size, 8))]
    events: list[Event] = [
        ("content_block_start", {"type": "content_block_start", "index": index, "content_block": start})
    ]
    events += [
        ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d}) for d in deltas
    ]
    events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    return events


def anthropic_events(reply: Reply, model: str) -> list[Event]:
    message = anthropic_message(reply, model, keep_raw=True)
    usage = message["usage"]
    start = dict(message, content=[], stop_reason=None, usage=dict(usage, output_tokens=1))
    events: list[Event] = [
        ("message_start", {"type": "message_start", "message": start}),
        ("ping", {"type": "ping"}),
    ]
    for index, block in enumerate(message["content"]):
        events += _anthropic_block_events(index, block, reply.chunk_chars)
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": usage,
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def anthropic_error(status: int, message: str) -> dict[str, Any]:
    kinds = {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        429: "rate_limit_error",
        529: "overloaded_error",
    }
    kind = kinds.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": new_id("req")}


# ---------------------------------------------------------------- OpenAI Responses


def responses_usage(reply: Reply) -> dict[str, Any]:
    prompt = reply.input_tokens + reply.cache_read_tokens + reply.cache_write_tokens
    output = reply.resolved_output_tokens()
    return {
        "input_tokens": prompt,
        "input_tokens_details": {
            "cached_tokens": reply.cache_read_tokens,
            "cache_write_tokens": reply.cache_write_tokens,
        },
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": reply.reasoning_tokens},
        "total_tokens": prompt + output,
    }


def _responses_items(reply: Reply) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if reply.thinking or reply.reasoning_tokens:
        summary = [{"type": "summary_text", "text": reply.thinking}] if reply.thinking else []
        items.append(
            {
                "id": new_id("rs"),
                "type": "reasoning",
                "summary": summary,
                "encrypted_content": "enc-" + new_id("rs"),
            }
        )
    if reply.text:
        items.append(
            {
                "id": new_id("msg"),
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": reply.text, "annotations": [], "logprobs": []}],
            }
        )
    for call in reply.tool_calls:
        items.append(
            {
                "id": new_id("fc"),
                "type": "function_call",
                "call_id": call_id(call, "call"),
                "name": call.name,
                "arguments": call.raw_arguments(),
                "status": "completed",
            }
        )
    return items


def responses_object(reply: Reply, model: str, status: str = "completed") -> dict[str, Any]:
    incomplete = reply.resolved_stop() == "max_tokens"
    return {
        "id": new_id("resp"),
        "object": "response",
        "created_at": int(time.time()),
        "model": model,
        "status": "incomplete" if incomplete and status == "completed" else status,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "output": _responses_items(reply),
        "usage": responses_usage(reply),
        "error": None,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "text": {"format": {"type": "text"}},
    }


def _responses_item_events(index: int, item: dict[str, Any], size: int) -> list[Event]:
    kind = item["type"]
    out: list[dict[str, Any]] = []
    base = {"item_id": item["id"], "output_index": index}
    if kind == "reasoning":
        out.append(
            {
                "type": "response.output_item.added",
                "output_index": index,
                "item": dict(item, summary=[], encrypted_content=None),
            }
        )
        for part in item["summary"]:
            out.append(
                {
                    "type": "response.reasoning_summary_part.added",
                    **base,
                    "summary_index": 0,
                    "part": {"type": "summary_text", "text": ""},
                }
            )
            out += [
                {"type": "response.reasoning_summary_text.delta", **base, "summary_index": 0, "delta": c}
                for c in chunks(part["text"], size)
            ]
            out.append(
                {
                    "type": "response.reasoning_summary_text.done",
                    **base,
                    "summary_index": 0,
                    "text": part["text"],
                }
            )
            out.append(
                {"type": "response.reasoning_summary_part.done", **base, "summary_index": 0, "part": part}
            )
    elif kind == "message":
        text = item["content"][0]["text"]
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        out.append(
            {
                "type": "response.output_item.added",
                "output_index": index,
                "item": dict(item, content=[], status="in_progress"),
            }
        )
        out.append({"type": "response.content_part.added", **base, "content_index": 0, "part": part})
        out += [
            {"type": "response.output_text.delta", **base, "content_index": 0, "delta": c, "logprobs": []}
            for c in chunks(text, size)
        ]
        out.append(
            {"type": "response.output_text.done", **base, "content_index": 0, "text": text, "logprobs": []}
        )
        out.append(
            {"type": "response.content_part.done", **base, "content_index": 0, "part": item["content"][0]}
        )
    else:
        out.append(
            {
                "type": "response.output_item.added",
                "output_index": index,
                "item": dict(item, arguments="", status="in_progress"),
            }
        )
        out += [
            {"type": "response.function_call_arguments.delta", **base, "delta": c}
            for c in chunks(item["arguments"], max(size, 8))
        ]
        out.append(
            {
                "type": "response.function_call_arguments.done",
                **base,
                "name": item["name"],
                "arguments": item["arguments"],
            }
        )
    out.append({"type": "response.output_item.done", "output_index": index, "item": item})
    return [(e["type"], e) for e in out]


def responses_events(reply: Reply, model: str) -> list[Event]:
    final = responses_object(reply, model)
    started = dict(final, status="in_progress", output=[], usage=None, incomplete_details=None)
    events: list[Event] = [
        ("response.created", {"type": "response.created", "response": started}),
        ("response.in_progress", {"type": "response.in_progress", "response": started}),
    ]
    for index, item in enumerate(final["output"]):
        events += _responses_item_events(index, item, reply.chunk_chars)
    done = "response.incomplete" if final["status"] == "incomplete" else "response.completed"
    events.append((done, {"type": done, "response": final}))
    for seq, (_, data) in enumerate(events):
        data["sequence_number"] = seq
    return events


def openai_error(status: int, message: str) -> dict[str, Any]:
    kinds = {400: "invalid_request_error", 401: "invalid_request_error", 429: "rate_limit_exceeded"}
    kind = kinds.get(status, "server_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


def responses_error_event(message: str, status: int) -> dict[str, Any]:
    code = "rate_limit_exceeded" if status == 429 else "server_error"
    return {"type": "error", "code": code, "message": message, "param": None, "sequence_number": 0}


# ---------------------------------------------------------------- OpenAI Chat Completions


def chat_usage(reply: Reply) -> dict[str, Any]:
    prompt = reply.input_tokens + reply.cache_read_tokens + reply.cache_write_tokens
    output = reply.resolved_output_tokens()
    return {
        "prompt_tokens": prompt,
        "completion_tokens": output,
        "total_tokens": prompt + output,
        "prompt_tokens_details": {
            "cached_tokens": reply.cache_read_tokens,
            "cache_write_tokens": reply.cache_write_tokens,
        },
        "completion_tokens_details": {"reasoning_tokens": reply.reasoning_tokens},
    }


def _finish(reply: Reply) -> str:
    return {"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length"}[reply.resolved_stop()]


def chat_completion(reply: Reply, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.thinking:
        message["reasoning_content"] = reply.thinking
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": call_id(c, "call"),
                "type": "function",
                "function": {"name": c.name, "arguments": c.raw_arguments()},
            }
            for c in reply.tool_calls
        ]
    return {
        "id": new_id("chatcmpl"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": _finish(reply), "logprobs": None}],
        "usage": chat_usage(reply),
    }


def chat_events(reply: Reply, model: str, include_usage: bool) -> list[Event]:
    ident, created = new_id("chatcmpl"), int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> Event:
        return (
            None,
            {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            },
        )

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"reasoning_content": c}) for c in chunks(reply.thinking, reply.chunk_chars)]
    events += [chunk({"content": c}) for c in chunks(reply.text, reply.chunk_chars)]
    for index, call in enumerate(reply.tool_calls):
        head = {
            "index": index,
            "id": call_id(call, "call"),
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        events.append(chunk({"tool_calls": [head]}))
        events += [
            chunk({"tool_calls": [{"index": index, "function": {"arguments": c}}]})
            for c in chunks(call.raw_arguments(), max(reply.chunk_chars, 8))
        ]
    events.append(chunk({}, _finish(reply)))
    if include_usage:
        events.append(
            (
                None,
                {
                    "id": ident,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": chat_usage(reply),
                },
            )
        )
    events.append((None, "[DONE]"))
    return events


def encode_event(name: str | None, data: Any) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {payload}\n\n".encode()
