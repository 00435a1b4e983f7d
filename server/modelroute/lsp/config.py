"""Client settings from every LSP source, merged per workspace root, and settings problems shown.

Sources, later wins: initializationOptions < didChangeConfiguration payload < the pulled
`workspace/configuration` section `modelroute` (pulled only when the client advertises it;
Neovim 0.7 does not) < what commands set for the session (`modelroute.setObjective`).
The Engine merges the result over its user and workspace files.
Problems in `.modelroute.toml` become diagnostics on that file; the others a message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path

from modelroute.lsp.state import SETTINGS_FILE, WorkspaceState

if TYPE_CHECKING:
    from modelroute.policy import Resolved, SettingsError

log = logging.getLogger(__name__)

SECTION = "modelroute"
# Keys a client adds for its own use (vscode-languageclient's trace switch).
_CLIENT_ONLY_KEYS = frozenset({"trace", "path", "serverCommand", "server"})


def unwrap(payload: Any) -> dict[str, Any] | None:
    """`{"modelroute": {...}}` or the settings themselves; anything else is no settings."""
    if not isinstance(payload, Mapping):
        return None
    inner = payload.get(SECTION)
    if isinstance(inner, Mapping):
        return clean(inner)
    if SECTION in payload:
        return None
    return clean(payload) or None


def clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """Drop nulls (VS Code sends unset settings as null) and client-only keys."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or key in _CLIENT_ONLY_KEYS:
            continue
        out[str(key)] = clean(value) if isinstance(value, Mapping) else value
    return out


def merge(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
                out[key] = merge(out[key], value)
            else:
                out[key] = value
    return out


class ClientConfig:
    def __init__(self) -> None:
        self.init_options: dict[str, Any] | None = None
        self.pushed: dict[str, Any] | None = None
        self.pulled: dict[Path, dict[str, Any]] = {}
        self.overrides: dict[str, Any] = {}  # set by commands (modelroute.setObjective) for this session
        self._published: set[str] = set()  # settings-file URIs that carry diagnostics
        self._shown: dict[Path, set[str]] = {}  # messages shown per root, not repeated per reload

    def for_root(self, root: Path) -> dict[str, Any] | None:
        merged = merge(self.init_options, self.pushed, self.pulled.get(root), self.overrides)
        return merged or None

    @staticmethod
    def can_pull(server: LanguageServer) -> bool:
        ws = server.client_capabilities.workspace
        return bool(ws and ws.configuration)

    async def pull(self, server: LanguageServer, states: Iterable[WorkspaceState]) -> None:
        states = list(states)
        if not states or not self.can_pull(server):
            return
        items = [types.ConfigurationItem(scope_uri=from_fs_path(str(s.root)), section=SECTION) for s in states]
        try:
            values = await server.workspace_configuration_async(types.ConfigurationParams(items=items))
        except Exception as exc:
            log.warning("workspace/configuration failed: %s", exc)
            return
        for state, value in zip(states, values or [], strict=False):
            pulled = clean(value) if isinstance(value, Mapping) else {}
            self.pulled[state.root] = pulled

    async def apply(self, server: LanguageServer, state: WorkspaceState) -> Resolved:
        resolved = await state.reload(self.for_root(state.root))
        self.report(server, state, resolved)
        await refresh_inlay_hints(server)  # a new policy may route elsewhere: hints are stale
        return resolved

    def report(self, server: LanguageServer, state: WorkspaceState, resolved: Resolved) -> None:
        settings_file = state.root / SETTINGS_FILE
        uri = from_fs_path(str(settings_file)) or settings_file.as_uri()
        problems = [*resolved.errors, *resolved.warnings]
        here = [e for e in problems if _is_file(e, settings_file)]
        if here or uri in self._published:
            server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[to_diagnostic(e) for e in here])
            )
            if here:
                self._published.add(uri)
            else:
                self._published.discard(uri)
        # Other sources (user file, client settings) have no document to mark: say it once.
        current = {"modelroute settings: " + e.format() for e in problems if e not in here and e.severity == "error"}
        for text in sorted(current - self._shown.get(state.root, set())):
            server.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=text))
        self._shown[state.root] = current


async def refresh_inlay_hints(server: LanguageServer) -> None:
    ws = server.client_capabilities.workspace
    if ws is None or ws.inlay_hint is None or not ws.inlay_hint.refresh_support:
        return
    try:
        await server.workspace_inlay_hint_refresh_async(None)
    except Exception as exc:  # the client may not have asked for hints yet
        log.info("inlay hint refresh refused: %s", exc)


def _is_file(error: SettingsError, settings_file: Path) -> bool:
    if not error.file or Path(error.file).name != SETTINGS_FILE:
        return False
    path = Path(error.file)
    return not path.is_absolute() or path.resolve() == settings_file.resolve()


def to_diagnostic(error: SettingsError) -> types.Diagnostic:
    line = max((error.line or 1) - 1, 0)
    col = max((error.column or 1) - 1, 0)
    end_col = col + max(len(error.key.rsplit(".", 1)[-1]), 1) if error.column else 10_000
    if not error.column and error.source_line is not None:
        end_col = len(error.source_line)
    message = f"{error.key}: {error.message}" if error.key else error.message
    return types.Diagnostic(
        range=types.Range(
            start=types.Position(line=line, character=col), end=types.Position(line=line, character=end_col)
        ),
        message=message,
        severity=types.DiagnosticSeverity.Error if error.severity == "error" else types.DiagnosticSeverity.Warning,
        source="modelroute",
        code=error.key or None,
    )
