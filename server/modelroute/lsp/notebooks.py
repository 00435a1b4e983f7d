"""Notebooks: LSP 3.17 `notebookDocument/*` sync and jupyter-lsp virtual documents.

A notebook is routed as one action: the request carries a `NotebookContext` (cells in order,
kinds, kernel language, outputs and errors, the cursor's cell) over the cells joined into one
text. Two ways in:
- notebook sync (VS Code): each cell is a text document with its own URI; positions are
  cell-local and edits go to the cell's URI.
- jupyter-lsp (JupyterLab): one virtual document `<root>/.virtual_documents/<path>.ipynb`
  holding the code cells joined; outputs come from the saved .ipynb next to it.

`register(server)` must run after `actions` and `commands`: it chains the code-action handler
and the route/run/explainRoute commands so that notebook URIs are served here and every other
URI still goes to the original handler.

Runs (`modelroute.run` on a cell or a virtual document) go through lsp/run.py's flow with a
`NotebookSubject`: the model reads and edits the notebook as its cells joined in order (the text
the notebook context was built on), and its changes are mapped back to edits within cells.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import to_fs_path

from modelroute.context.directives import Directive, find_directives
from modelroute.context.gather import ActionRequest
from modelroute.context.model import NotebookCell, Position, Range
from modelroute.context.notebook import (
    CellLayout,
    NotebookEditError,
    cell_texts,
    cells_from_ipynb,
    join_cells,
    merge_virtual,
    normalize_language,
    notebook_context,
    outputs_text,
    saved_outputs_for,
    split_edits,
    virtual_layout,
)
from modelroute.lsp import run
from modelroute.lsp.actions import (
    candidate_actions,
    key_data,
    range_json,
    routed_or_none,
    selection_actions,
    wanted,
)
from modelroute.lsp.commands import REQUEST_FAILED, ActionArgs, write_markdown
from modelroute.lsp.documents import to_diagnostics
from modelroute.lsp.server import ModelrouteServer
from modelroute.lsp.state import SETTINGS_FILE, WorkspaceState
from modelroute.route.model import Unroutable

if TYPE_CHECKING:  # the pipeline pulls in the SDKs: keep initialize fast
    from modelroute.execute.agent import Finding
    from modelroute.execute.edits import FileChange
    from modelroute.pipeline import Routed
    from modelroute.policy.schema import PrivacySettings
    from modelroute.prompt.model import PromptRequest

log = logging.getLogger(__name__)

VIRTUAL_DIR = ".virtual_documents"  # jupyter-lsp's default LanguageServerManager.virtual_documents_dir
CELL_LANGUAGES = ("python", "ipython", "r", "julia", "sql", "markdown")
MAX_NOTEBOOK_BYTES = 20_000_000
SYNC_OPTIONS = types.NotebookDocumentSyncOptions(
    notebook_selector=[
        types.NotebookDocumentFilterWithCells(
            notebook="*", cells=[types.NotebookCellLanguage(language=lang) for lang in CELL_LANGUAGES]
        )
    ],
    save=True,
)


@dataclass(frozen=True)
class NotebookTarget:
    """A notebook behind a request URI: its joined text, cells and workspace."""

    uri: str  # the URI the client named: a cell's, or the virtual document's
    path: Path  # the .ipynb file
    rel: str
    state: WorkspaceState
    layout: CellLayout
    cells: tuple[NotebookCell, ...]
    cell_uris: tuple[str, ...] | None  # per cell with notebook sync; None for a virtual document
    cell_lines: tuple[Sequence[str], ...]  # per cell, its lines (client positions are cell-local)
    kernel_language: str
    version: Hashable
    ls: ModelrouteServer

    @property
    def cell(self) -> int | None:
        """The cell the request URI names (notebook sync), else None."""
        if self.cell_uris is None:
            return None
        return self.cell_uris.index(self.uri) if self.uri in self.cell_uris else None

    def to_joined(self, pos: types.Position) -> Position:
        """A client position in the request URI's units to a joined-text position (code points)."""
        codec = self.ls.workspace.position_codec
        cell = self.cell
        lines = self.cell_lines[cell] if cell is not None else self.layout.text.splitlines(True)
        copy = types.Position(line=pos.line, character=pos.character)
        server = codec.position_from_client_units(lines, copy) if lines else copy
        local = Position(line=max(server.line, 0), character=max(server.character, 0))
        return self.layout.to_joined(cell, local) if cell is not None else local

    def to_client(self, pos: Position) -> tuple[str, types.Position]:
        """A joined-text position to (URI, client position): the cell's URI with notebook sync."""
        codec = self.ls.workspace.position_codec
        if self.cell_uris is None:
            lines = self.layout.text.splitlines(True)
            return self.uri, codec.position_to_client_units(lines, _lsp(pos))
        mapped = self.layout.to_cell(pos)
        if mapped is None:
            raise ValueError(f"position {pos.line}:{pos.character} is between cells")
        cell, local = mapped
        return self.cell_uris[cell], codec.position_to_client_units(self.cell_lines[cell], _lsp(local))


