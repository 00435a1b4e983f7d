"""OpenTelemetry: one span per run and one per model call, and metrics for cost and tokens.

Off unless configured by the standard OTEL_* variables (see `telemetry/config.py`): when off,
nothing of the OpenTelemetry SDK is imported, no exporter or thread is started, and the span
helpers hand back objects that do nothing. This module imports nothing heavy itself.

    with run_span(category="debugging", strategy="single", estimated_cost_usd=0.12) as run:
        ...                                  # model calls inside become child spans
        run.cost_usd = 0.09
        run.verified = "pass"
        run.approval = "asked"
"""

from modelroute.telemetry.config import SEMCONV_SCHEMA_URL, SEMCONV_VERSION, telemetry_enabled
from modelroute.telemetry.spans import CallSpan, RunSpan, model_call_span, run_span, shutdown

__all__ = [
    "SEMCONV_SCHEMA_URL",
    "SEMCONV_VERSION",
    "CallSpan",
    "RunSpan",
    "model_call_span",
    "run_span",
    "shutdown",
    "telemetry_enabled",
]
