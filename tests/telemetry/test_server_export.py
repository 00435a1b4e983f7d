"""The real language server with the standard OTEL_* variables set: a run's model call reaches an
OTLP receiver on 127.0.0.1 as a span (exported at the latest when the server exits), and its
metrics with it; the prompt is not on it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from modelroute_testing.fakeprovider.script import Reply
from tests.lsp.lsp_helpers import command, idle, range_json, rng
from tests.lsp_run.run_helpers import Setup, open_doc
from tests.trust_lsp.helpers import config_with

from .otlp_receiver import OtlpReceiver, attributes

SOURCE = "def load(path):\n    # explain this AI?\n    return open(path).read()\n"


@pytest.fixture
def setup() -> Iterator[Setup]:
    made = Setup()
    yield made
    made.fake.stop()


async def test_the_server_exports_call_spans_and_metrics(setup: Setup, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SOURCE)
    uri = (tmp_path / "app.py").as_uri()
    with OtlpReceiver() as receiver:
        config = config_with(setup, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint, OTEL_SERVICE_NAME="mr-test")
        client: LanguageClient = await config.start()  # type: ignore[assignment]
        await client.initialize_session(types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), root_uri=tmp_path.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="ws")],
        ))
        await idle(client)
        open_doc(client, uri, SOURCE)
        setup.fake.queue(Reply(text="It reads a file.", input_tokens=900, output_tokens=40, cache_read_tokens=2048))
        args = {"uri": uri, "range": range_json(rng(1, 0)), "instruction": "explain this",
                "model": "claude-haiku-4-5"}
        result = await asyncio.wait_for(command(client, "modelroute.run", args), 60)
        assert result["outcome"] == "answered"
        await client.shutdown_session()  # the server exits: the SDK exports what it holds
        (span,) = [s for s in receiver.spans() if s.name.startswith("chat ")]
        found = attributes(span)
        assert found["gen_ai.provider.name"] == "anthropic" and found["gen_ai.request.model"] == "claude-haiku-4-5"
        assert found["gen_ai.usage.cache_read.input_tokens"] == 2048
        assert found["gen_ai.usage.input_tokens"] == 900 + 2048
        assert found["modelroute.cost_usd"] > 0
        assert "gen_ai.input.messages" not in found  # no content without the opt-in
        (run,) = [s for s in receiver.spans() if s.name == "invoke_agent modelroute"]  # the run core's one span
        assert span.parent_span_id == run.span_id and span.trace_id == run.trace_id
        on_run = attributes(run)
        assert (on_run["modelroute.strategy"], on_run["modelroute.category"]) == ("single", "explain")
        assert (on_run["modelroute.outcome"], on_run["modelroute.approval"]) == ("done", "none")
        assert on_run["modelroute.cost_usd"] == pytest.approx(found["modelroute.cost_usd"], abs=1e-6)
        assert on_run["modelroute.verified"] == "none"  # an answer has nothing to check
        assert receiver.resources()[0]["service.name"] == "mr-test"
        assert "modelroute.cost" in receiver.metrics()
