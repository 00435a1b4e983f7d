"""Context: what the editor and the workspace say about one action."""

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
