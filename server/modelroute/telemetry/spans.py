"""Spans for runs and model calls, and the metrics recorded with them.

Attribute names follow the GenAI semantic conventions (`config.SEMCONV_VERSION`) plus our own
`modelroute.*`. Prompts and model output are put on a call span (`gen_ai.system_instructions`,
`gen_ai.input.messages`, `gen_ai.output.messages`) only inside a run span opened with
`export_content=True`, which the run core sets from `[telemetry] export_content` (a user-file or
client setting). Everything else about a call (token counts, models, cost) is always exported
when telemetry is on.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from modelroute.telemetry.config import telemetry_enabled

if TYPE_CHECKING:
    from modelroute.providers.types import ModelRequest, TurnResult
    from modelroute.telemetry.sdk import Instruments

log = logging.getLogger(__name__)

Verified = Literal["pass", "fail", "none"]
_UNSET: Any = object()
_lock = threading.Lock()
_instruments: Any = _UNSET  # Instruments, None (off) or _UNSET (not decided yet)
_export_content: ContextVar[bool] = ContextVar("modelroute_export_content", default=False)
_run_labels: ContextVar[dict[str, str]] = ContextVar("modelroute_run_labels", default={})  # noqa: B039 - never mutated


def _get() -> Instruments | None:
    """The SDK's instruments, built on first use when telemetry is configured; None when it is off."""
    global _instruments
    if _instruments is _UNSET:
        with _lock:
            if _instruments is _UNSET:
                _instruments = _build() if telemetry_enabled() else None
    return _instruments  # type: ignore[no-any-return]


def _build() -> Instruments | None:
    try:
        from modelroute.telemetry.sdk import build

        return build()
    except Exception as exc:  # telemetry must never stop a run
        log.warning("OpenTelemetry is configured but could not start: %s", exc)
        return None


def shutdown() -> None:
    """Export what is buffered and stop; the next span re-reads the environment."""
    global _instruments
    with _lock:
        found, _instruments = _instruments, _UNSET
    if found is not _UNSET and found is not None:
        found.shutdown()


# -- model calls ---------------------------------------------------------------------------


class CallSpan:
    """One model call. `finish(result, cost_usd)` records the response; errors are recorded by
    `model_call_span` itself."""

    def __init__(self, span: Any, instruments: Instruments | None, labels: dict[str, str]) -> None:
        self._span = span
        self._instruments = instruments
        self._labels = labels
        self._content = _export_content.get()
        self.started = time.monotonic()

    def set_request(self, request: ModelRequest) -> None:
        self._attr("gen_ai.request.max_tokens", request.max_output_tokens)
        if request.temperature is not None:
            self._attr("gen_ai.request.temperature", request.temperature)
        if self._content:
            if request.system:
                self._attr("gen_ai.system_instructions", json.dumps([{"type": "text", "content": request.system}]))
            self._attr("gen_ai.input.messages", json.dumps([m.model_dump(mode="json") for m in request.messages]))

    def finish(self, result: TurnResult, cost_usd: float) -> None:
        usage = result.usage
        response_model = result.model or self._labels["gen_ai.request.model"]
        self._attr("gen_ai.response.model", response_model)
        if result.request_id:
            self._attr("gen_ai.response.id", result.request_id)
        self._attr("gen_ai.response.finish_reasons", [result.stop_reason])
        self._attr("gen_ai.usage.input_tokens", usage.input_tokens)
        self._attr("gen_ai.usage.output_tokens", usage.output_tokens)
        self._attr("gen_ai.usage.cache_read.input_tokens", usage.cache_read_tokens)
        self._attr("gen_ai.usage.cache_creation.input_tokens", usage.cache_write_tokens)
        self._attr("modelroute.cost_usd", cost_usd)
        if self._content:
            self._attr("gen_ai.output.messages", json.dumps([result.assistant.model_dump(mode="json")]))
        found = self._instruments
        if found is None:
            return
        labels = {**self._labels, "gen_ai.response.model": response_model}
        if found.token_usage is not None:
            found.token_usage.record(usage.input_tokens, {**labels, "gen_ai.token.type": "input"})
            found.token_usage.record(usage.output_tokens, {**labels, "gen_ai.token.type": "output"})
        if found.tokens is not None:
            for kind, count in (
                ("input", usage.input_tokens), ("output", usage.output_tokens),
                ("cache_read", usage.cache_read_tokens), ("cache_creation", usage.cache_write_tokens),
            ):
                found.tokens.add(count, {**labels, "modelroute.token.type": kind, **_run_labels.get()})
        if found.cost is not None:
            found.cost.add(cost_usd, {**labels, **_run_labels.get()})

    def _attr(self, key: str, value: Any) -> None:
        if self._span is not None:
            self._span.set_attribute(key, value)

    def _duration(self, error_type: str | None) -> None:
        found = self._instruments
        if found is not None and found.duration is not None:
            labels = {**self._labels, **({"error.type": error_type} if error_type else {})}
            found.duration.record(time.monotonic() - self.started, labels)