def _lsp(pos: Position) -> types.Position:
    return types.Position(line=pos.line, character=pos.character)


# -- registration -----------------------------------------------------------------------
def register(server: ModelrouteServer) -> None:
    server._notebook_document_sync = SYNC_OPTIONS  # read by pygls when it builds capabilities

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def did_open(ls: ModelrouteServer, params: types.DidOpenNotebookDocumentParams) -> None:
        path = _fs_path(params.notebook_document.uri)
        if path is not None:
            state_for(ls, path)  # start settings and index early

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def did_change(ls: ModelrouteServer, params: types.DidChangeNotebookDocumentParams) -> None:
        """pygls has applied the change; decisions are keyed by versions, nothing to drop."""

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def did_save(ls: ModelrouteServer, params: types.DidSaveNotebookDocumentParams) -> None:
        """The saved .ipynb is re-read (by mtime) for outputs on the next request."""

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def did_close(ls: ModelrouteServer, params: types.DidCloseNotebookDocumentParams) -> None:
        """pygls drops the notebook and its cells."""

    _chain_feature(server, types.TEXT_DOCUMENT_CODE_ACTION, _code_action)
    _chain_command(server, "modelroute.route", _route_command)
    _chain_command(server, "modelroute.run", _run_command)
    _chain_command(server, "modelroute.explainRoute", _explain_command)


Handler = Callable[[ModelrouteServer, NotebookTarget, Any], Awaitable[Any]]


def _chain_feature(server: ModelrouteServer, method: str, handler: Handler) -> None:
    fm = server.protocol.fm
    original = fm.features.get(method)
    if original is None:
        raise RuntimeError(f"notebooks.register must run after the feature {method} is registered")
    options = fm.feature_options.get(method)
    del fm._features[method]

    async def chained(ls: ModelrouteServer, params: Any) -> Any:
        target = resolve(ls, params.text_document.uri)
        if target is None:
            return await _settle(original(params))
        return await handler(ls, target, params)

    server.feature(method, options)(chained)


async def _settle(result: Any) -> Any:
    """An original handler's answer: a value, a coroutine, or a pygls generator handler (which
    yields `(function, args, kwargs)` steps and gets each step's result sent back)."""
    if inspect.isawaitable(result):  # before the generator test: asyncio counts generators as coroutines
        return await result
    if not inspect.isgenerator(result):
        return result
    value: Any = None
    while True:
        try:
            step: Any = result.send(value)
        except StopIteration as stop:
            return stop.value
        function, args, kwargs = step
        value = function(*(args or ()), **(kwargs or {}))
        if inspect.isawaitable(value):
            value = await value


