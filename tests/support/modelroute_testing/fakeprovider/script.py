"""What the fake provider answers: scripted replies and faults, JSON-serialisable for other processes.

Usage numbers are given in one neutral form and rendered per API:
`input_tokens` is the uncached prompt, `cache_read_tokens`/`cache_write_tokens` come on top,
`output_tokens` is every billed output token with `reasoning_tokens` as a part of it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

FaultKind = Literal["status", "hang", "truncate", "malformed", "error_event"]


@dataclass
class Fault:
    """A failure to serve instead of (or in the middle of) a reply.

    - status: answer `status` with an API-shaped error body; `retry_after` (seconds, may be
      fractional) sets the `retry-after` header.
    - hang: send nothing (or, with `after_events` > 0 on a stream, stop sending) for `hang_s`.
    - truncate: stream `after_events` events, then drop the connection mid-body.
    - malformed: a body (or, on a stream after `after_events` events, an event) that is not JSON.
    - error_event: stream `after_events` events, then an SSE error event (`status` picks its type).
    """

    kind: FaultKind
    status: int = 500
    retry_after: float | None = None
    message: str = "fake provider fault"
    after_events: int = 0
    hang_s: float = 30.0


@dataclass
class ScriptedToolCall:
    name: str
    arguments: dict[str, Any] | str  # a str is sent verbatim (e.g. broken JSON)
    id: str | None = None

    def raw_arguments(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass
class Reply:
    text: str = ""
    thinking: str = ""
    tool_calls: list[ScriptedToolCall] = field(default_factory=list)
    input_tokens: int = 12
    output_tokens: int | None = None  # None: derived from the text and tool calls
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    stop_reason: Literal["end_turn", "tool_use", "max_tokens"] | None = None  # None: derived
    fault: Fault | None = None
    chunk_chars: int = 4  # characters per text delta
    event_delay_s: float = 0.0  # pause between streamed events
    # Count the prompt's tokens and cache it as the API would (fakeprovider/cache.py): the
    # usage then reports cache reads on later turns, replacing input/cache token numbers above.
    prompt_cache: bool = False

    def resolved_stop(self) -> str:
        if self.stop_reason is not None:
            return self.stop_reason
        return "tool_use" if self.tool_calls else "end_turn"

    def resolved_output_tokens(self) -> int:
        if self.output_tokens is not None:
            return self.output_tokens
        visible = len(self.text) // 4 + 1 + sum(len(str(c.arguments)) // 4 + 1 for c in self.tool_calls)
        return visible + self.reasoning_tokens

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any]) -> Reply:
        data = dict(data)
        fault = data.pop("fault", None)
        calls = data.pop("tool_calls", [])
        return Reply(
            **data,
            fault=Fault(**fault) if fault else None,
            tool_calls=[ScriptedToolCall(**c) for c in calls],
        )


def fault(kind: FaultKind, **kwargs: Any) -> Reply:
    """A reply that is only a fault: `fault("status", status=429, retry_after=0.1)`."""
    return Reply(fault=Fault(kind=kind, **kwargs))


def call(name: str, **args: Any) -> ScriptedToolCall:
    """A scripted tool call: `call("read_file", path="app/store.py")`."""
    return ScriptedToolCall(name=name, arguments=dict(args))