def _server(base_url: str) -> dict[str, Any]:
    parts = urlsplit(base_url)
    out: dict[str, Any] = {}
    if parts.hostname:
        out["server.address"] = parts.hostname
        out["server.port"] = parts.port or (443 if parts.scheme == "https" else 80)
    return out


@contextmanager
def model_call_span(provider: str, request_model: str, base_url: str = "") -> Iterator[CallSpan]:
    """A CLIENT span named "chat {model}" around one model call (the SDK's retries included)."""
    found = _get()
    labels = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": provider, "gen_ai.request.model": request_model}
    if found is None or found.tracer is None:
        call = CallSpan(None, found, labels)
        try:
            yield call
        except BaseException as exc:
            call._duration(_error_type(exc))
            raise
        call._duration(None)
        return
    from opentelemetry.trace import SpanKind, Status, StatusCode

    with found.tracer.start_as_current_span(
        f"chat {request_model}", kind=SpanKind.CLIENT, attributes={**labels, **_server(base_url)},
        record_exception=False, set_status_on_exception=False,
    ) as span:
        call = CallSpan(span, found, labels)
        try:
            yield call
        except BaseException as exc:
            error = _error_type(exc)
            span.set_attribute("error.type", error)
            span.set_status(Status(StatusCode.ERROR, error))
            call._duration(error)
            raise
        call._duration(None)


def _error_type(exc: BaseException) -> str:
    kind = getattr(exc, "kind", None)  # ProviderError: rate_limited, timeout, ...
    return str(kind) if kind else type(exc).__name__


# -- runs ----------------------------------------------------------------------------------


class RunSpan:
    """One run. Set what is known at the end; unset values are left off the span."""

    def __init__(self, span: Any) -> None:
        self._span = span
        self.cost_usd: float | None = None
        self.verified: Verified | None = None
        self.approval: str | None = None  # e.g. "none", "policy", "asked", "denied"
        self.outcome: str | None = None

    def _close(self, instruments: Instruments | None, labels: dict[str, str]) -> None:
        final = {
            "modelroute.cost_usd": self.cost_usd,
            "modelroute.verified": self.verified,
            "modelroute.approval": self.approval,
            "modelroute.outcome": self.outcome,
        }
        for key, value in final.items():
            if value is not None and self._span is not None:
                self._span.set_attribute(key, value)
        if instruments is not None and instruments.runs is not None:
            extra = {k: str(v) for k, v in final.items() if v is not None and k != "modelroute.cost_usd"}
            instruments.runs.add(1, {**labels, **extra})


@contextmanager
def run_span(
    category: str,
    strategy: str,
    estimated_cost_usd: float,
    *,
    model: str | None = None,
    export_content: bool = False,
) -> Iterator[RunSpan]:
    """An INTERNAL span "invoke_agent modelroute" around one run; model calls inside are its
    children. `export_content` (from `[telemetry] export_content`) lets those calls carry prompts
    and output."""
    labels = {"modelroute.category": category, "modelroute.strategy": strategy}
    content_token = _export_content.set(export_content)
    labels_token = _run_labels.set(labels)
    try:
        found = _get()
        if found is None or found.tracer is None:
            run = RunSpan(None)
            yield run
            run._close(found, labels)
            return
        from opentelemetry.trace import SpanKind, Status, StatusCode

        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "modelroute",
            **labels,
            "modelroute.estimated_cost_usd": estimated_cost_usd,
        }
        if model:
            attributes["gen_ai.request.model"] = model
        with found.tracer.start_as_current_span(
            "invoke_agent modelroute", kind=SpanKind.INTERNAL, attributes=attributes,
            record_exception=False, set_status_on_exception=False,
        ) as span:
            run = RunSpan(span)
            try:
                yield run
            except BaseException as exc:
                span.set_attribute("error.type", _error_type(exc))
                span.set_status(Status(StatusCode.ERROR, _error_type(exc)))
                run._close(found, labels)
                raise
            run._close(found, labels)
    finally:
        _run_labels.reset(labels_token)
        _export_content.reset(content_token)