def _chain_command(server: ModelrouteServer, name: str, handler: Handler) -> None:
    fm = server.protocol.fm
    original = fm.commands.get(name)
    if original is None:
        raise RuntimeError(f"notebooks.register must run after the command {name} is registered")
    del fm._commands[name]

    async def chained(ls: ModelrouteServer, args: ActionArgs) -> Any:
        target = resolve(ls, args.uri)
        if target is None:
            return await _settle(original(args))
        return await handler(ls, target, args)

    server.command(name)(chained)


# -- resolving a URI to a notebook --------------------------------------------------------
def _fs_path(uri: str) -> Path | None:
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None


def virtual_notebook_path(uri: str) -> Path | None:
    """The real .ipynb behind a jupyter-lsp virtual document URI, or None."""
    path = _fs_path(uri)
    if path is None or VIRTUAL_DIR not in path.parts or path.suffix != ".ipynb":
        return None
    parts = path.parts
    at = len(parts) - 1 - parts[::-1].index(VIRTUAL_DIR)
    return Path(*parts[:at], *parts[at + 1 :])


def state_for(ls: ModelrouteServer, notebook: Path) -> WorkspaceState:
    """The notebook's folder is its workspace when it holds a `.modelroute.toml`, else the usual owner."""
    path = notebook.resolve()
    folder = path.parent
    owner = ls.registry.find(path)
    if (folder / SETTINGS_FILE).is_file() and (owner is None or owner.root != folder):
        state, created = ls.registry.add_folder(folder)
    else:
        state, created = ls.registry.for_path(path)
    if created:
        ls.start_state(state)
    return state


def read_saved(path: Path) -> tuple[list[NotebookCell], str] | None:
    """Cells and kernel language of the saved notebook; None when missing or unreadable."""
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return cells_from_ipynb(data) if isinstance(data, dict) else None


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def resolve(ls: ModelrouteServer, uri: str) -> NotebookTarget | None:
    notebook = ls.workspace.get_notebook_document(cell_uri=uri) or ls.workspace.get_notebook_document(notebook_uri=uri)
    if notebook is not None:
        return _synced(ls, uri, notebook)
    path = virtual_notebook_path(uri)
    if path is not None and uri in ls.workspace.text_documents:
        return _virtual(ls, uri, path)
    return None


def _relative(ls: ModelrouteServer, path: Path) -> tuple[WorkspaceState, str] | None:
    state = state_for(ls, path)
    try:
        return state, path.resolve().relative_to(state.root).as_posix()
    except ValueError:
        return None


def _synced(ls: ModelrouteServer, uri: str, nb: types.NotebookDocument) -> NotebookTarget | None:
    path = _fs_path(nb.uri)
    if path is None or not nb.cells:
        return None
    owner = _relative(ls, path)
    if owner is None:
        return None
    state, rel = owner
    saved = read_saved(path)
    kernel = _kernel_from_metadata(nb.metadata) or (saved[1] if saved else None)
    cells: list[NotebookCell] = []
    lines: list[Sequence[str]] = []
    versions: list[int | None] = []
    for cell in nb.cells:
        doc = ls.workspace.get_text_document(cell.document)
        language = normalize_language(doc.language_id or "python")
        kind = "code" if cell.kind == types.NotebookCellKind.Code else "markdown"
        kernel = kernel or (language if kind == "code" else None)
        cells.append(_cell_from_sync(cell, kind, language, doc.source))
        lines.append(doc.lines)
        versions.append(doc.version)
    if saved:
        cells = saved_outputs_for(cells, saved[0])
    layout = join_cells([c.text for c in cells])
    return NotebookTarget(
        uri=uri,
        path=path,
        rel=rel,
        state=state,
        layout=layout,
        cells=tuple(cells),
        cell_uris=tuple(c.document for c in nb.cells),
        cell_lines=tuple(lines),
        kernel_language=kernel or "python",
        version=(nb.version, tuple(versions), _mtime(path), _digest(cells)),
        ls=ls,
    )


