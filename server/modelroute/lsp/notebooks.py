"""Notebooks as one more kind of document: LSP 3.17 notebook sync and jupyter-lsp virtual documents.

A notebook is one `DocumentQuery` (`NotebookQuery`): its text is its cells joined (context/notebook's
`CellLayout`), its Engine request carries the notebook context (cells in order, kinds, kernel
language, outputs and errors, the cursor's cell). Two ways in:
- notebook sync (VS Code): each cell is a text document with its own URI; positions are cell-local
  and edits and review findings go to the cell's URI.
- jupyter-lsp (JupyterLab): one virtual document `<root>/.virtual_documents/<path>.ipynb` holding
  the code cells joined; outputs come from the saved .ipynb next to it.

The handlers (code actions, hover, commands, runs) do not know the difference: `query()` is asked
first by the session for every URI. pygls keeps the notebook documents; this module only reads them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from modelroute.lsp.documents import DocumentQuery, Units, fs_path, split_lines

if TYPE_CHECKING:
    from modelroute.context.directives import Directive
    from modelroute.context.model import Diagnostic, NotebookCell, NotebookContext, Position
    from modelroute.context.notebook import CellLayout
    from modelroute.lsp.server import ModelrouteServer
    from modelroute.lsp.session import Session
    from modelroute.lsp.state import WorkspaceState
    from modelroute.run.editor import Buffer

log = logging.getLogger(__name__)

VIRTUAL_DIR = ".virtual_documents"  # jupyter-lsp's default LanguageServerManager.virtual_documents_dir
CELL_LANGUAGES = ("python", "ipython", "r", "julia", "sql", "markdown")
MAX_NOTEBOOK_BYTES = 20_000_000
SAVED_KEPT = 32  # parsed saved notebooks kept (by path, mtime and size)
SYNC_OPTIONS = types.NotebookDocumentSyncOptions(
    notebook_selector=[
        types.NotebookDocumentFilterWithCells(
            notebook="*", cells=[types.NotebookCellLanguage(language=lang) for lang in CELL_LANGUAGES]
        )
    ],
    save=True,
)


class NotebookQuery(DocumentQuery):
    """A notebook behind a request URI: its cells joined, and the cell the URI names."""

    def __init__(
        self,
        *,
        uri: str,
        path: Path,
        rel: str,
        state: WorkspaceState,
        units: Units,
        layout: CellLayout,
        cells: tuple[NotebookCell, ...],
        cell_uris: tuple[str, ...] | None,
        cell_lines: tuple[Sequence[str], ...],
        cell_versions: tuple[int | None, ...],
        kernel_language: str,
        version: Hashable,
    ) -> None:
        self.uri, self.path, self.rel, self.state, self.units = uri, path, rel, state, units
        self.layout, self.cells, self.cell_uris = layout, cells, cell_uris
        self.cell_lines, self.cell_versions = cell_lines, cell_versions
        self.kernel_language = kernel_language
        self._version = version

    @property
    def text(self) -> str:
        return self.layout.text

    @property
    def version(self) -> Hashable:
        return self._version

    @property
    def buffer(self) -> Buffer:
        """The joined cells at a version that changes exactly when the text or the cells do."""
        from modelroute.run.editor import Buffer

        content = hashlib.blake2b(self.layout.text.encode(), digest_size=12).hexdigest()
        return Buffer(text=self.layout.text, version=("notebook", content, self.cell_uris))

    @property
    def brief(self) -> str:
        from modelroute.run.cells import notebook_brief

        return notebook_brief(self.rel, self.layout.starts, kernel_language=self.kernel_language,
                              code_only=self.cell_uris is None)

    @property
    def cell(self) -> int | None:
        """The cell the request URI names (notebook sync), else None."""
        if self.cell_uris is None:
            return None
        return self.cell_uris.index(self.uri) if self.uri in self.cell_uris else None

    @cached_property
    def joined_lines(self) -> list[str]:
        return split_lines(self.layout.text)

    def line_text(self, line: int) -> str:
        lines = self.joined_lines
        return lines[line].rstrip("\r\n") if 0 <= line < len(lines) else ""

    # -- positions -------------------------------------------------------------------------
    def to_server(self, pos: types.Position) -> Position:
        from modelroute.context.model import Position

        cell = self.cell
        lines = self.cell_lines[cell] if cell is not None else self.joined_lines
        if not lines:
            local = Position(line=0, character=0)
        elif pos.line >= len(lines):
            local = Position(line=len(lines) - 1, character=len(lines[-1].rstrip("\r\n")))
        else:
            local = Position(line=max(pos.line, 0), character=self.units.to_points(lines[pos.line], pos.character))
        return self.layout.to_joined(cell, local) if cell is not None else local

    def to_client(self, pos: Position) -> tuple[str, types.Position]:
        if self.cell_uris is None:
            return self.uri, types.Position(line=pos.line,
                                            character=self.units.to_units(self.line_text(pos.line), pos.character))
        mapped = self.layout.to_cell(pos)
        if mapped is None:
            raise ValueError(f"position {pos.line}:{pos.character} is between cells")
        cell, local = mapped
        lines = self.cell_lines[cell]
        line = lines[local.line] if local.line < len(lines) else ""
        return self.cell_uris[cell], types.Position(line=local.line, character=self.units.to_units(line,
                                                                                                    local.character))

    # -- directives and requests -----------------------------------------------------------
    @cached_property
    def _directives(self) -> dict[int, Directive]:
        """Each cell's directives, found with the cell's comment syntax, in joined lines."""
        from modelroute.context.directives import find_directives
        from modelroute.context.model import Position, Range

        found: dict[int, Directive] = {}
        for index, info in enumerate(self.cells):
            shift = self.layout.starts[index]
            for d in find_directives(info.text, info.language):
                found[shift + d.line] = d.model_copy(update={
                    "line": shift + d.line,
                    "range": Range(start=Position(line=shift + d.range.start.line, character=d.range.start.character),
                                   end=Position(line=shift + d.range.end.line, character=d.range.end.character)),
                })
        return found

    def directives(self) -> Sequence[Directive]:
        return [self._directives[line] for line in sorted(self._directives)]

    def directive_on(self, line: int) -> Directive | None:
        return self._directives.get(line)

    def language(self) -> str:
        return self.kernel_language

    def notebook(self, start: Position | None = None) -> NotebookContext:
        from modelroute.context.notebook import notebook_context

        active = self.layout.nearest_cell(start.line if start is not None else 0)
        return notebook_context(self.cells, active, self.kernel_language)

    def shift_diagnostics(self, diagnostics: tuple[Diagnostic, ...]) -> tuple[Diagnostic, ...]:
        from modelroute.context.model import Position, Range

        shift = self.layout.starts[self.cell] if self.cell is not None else 0
        return tuple(d.model_copy(update={"range": Range(
            start=Position(line=d.range.start.line + shift, character=d.range.start.character),
            end=Position(line=d.range.end.line + shift, character=d.range.end.character),
        )}) for d in diagnostics) if shift else diagnostics

    # -- results back into the editor -----------------------------------------------------
    def _finding_range(self, first: int, last: int) -> tuple[str, types.Range]:
        """A finding on joined lines; with notebook sync, moved into the cell it starts in."""
        if self.cell_uris is None:
            return super()._finding_range(first, last)
        cell = self.layout.nearest_cell(max(first, 0))
        begin, count = self.layout.starts[cell], self.layout.lengths[cell]
        start = min(max(first - begin, 0), count - 1)
        end = min(max(last - begin, start), count - 1)
        lines = self.cell_lines[cell]
        width = self.units.count(lines[end].rstrip("\r\n")) if end < len(lines) else 0
        return self.cell_uris[cell], types.Range(start=types.Position(line=start, character=0),
                                                 end=types.Position(line=end, character=width))

    def text_edits(self, original: str, new: str) -> dict[str, list[types.TextEdit]]:
        """The notebook's new joined text as edits within its cells (NotebookEditError, a ValueError,
        when a change crosses cells), on each cell's URI or on the virtual document."""
        from modelroute.context.notebook import split_edits
        from modelroute.run.cells import cell_edits

        if original != self.layout.text:
            raise ValueError(f"{self.rel}: the notebook changed while the model was working; nothing was applied")
        per_uri: dict[str, list[types.TextEdit]] = {}
        by_cell = split_edits(self.layout, cell_edits(self.layout, new))
        for cell in sorted(by_cell):
            for rng, new_text in by_cell[cell]:
                uri, start = self.to_client(self.layout.to_joined(cell, rng.start))
                _, end = self.to_client(self.layout.to_joined(cell, rng.end))
                per_uri.setdefault(uri, []).append(types.TextEdit(range=types.Range(start=start, end=end),
                                                                  new_text=new_text))
        return per_uri

    def edit_version(self, uri: str) -> int | None:
        if self.cell_uris is not None and uri in self.cell_uris:
            return self.cell_versions[self.cell_uris.index(uri)]
        return self.cell_versions[0] if self.cell_versions else None


