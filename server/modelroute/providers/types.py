"""Provider-neutral request and response: the caller keeps the conversation in this form and each
client translates it to its API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

Api = Literal["anthropic-messages", "openai-responses", "openai-chat"]
StopReason = Literal["end_turn", "tool_use", "max_tokens", "refusal", "other"]


class Usage(BaseModel):
    """Tokens one call used, normalised across APIs so cost is `sum(count * rate)`.

    `input` is the uncached prompt (base input rate); `cache_read` and `cache_write` are the
    cached parts, disjoint from `input`. `output` is every billed output token, reasoning
    included; `reasoning` is the part of `output` that was reasoning (informational; Anthropic
    does not report it separately, so it is 0 there).
    """

    model_config = ConfigDict(frozen=True)
    input: int = Field(default=0, ge=0)
    output: int = Field(default=0, ge=0)
    cache_read: int = Field(default=0, ge=0)
    cache_write: int = Field(default=0, ge=0)
    reasoning: int = Field(default=0, ge=0)

    @property
    def total_input(self) -> int:
        """Every prompt token, cached or not: what long-context price tiers are judged on."""
        return self.input + self.cache_read + self.cache_write

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input=self.input + other.input,
            output=self.output + other.output,
            cache_read=self.cache_read + other.cache_read,
            cache_write=self.cache_write + other.cache_write,
            reasoning=self.reasoning + other.reasoning,
        )


class ToolSpec(BaseModel):
    """A tool the model may call. Accepts `input_schema` too (the prompt module's name for it)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)
    name: str
    description: str
    json_schema: dict[str, Any] = Field(alias="input_schema")


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

    @classmethod
    def from_prompt(cls, prompt: _PromptLike, max_output_tokens: int) -> ModelRequest:
        """Build the first request of a run from a `modelroute.prompt.PromptRequest`."""
        messages: list[Message] = [
            UserMessage(text=m.content) if m.role == "user" else AssistantMessage(text=m.content)
            for m in prompt.messages
        ]
        tools = tuple(
            ToolSpec(name=t.name, description=t.description, json_schema=dict(t.input_schema))
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