def _kernel_from_metadata(meta: Any) -> str | None:
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


def _virtual(ls: ModelrouteServer, uri: str, path: Path) -> NotebookTarget | None:
    owner = _relative(ls, path)
    if owner is None:
        return None
    state, rel = owner
    doc = ls.workspace.get_text_document(uri)
    saved = read_saved(path)
    language = normalize_language(doc.language_id or (saved[1] if saved else "python"))
    layout = virtual_layout(doc.source, saved[0] if saved else None)
    cells = merge_virtual(layout, saved[0] if saved else [], language)
    return NotebookTarget(
        uri=uri,
        path=path,
        rel=rel,
        state=state,
        layout=layout,
        cells=tuple(cells),
        cell_uris=None,
        cell_lines=(),
        kernel_language=language,
        version=(doc.version, _mtime(path), _digest(cells)),
        ls=ls,
    )


def _digest(cells: Sequence[NotebookCell]) -> str:
    blob = "\x00".join(f"{c.kind}|{c.has_error}|{c.outputs}" for c in cells)
    return hashlib.blake2b(blob.encode(), digest_size=8).hexdigest()


# -- requests -----------------------------------------------------------------------------
def directive_at(target: NotebookTarget, line: int) -> Directive | None:
    """The directive on a joined-text line, found in its cell with the cell's comment syntax."""
    cell = target.layout.cell_at_line(line)
    if cell is None:
        return None
    local = line - target.layout.starts[cell]
    info = target.cells[cell]
    found = next((d for d in find_directives(info.text, info.language) if d.line == local), None)
    if found is None:
        return None
    shift = target.layout.starts[cell]
    return found.model_copy(
        update={
            "line": line,
            "range": Range(
                start=Position(line=shift + found.range.start.line, character=found.range.start.character),
                end=Position(line=shift + found.range.end.line, character=found.range.end.character),
            ),
        }
    )


def notebook_request(
    target: NotebookTarget,
    *,
    start: Position,
    end: Position | None,
    instruction: str,
    directive: Directive | None,
    diagnostics: Sequence[types.Diagnostic] = (),
) -> tuple[Hashable, ActionRequest]:
    """The Engine request for a notebook action (joined-text positions) and its cache key."""
    if directive is not None:
        start, end = Position(line=directive.line, character=0), None
    if end is not None and (end.line, end.character) <= (start.line, start.character):
        end = None
    active = target.layout.nearest_cell(start.line)
    shift = target.layout.starts[target.cell] if target.cell is not None else 0
    diags = tuple(
        d.model_copy(
            update={
                "range": Range(
                    start=Position(line=d.range.start.line + shift, character=d.range.start.character),
                    end=Position(line=d.range.end.line + shift, character=d.range.end.character),
                )
            }
        )
        for d in to_diagnostics(diagnostics)
    )
    request = ActionRequest(
        file=target.rel,
        cursor=start,
        selection_end=end,
        instruction=instruction,
        diagnostics=diags,
        directive=directive.kind if directive is not None else None,
        document_text=target.layout.text,
        language=target.kernel_language,
        notebook=notebook_context(target.cells, active, target.kernel_language),
    )
    key = (
        "notebook",
        target.uri,
        key_data(target.version),
        (start.line, start.character),
        (end.line, end.character) if end is not None else None,
        instruction,
        request.directive,
        hashlib.blake2b("".join(d.model_dump_json() for d in diags).encode(), digest_size=8).hexdigest(),
    )
    return _tupled(key), request


def _tupled(value: Any) -> Any:
    return tuple(_tupled(v) for v in value) if isinstance(value, (list, tuple)) else value


async def routed_for(target: NotebookTarget, key: Hashable, request: ActionRequest) -> Routed:
    return await target.state.routed(key, request)