# -- finding the notebook behind a URI ----------------------------------------------------------
def query(session: Session, uri: str) -> NotebookQuery | None:
    """The notebook behind a cell, notebook or jupyter-lsp virtual document URI; None for anything else."""
    workspace = session.server.workspace
    notebook = workspace.get_notebook_document(cell_uri=uri)
    if notebook is None and uri.endswith(".ipynb"):
        notebook = workspace.get_notebook_document(notebook_uri=uri)
    if notebook is not None:
        return _synced(session, uri, notebook)
    if VIRTUAL_DIR not in uri:
        return None
    path = virtual_notebook_path(uri)
    if path is not None:
        doc = session.documents.get(uri)
        if doc is not None:
            return _virtual(session, uri, path, doc.text, doc.version, doc.language_id)
    return None


def virtual_notebook_path(uri: str) -> Path | None:
    """The real .ipynb behind a jupyter-lsp virtual document URI, or None."""
    path = fs_path(uri)
    if path is None or VIRTUAL_DIR not in path.parts or path.suffix != ".ipynb":
        return None
    parts = path.parts
    at = len(parts) - 1 - parts[::-1].index(VIRTUAL_DIR)
    return Path(*parts[:at], *parts[at + 1 :])


def state_for(session: Session, notebook: Path) -> WorkspaceState:
    """The notebook's folder is its workspace when it holds a `.modelroute.toml`, else the usual owner."""
    from modelroute.lsp.state import SETTINGS_FILE

    path = notebook.resolve()
    folder = path.parent
    owner = session.registry.find(path)
    if (folder / SETTINGS_FILE).is_file() and (owner is None or owner.root != folder):
        state, created = session.registry.add_folder(folder)
    else:
        state, created = session.registry.for_path(path)
    if created:
        session.server.start_state(state)
    return state


