"""The server's session: everything one language server holds, in one object it owns.

- workspace states (`Registry`), the client's settings (`ClientConfig`);
- the open text documents, kept from their edits (`Documents`), and the `DocumentQuery` that
  every handler gets for a URI, text file or notebook alike;
- ONE decision cache (`Decisions`);
- the run core's session (ledger, runs in progress, approval books) and the published reviews.

The decision cache is keyed by document and by what the decision is about (an anchor): a directive
(its instruction, kind and occurrence, not its line), a selection (the selected text) or a cursor
position. A decision answers requests on its document version. After an edit, a directive's or a
selection's earlier decision still answers code actions, hover and inlay hints at once, and the
current one is made once the typing pauses (a keystroke elsewhere
in the file moves the estimate by a few tokens, not the model); commands (`modelroute.route`,
`modelroute.run`) always wait for the current version. Decisions of earlier versions keep their
model, prices and reasons but not the text they were made on, so a document's decisions hold at most
one copy of its text: memory follows what is open, not the edit history. Closed documents lose their
decisions; documents read from disk share a bounded pool.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from modelroute.lsp.config import ClientConfig
from modelroute.lsp.documents import DocumentQuery, Documents, TextQuery, Units, fs_path, read_disk, relative
from modelroute.lsp.notebooks import SavedNotebooks
from modelroute.lsp.state import FileEventKind, Registry, WorkspaceState

if TYPE_CHECKING:
    from modelroute.context.gather import ActionRequest
    from modelroute.lsp.server import ModelrouteServer
    from modelroute.pipeline import Routed
    from modelroute.run.flow import RunSession

log = logging.getLogger(__name__)

PER_DOCUMENT = 64  # decisions kept per document (directives and ranges asked about)
DISK_DOCUMENTS = 256  # documents read from disk (not open) whose decisions are kept
LOCATED_KEPT = 8192  # URIs whose workspace is remembered
REFRESH_AFTER_S = 0.25  # a directive's decision is made again once the typing pauses this long


@dataclass
class Entry:
    """One cached decision (or the error that routing gave) and what was built from it."""

    id: str  # what `codeAction/resolve` finds it by
    state: WorkspaceState
    generation: int
    version: Hashable
    routed: Routed | None = None
    error: Exception | None = None
    actions: tuple[Hashable, list[dict[str, Any]]] | None = None  # code actions as JSON, with their tag
    pending: tuple[DocumentQuery, Callable[[], ActionRequest]] | None = None  # the newest request it answered stale


@dataclass
class _Doc:
    entries: OrderedDict[Hashable, Entry] = field(default_factory=OrderedDict)
    version: Hashable = None  # the newest version a decision was asked for


class Decisions:
    """The one decision cache (see the module docstring)."""

    def __init__(self, spawn: Callable[[Any, str], Any], is_open: Callable[[str], bool]) -> None:
        self._spawn = spawn
        self._is_open = is_open
        self._docs: OrderedDict[str, _Doc] = OrderedDict()
        self._by_id: dict[str, tuple[str, Hashable]] = {}
        self._inflight: dict[tuple[str, Hashable, int, Hashable], asyncio.Future[Entry]] = {}
        self._next_id = 0
        # Set by the code actions: what a new decision's answer needs, worked out before it answers.
        self.prepare: Callable[[DocumentQuery, Hashable, Entry], Awaitable[None]] | None = None
        self.count = 0  # decisions computed: the cache's effect, visible to tests through modelroute.idle

    async def get(
        self, query: DocumentQuery, key: Hashable, make: Callable[[], ActionRequest], *, stale_ok: bool = False
    ) -> Entry:
        """The decision for `key` on the query's document version. With `stale_ok`, an earlier
        version's decision of the same directive answers at once and the current one follows."""
        entry = self.cached(query, key, make, stale_ok=stale_ok)
        if entry is not None:
            if entry.error is not None:
                raise entry.error
            return entry
        return await self._compute(query, key, make)

    def cached(
        self, query: DocumentQuery, key: Hashable, make: Callable[[], ActionRequest], *, stale_ok: bool = False
    ) -> Entry | None:
        """`get` without waiting: the cached decision (or error), else None."""
        doc = self._doc(query)
        entry = doc.entries.get(key)
        if entry is None or entry.generation != query.state.generation:
            return None
        doc.entries.move_to_end(key)
        if entry.version == query.version:
            return entry
        if stale_ok and entry.routed is not None:
            self._refresh(key, entry, query, make)
            return entry
        return None

    def by_id(self, entry_id: str) -> Entry | None:
        found = self._by_id.get(entry_id)
        if found is None:
            return None
        doc = self._docs.get(found[0])
        return doc.entries.get(found[1]) if doc is not None else None

    def forget(self, uri: str) -> None:
        """A closed document: its decisions go."""
        doc = self._docs.pop(uri, None)
        if doc is not None:
            for entry in doc.entries.values():
                self._by_id.pop(entry.id, None)

    def documents(self) -> int:
        return len(self._docs)

    def texts_held(self, uri: str) -> set[Hashable]:
        """The document versions whose full text a document's cached decisions hold (at most one:
        decisions of earlier versions keep their model and price, not the text they were made on)."""
        doc = self._docs.get(uri)
        if doc is None:
            return set()
        return {e.version for e in doc.entries.values() if e.routed is not None and e.routed.context.file_text}

    # -- internals --------------------------------------------------------------------
    def _doc(self, query: DocumentQuery) -> _Doc:
        doc = self._docs.get(query.uri)
        if doc is None:
            doc = self._docs[query.uri] = _Doc()
            self._trim_documents()
        else:
            self._docs.move_to_end(query.uri)
        if query.version != doc.version:
            self._moved_on(doc, query.version)
        return doc

    def _moved_on(self, doc: _Doc, version: Hashable) -> None:
        """A new version: cursor decisions go; directive and selection decisions of earlier versions
        stay to answer at once, without the text they were made on."""
        doc.version = version
        for key, entry in list(doc.entries.items()):
            if entry.version == version:
                continue
            if not _survives_edits(key) or entry.routed is None:
                self._drop(doc, key)
            elif entry.routed.context.file_text:
                entry.routed = _without_text(entry.routed)

    def _trim_documents(self) -> None:
        closed = [uri for uri in self._docs if not self._is_open(uri)]
        for uri in closed[: max(len(closed) - DISK_DOCUMENTS, 0)]:
            self.forget(uri)

    def _drop(self, doc: _Doc, key: Hashable) -> None:
        entry = doc.entries.pop(key, None)
        if entry is not None:
            self._by_id.pop(entry.id, None)

    def _refresh(self, key: Hashable, stale: Entry, query: DocumentQuery, make: Callable[[], ActionRequest]) -> None:
        """Make a stale decision again once edits pause (one per pause, for the newest request): a
        burst of keystrokes costs one decision, made when the user stops typing."""
        first = stale.pending is None
        stale.pending = (query, make)
        if not first:
            return

        async def refresh() -> None:
            try:
                while True:
                    await asyncio.sleep(REFRESH_AFTER_S)
                    assert stale.pending is not None
                    newest, newest_make = stale.pending
                    doc = self._docs.get(newest.uri)
                    if doc is None or doc.version == newest.version:
                        break  # quiet for a while: decide on the newest request
                current = doc.entries.get(key) if doc is not None else None
                if doc is not None and (current is None or current.version != newest.version):
                    await self._compute(newest, key, newest_make)
            except Exception as exc:  # the next request sees the error; nobody waits for this one
                log.info("background decision failed: %s", exc)
            finally:
                stale.pending = None

        self._spawn(refresh(), "refreshing a decision")

    async def _compute(self, query: DocumentQuery, key: Hashable, make: Callable[[], ActionRequest]) -> Entry:
        state, version, uri = query.state, query.version, query.uri
        flight = (uri, key, state.generation, version)
        future = self._inflight.get(flight)
        if future is None:
            future = asyncio.ensure_future(self._decide(query, key, make, state.generation))
            self._inflight[flight] = future
            future.add_done_callback(lambda _: self._inflight.pop(flight, None))
        entry = await asyncio.shield(future)
        if entry.error is not None:
            raise entry.error
        return entry

    async def _decide(self, query: DocumentQuery, key: Hashable, make: Callable[[], ActionRequest],
                      generation: int) -> Entry:
        self.count += 1
        self._next_id += 1
        entry = Entry(id=format(self._next_id, "x"), state=query.state, generation=generation, version=query.version)
        try:
            await query.state.ready()  # settings load first: the decision is made under these
            entry.generation = generation = query.state.generation
            entry.routed = await query.state.decide(make)
        except Exception as exc:  # cached too: a request that cannot be routed is not retried per keystroke
            entry.error = exc
        if self.prepare is not None and entry.routed is not None:
            try:  # before it answers: its answer is then laid out at once (the stale one answers meanwhile)
                await self.prepare(query, key, entry)
            except Exception as exc:  # the answer works it out itself then
                log.info("preparing a decision's answer failed: %s", exc)
        doc = self._docs.get(query.uri)
        if doc is None or generation != query.state.generation:
            return entry  # the document was closed or the workspace changed meanwhile: not kept
        old = doc.entries.get(key)
        if entry.version != doc.version:
            if old is not None or entry.routed is None or not _survives_edits(key):
                return entry  # an answer for an earlier version: kept only where there is none
            entry.routed = _without_text(entry.routed)
        if old is not None:
            self._by_id.pop(old.id, None)
        doc.entries[key] = entry
        self._by_id[entry.id] = (query.uri, key)
        while len(doc.entries) > PER_DOCUMENT:
            self._drop(doc, next(iter(doc.entries)))
        return entry