# -- code actions ---------------------------------------------------------------------------
async def _code_action(
    ls: ModelrouteServer, target: NotebookTarget, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    start = target.to_joined(params.range.start)
    end = target.to_joined(params.range.end)
    directive = directive_at(target, start.line)
    actions: list[types.CodeAction] = []
    if directive is not None:
        actions = await _directive_actions(ls, target, directive, start, end, params.context.diagnostics)
    elif (end.line, end.character) > (start.line, start.character):
        actions = await _selection_actions(ls, target, params, start, end)
    return [a for a in actions if wanted(a.kind, params.context.only)] or None


async def _directive_actions(
    ls: ModelrouteServer,
    target: NotebookTarget,
    directive: Directive,
    start: Position,
    end: Position,
    diagnostics: Sequence[types.Diagnostic],
) -> list[types.CodeAction]:
    key, request = notebook_request(
        target, start=start, end=end, instruction=directive.instruction, directive=directive, diagnostics=diagnostics
    )
    routed = await routed_or_none(ls, target.state, target.rel, key, request)
    if routed is None:
        return []
    uri, line_start = target.to_client(Position(line=directive.line, character=0))
    line_text = target.layout.text.split("\n")[directive.line]
    _, line_end = target.to_client(Position(line=directive.line, character=len(line_text.rstrip("\r"))))
    line_range = range_json(types.Range(start=line_start, end=line_end))
    args = {"uri": uri, "range": line_range, "instruction": directive.instruction}
    return candidate_actions(ls, routed, args, _data(target, key))


async def _selection_actions(
    ls: ModelrouteServer, target: NotebookTarget, params: types.CodeActionParams, start: Position, end: Position
) -> list[types.CodeAction]:
    def request_for(instruction: str) -> tuple[Hashable, ActionRequest]:
        return notebook_request(
            target,
            start=start,
            end=end,
            instruction=instruction,
            directive=None,
            diagnostics=params.context.diagnostics,
        )

    return await selection_actions(
        ls,
        target.state,
        target.rel,
        {"uri": target.uri, "range": range_json(params.range)},
        request_for,
        lambda key: _data(target, key),
    )


def _data(target: NotebookTarget, key: Hashable) -> dict[str, Any]:
    """`codeAction/resolve` finds the decision by workspace root and cache key."""
    return {"root": str(target.state.root), "key": key_data(key)}


# -- commands -------------------------------------------------------------------------------
async def _routed_args(ls: ModelrouteServer, target: NotebookTarget, args: ActionArgs) -> Routed:
    start = target.to_joined(args.range.start)
    end = target.to_joined(args.range.end)
    directive = directive_at(target, start.line)
    if directive is not None and directive.instruction != args.instruction:
        directive = None
    key, request = notebook_request(target, start=start, end=end, instruction=args.instruction, directive=directive)
    try:
        return await routed_for(target, key, request)
    except Unroutable as exc:
        raise JsonRpcException(message=f"no model fits: {exc}", code=REQUEST_FAILED) from exc
    except Exception as exc:
        raise JsonRpcException(message=str(exc), code=REQUEST_FAILED) from exc


async def _route_command(ls: ModelrouteServer, target: NotebookTarget, args: ActionArgs) -> dict[str, Any]:
    routed = await _routed_args(ls, target, args)
    result = routed.decision.to_json()
    nb = routed.context.notebook
    if nb is not None:  # extra keys only: the decision contract is unchanged
        result["notebook"] = {"file": target.rel, "active_cell": nb.active_cell, "cells": len(nb.cells)}
    return result


async def _run_command(ls: ModelrouteServer, target: NotebookTarget, args: ActionArgs) -> dict[str, Any]:
    """lsp/run.py's run (budget, progress, agent, ledger, faults, answers) on the notebook."""
    try:
        routed = await _routed_args(ls, target, args)
    except JsonRpcException as exc:  # no model fits: say so, call nobody
        ls.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Error, message=f"modelroute: cannot run: {exc.message}")
        )
        raise
    return await run.run_routed(ls, NotebookSubject(target), routed, args, args.model or routed.decision.model, set())


