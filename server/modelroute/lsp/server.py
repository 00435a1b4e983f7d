"""The pygls server object: shared state plus small helpers the feature modules use.

Features live one per module (sync, config handlers, actions, commands, hover, inlay) and
register themselves on a `ModelrouteServer` through their `register(server)` function.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Coroutine, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import FeatureRequestError, JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from modelroute import __version__
from modelroute.lsp.config import ClientConfig
from modelroute.lsp.documents import DirectiveIndex, Doc, open_doc, relative
from modelroute.lsp.progress import work_done
from modelroute.lsp.protocol import ModelrouteProtocol
from modelroute.lsp.state import FileEventKind, Registry, WorkspaceState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """An open (or on-disk) document and the workspace that owns it."""

    doc: Doc
    state: WorkspaceState
    rel: str


class ModelrouteServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "modelroute",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=ModelrouteProtocol,
        )
        self.registry = Registry()
        self.directives = DirectiveIndex()
        self.config = ClientConfig()
        self.initialized = False
        self.pending_events: dict[WorkspaceState, list[tuple[str, FileEventKind]]] = {}  # batched
        self.watching = False  # a dynamic file watcher is registered: didSave adds nothing
        self._tasks: set[asyncio.Task[Any]] = set()
        self.action_cache = Lru(512)  # code actions as JSON, by workspace generation, version and range
        self.refs = Lru(1024)  # short ids in code action `data` -> (state, decision key)
        self._next_ref = 0
        self._targets: dict[str, tuple[Any, Target]] = {}  # uri -> (version, target) of open documents

    def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        """Run background work; keep a reference and log (never raise) its failure."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("%s failed: %s", what, t.exception(), exc_info=t.exception())
                self.log(f"modelroute: {what} failed: {t.exception()}", types.MessageType.Error)

        task.add_done_callback(done)
        return task

    async def idle(self) -> None:
        """Wait for background work (tests and benchmarks use it through a command)."""
        while pending := [t for t in self._tasks if not t.done()]:
            await asyncio.gather(*pending, return_exceptions=True)
        await asyncio.sleep(0)  # let done-callbacks run

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Malformed messages and failed notifications go to the log, not into a popup: a client
        sending garbage should not spam its user. Request errors are answered as errors anyway."""
        if source is FeatureRequestError:
            return  # already answered to the client as an error response
        if isinstance(source, type) and issubclass(source, JsonRpcException):
            self.log(f"modelroute: ignored a malformed message: {error}", types.MessageType.Warning)
        else:
            self.log(f"modelroute: {source.__name__}: {error}", types.MessageType.Error)

    def log(self, message: str, level: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=level, message=message))

    def start_state(self, state: WorkspaceState, *, index: bool = True) -> None:
        async def run() -> None:
            await self.config.pull(self, [state])
            resolved = await state.start(self.config.for_root(state.root) or {})
            self.config.report(self, state, resolved)
            if index and state.index:
                async with work_done(self, "modelroute: indexing", message=state.root.name):
                    await state.build_index()

        self.spawn(run(), f"starting workspace {state.root}")

    def remember(self, value: Any) -> str:
        self._next_ref += 1
        ref = format(self._next_ref, "x")
        self.refs.put(ref, value)
        return ref

    def forget_targets(self) -> None:
        self._targets.clear()

    def target(self, uri: str) -> Target | None:
        """Document, state and relative path for `uri`; None for URIs we cannot read."""
        opened = self.workspace.text_documents.get(uri)
        cached = self._targets.get(uri)
        if opened is not None and cached is not None and cached[0] == opened.version:
            return cached[1]
        doc = open_doc(self.workspace, uri)
        if doc is None:
            return None
        state, created = self.registry.for_path(doc.path.resolve())
        if created:
            self.start_state(state)
        try:
            rel = relative(doc.path, state.root)
        except ValueError:
            return None
        target = Target(doc=doc, state=state, rel=rel)
        if opened is not None:
            if len(self._targets) > 256:
                self._targets.clear()
            self._targets[uri] = (opened.version, target)
        return target


class Lru:
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: Hashable, value: Any) -> None:
        self._items[key] = value
        while len(self._items) > self._size:
            self._items.popitem(last=False)


def uri_path(uri: str) -> Path | None:
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(path) if path else None
