"""One state per workspace root: the Engine, its settings generation and the decision cache.

Engine calls are CPU or disk work, so they run in worker threads; one lock per root keeps
decisions, file events and reloads from overlapping, while the index build runs beside them
(the index builds a fresh copy and swaps it in). Decisions are cached by
document version, normalized range, instruction, diagnostics and a generation that moves on
every settings reload or file event, so the code-action path repeats no work.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:  # the pipeline pulls in the SDKs: imported in a worker thread, after initialize
    from modelroute.context.gather import ActionRequest
    from modelroute.pipeline import Engine, Routed
    from modelroute.policy import Resolved

log = logging.getLogger(__name__)

FileEventKind = Literal["created", "changed", "deleted"]
SETTINGS_FILE = ".modelroute.toml"
_CACHE_SIZE = 512
T = TypeVar("T")


class WorkspaceState:
    def __init__(self, root: Path, *, index: bool = True) -> None:
        self.root = root
        self.index = index  # False for a stray file's folder: never walk, say, $HOME
        self.generation = 0
        self.index_ready = False
        self.decisions = 0  # Engine.decide calls so far: the cache's effect, visible to tests
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._ready = asyncio.Event()
        self._start_error: Exception | None = None
        self._cache: OrderedDict[Hashable, Routed | Exception] = OrderedDict()
        self._inflight: dict[Hashable, asyncio.Future[Routed]] = {}

    # -- life cycle -------------------------------------------------------------------
    async def start(self, client_settings: Mapping[str, Any] | None) -> Resolved:
        """Create the Engine and load settings (client ones included), off the event loop.
        Requests wait until both are done, so none is routed under partial settings."""
        try:
            engine = await asyncio.to_thread(_new_engine, self.root)
            resolved = await self._reload(engine, client_settings)
            self._engine = engine
            return resolved
        except Exception as exc:
            self._start_error = exc
            raise
        finally:
            self._ready.set()

    async def ready(self) -> Engine:
        await self._ready.wait()
        if self._engine is None:
            raise RuntimeError(f"modelroute could not start for {self.root}: {self._start_error}")
        return self._engine

    async def build_index(self) -> None:
        """Walk the workspace in a thread. Not under the lock: the index builds a fresh copy and
        swaps it in, queueing file events that arrive meanwhile, so routing goes on meanwhile."""
        engine = await self.ready()
        if not self.index:
            return
        await asyncio.to_thread(engine.build_index)
        self.index_ready = True
        self._bump()

    # -- engine calls -----------------------------------------------------------------
    async def reload(self, client_settings: Mapping[str, Any] | None) -> Resolved:
        return await self._reload(await self.ready(), client_settings)

    async def _reload(self, engine: Engine, client_settings: Mapping[str, Any] | None) -> Resolved:
        resolved = await asyncio.to_thread(self._locked, lambda: engine.reload_settings(client_settings))
        self._bump()
        return resolved

    async def file_events(self, events: list[tuple[str, FileEventKind]]) -> None:
        engine = await self.ready()

        def apply() -> None:
            for rel, kind in events:
                engine.file_event(rel, kind)

        await asyncio.to_thread(self._locked, apply)
        self._bump()

    async def routed(self, key: Hashable, make_request: ActionRequest | Callable[[], ActionRequest]) -> Routed:
        """The cached decision for `key`, computing it once (in a thread) on a miss."""
        full_key = (self.generation, key)
        hit = self._cache.get(full_key)
        if hit is not None:
            self._cache.move_to_end(full_key)
            if isinstance(hit, Exception):
                raise hit
            return hit
        future = self._inflight.get(full_key)
        if future is None:
            engine = await self.ready()
            future = self._inflight.get(full_key)  # someone may have started it meanwhile
        if future is None:
            self.decisions += 1
            future = asyncio.ensure_future(
                asyncio.to_thread(self._locked, lambda: engine.decide(_request(make_request)))
            )
            self._inflight[full_key] = future
            future.add_done_callback(lambda f: self._store(full_key, f))
        return await asyncio.shield(future)

    def peek(self, key: Hashable) -> Routed | None:
        hit = self._cache.get((self.generation, key))
        return None if hit is None or isinstance(hit, Exception) else hit

    async def explain_markdown(self, routed: Routed) -> str:
        engine = await self.ready()
        return await asyncio.to_thread(self._locked, lambda: engine.explain_markdown(routed))

    @property
    def engine(self) -> Engine | None:
        return self._engine

    def invalidate(self) -> None:
        """Drop cached decisions: inputs outside the settings moved (spend, calibration)."""
        self._bump()

    # -- internals --------------------------------------------------------------------
    def _locked(self, fn: Callable[[], T]) -> T:
        with self._lock:
            return fn()

    def _store(self, key: Hashable, future: asyncio.Future[Routed]) -> None:
        self._inflight.pop(key, None)
        if future.cancelled() or key[0] != self.generation:  # type: ignore[index]
            return
        exc = future.exception()
        self._cache[key] = exc if isinstance(exc, Exception) else future.result()
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)

    def _bump(self) -> None:
        self.generation += 1
        self._cache.clear()


def _request(make: ActionRequest | Callable[[], ActionRequest]) -> ActionRequest:
    return make() if callable(make) else make


def _new_engine(root: Path) -> Engine:
    from modelroute.ledger import LedgerError, open_ledger
    from modelroute.pipeline import Engine
    from modelroute.route import Spend

    engine = Engine(root)
    try:  # budgets and calibration hold from the first decision, not only after this server's first run
        with open_ledger(engine.settings) as ledger:
            engine.spend = Spend(today_usd=ledger.spent("day"), month_usd=ledger.spent("month"))
            engine.calibration = ledger.calibration()
    except LedgerError as exc:
        log.warning("ledger unreadable, routing without spend: %s", exc)
    return engine


class Registry:
    """Maps document paths to workspace states: the deepest folder that contains the file,
    else the file's own directory (not indexed)."""

    def __init__(self) -> None:
        self.folders: dict[Path, WorkspaceState] = {}
        self.loose: dict[Path, WorkspaceState] = {}

    def add_folder(self, root: Path) -> tuple[WorkspaceState, bool]:
        root = root.resolve()
        if root in self.folders:
            return self.folders[root], False
        state = WorkspaceState(root)
        self.folders[root] = state
        return state, True

    def remove_folder(self, root: Path) -> WorkspaceState | None:
        return self.folders.pop(root.resolve(), None)

    def find(self, path: Path) -> WorkspaceState | None:
        best: WorkspaceState | None = None
        for root, state in self.folders.items():
            if path.is_relative_to(root) and (best is None or len(root.parts) > len(best.root.parts)):
                best = state
        return best

    def for_path(self, path: Path) -> tuple[WorkspaceState, bool]:
        """The state owning `path`, and whether it was just created (and must be started)."""
        found = self.find(path)
        if found is not None:
            return found, False
        parent = path.parent
        if parent not in self.loose:
            self.loose[parent] = WorkspaceState(parent, index=False)
            return self.loose[parent], True
        return self.loose[parent], False

    def all(self) -> list[WorkspaceState]:
        return [*self.folders.values(), *self.loose.values()]