async def _explain_command(ls: ModelrouteServer, target: NotebookTarget, args: ActionArgs) -> dict[str, Any]:
    routed = await _routed_args(ls, target, args)
    markdown = await target.state.explain_markdown(routed)
    uri = write_markdown(markdown, f"{target.uri}|{args.instruction}").as_uri()
    shown = False
    window = ls.client_capabilities.window
    if window and window.show_document and window.show_document.support:
        result = await ls.window_show_document_async(types.ShowDocumentParams(uri=uri, take_focus=True))
        shown = bool(result and result.success)
    if not shown:
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=markdown))
    return {"markdown": markdown, "uri": uri, "shown_document": shown}


# -- edits ----------------------------------------------------------------------------------
def workspace_edit(
    target: NotebookTarget,
    edits: Sequence[tuple[Range, str]],
    *,
    versioned: bool = True,
    annotation: str | None = None,
) -> types.WorkspaceEdit:
    """Edits in joined-text coordinates as a WorkspaceEdit the client can apply.

    Notebook sync: one TextDocumentEdit per touched cell, on that cell's URI, in cell-local
    client units (versioned when `versioned`, else `changes`). Virtual document: the same edits
    on the virtual document, which JupyterLab maps back into its cells. Either way an edit must
    lie within one cell (NotebookEditError otherwise). `annotation` (versioned only) names a
    change annotation the caller declares on the WorkspaceEdit.
    """
    by_cell = split_edits(target.layout, edits)
    per_uri: dict[str, list[types.TextEdit | types.AnnotatedTextEdit]] = {}
    for cell in sorted(by_cell):
        for rng, new_text in by_cell[cell]:
            start = target.layout.to_joined(cell, rng.start)
            end = target.layout.to_joined(cell, rng.end)
            uri, client_start = target.to_client(start)
            _, client_end = target.to_client(end)
            client_range = types.Range(start=client_start, end=client_end)
            per_uri.setdefault(uri, []).append(
                types.AnnotatedTextEdit(range=client_range, new_text=new_text, annotation_id=annotation)
                if versioned and annotation is not None
                else types.TextEdit(range=client_range, new_text=new_text)
            )
    if not versioned:
        plain = {uri: [types.TextEdit(range=e.range, new_text=e.new_text) for e in es] for uri, es in per_uri.items()}
        return types.WorkspaceEdit(changes=plain)
    changes: list[types.TextDocumentEdit] = []
    for uri, text_edits in per_uri.items():
        version = target.ls.workspace.get_text_document(uri).version
        changes.append(
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                edits=list(text_edits),
            )
        )
    return types.WorkspaceEdit(document_changes=changes)


def cell_edits(layout: CellLayout, new: str) -> list[tuple[Range, str]]:
    """The model's new joined text as at most one edit per changed cell (joined coordinates, code
    points), each trimmed to what changed. The lines between cells must stay as they are: a change
    that touches them (merging, adding or removing cells) raises NotebookEditError, nothing guessed.
    """
    old_lines = layout.text.split("\n")
    if layout.text.endswith("\n") and not new.endswith("\n"):
        new += "\n"  # the joined text's final newline is layout, not cell text
    new_lines = new.split("\n")
    cells: list[list[str]] = [[] for _ in layout.starts]
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        if tag == "equal":
            for i in range(i1, i2):
                cell = layout.cell_at_line(i)
                if cell is not None:  # separator lines are rebuilt by the layout, not kept in a cell
                    cells[cell].append(old_lines[i])
            continue
        cell = _owner(layout, i1, i2)
        if cell is None:
            raise NotebookEditError(_spanning(layout, i1, i2))
        cells[cell].extend(new_lines[j1:j2])
    edits = []
    for index, (old, lines) in enumerate(zip(cell_texts(layout), cells, strict=True)):
        text = "\n".join(lines)
        if text != old:
            edits.append(_trimmed(layout, index, old, text))
    return edits


