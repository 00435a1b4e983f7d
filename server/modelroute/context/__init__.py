"""Context: what the editor and the workspace say about one action.

The names below load on first use: importing one module of the package (the data model, say) does
not import the others (the index, git, the directive scanner).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelroute.context.directives import Directive, find_directives
    from modelroute.context.gather import ActionRequest, ContextError, gather_context
    from modelroute.context.git import GitReader
    from modelroute.context.languages import is_test_path, language_for
    from modelroute.context.model import (
        ActionContext,
        Diagnostic,
        GitState,
        NotebookCell,
        NotebookContext,
        Position,
        Range,
        RelatedFile,
        SymbolInfo,
        WorkspaceMarkers,
    )
    from modelroute.context.workspace import WorkspaceIndex

_HOME = {
    "Directive": "directives",
    "find_directives": "directives",
    "ActionRequest": "gather",
    "ContextError": "gather",
    "gather_context": "gather",
    "GitReader": "git",
    "is_test_path": "languages",
    "language_for": "languages",
    "ActionContext": "model",
    "Diagnostic": "model",
    "GitState": "model",
    "NotebookCell": "model",
    "NotebookContext": "model",
    "Position": "model",
    "Range": "model",
    "RelatedFile": "model",
    "SymbolInfo": "model",
    "WorkspaceMarkers": "model",
    "WorkspaceIndex": "workspace",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ActionContext",
    "ActionRequest",
    "ContextError",
    "Diagnostic",
    "Directive",
    "GitReader",
    "GitState",
    "NotebookCell",
    "NotebookContext",
    "Position",
    "Range",
    "RelatedFile",
    "SymbolInfo",
    "WorkspaceIndex",
    "WorkspaceMarkers",
    "find_directives",
    "gather_context",
    "is_test_path",
    "language_for",
]
