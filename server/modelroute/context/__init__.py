"""Context: what the editor and the workspace say about one action."""

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

__all__ = [
    "ActionContext",
    "Diagnostic",
    "GitState",
    "NotebookCell",
    "NotebookContext",
    "Position",
    "Range",
    "RelatedFile",
    "SymbolInfo",
    "WorkspaceMarkers",
]