def _owner(layout: CellLayout, i1: int, i2: int) -> int | None:
    """The one cell that joined lines [i1, i2) belong to; an insertion (i1 == i2) goes to the cell
    holding line i1, else to the cell ending just above it. None: separators or several cells."""
    if i1 == i2:
        found = layout.cell_at_line(i1)
        return found if found is not None or i1 == 0 else layout.cell_at_line(i1 - 1)
    owners = {layout.cell_at_line(i) for i in range(i1, i2)}
    return owners.pop() if len(owners) == 1 else None


def _spanning(layout: CellLayout, i1: int, i2: int) -> str:
    end = max(i2, i1 + 1)
    touched = {layout.nearest_cell(i) for i in range(i1, end)}
    if layout.cell_at_line(end - 1) is None:  # ends among separators: the next cell is involved too
        touched.update(next(([c] for c, start in enumerate(layout.starts) if start >= end), []))
    cells = " and ".join(str(c + 1) for c in sorted(touched))
    return (
        f"the model's change at lines {i1 + 1}-{max(i2, i1 + 1)} of the notebook crosses the boundary "
        f"between cells ({cells}): an edit must stay within one cell"
    )


def _trimmed(layout: CellLayout, cell: int, old: str, new: str) -> tuple[Range, str]:
    """One replacement from the first to the last character that differ (cell-local -> joined)."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    start = layout.to_joined(cell, _offset_position(old, prefix))
    end = layout.to_joined(cell, _offset_position(old, len(old) - suffix))
    return Range(start=start, end=end), new[prefix : len(new) - suffix]


def _offset_position(text: str, offset: int) -> Position:
    line = text.count("\n", 0, offset)
    return Position(line=line, character=offset - (text.rfind("\n", 0, offset) + 1))


# -- runs -----------------------------------------------------------------------------------
def run_brief(target: NotebookTarget) -> str:
    """What the model needs to edit the notebook: the joined text it reads, and where cells start."""
    starts = ", ".join(f"cell {i + 1} at line {s + 1}" for i, s in enumerate(target.layout.starts))
    kind = (
        "its cells"
        if target.cell_uris is not None
        else f"its {target.kernel_language} cells (a markdown cell is one empty line)"
    )
    return (
        f"Reading and editing the notebook: `{target.rel}` reads (read_file) and edits (propose_edit) as "
        f"{kind} joined in order, separated by two blank lines; {starts}. Copy old_text from one cell. "
        "An edit must stay within one cell: it cannot add, remove or merge cells."
    )


class NotebookReader(run.WorkspaceReader):
    """The agent's `read` for a notebook run: the notebook's path reads as the joined cells the
    request was built on; other files as usual. Stale when the notebook's text moved on."""

    def __init__(
        self, ls: ModelrouteServer, target: NotebookTarget, root: Path, privacy: PrivacySettings, local: bool
    ) -> None:
        super().__init__(ls, root, privacy, local)
        self.target = target
        self.pin(target.rel, target.uri, None)

    def __call__(self, rel: str) -> str | None:
        if rel != self.target.rel:
            return super().__call__(rel)
        self.resolve(rel)  # privacy.exclude / local_only still apply to the notebook
        return self.target.layout.text

    def stale(self, changes: list[FileChange]) -> str | None:
        others = [c for c in changes if c.path != self.target.rel]
        if len(others) < len(changes) and self.moved():
            return f"{self.target.rel}: {run.STALE}"
        return super().stale(others)

    def moved(self) -> bool:
        """The notebook's cells are not the ones the model read (text, cells added or removed)."""
        now = resolve(self.ls, self.target.uri)
        return now is None or now.layout.text != self.target.layout.text or now.cell_uris != self.target.cell_uris


