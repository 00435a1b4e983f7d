"""The request that running an action would send: what leaves the user's machine."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class IncludedFile(BaseModel):
    """A span of a workspace file that is put into the prompt."""

    model_config = ConfigDict(frozen=True)
    path: str
    start_line: int  # 0-based, inclusive
    end_line: int  # 0-based, inclusive
    reason: str


class Message(BaseModel):
    model_config = ConfigDict(frozen=True)
    role: Literal["user", "assistant"]
    content: str


class ToolSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    description: str
    input_schema: dict[str, Any]


class PromptRequest(BaseModel):
    """Provider-neutral first request of a run; providers translate it per API."""

    model_config = ConfigDict(frozen=True)
    model: str
    system: str
    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...]
    included: tuple[IncludedFile, ...]
    withheld: tuple[str, ...] = ()  # files kept out by privacy settings, with why
    redactions: int = 0  # secret-looking values replaced by a marker
    expected_reads: tuple[str, ...] = ()  # files the model will likely read with its tool

    def text_for_counting(self) -> str:
        """Everything that is tokenized on the provider side, in one string."""
        parts = [self.system, *(m.content for m in self.messages)]
        parts.extend(f"{t.name}\n{t.description}\n{t.input_schema}" for t in self.tools)
        return "\n".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "system": self.system,
            "messages": [m.model_dump() for m in self.messages],
            "tools": [t.model_dump() for t in self.tools],
            "included": [f.model_dump() for f in self.included],
            "withheld": list(self.withheld),
            "redactions": self.redactions,
            "expected_reads": list(self.expected_reads),
        }
