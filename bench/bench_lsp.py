"""codeAction round trip and initialize time: modelroute vs a no-op pygls server, same client, same run.

    .venv/bin/python bench/bench_lsp.py [--files 10000] [--requests 300] [--cold 30]

A generated workspace of N files (Python, TypeScript, shell, Markdown) holds one file with a
directive. Both servers are driven by the same pygls client over stdio. Figures:
- initialize: spawn to the initialize answer, and the initialize request alone;
- warm codeAction: repeated requests on the directive line of one document version (what an
  editor sends as the cursor moves): the decision comes from the cache;
- cold codeAction: a new document version before each request, so the Engine decides again
  (context, classification, token count, routing). The no-op server does nothing in either case.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

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
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
    )
    return env


async def measure(
    name: str, command: list[str], root: Path, env: dict[str, str], args: argparse.Namespace, is_modelroute: bool
) -> dict[str, Any]:
    client = LanguageClient("bench", "0")
    spawn = time.perf_counter()
    await client.start_io(*command, env=env)
    sent = time.perf_counter()
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        )
    )
    done = time.perf_counter()
    client.initialized(types.InitializedParams())
    index_s = None
    if is_modelroute:
        t = time.perf_counter()
        await client.workspace_execute_command_async(types.ExecuteCommandParams(command="modelroute.idle"))
        index_s = time.perf_counter() - t
    uri = (root / TARGET).as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=TARGET_TEXT)
        )
    )
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(
            start=types.Position(line=DIRECTIVE_LINE, character=6), end=types.Position(line=DIRECTIVE_LINE, character=6)
        ),
        context=types.CodeActionContext(diagnostics=[]),
    )
    first = time.perf_counter()
    result = await client.text_document_code_action_async(params)
    first_s = time.perf_counter() - first
    actions = len(result or [])
    warm = []
    for _ in range(args.requests):
        t = time.perf_counter()
        await client.text_document_code_action_async(params)
        warm.append(time.perf_counter() - t)
    cold = []
    for version in range(2, args.cold + 2):
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=6, character=0), end=types.Position(line=6, character=0)
                        ),
                        text=f"# edit {version}\n",
                    )
                ],
            )
        )
        t = time.perf_counter()
        await client.text_document_code_action_async(params)
        cold.append(time.perf_counter() - t)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {
        "name": name,
        "actions": actions,
        "spawn_to_initialize_s": done - spawn,
        "initialize_request_s": done - sent,
        "index_s": index_s,
        "first_code_action_s": first_s,
        "warm_median_ms": statistics.median(warm) * 1000,
        "warm_p95_ms": _p95(warm) * 1000,
        "cold_median_ms": statistics.median(cold) * 1000,
        "cold_p95_ms": _p95(cold) * 1000,
    }


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
        noop = await measure("no-op pygls", [sys.executable, str(HERE / "noop_lsp_server.py")], root, env, args, False)
        ours = await measure("modelroute", [sys.executable, "-m", "modelroute.lsp.main"], root, env, args, True)
    print(f"{'':24}{'no-op pygls':>14}{'modelroute':>14}{'ratio':>9}")
    rows = [
        ("spawn→initialize (s)", "spawn_to_initialize_s"),
        ("initialize request (s)", "initialize_request_s"),
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
