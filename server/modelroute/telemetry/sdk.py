"""The OpenTelemetry SDK set up for modelroute: imported only when telemetry is on.

Providers of our own (not the global ones), so a host application's telemetry is left alone:
a TracerProvider with a batch processor and the OTLP/HTTP span exporter, a MeterProvider with a
periodic reader and the OTLP/HTTP metric exporter. Both read their endpoint, headers and timing
from the OTEL_* variables; the resource from OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES, with
service.name defaulting to "modelroute".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.metrics import Counter, Histogram
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Tracer

from modelroute import __version__
from modelroute.telemetry.config import SEMCONV_SCHEMA_URL, signal_enabled

SCOPE = "modelroute"
# Explicit bucket boundaries the GenAI conventions advise for these two histograms.
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)


@dataclass
class Instruments:
    tracer: Tracer | None
    token_usage: Histogram | None  # gen_ai.client.token.usage
    duration: Histogram | None  # gen_ai.client.operation.duration
    cost: Counter | None  # modelroute.cost, USD per model call
    tokens: Counter | None  # modelroute.tokens, by type incl. cache reads and writes
    runs: Counter | None  # modelroute.runs, by category/strategy/verified/approval
    tracer_provider: TracerProvider | None
    meter_provider: MeterProvider | None

    def shutdown(self) -> None:
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()
        if self.meter_provider is not None:
            self.meter_provider.shutdown()


def _resource() -> Resource:
    attributes: dict[str, Any] = {"service.version": __version__}
    named = os.environ.get("OTEL_SERVICE_NAME") or "service.name=" in os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "")
    if not named:
        attributes["service.name"] = "modelroute"
    return Resource.create(attributes)


def build() -> Instruments:
    resource = _resource()
    tracer_provider = tracer = None
    if signal_enabled("traces"):
        tracer_provider = TracerProvider(resource=resource)
        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        tracer = tracer_provider.get_tracer(SCOPE, __version__, schema_url=SEMCONV_SCHEMA_URL)
    meter_provider = None
    token_usage = duration = cost = tokens = runs = None
    if signal_enabled("metrics"):
        reader = PeriodicExportingMetricReader(OTLPMetricExporter())
        meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
        meter = meter_provider.get_meter(SCOPE, __version__, schema_url=SEMCONV_SCHEMA_URL)
        token_usage = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}", description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=list(TOKEN_BUCKETS),
        )
        duration = meter.create_histogram(
            "gen_ai.client.operation.duration", unit="s", description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=list(DURATION_BUCKETS),
        )
        cost = meter.create_counter("modelroute.cost", unit="USD", description="Dollars billed by model calls.")
        tokens = meter.create_counter(
            "modelroute.tokens", unit="{token}",
            description="Tokens billed by model calls, by type: input, output, cache_read, cache_creation.",
        )
        runs = meter.create_counter("modelroute.runs", unit="{run}", description="Runs finished.")
    return Instruments(tracer, token_usage, duration, cost, tokens, runs, tracer_provider, meter_provider)
