"""Language server latency: modelroute vs a no-op pygls server, same client, same run, as ratios.

    .venv/bin/python bench/bench_lsp.py [--files 10000] [--requests 300] [--edits 60] [--rounds 3]
                                        [--keys] [--client visual-studio-code]

A generated workspace of N files (Python, TypeScript, shell, Markdown) holds one file with a
directive. Each round starts both servers afresh and drives them with the same pygls client over
stdio, interleaving their requests so that load from other processes hits both alike:
- initialize: spawn to the initialize answer (the client sends it as soon as the process runs);
- warm codeAction: repeated requests on the directive line of one document version (what an
  editor sends as the cursor moves): answered from the decision cache;
- codeAction after didChange: an edit below the directive, then a request on its line (what an
  editor sends while the user types);
- selection after didChange: the same with a selection (Explain/Review).
The no-op server answers every codeAction with nothing (`--baseline-actions N`: with N static actions
of modelroute's shape, to see what answering with actions costs by itself, mostly in the client's
parsing). `--keys` sets every built-in provider's key variable to a dummy value (and points the SDKs'
base URLs at a closed port on 127.0.0.1, so nothing could leave): every model is available, and the
answer holds the strategy offers (cascade, best of N, plan, split) a user with keys sees. Neither
server calls a provider: code actions only route and price. `--client PROFILE` sends a pytest-lsp
client capability profile (e.g. `visual-studio-code`, `neovim@v0.10.0`) in `initialize` instead of
none. Figures are per round; the ratio of each round's medians is reported, and the median of the
rounds' ratios is the result.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
FIGURES = (
    ("spawn→initialize (s)", "initialize_s"),
    ("codeAction warm (ms)", "warm_ms"),
    ("after didChange (ms)", "edit_ms"),
    ("selection after didChange (ms)", "selection_ms"),
)


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
    (root / TARGET).parent.mkdir(parents=True, exist_ok=True)
    (root / TARGET).write_text(TARGET_TEXT)


def server_env(home: Path) -> dict[str, str]:
    env = scrubbed_env()
    env.update(
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        MODELROUTE_DATA_DIR=str(home / "data" / "modelroute"),
    )
    return env


KEY_VARIABLES = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "MOONSHOT_API_KEY", "ZAI_API_KEY", "MINIMAX_API_KEY",
                 "DEEPSEEK_API_KEY")
CLOSED_PORT = "http://127.0.0.1:9"  # discard: nothing listens there; no request is expected anyway


def with_keys(env: dict[str, str]) -> dict[str, str]:
    """Every built-in provider configured with a dummy key, its SDK pointed at a closed local port."""
    return {**env, **{name: "bench-dummy-key" for name in KEY_VARIABLES},
            "ANTHROPIC_BASE_URL": CLOSED_PORT, "OPENAI_BASE_URL": CLOSED_PORT}


def capabilities(profile: str | None) -> types.ClientCapabilities:
    if not profile:
        return types.ClientCapabilities()
    from pytest_lsp import client_capabilities

    return client_capabilities(profile)


def rng(l1: int, c1: int, l2: int, c2: int) -> types.Range:
    return types.Range(start=types.Position(line=l1, character=c1), end=types.Position(line=l2, character=c2))


class Session:
    """One server driven by the pygls client: started, initialized, the target document open."""

    def __init__(self, name: str, command: list[str], is_modelroute: bool, caps: types.ClientCapabilities) -> None:
        self.name, self.command, self.is_modelroute, self.caps = name, command, is_modelroute, caps
        self.client = LanguageClient("bench", "0")
        self.times: dict[str, list[float]] = {"warm_ms": [], "edit_ms": [], "selection_ms": []}
        self.figures: dict[str, Any] = {}
        self.version = 1

    async def start(self, root: Path, env: dict[str, str]) -> None:
        spawn = time.perf_counter()
        await self.client.start_io(*self.command, env=env)
        await self.client.initialize_async(types.InitializeParams(
            capabilities=self.caps, root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        ))
        self.figures["initialize_s"] = time.perf_counter() - spawn
        self.client.initialized(types.InitializedParams())
        if self.is_modelroute:
            t = time.perf_counter()
            await self.client.workspace_execute_command_async(types.ExecuteCommandParams(command="modelroute.idle"))
            self.figures["index_s"] = time.perf_counter() - t
        self.uri = (root / TARGET).as_uri()
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=self.uri, language_id="python", version=1, text=TARGET_TEXT)))
        t = time.perf_counter()
        answer = await self.code_action(rng(DIRECTIVE_LINE, 6, DIRECTIVE_LINE, 6)) or []
        self.figures["actions"] = len(answer)
        self.figures["answer_bytes"] = len(json.dumps(self.client.protocol._converter.unstructure(answer),
                                                      separators=(",", ":")))
        await self.code_action(rng(5, 0, 6, 10))  # the selection's first decisions
        self.figures["first_code_action_s"] = time.perf_counter() - t

    async def code_action(self, r: types.Range) -> Any:
        return await self.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri), range=r,
            context=types.CodeActionContext(diagnostics=[])))

    async def timed(self, figure: str, r: types.Range, *, edit: bool) -> None:
        if edit:
            self.version += 1
            self.client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=[types.TextDocumentContentChangePartial(
                    range=rng(7, 0, 7, 0), text=f"# edit {self.version}\n")],
            ))
        t = time.perf_counter()
        await self.code_action(r)
        self.times[figure].append((time.perf_counter() - t) * 1000)

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()
        for figure, values in self.times.items():
            self.figures[figure] = statistics.median(values)


async def one_round(root: Path, env: dict[str, str], args: argparse.Namespace) -> tuple[Session, Session]:
    extra = ["--actions", str(args.baseline_actions)] if args.baseline_actions else []
    caps = capabilities(args.client)
    noop = Session("no-op pygls", [sys.executable, str(HERE / "noop_lsp_server.py"), *extra], False, caps)
    profile = os.environ.get("BENCH_PROFILE", "").split()  # e.g. "-m cProfile -o /tmp/server.prof"
    ours = Session("modelroute", [sys.executable, *profile, "-m", "modelroute.lsp.main"], True, caps)
    await noop.start(root, env)
    await ours.start(root, env)
    directive = rng(DIRECTIVE_LINE, 6, DIRECTIVE_LINE, 6)
    selection = rng(5, 0, 6, 10)
    for _ in range(args.requests):
        for session in (noop, ours):
            await session.timed("warm_ms", directive, edit=False)
    for _ in range(args.edits):
        for session in (noop, ours):
            await session.timed("edit_ms", directive, edit=True)
    for _ in range(args.edits):
        for session in (noop, ours):
            await session.timed("selection_ms", selection, edit=True)
    await noop.stop()
    await ours.stop()
    return noop, ours


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--edits", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-actions", type=int, default=0,
                        help="the no-op server answers with this many static actions (default: none)")
    parser.add_argument("--keys", action="store_true",
                        help="dummy keys for every built-in provider: all models available, strategy offers shown")
    parser.add_argument("--client", default="",
                        help="a pytest-lsp capability profile sent in initialize (default: no capabilities)")
    args = parser.parse_args()
    ratios: dict[str, list[float]] = {key: [] for _, key in FIGURES}
    with tempfile.TemporaryDirectory(prefix="modelroute-bench-") as tmp:
        root = Path(tmp) / "ws"
        t = time.perf_counter()
        generate(root, args.files)
        print(f"workspace: {args.files} files generated in {time.perf_counter() - t:.1f}s; {args.rounds} round(s)")
        env = server_env(Path(tmp))
        if args.keys:
            env = with_keys(env)
        for index in range(args.rounds):
            noop, ours = await one_round(root, env, args)
            print(f"round {index + 1}: {'':18}{'no-op pygls':>12}{'modelroute':>12}{'ratio':>8}")
            for label, key in FIGURES:
                ratio = ours.figures[key] / noop.figures[key]
                ratios[key].append(ratio)
                print(f"  {label:30}{noop.figures[key]:>12.3f}{ours.figures[key]:>12.3f}{ratio:>8.2f}")
            print(f"  modelroute: index ready {ours.figures['index_s']:.2f}s after initialized; first code actions "
                  f"{ours.figures['first_code_action_s'] * 1000:.0f} ms; {ours.figures['actions']} actions, "
                  f"{ours.figures['answer_bytes']} bytes")
    print("median ratio over the rounds:")
    for label, key in FIGURES:
        print(f"  {label:30}{statistics.median(ratios[key]):>8.2f}   ({', '.join(f'{r:.2f}' for r in ratios[key])})")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
