"""Provider-neutral request and response: the caller keeps the conversation in this form and each
client translates it to its API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

# One Usage for providers, cost and ledger: genai-prices' convention (input includes cached parts,
# output includes reasoning). See modelroute.cost.actual.
from modelroute.cost.actual import Usage as Usage

# One tool description for the prompt (what --show-prompt prints) and the wire.
from modelroute.prompt.model import ToolSpec as ToolSpec

Api = Literal["anthropic-messages", "openai-responses", "openai-chat"]
StopReason = Literal["end_turn", "tool_use", "max_tokens", "refusal", "other"]


def sum_usage(*usages: Usage) -> Usage:
    """Usage of several calls together (a run of several turns)."""
    return Usage(
        input_tokens=sum(u.input_tokens for u in usages),
        output_tokens=sum(u.output_tokens for u in usages),
        cache_read_tokens=sum(u.cache_read_tokens for u in usages),
        cache_write_tokens=sum(u.cache_write_tokens for u in usages),
        reasoning_tokens=sum(u.reasoning_tokens for u in usages),
    )


class ToolCall(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    arguments: dict[str, Any]


class NativeTurn(BaseModel):
    """The assistant turn exactly as one API returned it, replayed verbatim to the same API.

    Anthropic needs its thinking blocks (with signatures) back, and OpenAI reasoning models their
    encrypted reasoning items, to continue a tool-use conversation.
    """

    model_config = ConfigDict(frozen=True)
    api: Api
    items: tuple[dict[str, Any], ...]


class UserMessage(BaseModel):
    model_config = ConfigDict(frozen=True)
    role: Literal["user"] = "user"
    text: str


class AssistantMessage(BaseModel):
    model_config = ConfigDict(frozen=True)
    role: Literal["assistant"] = "assistant"
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    thinking: str = ""  # readable reasoning text, when the API returns any
    native: NativeTurn | None = None


class ToolResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    call_id: str
    content: str
    is_error: bool = False


class ToolResultsMessage(BaseModel):
    model_config = ConfigDict(frozen=True)
    role: Literal["tool"] = "tool"
    results: tuple[ToolResult, ...]


Message = Annotated[UserMessage | AssistantMessage | ToolResultsMessage, Field(discriminator="role")]


class _PromptMessage(Protocol):
    @property
    def role(self) -> str: ...
    @property
    def content(self) -> str: ...


class _PromptTool(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def input_schema(self) -> dict[str, Any]: ...


class _PromptLike(Protocol):
    @property
    def system(self) -> str: ...
    @property
    def messages(self) -> Sequence[_PromptMessage]: ...
    @property
    def tools(self) -> Sequence[_PromptTool]: ...


class ModelRequest(BaseModel):
    model_config = ConfigDict(frozen=True)
    system: str = ""
    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...] = ()
    max_output_tokens: int = Field(gt=0)
    temperature: float | None = None  # ignored when the model reasons (the APIs reject it then)
    reasoning_effort: Literal["low", "medium", "high"] | None = None  # for "reasoning-effort" models
    # Mark the stable prefix for the provider's prompt cache (Anthropic breakpoints, OpenAI cache
    # key). Off only to measure what caching saves (bench/bench_caching.py).
    prompt_cache: bool = True

    @classmethod
    def from_prompt(cls, prompt: _PromptLike, max_output_tokens: int) -> ModelRequest:
        """Build the first request of a run from a `modelroute.prompt.PromptRequest`."""
        messages: list[Message] = [
            UserMessage(text=m.content) if m.role == "user" else AssistantMessage(text=m.content)
            for m in prompt.messages
        ]
        tools = tuple(
            ToolSpec(name=t.name, description=t.description, input_schema=dict(t.input_schema))
            for t in prompt.tools
        )
        return cls(
            system=prompt.system, messages=tuple(messages), tools=tools, max_output_tokens=max_output_tokens
        )

    def followed_by(self, *messages: Message) -> ModelRequest:
        """The same request with messages appended: the next turn of a tool-use loop."""
        return self.model_copy(update={"messages": (*self.messages, *messages)})


class TurnResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    text: str
    tool_calls: tuple[ToolCall, ...]
    usage: Usage
    stop_reason: StopReason
    thinking: str = ""
    assistant: AssistantMessage  # append this to the conversation, then the tool results
    model: str = ""  # the model name the API reported
    request_id: str | None = None


OnText = Callable[[str], Awaitable[None] | None]
OnUsage = Callable[[Usage], Awaitable[None] | None]