def _owner(session: Session, path: Path) -> tuple[WorkspaceState, str] | None:
    state = state_for(session, path)
    try:
        return state, path.resolve().relative_to(state.root).as_posix()
    except ValueError:
        return None


Saved = tuple[list["NotebookCell"], str]


class SavedNotebooks:
    """Saved .ipynb files as cells and kernel language, parsed once per (path, mtime, size)."""

    def __init__(self) -> None:
        self._parsed: OrderedDict[tuple[Path, int, int], Saved | None] = OrderedDict()

    def read(self, path: Path) -> Saved | None:
        """None when the file is missing, too large or not a notebook."""
        from modelroute.context.notebook import cells_from_ipynb

        try:
            stat = path.stat()
        except OSError:
            return None
        key = (path, stat.st_mtime_ns, stat.st_size)
        if key in self._parsed:
            self._parsed.move_to_end(key)
            return self._parsed[key]
        parsed: Saved | None = None
        if stat.st_size <= MAX_NOTEBOOK_BYTES:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = None
            parsed = cells_from_ipynb(data) if isinstance(data, dict) else None
        self._parsed[key] = parsed
        while len(self._parsed) > SAVED_KEPT:
            self._parsed.popitem(last=False)
        return parsed


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _synced(session: Session, uri: str, nb: types.NotebookDocument) -> NotebookQuery | None:
    from modelroute.context.notebook import join_cells, normalize_language, saved_outputs_for

    path = fs_path(nb.uri)
    if path is None or not nb.cells:
        return None
    owner = _owner(session, path)
    if owner is None:
        return None
    state, rel = owner
    saved = session.saved.read(path)
    kernel = _kernel_from_metadata(nb.metadata) or (saved[1] if saved else None)
    cells: list[NotebookCell] = []
    lines: list[Sequence[str]] = []
    versions: list[int | None] = []
    workspace = session.server.workspace
    for cell in nb.cells:
        doc = workspace.get_text_document(cell.document)
        language = normalize_language(doc.language_id or "python")
        kind = "code" if cell.kind == types.NotebookCellKind.Code else "markdown"
        kernel = kernel or (language if kind == "code" else None)
        cells.append(_cell_from_sync(cell, kind, language, doc.source))
        lines.append(split_lines(doc.source))
        versions.append(doc.version)
    if saved:
        cells = saved_outputs_for(cells, saved[0])
    return NotebookQuery(
        uri=uri, path=path, rel=rel, state=state, units=session.units,
        layout=join_cells([c.text for c in cells]), cells=tuple(cells), cell_uris=tuple(c.document for c in nb.cells),
        cell_lines=tuple(lines), cell_versions=tuple(versions), kernel_language=kernel or "python",
        version=(nb.version, tuple(versions), _mtime(path), _digest(cells)),
    )


