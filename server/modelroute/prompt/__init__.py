"""Prompt: the exact request a run would send, built from the action context."""

from modelroute.prompt.build import build_request
from modelroute.prompt.model import IncludedFile, Message, PromptRequest, ToolSpec

__all__ = ["IncludedFile", "Message", "PromptRequest", "ToolSpec", "build_request"]
