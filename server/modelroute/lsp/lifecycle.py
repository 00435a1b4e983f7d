"""Initialize, workspace folders, settings notifications, file events and text document sync."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from modelroute.lsp.config import unwrap
from modelroute.lsp.documents import fs_path
from modelroute.lsp.server import ModelrouteServer
from modelroute.lsp.state import SETTINGS_FILE, FileEventKind, WorkspaceState

_KINDS: dict[int, FileEventKind] = {
    types.FileChangeType.Created: "created",
    types.FileChangeType.Changed: "changed",
    types.FileChangeType.Deleted: "deleted",
}


def register(server: ModelrouteServer) -> None:
    @server.feature(types.INITIALIZE)
    def on_initialize(ls: ModelrouteServer, params: types.InitializeParams) -> None:
        ls.event_loop = asyncio.get_running_loop()  # log lines from worker threads are sent through it
        ls.session.config.init_options = unwrap(params.initialization_options)
        from modelroute.lsp import inlay

        text = params.capabilities.text_document
        if text is not None and text.inlay_hint is not None:
            inlay.register(ls)

    @server.feature(types.INITIALIZED)
    def on_initialized(ls: ModelrouteServer, params: types.InitializedParams) -> None:
        ls.initialized = True
        roots = [Path(p) for f in ls.workspace.folders.values() if (p := to_fs_path(f.uri))]
        if not roots and ls.workspace.root_path:
            roots = [Path(ls.workspace.root_path)]
        for root in roots:
            _add_root(ls, root)
        ls.spawn(_register_dynamic(ls), "registering watchers")

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def on_folders(ls: ModelrouteServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        for removed in params.event.removed:
            if (path := fs_path(removed.uri)) is not None:
                ls.session.registry.remove_folder(path)
        for added in params.event.added:
            if (path := fs_path(added.uri)) is not None:
                _add_root(ls, path)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def on_configuration(ls: ModelrouteServer, params: types.DidChangeConfigurationParams) -> None:
        config = ls.session.config
        payload = unwrap(params.settings)
        if payload is not None:
            config.pushed = payload

        async def reload() -> None:
            states = ls.session.registry.all()
            await config.pull(ls, states)
            for state in states:
                await config.apply(ls, state)

        ls.spawn(reload(), "reloading settings")

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def on_watched(ls: ModelrouteServer, params: types.DidChangeWatchedFilesParams) -> None:
        grouped: dict[WorkspaceState, list[tuple[str, FileEventKind]]] = defaultdict(list)
        for change in params.changes:
            path = fs_path(change.uri)
            state = ls.session.registry.find(path.resolve()) if path is not None else None
            if state is None or path is None:
                continue
            grouped[state].append((path.resolve().relative_to(state.root).as_posix(), _KINDS[change.type]))
        for state, events in grouped.items():
            _queue_events(ls, state, events)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def on_open(ls: ModelrouteServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.session.documents.opened(params.text_document)
        path = fs_path(params.text_document.uri)
        if path is not None:
            ls.session.owner(path)  # starts a state for a file outside every folder

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def on_change(ls: ModelrouteServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.session.documents.changed(params, ls.session.units)  # lines and directives from the edit
        ls.session.changes.notify()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def on_close(ls: ModelrouteServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.session.documents.closed(params.text_document.uri)
        ls.session.decisions.forget(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def on_save(ls: ModelrouteServer, params: types.DidSaveTextDocumentParams) -> None:
        if ls.session.watching:
            return  # the file watcher reports the same change
        path = fs_path(params.text_document.uri)
        state = ls.session.registry.find(path.resolve()) if path is not None else None
        if state is not None and path is not None:
            _queue_events(ls, state, [(path.resolve().relative_to(state.root).as_posix(), "changed")])


def _add_root(ls: ModelrouteServer, root: Path) -> None:
    state, created = ls.session.registry.add_folder(root)
    if created:
        ls.start_state(state)


_BATCH_S = 0.05  # a checkout or a build sends bursts of events: apply them together


def _queue_events(ls: ModelrouteServer, state: WorkspaceState, events: list[tuple[str, FileEventKind]]) -> None:
    pending = ls.session.pending_events
    if state in pending:
        pending[state].extend(events)
        return
    pending[state] = list(events)
    ls.spawn(_flush(ls, state), "applying file events")


async def _flush(ls: ModelrouteServer, state: WorkspaceState) -> None:
    await asyncio.sleep(_BATCH_S)
    events = ls.session.pending_events.pop(state, [])
    await state.file_events(events)
    if any(rel == SETTINGS_FILE for rel, _ in events):
        await ls.session.config.apply(ls, state)


async def _register_dynamic(ls: ModelrouteServer) -> None:
    """Ask for file events and configuration changes where the client registers them dynamically."""
    ws = ls.client_capabilities.workspace
    registrations = []
    if ws is not None and ws.did_change_watched_files and ws.did_change_watched_files.dynamic_registration:
        registrations.append(
            types.Registration(
                id=f"modelroute-files-{uuid.uuid4()}",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[types.FileSystemWatcher(glob_pattern="**/*")]
                ),
            )
        )
    if ws is not None and ws.did_change_configuration and ws.did_change_configuration.dynamic_registration:
        registrations.append(
            types.Registration(
                id=f"modelroute-config-{uuid.uuid4()}",
                method=types.WORKSPACE_DID_CHANGE_CONFIGURATION,
                register_options=types.DidChangeConfigurationRegistrationOptions(section="modelroute"),
            )
        )
    if not registrations:
        return
    try:
        await ls.client_register_capability_async(types.RegistrationParams(registrations=registrations))
    except Exception as exc:
        ls.log(f"modelroute: dynamic registration refused: {exc}", types.MessageType.Warning)
        return
    ls.session.watching = any(r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES for r in registrations)
