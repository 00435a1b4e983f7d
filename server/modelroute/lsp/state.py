"""One state per workspace root: its Engine, its settings generation, and the lock around them.

Engine calls are CPU or disk work, so they run in worker threads; one lock per root keeps
decisions, file events and reloads from overlapping, while the index build runs beside them
(the index builds a fresh copy and swaps it in). The generation moves on every settings reload or
file event: decisions cached under an older one are not used again (see session.py).

A folder that is $HOME or above it is never a workspace: a loose file (outside every workspace
folder) and such a folder get decisions and answers, but are not indexed and run no commands.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:  # the pipeline pulls in the SDKs: imported in a worker thread, after initialize
    from modelroute.context.gather import ActionRequest
    from modelroute.pipeline import Engine, Routed
    from modelroute.policy import Resolved

log = logging.getLogger(__name__)

FileEventKind = Literal["created", "changed", "deleted"]
SETTINGS_FILE = ".modelroute.toml"
T = TypeVar("T")


def home_or_above(path: Path) -> bool:
    """Whether `path` is the user's home folder or one of its ancestors (never a workspace)."""
    home = Path(os.path.expanduser("~")).resolve()
    path = path.resolve()
    return path == home or path in home.parents


class WorkspaceState:
    def __init__(self, root: Path, *, loose: bool = False) -> None:
        self.root = root
        # A loose file's folder, or a folder at or above $HOME: never indexed (never walk, say,
        # $HOME), no git, and a run there sees only its own file and runs no command.
        self.loose = loose
        self.generation = 0
        self.index_ready = False
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._ready = asyncio.Event()
        self._start_error: Exception | None = None

    @property
    def index(self) -> bool:
        return not self.loose

    # -- life cycle -------------------------------------------------------------------
    async def start(self, client_settings: Mapping[str, Any] | None) -> Resolved:
        """Create the Engine and load settings (client ones included), off the event loop.
        Requests wait until both are done, so none is routed under partial settings."""
        try:
            engine = await asyncio.to_thread(_new_engine, self.root, self.loose)
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
        if self.loose:
            return
        await asyncio.to_thread(engine.build_index)
        self.index_ready = True
        self.invalidate()

    # -- engine calls -----------------------------------------------------------------
    async def reload(self, client_settings: Mapping[str, Any] | None) -> Resolved:
        return await self._reload(await self.ready(), client_settings)

    async def _reload(self, engine: Engine, client_settings: Mapping[str, Any] | None) -> Resolved:
        resolved = await asyncio.to_thread(self._locked, lambda: engine.reload_settings(client_settings))
        self.invalidate()
        return resolved

    async def file_events(self, events: list[tuple[str, FileEventKind]]) -> None:
        engine = await self.ready()

        def apply() -> None:
            for rel, kind in events:
                engine.file_event(rel, kind)

        await asyncio.to_thread(self._locked, apply)
        self.invalidate()

    async def decide(self, request: ActionRequest | Callable[[], ActionRequest]) -> Routed:
        """One decision, in a worker thread, under the workspace lock (no cache here: session.py)."""
        engine = await self.ready()
        return await asyncio.to_thread(
            self._locked, lambda: engine.decide(request() if callable(request) else request)
        )

    async def explain_markdown(self, routed: Routed) -> str:
        engine = await self.ready()
        return await asyncio.to_thread(self._locked, lambda: engine.explain_markdown(routed))

    @property
    def engine(self) -> Engine | None:
        return self._engine

    def invalidate(self) -> None:
        """Decisions made before now are out of date (settings, files, spend or calibration moved)."""
        self.generation += 1

    def _locked(self, fn: Callable[[], T]) -> T:
        with self._lock:
            return fn()


def _new_engine(root: Path, loose: bool = False) -> Engine:
    from modelroute.ledger import LedgerError
    from modelroute.pipeline import Engine

    engine = Engine(root, git=not loose)
    try:  # budgets and calibration hold from the first decision, not only after this server's first run
        engine.load_spend()
    except LedgerError as exc:
        log.warning("ledger unreadable, routing without spend: %s", exc)
    return engine


class Registry:
    """Maps document paths to workspace states: the deepest folder that contains the file, else
    the file's own directory (loose: not indexed, no commands)."""

    def __init__(self) -> None:
        self.folders: dict[Path, WorkspaceState] = {}
        self.loose: dict[Path, WorkspaceState] = {}
        self.version = 0  # moves when folders come or go: where a file belongs may have changed

    def add_folder(self, root: Path) -> tuple[WorkspaceState, bool]:
        root = root.resolve()
        if root in self.folders:
            return self.folders[root], False
        state = WorkspaceState(root, loose=home_or_above(root))
        self.folders[root] = state
        self.version += 1
        return state, True

    def remove_folder(self, root: Path) -> WorkspaceState | None:
        self.version += 1
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
            self.loose[parent] = WorkspaceState(parent, loose=True)
            return self.loose[parent], True
        return self.loose[parent], False

    def all(self) -> list[WorkspaceState]:
        return [*self.folders.values(), *self.loose.values()]
