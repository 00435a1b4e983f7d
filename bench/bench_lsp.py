"""codeAction round trip and initialize time: modelroute vs a no-op pygls server, same client, same run.

    .venv/bin/python bench/bench_lsp.py [--files 10000] [--requests 300] [--cold 30]

A generated workspace of N files (Python, TypeScript, shell, Markdown) holds one file with a
directive. Both servers are driven by the same pygls client over stdio. Figures:
- initialize: spawn to the initialize answer (the client sends it as soon as the process runs);
- warm codeAction: repeated requests on the directive line of one document version (what an
  editor sends as the cursor moves): the decision comes from the cache;
- cold codeAction: a new document version before each request, so the Engine decides again
  (context, classification, token count, routing). The no-op server does nothing in either case.
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
from pygls.lsp.client import LanguageClient

from benchlib import use_test_support

use_test_support()

from modelroute_testing.env import scrubbed_env  # noqa: E402

HERE = Path(__file__).resolve().parent
TARGET = "src/pkg_000/orders.py"
TARGET_TEXT = """import json


def load(path):
    # split this loader into a reader and a validator and update every caller AI!
    with open(path) as f:
        return json.load(f)
"""
DIRECTIVE_LINE = 4


def generate(root: Path, count: int) -> None:
    kinds = [
        ("py", "def f_{i}(x):\n    return x + {i}\n"),
        ("ts", "export const v{i} = {i};\n"),
        ("sh", "#!/bin/sh\necho {i}\n"),
        ("md", "# note {i}\n"),
    ]
    for i in range(count - 1):
        ext, text = kinds[i % len(kinds)]
        folder = root / "src" / f"pkg_{i // 200:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"mod_{i}.{ext}").write_text(text.format(i=i))
    (root / TARGET).write_text(TARGET_TEXT)


def server_env(home: Path) -> dict[str, str]:
    env = scrubbed_env()
    env.update(
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
    )
    return env


class Session:
    """One server driven by the pygls client: started, initialized, the target document open."""

    def __init__(self, name: str, command: list[str], is_modelroute: bool) -> None:
        self.name, self.command, self.is_modelroute = name, command, is_modelroute
        self.client = LanguageClient("bench", "0")
        self.figures: dict[str, Any] = {}
        self.warm: list[float] = []
        self.cold: list[float] = []
        self.version = 1

    async def start(self, root: Path, env: dict[str, str]) -> None:
        spawn = time.perf_counter()
        await self.client.start_io(*self.command, env=env)
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            )
        )
        self.figures["spawn_to_initialize_s"] = time.perf_counter() - spawn
        self.client.initialized(types.InitializedParams())
        if self.is_modelroute:
            t = time.perf_counter()
            await self.client.workspace_execute_command_async(types.ExecuteCommandParams(command="modelroute.idle"))
            self.figures["index_s"] = time.perf_counter() - t
        self.uri = (root / TARGET).as_uri()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=self.uri, language_id="python", version=1, text=TARGET_TEXT)
            )
        )
        t = time.perf_counter()
        self.figures["actions"] = len(await self.code_action() or [])
        self.figures["first_code_action_s"] = time.perf_counter() - t

    async def code_action(self) -> Any:
        return await self.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=self.uri),
                range=types.Range(
                    start=types.Position(line=DIRECTIVE_LINE, character=6),
                    end=types.Position(line=DIRECTIVE_LINE, character=6),
                ),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )

    async def timed_warm(self) -> None:
        t = time.perf_counter()
        await self.code_action()
        self.warm.append(time.perf_counter() - t)

    async def timed_cold(self) -> None:
        self.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=6, character=0), end=types.Position(line=6, character=0)
                        ),
                        text=f"# edit {self.version}\n",
                    )
                ],
            )
        )
        t = time.perf_counter()
        await self.code_action()
        self.cold.append(time.perf_counter() - t)

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()
        self.figures.update(
            warm_median_ms=statistics.median(self.warm) * 1000,
            warm_p95_ms=_p95(self.warm) * 1000,
            cold_median_ms=statistics.median(self.cold) * 1000,
            cold_p95_ms=_p95(self.cold) * 1000,
        )


async def run(root: Path, env: dict[str, str], args: argparse.Namespace) -> tuple[Session, Session]:
    noop = Session("no-op pygls", [sys.executable, str(HERE / "noop_lsp_server.py")], False)
    ours = Session("modelroute", [sys.executable, "-m", "modelroute.lsp.main"], True)
    # Started one after the other (start-up is timed); requests interleaved so that load from
    # other processes on the machine hits both servers alike.
    await noop.start(root, env)
    await ours.start(root, env)
    for _ in range(args.requests):
        await noop.timed_warm()
        await ours.timed_warm()
    for _ in range(args.cold):
        await noop.timed_cold()
        await ours.timed_cold()
    await noop.stop()
    await ours.stop()
    return noop, ours


def _p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1] if len(values) > 1 else values[0]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cold", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="modelroute-bench-") as tmp:
        root = Path(tmp) / "ws"
        t = time.perf_counter()
        generate(root, args.files)
        print(f"workspace: {args.files} files generated in {time.perf_counter() - t:.1f}s")
        env = server_env(Path(tmp))
        noop_session, ours_session = await run(root, env, args)
    noop, ours = noop_session.figures, ours_session.figures
    print(f"{'':24}{'no-op pygls':>14}{'modelroute':>14}{'ratio':>9}")
    rows = [
        ("spawn→initialize (s)", "spawn_to_initialize_s"),
        ("codeAction warm med (ms)", "warm_median_ms"),
        ("codeAction warm p95 (ms)", "warm_p95_ms"),
        ("codeAction cold med (ms)", "cold_median_ms"),
        ("codeAction cold p95 (ms)", "cold_p95_ms"),
    ]
    for label, key in rows:
        print(f"{label:24}{noop[key]:>14.3f}{ours[key]:>14.3f}{ours[key] / noop[key]:>9.2f}")
    print(
        f"modelroute: index built {ours['index_s']:.2f}s after initialized; first codeAction "
        f"{ours['first_code_action_s'] * 1000:.1f} ms; {ours['actions']} actions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
