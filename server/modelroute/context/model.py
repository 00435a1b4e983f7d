"""What the editor and the workspace say about one action: the input of classify, route and prompt.

Plain data: gathering it (I/O) lives in the other modules of this package.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Position(_Frozen):
    line: int = Field(ge=0)
    character: int = Field(ge=0)


class Range(_Frozen):
    start: Position
    end: Position

    @property
    def is_empty(self) -> bool:
        return self.start == self.end


class Diagnostic(_Frozen):
    """The subset of an LSP Diagnostic that routing reads."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    range: Range
    message: str
    severity: int | None = None  # 1 error, 2 warning, 3 information, 4 hint
    source: str | None = None
    code: str | int | None = None


class GitState(_Frozen):
    is_repo: bool = False
    branch: str | None = None
    changed_files: tuple[str, ...] = ()  # modified or deleted in the work tree, relative paths
    staged_files: tuple[str, ...] = ()
    untracked_files: tuple[str, ...] = ()
    lines_added: int = 0
    lines_removed: int = 0
    diff: str = ""  # unified diff against HEAD (staged and unstaged), capped
    diff_truncated: bool = False
    file_changed: bool = False  # the action's file has uncommitted changes
    stale: bool = False  # the action's file was saved after this state was read (a refresh is running)

    @property
    def has_changes(self) -> bool:
        return bool(self.changed_files or self.staged_files)


class WorkspaceMarkers(_Frozen):
    dockerfiles: tuple[str, ...] = ()
    makefiles: tuple[str, ...] = ()
    ci_configs: tuple[str, ...] = ()
    shell_scripts: int = 0
    ui_frameworks: tuple[str, ...] = ()  # e.g. "react", "vue", from package.json dependencies
    test_files: int = 0
    languages: dict[str, int] = Field(default_factory=dict)  # languageId -> file count


class RelatedFile(_Frozen):
    """A file the model may need to read (it references the symbol under the cursor, say)."""

    path: str
    size_bytes: int
    reason: str


class SymbolInfo(_Frozen):
    name: str | None = None
    reference_files: int = 0  # other files that mention the symbol
    defined_here: bool = False


class NotebookCell(_Frozen):
    kind: Literal["code", "markdown"]
    language: str
    text: str
    outputs: str = ""  # textual outputs, tracebacks included
    has_error: bool = False


class NotebookContext(_Frozen):
    cells: tuple[NotebookCell, ...]
    active_cell: int
    kernel_language: str = "python"


class ActionContext(_Frozen):
    workspace: str  # absolute path of the workspace root
    file: str  # path relative to the workspace, POSIX separators
    language: str  # LSP languageId
    instruction: str = ""
    directive: Literal["do", "ask"] | None = None  # AI! or AI?; None when not from a directive
    cursor: Position = Position(line=0, character=0)
    selection: Range | None = None  # None when nothing is selected
    selected_text: str = ""
    prefix: str = ""  # text before the cursor or selection, a window of lines
    suffix: str = ""  # text after, a window of lines
    enclosing: str | None = None  # name of the function or class around the cursor
    file_text: str = ""  # the whole file, or whole lines around the cursor of a large one (see notes)
    file_first_line: int = 0  # 0-based line number, in the file, of file_text's first line
    file_line_count: int = 0  # lines in the whole file, not only in file_text
    file_line_count_exact: bool = True  # False: a very large file was counted only in part (a lower bound)
    is_test_file: bool = False
    diagnostics: tuple[Diagnostic, ...] = ()
    git: GitState = GitState()
    markers: WorkspaceMarkers = WorkspaceMarkers()
    file_count: int = 0
    symbol: SymbolInfo = SymbolInfo()
    related: tuple[RelatedFile, ...] = ()
    notebook: NotebookContext | None = None
    notes: tuple[str, ...] = ()  # truncations and other things the user should know
