"""When telemetry is on, read from the standard OpenTelemetry environment variables only.

On when an OTLP endpoint is named (`OTEL_EXPORTER_OTLP_ENDPOINT`, or the per-signal
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`) or `otlp` is named
as the exporter (`OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER`, which then sends to the
default http://localhost:4318). `OTEL_SDK_DISABLED=true` turns it all off, and an exporter
variable set to `none` turns that signal off. Everything else the SDK and the OTLP exporter read
themselves (headers, timeout, compression, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
OTEL_METRIC_EXPORT_INTERVAL, ...). modelroute ships the OTLP/HTTP protobuf exporter only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

Signal = Literal["traces", "metrics"]

# The GenAI semantic conventions followed: the attribute and metric names of
# opentelemetry-semantic-conventions 0.66b2 (pinned in pyproject.toml), schema version 1.44.0.
# tests/telemetry check our names against that package's constants.
SEMCONV_VERSION = "1.44.0"
SEMCONV_SCHEMA_URL = f"https://opentelemetry.io/schemas/{SEMCONV_VERSION}"


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def signal_enabled(signal: Signal, env: Mapping[str, str] = os.environ) -> bool:
    if _true(env.get("OTEL_SDK_DISABLED")):
        return False
    exporter = (env.get(f"OTEL_{signal.upper()}_EXPORTER") or "").strip().lower()
    if exporter == "none":
        return False
    if "otlp" in {name.strip() for name in exporter.split(",")}:
        return True
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT"))


def telemetry_enabled(env: Mapping[str, str] = os.environ) -> bool:
    return signal_enabled("traces", env) or signal_enabled("metrics", env)
