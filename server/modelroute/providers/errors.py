"""Provider failures in a small hierarchy with messages a user can act on; keys never appear."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from modelroute.cost.actual import Usage

ErrorKind = Literal[
    "rate_limited", "server_error", "timeout", "truncated", "malformed", "auth", "bad_request", "cancelled"
]

_RETRYABLE: frozenset[str] = frozenset({"rate_limited", "server_error", "timeout", "truncated"})


class ProviderError(Exception):
    """A model call failed. `kind` says how; str(err) is a message for the user."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        provider: str = "",
        model: str = "",
        status: int | None = None,
        retry_after_s: float | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message
        self.provider = provider
        self.model = model
        self.status = status
        self.retry_after_s = retry_after_s
        self.attempts = attempts
        # Set by the agent loop when earlier turns of the same run were billed before this failure.
        self.spent_usage: Usage | None = None
        self.spent_usd: float = 0.0

    @property
    def transient(self) -> bool:
        """Worth offering a retry or a fallback to another model."""
        return self.kind in _RETRYABLE


class ProviderNotConfigured(ProviderError):
    """No key (or no endpoint) for a provider: says what to set."""

    def __init__(self, message: str, *, provider: str = "", missing_env: str | None = None) -> None:
        super().__init__("auth", message, provider=provider)
        self.missing_env = missing_env


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace any secret value in text; the last line of defence for messages and logs."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text
