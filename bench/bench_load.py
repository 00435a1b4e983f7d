"""codeAction latency while a run streams, against the same bursts with no run (one server, one run).

    .venv/bin/python bench/bench_load.py [--bursts 20]

Moved here from tests/trust_lsp/test_load.py, which keeps the behaviour (every message answered, the
last text held, RSS bounded). One `modelroute serve` (VS Code capabilities) with one open file gets
bursts of 50 messages: 25 whole-document didChange, each followed by a codeAction on the changed
text, sent without waiting. After two warm-up bursts, 4 bursts with no run are the baseline; then a
`modelroute.run` streams from the fake provider (8 characters every 20 ms, through the real Anthropic
SDK into throttled `$/progress`) while the measured bursts run. Latency is send to answer per
codeAction, so it includes queueing in its burst. RSS is VmRSS of the server process.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

from benchlib import p95, use_test_support

use_test_support()

from pytest_lsp import client_capabilities  # noqa: E402
from pytest_lsp.client import make_test_lsp_client  # noqa: E402

from modelroute_testing.env import scrubbed_env, user_dirs  # noqa: E402
from modelroute_testing.fakeprovider import FakeProvider, Reply  # noqa: E402
from modelroute_testing.process import rss_mb  # noqa: E402

STORE = """\
import json


def load(path):
    # add type hints to this function AI!
    with open(path) as f:
        return json.load(f)


def total(items):
    return sum(i["price"] for i in items)
"""
BURST = 50
BASELINE_BURSTS = 4
PROVIDER_TOML = "[providers.anthropic]\nmax_retries = 1\ntimeout_s = 5.0\n"


class Editor:
    """A pytest-lsp client (it answers progress and configuration requests) typing into one file."""

    def __init__(self, root: Path) -> None:
        self.client = make_test_lsp_client()
        self.client.feature(types.CLIENT_REGISTER_CAPABILITY)(lambda params: None)  # accept file watchers
        self.uri = (root / "app" / "store.py").as_uri()
        self.root = root
        self.version = 1

    async def start(self, env: dict[str, str]) -> None:
        await self.client.start_io(sys.executable, "-m", "modelroute", "serve", env=env)
        await self.client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities("visual-studio-code"),
                root_uri=self.root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=self.root.as_uri(), name="loadws")],
            )
        )
        await self.command("modelroute.idle")
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=self.uri, language_id="python", version=1, text=STORE)
            )
        )

    async def command(self, name: str, *args: Any) -> Any:
        params = types.ExecuteCommandParams(command=name, arguments=list(args))
        return await self.client.workspace_execute_command_async(params)

    async def burst(self, tag: str) -> list[float]:
        """One burst; each codeAction's latency in ms."""
        pending = []
        for i in range(BURST // 2):
            self.version += 1
            text = STORE.replace("function AI!", f"function ({tag} {i}) AI!")
            self.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )
            pending.append(asyncio.ensure_future(self._timed(i % 5)))
        return list(await asyncio.gather(*pending))

    async def _timed(self, character: int) -> float:
        at = types.Position(line=4, character=character)
        where = types.Range(start=at, end=at)
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri),
            range=where,
            context=types.CodeActionContext(diagnostics=[]),
        )
        start = time.perf_counter()
        actions = await self.client.text_document_code_action_async(params)
        if not actions:
            raise RuntimeError("a codeAction came back empty")
        return (time.perf_counter() - start) * 1000

    async def stop(self) -> None:
        await self.client.shutdown_session()


async def measure(home: Path, bursts: int) -> dict[str, float]:
    root = home / "ws"
    (root / "app").mkdir(parents=True)
    (root / "app" / "store.py").write_text(STORE)
    config = home / "config" / "modelroute" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(PROVIDER_TOML)
    with FakeProvider() as fake:
        env = scrubbed_env(
            **user_dirs(home),
            MODELROUTE_DATA_DIR=str(home / "data"),
            ANTHROPIC_API_KEY="sk-ant-bench-key",
            ANTHROPIC_BASE_URL=fake.anthropic_base_url,
        )
        editor = Editor(root)
        await editor.start(env)
        pid = int(editor.client._server.pid)  # type: ignore[union-attr]
        for _ in range(2):
            await editor.burst("warm-up")
        rss_idle = rss_mb(pid)
        baseline = [ms for b in range(BASELINE_BURSTS) for ms in await editor.burst(f"base {b}")]
        fake.queue(Reply(text="streaming a long answer " * 4000, chunk_chars=8, event_delay_s=0.02))
        args = {
            "uri": editor.uri,
            "range": {"start": {"line": 10, "character": 0}, "end": {"line": 11, "character": 40}},
            "instruction": "explain this code",
            "model": "claude-haiku-4-5",
        }
        running = asyncio.ensure_future(editor.command("modelroute.run", args))
        while not fake.model_requests():
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # text is flowing into $/progress
        rss_streaming = rss_mb(pid)
        started = time.perf_counter()
        loaded = [ms for b in range(bursts) for ms in await editor.burst(f"load {b}")]
        wall = time.perf_counter() - started
        streamed_throughout = not running.done()
        rss_after = rss_mb(pid)
        await editor.command("modelroute.cancelRun")
        await running
        await editor.stop()
    return {
        "baseline_median_ms": statistics.median(baseline),
        "baseline_p95_ms": p95(baseline),
        "loaded_median_ms": statistics.median(loaded),
        "loaded_p95_ms": p95(loaded),
        "median_ratio": statistics.median(loaded) / statistics.median(baseline),
        "messages": bursts * BURST,
        "wall_s": wall,
        "rss_idle_mb": rss_idle,
        "rss_streaming_mb": rss_streaming,
        "rss_after_mb": rss_after,
        "streamed_throughout": float(streamed_throughout),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bursts", type=int, default=20, help="measured bursts of 50 messages (default 20)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="modelroute-bench-load-") as tmp:
        r = asyncio.run(measure(Path(tmp), args.bursts))
    print("| | no run | while streaming | ratio |\n| --- | ---: | ---: | ---: |")
    ratio = r["median_ratio"]
    print(f"| codeAction median ms | {r['baseline_median_ms']:.1f} | {r['loaded_median_ms']:.1f} | {ratio:.2f} |")
    print(f"| codeAction p95 ms | {r['baseline_p95_ms']:.1f} | {r['loaded_p95_ms']:.1f} | |")
    print(
        f"\n{r['messages']:,} messages in {r['wall_s']:.2f} s; RSS idle {r['rss_idle_mb']:.1f} MB -> streaming "
        f"{r['rss_streaming_mb']:.1f} MB -> after {r['rss_after_mb']:.1f} MB; "
        f"run streamed throughout: {bool(r['streamed_throughout'])}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