def _without_text(routed: Routed) -> Routed:
    """A decision that answers code actions, hover and hints only: the model, prices and reasons,
    without the document text it was made on (a run always decides on the current text again)."""
    from dataclasses import replace

    context = routed.context.model_copy(update={"file_text": "", "prefix": "", "suffix": "", "selected_text": ""})
    return replace(routed, context=context)


def _survives_edits(key: Hashable) -> bool:
    """Directive and selection decisions are about what the user wrote or selected, not where it is:
    they answer across edits. A cursor position means nothing after an edit."""
    anchor = key[0] if isinstance(key, tuple) and key else None
    return isinstance(anchor, tuple) and bool(anchor) and anchor[0] in ("directive", "selection")


class Changes:
    """Wakes whoever waits for the next edit of any open document or notebook: a run whose
    workspace/applyEdit the editor applies without answering (ALE) sees its edit land this way."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def next(self) -> asyncio.Future[None]:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        waiter.add_done_callback(self._waiters.discard)
        return waiter

    def notify(self) -> None:
        for waiter in list(self._waiters):
            if not waiter.done():
                waiter.set_result(None)


class Session:
    """What one language server holds (see the module docstring)."""

    def __init__(self, server: ModelrouteServer) -> None:
        self.server = server
        self.registry = Registry()
        self.config = ClientConfig()
        self.documents = Documents()
        self.changes = Changes()
        self.decisions = Decisions(server.spawn, lambda uri: self.documents.get(uri) is not None
                                   or server.workspace.get_notebook_document(cell_uri=uri) is not None)
        self.reviews: dict[str, list[types.Diagnostic]] = {}  # uri -> published review diagnostics
        self.saved = SavedNotebooks()
        self.pending_events: dict[WorkspaceState, list[tuple[str, FileEventKind]]] = {}  # batched
        self.watching = False  # a dynamic file watcher is registered: didSave adds nothing
        self._runs: RunSession | None = None
        self._units: Units | None = None
        self._units_of: object = None
        self._located: dict[str, tuple[int, Path, WorkspaceState, str] | None] = {}  # uri -> where it belongs

    @property
    def units(self) -> Units:
        """The position encoding agreed at initialize (UTF-16 unless the client offered another)."""
        encoding = self.server.workspace.position_encoding
        if self._units is None or self._units_of is not encoding:
            self._units, self._units_of = Units(encoding), encoding
        return self._units

    @property
    def runs(self) -> RunSession:
        """The run core's session: created on the first run (it loads the run's dependencies)."""
        if self._runs is None:
            from modelroute.run.flow import RunSession

            self._runs = RunSession(on_spend=self.spend_changed)
        return self._runs

    @property
    def running(self) -> int:
        return len(self._runs.active) if self._runs is not None else 0

    # -- documents --------------------------------------------------------------------
    def query(self, uri: str) -> DocumentQuery | None:
        """The document behind `uri` (text, notebook cell, virtual notebook), or None when unreadable."""
        from modelroute.lsp import notebooks

        found = notebooks.query(self, uri)
        if found is not None:
            return found
        located = self.locate(uri)
        if located is None:
            return None
        path, state, rel = located
        doc = self.documents.get(uri)
        if doc is not None:
            return TextQuery(uri, path, rel, state, self.units, doc)
        disk = read_disk(path)
        if disk is None:
            return None
        from modelroute.context.languages import language_for

        return TextQuery(uri, path, rel, state, self.units, None, (disk[0], disk[1], language_for(path.name)))

    def locate(self, uri: str) -> tuple[Path, WorkspaceState, str] | None:
        """A file URI's path, workspace state and relative path; remembered (a code action must not
        resolve the path on every keystroke) until workspace folders change."""
        found = self._located.get(uri)
        if found is not None and found[0] == self.registry.version and found[2].engine is not None:
            return found[1], found[2], found[3]
        path = fs_path(uri)
        owner = self.owner(path) if path is not None else None
        if path is None or owner is None:
            return None
        if len(self._located) > LOCATED_KEPT:
            self._located.clear()
        self._located[uri] = (self.registry.version, path, owner[0], owner[1])
        return path, owner[0], owner[1]

    def owner(self, path: Path) -> tuple[WorkspaceState, str] | None:
        """The workspace state of a file (started if new) and the file's path relative to it."""
        state, created = self.registry.for_path(path.resolve())
        if created:
            self.server.start_state(state)
        try:
            return state, relative(path, state.root)
        except ValueError:
            return None

    # -- spend ------------------------------------------------------------------------
    async def spend_changed(self, ledger: Any) -> None:
        """Feed every Engine today's and this month's spend and the ledger's calibration (one ledger
        for all workspaces); cached decisions are dropped since both move estimates and eligibility."""
        from modelroute.route import Spend

        def read() -> tuple[float, float, Any]:
            return ledger.spent("day"), ledger.spent("month"), ledger.calibration()

        today, month, calibration = await asyncio.to_thread(read)
        for state in self.registry.all():
            engine = state.engine
            if engine is not None:
                engine.spend = Spend(today_usd=today, month_usd=month)
                engine.calibration = calibration
                state.invalidate()


__all__ = ["Decisions", "Entry", "Session"]
