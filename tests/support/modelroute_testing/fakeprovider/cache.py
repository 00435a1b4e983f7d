"""Prompt caching as the real APIs do it, for replies scripted with `prompt_cache=True`.

The request is cut into parts in the order the API caches them. Anthropic: tools, system blocks,
message blocks; a prefix is written only up to a block marked `cache_control`, and read back
when an earlier request wrote the same prefix ending at that block or at one of the 20 block
boundaries before it; what the request's last breakpoint covers beyond that is written.
OpenAI (Responses, Chat): instructions, tools, input items; the longest prefix an earlier
request with the same `prompt_cache_key` (or model, without one) sent is read back, in 128-token
steps; writes are not billed. Nothing under 1,024 tokens is cached. Token counts are o200k counts of each part's JSON.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from modelroute.cost.tokens import count_tokens

MIN_TOKENS = 1_024
OPENAI_STEP = 128
LOOKBACK = 20  # Anthropic checks about 20 block boundaries before each breakpoint for a cached prefix


@dataclass
class CacheShape:
    uncached: int
    read: int
    written: int


@dataclass
class PromptCache:
    seen: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    enabled: bool = True  # False: a provider that caches nothing (counts still computed)

    def apply(self, api: str, data: dict[str, Any]) -> CacheShape:
        with self.lock:
            if not self.enabled:
                return CacheShape(uncached=sum(_tokens(p) for p in _parts(api, data)), read=0, written=0)
            if api == "anthropic":
                return self._anthropic(data)
            return self._openai(api, data)

    def _anthropic(self, data: dict[str, Any]) -> CacheShape:
        parts = _anthropic_parts(data)
        sizes = [_tokens(p) for p in parts]
        total = sum(sizes)
        model = str(data.get("model"))
        marks = [i for i, part in enumerate(parts) if isinstance(part, dict) and "cache_control" in part]
        # A breakpoint also finds a prefix cached at any of the LOOKBACK block boundaries before it.
        candidates = sorted({end for i in marks for end in range(max(0, i - LOOKBACK + 1), i + 1)}, reverse=True)
        read = 0
        for end in candidates:
            if sum(sizes[: end + 1]) >= MIN_TOKENS and _key(model, parts[: end + 1]) in self.seen:
                read = sum(sizes[: end + 1])
                break
        written = 0
        if marks and sum(sizes[: marks[-1] + 1]) >= MIN_TOKENS:
            written = max(0, sum(sizes[: marks[-1] + 1]) - read)
        for i in marks:
            if sum(sizes[: i + 1]) >= MIN_TOKENS:
                self.seen.add(_key(model, parts[: i + 1]))
        return CacheShape(uncached=total - read - written, read=read, written=written)

    def _openai(self, api: str, data: dict[str, Any]) -> CacheShape:
        parts = _openai_parts(api, data)
        sizes = [_tokens(p) for p in parts]
        scope = str(data.get("prompt_cache_key") or data.get("model"))
        longest = 0
        for end in range(len(parts), 0, -1):
            if _key(scope, parts[:end]) in self.seen:
                longest = sum(sizes[:end])
                break
        for end in range(1, len(parts) + 1):
            self.seen.add(_key(scope, parts[:end]))
        read = 0 if longest < MIN_TOKENS else MIN_TOKENS + (longest - MIN_TOKENS) // OPENAI_STEP * OPENAI_STEP
        return CacheShape(uncached=sum(sizes) - read, read=read, written=0)


def _parts(api: str, data: dict[str, Any]) -> list[Any]:
    return _anthropic_parts(data) if api == "anthropic" else _openai_parts(api, data)


def _anthropic_parts(data: dict[str, Any]) -> list[Any]:
    system = data.get("system") or []
    blocks = [{"type": "text", "text": system}] if isinstance(system, str) else list(system)
    parts: list[Any] = [*(data.get("tools") or []), *blocks]
    for message in data.get("messages") or []:
        content = message.get("content")
        for block in content if isinstance(content, list) else [{"type": "text", "text": content}]:
            parts.append({**block, "role": message.get("role")})
    return parts


def _openai_parts(api: str, data: dict[str, Any]) -> list[Any]:
    if api == "responses":
        return [data.get("instructions") or "", data.get("tools") or [], *(data.get("input") or [])]
    return [data.get("tools") or [], *(data.get("messages") or [])]


def _tokens(part: Any) -> int:
    return count_tokens(json.dumps(_without_marks(part), sort_keys=True))


def _without_marks(part: Any) -> Any:
    return {k: v for k, v in part.items() if k != "cache_control"} if isinstance(part, dict) else part


def _key(scope: str, parts: list[Any]) -> str:
    text = json.dumps([scope, [_without_marks(p) for p in parts]], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