@dataclass(frozen=True)
class NotebookSubject:
    """lsp/run.py's RunSubject for a notebook: read as joined cells, edits and findings per cell."""

    target: NotebookTarget

    @property
    def state(self) -> WorkspaceState:
        return self.target.state

    @property
    def rel(self) -> str:
        return self.target.rel

    @property
    def uri(self) -> str:
        return self.target.uri

    def reader(
        self, ls: ModelrouteServer, root: Path, privacy: PrivacySettings, model_is_local: bool
    ) -> run.WorkspaceReader:
        return NotebookReader(ls, self.target, root, privacy, model_is_local)

    def prompt(self, prompt: PromptRequest) -> PromptRequest:
        if not prompt.messages or prompt.messages[0].role != "user":
            return prompt
        first = prompt.messages[0]
        brief = first.model_copy(update={"content": f"{first.content}\n\n{run_brief(self.target)}"})
        return prompt.model_copy(update={"messages": (brief, *prompt.messages[1:])})

    def review(
        self, findings: list[Finding], reader: run.WorkspaceReader, model_id: str
    ) -> dict[str, list[types.Diagnostic]]:
        by_uri = run.review_diagnostics(findings, reader, model_id)
        if self.target.cell_uris is None:  # the virtual document takes joined lines
            return by_uri
        for diagnostic in by_uri.pop(self.target.uri, []):
            uri, local = self._in_cell(diagnostic)
            by_uri.setdefault(uri, []).append(local)
        return by_uri

    def _in_cell(self, diagnostic: types.Diagnostic) -> tuple[str, types.Diagnostic]:
        """A finding on joined lines, moved to the cell it starts in (clipped to that cell)."""
        assert self.target.cell_uris is not None
        layout = self.target.layout
        cell = layout.nearest_cell(diagnostic.range.start.line)
        first, count = layout.starts[cell], layout.lengths[cell]
        start = min(max(diagnostic.range.start.line - first, 0), count - 1)
        end = min(max(diagnostic.range.end.line - first, start), count - 1)
        lines = self.target.cell_lines[cell]
        last = lines[end].rstrip("\r\n") if end < len(lines) else ""
        width = len(last.encode("utf-16-le")) // 2
        rng = types.Range(start=types.Position(line=start, character=0), end=types.Position(line=end, character=width))
        return self.target.cell_uris[cell], types.Diagnostic(
            range=rng,
            message=diagnostic.message,
            severity=diagnostic.severity,
            source=diagnostic.source,
            code=diagnostic.code,
        )

    def edit(
        self, ls: ModelrouteServer, reader: run.WorkspaceReader, changes: list[FileChange], label: str, description: str
    ) -> types.WorkspaceEdit:
        """The notebook's change as edits within its cells, other files as lsp/run.py builds them,
        in one WorkspaceEdit. NotebookEditError (a ValueError) when a change crosses cells."""
        mine = [c for c in changes if c.path == self.target.rel]
        others = [c for c in changes if c.path != self.target.rel]
        edit = run.build_workspace_edit(ls, reader, others, label, description)
        if not mine:
            return edit
        versioned, _, annotated = run.edit_caps(ls)
        cells = workspace_edit(
            self.target,
            cell_edits(self.target.layout, mine[0].new),
            versioned=versioned,
            annotation=run.ANNOTATION_ID if annotated else None,
        )
        if not versioned:
            return types.WorkspaceEdit(changes={**(cells.changes or {}), **(edit.changes or {})})
        ops = [*(cells.document_changes or []), *(edit.document_changes or [])]
        return types.WorkspaceEdit(document_changes=ops, change_annotations=edit.change_annotations)


__all__ = [
    "SYNC_OPTIONS",
    "NotebookReader",
    "NotebookSubject",
    "NotebookTarget",
    "cell_edits",
    "directive_at",
    "notebook_request",
    "register",
    "resolve",
    "run_brief",
    "state_for",
    "virtual_notebook_path",
    "workspace_edit",
]
