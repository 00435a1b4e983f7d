"""The ModelClient every API adapter implements: one streamed turn, cancellable, errors mapped."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from abc import ABC, abstractmethod
from contextlib import suppress
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import httpx2

from modelroute.catalog.model import ModelEntry
from modelroute.cost.actual import actual_cost_usd
from modelroute.providers.errors import ErrorKind, ProviderError, scrub
from modelroute.providers.redaction import redact_request
from modelroute.providers.types import Api, ModelRequest, OnText, OnUsage, TurnResult, Usage
from modelroute.telemetry import model_call_span

log = logging.getLogger(__name__)


@dataclass
class Sink:
    """Where a streaming adapter reports progress; also tells the error mapper whether bytes arrived."""

    on_text: OnText | None = None
    on_usage: OnUsage | None = None
    started: bool = False  # a response (status 200) began streaming
    usage: Usage = field(default_factory=Usage)

    async def text(self, delta: str) -> None:
        if delta and self.on_text is not None:
            await _call(self.on_text, delta)

    async def update_usage(self, usage: Usage) -> None:
        self.usage = usage
        if self.on_usage is not None:
            await _call(self.on_usage, usage)


async def _call(callback: Any, value: Any) -> None:
    result = callback(value)
    if inspect.isawaitable(result):
        await result


class MalformedReply(Exception):
    """The API's reply could not be understood (bad JSON, missing fields)."""


class StreamErrorEvent(Exception):
    """The API sent an error event inside a stream that the SDK passed through as data."""

    def __init__(self, body: Any) -> None:
        super().__init__("error event in the stream")
        self.body = body


class IncompleteStream(Exception):
    """The stream ended cleanly but before the API's final event."""


