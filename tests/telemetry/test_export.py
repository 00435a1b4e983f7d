"""Spans and metrics, received by an OTLP/HTTP receiver on 127.0.0.1: one span per run and one per
model call (through the real SDKs and the fake provider), every attribute asserted; prompts only
with the opt-in; nothing at all (no SDK import, no thread) when not configured."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai
from opentelemetry.semconv._incubating.metrics import gen_ai_metrics
from opentelemetry.semconv.schemas import Schemas

from modelroute import telemetry
from modelroute.cost.actual import actual_cost_usd
from modelroute.providers import ModelRequest, UserMessage
from modelroute_testing.fakeprovider.fixtures import fake_provider  # noqa: F401  (a fixture)
from modelroute_testing.fakeprovider.script import Reply
from modelroute_testing.fakeprovider.server import FakeProvider
from tests.providers.conftest import MakeClient, make_client, model_entry  # noqa: F401  (a fixture)

from .otlp_receiver import OtlpReceiver, attributes

PROMPT = "Why does parse() fail on empty input? SECRET-PROMPT-TEXT"


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpReceiver]:
    for name in ("OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_SERVICE_NAME"):
        monkeypatch.delenv(name, raising=False)
    with OtlpReceiver() as running:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", running.endpoint)
        monkeypatch.setenv("OTEL_METRIC_EXPORT_INTERVAL", "600000")  # exported at shutdown
        telemetry.shutdown()  # forget any earlier decision; the next span reads this environment
        yield running
        telemetry.shutdown()


async def _one_run(make: MakeClient, fake: FakeProvider, *, export_content: bool) -> tuple[Any, float]:
    fake.queue(Reply(text="Because it indexes [0].", input_tokens=40, output_tokens=25,
                     cache_read_tokens=300, cache_write_tokens=60))
    client = make("anthropic-messages")
    request = ModelRequest(system="You are terse.", messages=(UserMessage(text=PROMPT),), max_output_tokens=500)
    with telemetry.run_span("debugging", "single", 0.0123, model="test-anthropic-messages",
                            export_content=export_content) as run:
        result = await client.turn(request)
        run.cost_usd = actual_cost_usd(model_entry("anthropic-messages"), result.usage)
        run.verified = "pass"
        run.approval = "asked"
        run.outcome = "applied"
    await client.aclose()
    telemetry.shutdown()  # flush spans and metrics to the receiver
    return result, run.cost_usd


def test_the_sdk_threads_are_named_otel(receiver: OtlpReceiver) -> None:
    """What the silent test looks for: with telemetry on, the SDK's threads are there and named so."""
    import threading

    with telemetry.run_span("explain", "single", 0.0):
        pass
    names = [t.name for t in threading.enumerate() if "otel" in t.name.lower()]
    telemetry.shutdown()
    assert names


async def test_run_and_call_spans_carry_every_attribute(
    receiver: OtlpReceiver, make_client: MakeClient, fake_provider: FakeProvider  # noqa: F811
) -> None:
    result, cost = await _one_run(make_client, fake_provider, export_content=False)
    spans = {span.name: span for span in receiver.spans()}
    assert set(spans) == {"invoke_agent modelroute", "chat api-model-anthropic-messages"}
    run, call = spans["invoke_agent modelroute"], spans["chat api-model-anthropic-messages"]
    assert call.parent_span_id == run.span_id and call.trace_id == run.trace_id
    assert call.kind == 3  # SPAN_KIND_CLIENT
    assert attributes(run) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "modelroute",
        "gen_ai.request.model": "test-anthropic-messages",
        "modelroute.category": "debugging",
        "modelroute.strategy": "single",
        "modelroute.estimated_cost_usd": 0.0123,
        "modelroute.cost_usd": pytest.approx(cost),
        "modelroute.verified": "pass",
        "modelroute.approval": "asked",
        "modelroute.outcome": "applied",
    }
    port = int(fake_provider.url.rsplit(":", 1)[1])
    call_attributes = attributes(call)
    assert call_attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "api-model-anthropic-messages",
        "gen_ai.request.max_tokens": 500,
        "gen_ai.response.model": "api-model-anthropic-messages",
        "gen_ai.response.id": call_attributes["gen_ai.response.id"],
        "gen_ai.response.finish_reasons": ["end_turn"],
        "gen_ai.usage.input_tokens": 400,  # 40 uncached + 300 read + 60 written (genai-prices' convention)
        "gen_ai.usage.output_tokens": 25,
        "gen_ai.usage.cache_read.input_tokens": 300,
        "gen_ai.usage.cache_creation.input_tokens": 60,
        "modelroute.cost_usd": pytest.approx(cost),
        "server.address": "127.0.0.1",
        "server.port": port,
    }
    assert cost == pytest.approx(actual_cost_usd(model_entry("anthropic-messages"), result.usage)) and cost > 0
    assert PROMPT not in json.dumps([attributes(s) for s in receiver.spans()])  # no content without opt-in
    (resource, *_) = receiver.resources()
    assert resource["service.name"] == "modelroute"
    for request in receiver.requests("/v1/traces"):
        for scoped in request.resource_spans:
            assert {s.schema_url for s in scoped.scope_spans} == {telemetry.SEMCONV_SCHEMA_URL}


