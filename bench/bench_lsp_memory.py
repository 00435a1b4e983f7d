"""Language server memory: bounded by what is open, not by the edit history; and >512 open documents.

    .venv/bin/python bench/bench_lsp_memory.py [--notifications 100000] [--big-edits 100] [--documents 600]

modelroute and the no-op pygls server (bench/noop_lsp_server.py) are driven by the same pygls client:
1. 100,000 didChange notifications on a small document, RSS (VmRSS of the server process) read every
   10,000 after a round trip: pygls 2.1.1 keeps one finished future per notification, the no-op
   server shows that growth; modelroute forgets them (lsp/protocol.py) and levels off.
2. A 1 MB file edited with a code action on its directive after every edit: the decision cache
   must not keep a copy of every version (before the fix, 151 -> 716 MB over 100 edits).
3. 600 open documents, each asked for its code actions twice: the second pass must be answered
   from the cache (the old caches held 256-512 documents and were defeated).
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lsp import HERE, rng, server_env

DIRECTIVE = "    # split this loader into a reader and a validator and update every caller AI!\n"
SMALL = "def load(path):\n" + DIRECTIVE + "    return path\n"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    def __init__(self, name: str, command: list[str]) -> None:
        self.name, self.command = name, command
        self.client = LanguageClient("bench", "0")
        self.versions: dict[str, int] = {}

    async def start(self, root: Path, env: dict[str, str]) -> None:
        await self.client.start_io(*self.command, env=env)
        await self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)]))
        self.client.initialized(types.InitializedParams())
        await self.settle()

    @property
    def pid(self) -> int:
        assert self.client._server is not None
        return self.client._server.pid

    async def settle(self) -> None:
        """A round trip: every notification sent before it has been handled."""
        await self.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri="file:///nowhere.py"), range=rng(0, 0, 0, 0),
            context=types.CodeActionContext(diagnostics=[])))

    def open(self, uri: str, text: str) -> None:
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))

    def change(self, uri: str, line: int, text: str, *, replace: int = 0) -> None:
        self.versions[uri] += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangePartial(range=rng(line, 0, line, replace), text=text)]))

    async def actions(self, uri: str, line: int) -> Any:
        return await self.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=rng(line, 6, line, 6),
            context=types.CodeActionContext(diagnostics=[])))

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


async def flood(servers: list[Server], root: Path, count: int) -> None:
    print(f"1. RSS (MB) over {count:,} didChange notifications")
    uri = (root / "small.py").as_uri()
    for server in servers:
        server.open(uri, SMALL)
        await server.settle()
    step = max(count // 10, 1)
    print(f"   {'notifications':>14}" + "".join(f"{s.name:>14}" for s in servers))
    print(f"   {0:>14,}" + "".join(f"{rss_mb(s.pid):>14.1f}" for s in servers))
    for done in range(step, count + 1, step):
        for server in servers:
            for i in range(step):
                server.change(uri, 2, "x" if i % 2 else "y", replace=1)  # one character, back and forth
            await server.settle()
        print(f"   {done:>14,}" + "".join(f"{rss_mb(s.pid):>14.1f}" for s in servers))


async def big_file(servers: list[Server], root: Path, edits: int) -> None:
    body = "".join(f"def f_{i}(x):\n    return x + {i}\n\n" for i in range(35_000))  # about 1 MB
    text = "def load(path):\n" + DIRECTIVE + "    return path\n\n" + body
    print(f"2. a {len(text) / 1e6:.1f} MB file, {edits} edits each followed by a code action on its directive")
    uri = (root / "big.py").as_uri()
    before: dict[str, float] = {}
    for server in servers:
        server.open(uri, text)
        await server.actions(uri, 1)
        before[server.name] = rss_mb(server.pid)
    times: dict[str, list[float]] = {s.name: [] for s in servers}
    for i in range(edits):
        for server in servers:
            server.change(uri, 10 + i, f"# edit {i}\n")
            t = time.perf_counter()
            await server.actions(uri, 1)
            times[server.name].append((time.perf_counter() - t) * 1000)
    for server in servers:
        await server.settle()
        print(f"   {server.name:>12}: RSS {before[server.name]:.1f} -> {rss_mb(server.pid):.1f} MB; "
              f"code action after an edit median {statistics.median(times[server.name]):.2f} ms")


async def many_documents(servers: list[Server], root: Path, count: int) -> None:
    print(f"3. {count} open documents, code actions asked on each twice")
    uris = [(root / f"doc_{i}.py").as_uri() for i in range(count)]
    second: dict[str, list[float]] = {s.name: [] for s in servers}
    for server in servers:
        for uri in uris:
            server.open(uri, SMALL)
            await server.actions(uri, 1)
    for uri in uris:
        for server in servers:
            t = time.perf_counter()
            await server.actions(uri, 1)
            second[server.name].append((time.perf_counter() - t) * 1000)
    medians = {name: statistics.median(values) for name, values in second.items()}
    for name, value in medians.items():
        print(f"   {name:>12}: second pass median {value:.3f} ms")
    if len(medians) == 2:
        noop, ours = medians.values()
        print(f"   ratio {ours / noop:.2f}")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notifications", type=int, default=100_000)
    parser.add_argument("--big-edits", type=int, default=100)
    parser.add_argument("--documents", type=int, default=600)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="modelroute-bench-") as tmp:
        root = Path(tmp) / "ws"
        root.mkdir()
        env = server_env(Path(tmp))
        servers = [Server("no-op pygls", [sys.executable, str(HERE / "noop_lsp_server.py")]),
                   Server("modelroute", [sys.executable, "-m", "modelroute.lsp.main"])]
        for server in servers:
            await server.start(root, env)
        await flood(servers, root, args.notifications)
        await big_file(servers, root, args.big_edits)
        await many_documents(servers, root, args.documents)
        for server in servers:
            await server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