class ModelClient(ABC):
    """One model behind one provider. `await client.turn(request, on_text=...)` streams a turn."""

    api: Api
    redact_secrets: bool = True
    """Every request passes the secret redactor before it is sent; only the user's own settings
    (privacy.redact_secrets = false, from the user file or the client) may turn this off."""

    def __init__(
        self,
        model: ModelEntry,
        provider: str,
        sdk: Any,
        *,
        base_url: str,
        max_retries: int,
        secrets: tuple[str, ...],
    ) -> None:
        self.model = model
        self.provider = provider
        self.base_url = base_url
        self.max_retries = max_retries
        self._sdk = sdk
        self._secrets = secrets

    def __repr__(self) -> str:  # never shows the SDK object, which holds the key
        name = type(self).__name__
        return f"{name}(model={self.model.id!r}, provider={self.provider!r}, base_url={self.base_url!r})"

    async def turn(
        self,
        request: ModelRequest,
        *,
        on_text: OnText | None = None,
        on_usage: OnUsage | None = None,
        cancel: asyncio.Event | None = None,
    ) -> TurnResult:
        """Run one model turn, streaming text to `on_text` and usage to `on_usage`.

        Setting `cancel` stops the HTTP stream and raises ProviderError(kind="cancelled");
        cancelling the calling task stops it too and propagates CancelledError as usual.
        Every call passes here, so this is where its OpenTelemetry span and metrics are made.
        """
        if self.redact_secrets:  # the one choke point: nothing reaches an adapter unredacted
            request, replaced = redact_request(request)
            if replaced:
                log.debug("%s: %d secret-looking value(s) replaced before sending", self.model.id, replaced)
        # The redactor rewrites the request before this point: with [telemetry] export_content on,
        # the span carries the request as it is sent, redacted.
        with model_call_span(self.provider, self.model.api_model, self.base_url) as span:
            span.set_request(request)
            result = await self._turn(request, on_text, on_usage, cancel)
            span.finish(result, actual_cost_usd(self.model, result.usage))
            return result

    async def _turn(
        self, request: ModelRequest, on_text: OnText | None, on_usage: OnUsage | None, cancel: asyncio.Event | None
    ) -> TurnResult:
        if cancel is None:
            return await self._guarded(request, Sink(on_text, on_usage))
        call = asyncio.ensure_future(self._guarded(request, Sink(on_text, on_usage)))
        waiter = asyncio.ensure_future(cancel.wait())
        try:
            await asyncio.wait({call, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not call.done():
                call.cancel()
                with suppress(asyncio.CancelledError, ProviderError):
                    await call
            waiter.cancel()
        if call.cancelled():
            raise self._error("cancelled", "the run was cancelled; nothing more was received")
        return call.result()

    async def aclose(self) -> None:
        await self._sdk.close()

    async def _guarded(self, request: ModelRequest, sink: Sink) -> TurnResult:
        try:
            return await self._stream(request, sink)
        except ProviderError:
            raise
        except asyncio.CancelledError:
            log.debug("%s: call cancelled", self.model.id)
            raise
        except Exception as err:
            mapped = self._map(err, sink)
            log.debug("%s: %s (%s)", self.model.id, mapped.kind, type(err).__name__)
            raise mapped from err

    @abstractmethod
    async def _stream(self, request: ModelRequest, sink: Sink) -> TurnResult: ...

    @property
    @abstractmethod
    def _sdk_module(self) -> ModuleType: ...

    # ------------------------------------------------------------ errors

    def _error(self, kind: ErrorKind, detail: str, **extra: Any) -> ProviderError:
        label = f"{self.model.display_name} via {self.provider}"
        message = scrub(f"{label}: {detail}", self._secrets)
        return ProviderError(kind, message, provider=self.provider, model=self.model.id, **extra)

    def _map(self, err: Exception, sink: Sink) -> ProviderError:
        sdk = self._sdk_module
        if isinstance(err, (MalformedReply, json.JSONDecodeError, sdk.APIResponseValidationError)):
            return self._error("malformed", f"the reply could not be understood ({_short(str(err))})")
        if isinstance(err, StreamErrorEvent):
            return self._event_error(err.body)
        if isinstance(err, IncompleteStream):
            return self._error("truncated", "the stream ended before the reply was complete; try again")
        if isinstance(err, sdk.APITimeoutError | httpx2.TimeoutException):
            return self._timeout(sink)
        if isinstance(err, sdk.APIStatusError):
            return self._status_error(err.status_code, err.response.headers, _body(err), sink)
        if isinstance(err, sdk.APIConnectionError | httpx2.TransportError):
            if sink.started:
                return self._error("truncated", "the connection dropped mid-reply; try again")
            retries = self.max_retries + 1
            return self._error(
                "server_error", f"cannot reach {self.base_url} (tried {retries} times)", attempts=retries
            )
        if isinstance(err, sdk.APIError):  # an error event inside a stream
            return self._event_error(_body(err))
        return self._error("malformed", f"unexpected failure: {type(err).__name__}: {_short(str(err))}")

    def _timeout(self, sink: Sink) -> ProviderError:
        where = "mid-reply" if sink.started else "waiting for a reply"
        retries = 1 if sink.started else self.max_retries + 1
        return self._error(
            "timeout",
            f"timed out {where} (after {retries} attempt(s)); try again or raise "
            f"providers.{self.provider}.timeout_s",
            attempts=retries,
        )

    def _status_error(self, status: int, headers: Any, body: Any, sink: Sink) -> ProviderError:
        if status < 400:  # an SSE error event on a 200 stream
            return self._event_error(body)
        detail = _api_message(body)
        retry_after = _retry_after(headers)
        attempts = self.max_retries + 1
        if status == 429:
            wait = f"; retry after {retry_after:g}s" if retry_after is not None else ""
            return self._error(
                "rate_limited",
                f"rate limited (HTTP 429) after {attempts} attempt(s){wait}. {detail}",
                status=status,
                retry_after_s=retry_after,
                attempts=attempts,
            )
        if status in (401, 403):
            return self._error(
                "auth",
                f"the key was refused (HTTP {status}); check the key's value and permissions. {detail}",
                status=status,
            )
        if status == 408:
            return self._error("timeout", f"the provider timed out (HTTP 408). {detail}", status=status)
        if status >= 500:
            return self._error(
                "server_error",
                f"provider error (HTTP {status}) after {attempts} attempt(s). {detail}",
                status=status,
                attempts=attempts,
            )
        return self._error("bad_request", f"request rejected (HTTP {status}). {detail}", status=status)

    def _event_error(self, body: Any) -> ProviderError:
        code = _error_code(body)
        detail = f"error in the stream: {_api_message(body) or code or 'unknown error'}"
        if "rate_limit" in code:
            return self._error("rate_limited", detail)
        if "invalid_request" in code or "invalid_prompt" in code:
            return self._error("bad_request", detail)
        if "authentication" in code or "permission" in code:
            return self._error("auth", detail)
        return self._error("server_error", detail)


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _body(err: Exception) -> Any:
    return getattr(err, "body", None)


def _error_mapping(body: Any) -> dict[str, Any]:
    if isinstance(body, dict):
        inner = body.get("error")
        return inner if isinstance(inner, dict) else body
    return {}


def _api_message(body: Any) -> str:
    message = _error_mapping(body).get("message")
    if isinstance(message, str):
        return _short(message)
    return _short(body) if isinstance(body, str) else ""


def _error_code(body: Any) -> str:
    error = _error_mapping(body)
    return " ".join(str(error.get(k) or "") for k in ("type", "code")).strip()


def _retry_after(headers: Any) -> float | None:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name) if headers is not None else None
        if value is not None:
            with suppress(ValueError):
                return float(value) * scale
    return None