async def test_metrics_for_cost_and_tokens(
    receiver: OtlpReceiver, make_client: MakeClient, fake_provider: FakeProvider  # noqa: F811
) -> None:
    _, cost = await _one_run(make_client, fake_provider, export_content=False)
    metrics = receiver.metrics()
    assert {"gen_ai.client.token.usage", "gen_ai.client.operation.duration", "modelroute.cost",
            "modelroute.tokens", "modelroute.runs"} <= set(metrics)
    points = metrics["gen_ai.client.token.usage"].histogram.data_points
    usage = {attributes(p)["gen_ai.token.type"]: p.sum for p in points}
    assert usage == {"input": 400, "output": 25}
    assert metrics["gen_ai.client.token.usage"].unit == "{token}"
    (duration,) = metrics["gen_ai.client.operation.duration"].histogram.data_points
    assert duration.count == 1 and attributes(duration)["gen_ai.provider.name"] == "anthropic"
    tokens = {attributes(p)["modelroute.token.type"]: p.as_int for p in metrics["modelroute.tokens"].sum.data_points}
    assert tokens == {"input": 400, "output": 25, "cache_read": 300, "cache_creation": 60}
    (spent,) = metrics["modelroute.cost"].sum.data_points
    assert spent.as_double == pytest.approx(cost) and metrics["modelroute.cost"].unit == "USD"
    assert attributes(spent)["modelroute.category"] == "debugging"
    (runs,) = metrics["modelroute.runs"].sum.data_points
    assert runs.as_int == 1 and attributes(runs)["modelroute.verified"] == "pass"


async def test_prompts_and_output_only_with_the_opt_in(
    receiver: OtlpReceiver, make_client: MakeClient, fake_provider: FakeProvider  # noqa: F811
) -> None:
    await _one_run(make_client, fake_provider, export_content=True)
    call = next(s for s in receiver.spans() if s.name.startswith("chat "))
    found = attributes(call)
    assert PROMPT in found["gen_ai.input.messages"]
    assert json.loads(found["gen_ai.system_instructions"]) == [{"type": "text", "content": "You are terse."}]
    assert "Because it indexes [0]." in found["gen_ai.output.messages"]


def test_our_names_are_the_conventions_names() -> None:
    from modelroute.telemetry import sdk, spans

    source = Path(spans.__file__).read_text() + Path(sdk.__file__).read_text()
    assert Schemas.V1_44_0.value == telemetry.SEMCONV_SCHEMA_URL
    for name in (
        gen_ai.GEN_AI_OPERATION_NAME, gen_ai.GEN_AI_PROVIDER_NAME, gen_ai.GEN_AI_REQUEST_MODEL,
        gen_ai.GEN_AI_RESPONSE_MODEL, gen_ai.GEN_AI_USAGE_INPUT_TOKENS, gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS,
        gen_ai.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, gen_ai.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
        gen_ai.GEN_AI_TOKEN_TYPE, gen_ai.GEN_AI_INPUT_MESSAGES, gen_ai.GEN_AI_OUTPUT_MESSAGES,
        gen_ai.GEN_AI_SYSTEM_INSTRUCTIONS, gen_ai_metrics.GEN_AI_CLIENT_TOKEN_USAGE,
        gen_ai_metrics.GEN_AI_CLIENT_OPERATION_DURATION,
    ):
        assert f'"{name}"' in source, name


_SILENT = """
import asyncio, json, sys, threading
from modelroute import telemetry
from modelroute.providers import ModelRequest, UserMessage, client_for
from tests.providers.conftest import model_entry
from modelroute.policy.schema import ProviderSettings

async def main() -> None:
    settings = ProviderSettings(base_url=sys.argv[1], api="anthropic-messages", api_key_env="K")
    client = client_for(model_entry("anthropic-messages"), settings, env={"K": "sk-test"})
    request = ModelRequest(messages=(UserMessage(text="hi"),), max_output_tokens=100)
    with telemetry.run_span("explain", "single", 0.01) as run:
        await client.turn(request)
        run.cost_usd = 0.001
    await client.aclose()
    telemetry.shutdown()
    loaded = sorted(m for m in sys.modules if m.startswith("opentelemetry.sdk") or "exporter" in m)
    threads = sorted(t.name for t in threading.enumerate() if "otel" in t.name.lower())
    print(json.dumps({"loaded": loaded, "threads": threads}))

asyncio.run(main())
"""


def test_nothing_is_exported_or_started_when_not_configured(fake_provider: FakeProvider) -> None:  # noqa: F811
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    # the script imports tests.providers (the repository) and modelroute_testing (tests/support)
    pythonpath = os.pathsep.join((os.getcwd(), os.path.join(os.getcwd(), "tests", "support")))
    with OtlpReceiver() as listening:
        fake_provider.queue(Reply(text="hello"))
        out = subprocess.run(
            [sys.executable, "-c", _SILENT, fake_provider.anthropic_base_url],
            capture_output=True, text=True, env={**env, "PYTHONPATH": pythonpath}, timeout=120, check=True,
        ).stdout
        assert json.loads(out) == {"loaded": [], "threads": []}
        assert listening.requests("/v1/traces") == [] and listening.requests("/v1/metrics") == []
    assert fake_provider.model_requests()  # the call itself went through


def test_configuration_follows_the_standard_variables() -> None:
    from modelroute.telemetry.config import signal_enabled

    assert not telemetry.telemetry_enabled({})
    assert telemetry.telemetry_enabled({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert not telemetry.telemetry_enabled({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_SDK_DISABLED": "true"})
    assert signal_enabled("metrics", {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://x"})
    assert not signal_enabled("traces", {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://x"})
    assert signal_enabled("traces", {"OTEL_TRACES_EXPORTER": "otlp"})
    assert not signal_enabled("traces", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_TRACES_EXPORTER": "none"})