def _virtual(session: Session, uri: str, path: Path, text: str, version: Hashable, language_id: str
             ) -> NotebookQuery | None:
    from modelroute.context.notebook import merge_virtual, normalize_language, virtual_layout

    owner = _owner(session, path)
    if owner is None:
        return None
    state, rel = owner
    saved = session.saved.read(path)
    language = normalize_language(language_id or (saved[1] if saved else "python"))
    layout = virtual_layout(text, saved[0] if saved else None)
    cells = merge_virtual(layout, saved[0] if saved else [], language)
    return NotebookQuery(
        uri=uri, path=path, rel=rel, state=state, units=session.units, layout=layout, cells=tuple(cells),
        cell_uris=None, cell_lines=(), cell_versions=(version if isinstance(version, int) else None,),
        kernel_language=language, version=(version, _mtime(path), _digest(cells)),
    )


def _kernel_from_metadata(meta: Any) -> str | None:
    from modelroute.context.notebook import normalize_language

    if not isinstance(meta, dict):
        return None
    for key, field in (("kernelspec", "language"), ("language_info", "name")):
        section = meta.get(key)
        if isinstance(section, dict) and isinstance(section.get(field), str):
            return normalize_language(section[field])
    meta_inner = meta.get("metadata")  # VS Code nests the .ipynb metadata one level down
    return _kernel_from_metadata(meta_inner) if isinstance(meta_inner, dict) else None


def _cell_from_sync(cell: types.NotebookCell, kind: str, language: str, text: str) -> NotebookCell:
    """Outputs ride in cell metadata when a client puts them there (nbformat `outputs`)."""
    from modelroute.context.model import NotebookCell
    from modelroute.context.notebook import outputs_text

    meta: dict[str, Any] = cell.metadata if isinstance(cell.metadata, dict) else {}
    outs = meta.get("outputs")
    outputs, error = outputs_text(outs) if isinstance(outs, list) else ("", False)
    summary = cell.execution_summary
    if summary is not None and summary.success is False:
        error = True
        outputs = outputs or "(the last run of this cell failed)"
    if kind == "markdown":
        return NotebookCell(kind="markdown", language=language, text=text)
    return NotebookCell(kind="code", language=language, text=text, outputs=outputs, has_error=error)


def _digest(cells: Sequence[NotebookCell]) -> str:
    blob = "\x00".join(f"{c.kind}|{c.has_error}|{c.outputs}" for c in cells)
    return hashlib.blake2b(blob.encode(), digest_size=8).hexdigest()


# -- notebook sync ----------------------------------------------------------------------------
def register(server: ModelrouteServer) -> None:
    """Notebook sync handlers. pygls keeps the notebooks and their cells; nothing else is chained
    or replaced: every feature finds notebooks through the session's document query."""

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def did_open(ls: ModelrouteServer, params: types.DidOpenNotebookDocumentParams) -> None:
        path = fs_path(params.notebook_document.uri)
        if path is not None:
            state_for(ls.session, path)  # start settings and index early

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def did_change(ls: ModelrouteServer, params: types.DidChangeNotebookDocumentParams) -> None:
        """pygls has applied the change; decisions are keyed by the notebook's version."""
        ls.session.changes.notify()

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def did_save(ls: ModelrouteServer, params: types.DidSaveNotebookDocumentParams) -> None:
        """The saved .ipynb is read again (by mtime) for outputs on the next request."""

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def did_close(ls: ModelrouteServer, params: types.DidCloseNotebookDocumentParams) -> None:
        for cell in params.cell_text_documents:
            ls.session.decisions.forget(cell.uri)


__all__ = ["SYNC_OPTIONS", "NotebookQuery", "SavedNotebooks", "query", "register", "state_for",
           "virtual_notebook_path"]
