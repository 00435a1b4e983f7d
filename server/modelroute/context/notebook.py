"""Notebooks as one action context: cells, outputs, the cursor's cell, and position mapping.

Pure: every function takes data (a parsed .ipynb, cell texts, a virtual document) and returns data.

Both ways clients send notebooks end up in one `CellLayout`, a joined text of all cells plus
where each cell sits in it:
- LSP 3.17 notebook sync sends each cell as its own text document; we join them ourselves.
- jupyter-lsp / JupyterLab send one "virtual document": code cells joined in order, each block
  followed by a newline, blocks separated by `blankLinesBetweenCells` (2) blank lines; a markdown
  or raw cell keeps one empty line in it (its text goes to a separate `.md`/`.txt` foreign
  document). The virtual document has no outputs: those come from the saved .ipynb.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal

from modelroute.context.model import NotebookCell, NotebookContext, Position, Range

BLANK_LINES_BETWEEN_CELLS = 2  # JupyterLab's VirtualDocument.blankLinesBetweenCells
MAX_OUTPUT_CHARS = 8000  # per cell, the tail is kept: a traceback ends with the error
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception)\b.*:", re.MULTILINE)

CellKind = Literal["code", "markdown"]


class NotebookEditError(ValueError):
    """An edit that cannot be placed in exactly one cell (it spans cells or a separator)."""


@dataclass(frozen=True)
class CellLayout:
    """A joined text and, per cell, its first line and line count in it."""

    text: str
    starts: tuple[int, ...]
    lengths: tuple[int, ...]

    def cell_at_line(self, line: int) -> int | None:
        """The cell whose text holds `line`; None on a separator line or past the end."""
        for i, (start, length) in enumerate(zip(self.starts, self.lengths, strict=True)):
            if start <= line < start + length:
                return i
        return None

    def nearest_cell(self, line: int) -> int:
        """The cell holding `line`, else the last cell starting before it (separators belong above)."""
        found = self.cell_at_line(line)
        if found is not None:
            return found
        before = [i for i, s in enumerate(self.starts) if s <= line]
        return before[-1] if before else 0

    def to_joined(self, cell: int, pos: Position) -> Position:
        return Position(line=self.starts[cell] + pos.line, character=pos.character)

    def to_cell(self, pos: Position) -> tuple[int, Position] | None:
        cell = self.cell_at_line(pos.line)
        if cell is None:
            return None
        return cell, Position(line=pos.line - self.starts[cell], character=pos.character)


# -- outputs --------------------------------------------------------------------------
def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else ""


def outputs_text(outputs: Sequence[Any]) -> tuple[str, bool]:
    """nbformat outputs as plain text, and whether one of them is an error.

    Streams and `text/plain` results are kept; images and HTML are named, not inlined. An
    `error` output (ename, evalue, traceback) or a stderr stream holding a traceback counts
    as an error: that is the debugging signal.
    """
    parts: list[str] = []
    has_error = False
    for out in outputs:
        if not isinstance(out, Mapping):
            continue
        kind = out.get("output_type")
        if kind == "stream":
            text = strip_ansi(_as_text(out.get("text")))
            parts.append(text)
            has_error |= out.get("name") == "stderr" and bool(_TRACEBACK.search(text))
        elif kind in ("execute_result", "display_data"):
            data = out.get("data") if isinstance(out.get("data"), Mapping) else {}
            assert isinstance(data, Mapping)
            if "text/plain" in data:
                parts.append(strip_ansi(_as_text(data["text/plain"])))
            else:
                parts.append("[" + ", ".join(sorted(str(k) for k in data)) + " output]")
        elif kind == "error":
            has_error = True
            trace = out.get("traceback")
            lines = [strip_ansi(str(t)) for t in trace] if isinstance(trace, list) else []
            parts.append("\n".join(lines) or f"{out.get('ename', 'Error')}: {out.get('evalue', '')}")
    text = "\n".join(p.rstrip("\n") for p in parts if p)
    return text[-MAX_OUTPUT_CHARS:], has_error


def looks_like_error(text: str) -> bool:
    return bool(_TRACEBACK.search(text))


# -- .ipynb -----------------------------------------------------------------------------
def kernel_language(nb: Mapping[str, Any]) -> str:
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    for key, field in (("kernelspec", "language"), ("language_info", "name")):
        section = meta.get(key)
        if isinstance(section, Mapping) and isinstance(section.get(field), str) and section[field]:
            return normalize_language(section[field])
    return "python"


def normalize_language(name: str) -> str:
    """Kernel and LSP language names to the languageIds the context module knows."""
    lowered = name.strip().lower()
    return {"ipython": "python", "ipython3": "python", "python3": "python", "r": "r"}.get(lowered, lowered)


def cells_from_ipynb(nb: Mapping[str, Any]) -> tuple[list[NotebookCell], str]:
    """The cells of a parsed .ipynb (nbformat 4) with their saved outputs, and the kernel language."""
    language = kernel_language(nb)
    cells: list[NotebookCell] = []
    raw_cells = nb.get("cells")
    for raw in raw_cells if isinstance(raw_cells, list) else []:
        if not isinstance(raw, Mapping):
            continue
        source = _as_text(raw.get("source"))
        if raw.get("cell_type") == "code":
            outs = raw.get("outputs")
            text, error = outputs_text(outs if isinstance(outs, list) else [])
            cells.append(NotebookCell(kind="code", language=language, text=source, outputs=text, has_error=error))
        else:
            lang = "markdown" if raw.get("cell_type") == "markdown" else "plaintext"
            cells.append(NotebookCell(kind="markdown", language=lang, text=source))
    return cells, language


# -- layouts ----------------------------------------------------------------------------
def _line_count(text: str) -> int:
    return text.count("\n") + 1


def join_cells(texts: Sequence[str], blank_lines: int = BLANK_LINES_BETWEEN_CELLS) -> CellLayout:
    """Cells joined as JupyterLab joins them: each block `text + "\\n"`, blocks joined by blank lines."""
    starts: list[int] = []
    lengths: list[int] = []
    line = 0
    for text in texts:
        starts.append(line)
        lengths.append(_line_count(text))
        line += lengths[-1] + blank_lines
    joined = ("\n" * blank_lines).join(t + "\n" for t in texts)
    return CellLayout(text=joined, starts=tuple(starts), lengths=tuple(lengths))


def host_text(cell: NotebookCell) -> str:
    """What a cell contributes to the kernel-language virtual document."""
    return cell.text if cell.kind == "code" else ""


def virtual_layout(text: str, saved: Sequence[NotebookCell] | None) -> CellLayout:
    """Where each cell sits in a JupyterLab virtual document.

    With the saved notebook, its cells are aligned line by line with the document (so unsaved
    edits, added lines included, still map to the right cell). Without it, the document is split
    at every run of exactly two blank lines, which misplaces cells that hold two blank lines.
    """
    if saved:
        expected = join_cells([host_text(c) for c in saved])
        if expected.text == text:
            return expected
        return _aligned_layout(text, expected)
    body = text[:-1] if text.endswith("\n") else text
    return join_cells(body.split("\n" * (BLANK_LINES_BETWEEN_CELLS + 1)))


def _aligned_layout(text: str, expected: CellLayout) -> CellLayout:
    old = expected.text.split("\n")
    new = text.split("\n")
    owner: list[int | None] = [None] * len(new)  # cell of each line of `text`; None: a separator
    last_cell = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        for j in range(j1, j2):
            if tag == "equal":
                cell = expected.cell_at_line(i1 + j - j1)
            elif tag == "replace":
                i = min(i1 + j - j1, i2 - 1)
                cell = expected.cell_at_line(i)
                cell = last_cell if cell is None and new[j].strip() else cell
            else:  # inserted lines belong to the cell above, unless blank (a separator)
                cell = last_cell if new[j].strip() else None
            owner[j] = cell
            if cell is not None:
                last_cell = cell
    starts: list[int] = []
    lengths: list[int] = []
    for cell in range(len(expected.starts)):
        lines = [j for j, o in enumerate(owner) if o == cell]
        start = lines[0] if lines else (starts[-1] + lengths[-1] if starts else 0)
        starts.append(start)
        lengths.append(lines[-1] - start + 1 if lines else 1)
    return CellLayout(text=text, starts=tuple(starts), lengths=tuple(lengths))


def cell_texts(layout: CellLayout) -> list[str]:
    lines = layout.text.split("\n")
    return ["\n".join(lines[s : s + n]) for s, n in zip(layout.starts, layout.lengths, strict=True)]


def merge_virtual(layout: CellLayout, saved: Sequence[NotebookCell], language: str) -> list[NotebookCell]:
    """Cells with the virtual document's (current) code and the saved notebook's markdown and outputs."""
    texts = cell_texts(layout)
    if len(saved) != len(texts):
        return [NotebookCell(kind="code", language=language, text=t) for t in texts]
    merged = []
    for cell, text in zip(saved, texts, strict=True):
        merged.append(cell.model_copy(update={"text": text}) if cell.kind == "code" else cell)
    return merged


def notebook_context(cells: Sequence[NotebookCell], active_cell: int, kernel_language: str) -> NotebookContext:
    active = min(max(active_cell, 0), max(len(cells) - 1, 0))
    return NotebookContext(cells=tuple(cells), active_cell=active, kernel_language=kernel_language)


def saved_outputs_for(cells: Sequence[NotebookCell], saved: Sequence[NotebookCell]) -> list[NotebookCell]:
    """Give live cells (without outputs) the saved outputs of the same code, matched in order."""
    matcher = SequenceMatcher(None, [c.text for c in saved], [c.text for c in cells], autojunk=False)
    result = list(cells)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            old, i = saved[block.a + k], block.b + k
            if not result[i].outputs and old.outputs:
                result[i] = result[i].model_copy(update={"outputs": old.outputs, "has_error": old.has_error})
    return result


# -- edits ------------------------------------------------------------------------------
def split_edits(layout: CellLayout, edits: Sequence[tuple[Range, str]]) -> dict[int, list[tuple[Range, str]]]:
    """Edits in joined-text coordinates, as cell-local edits grouped by cell index.

    An edit must lie within one cell; one that reaches into a separator or another cell raises
    NotebookEditError rather than guess (a model rewriting two cells sends two edits).
    """
    by_cell: dict[int, list[tuple[Range, str]]] = {}
    for rng, new_text in edits:
        start = layout.to_cell(rng.start)
        end = layout.to_cell(rng.end)
        if start is None or end is None or start[0] != end[0]:
            raise NotebookEditError(
                f"edit {rng.start.line}:{rng.start.character}-{rng.end.line}:{rng.end.character} "
                "does not lie within one cell"
            )
        local = Range(start=start[1], end=end[1])
        by_cell.setdefault(start[0], []).append((local, new_text))
    return by_cell
