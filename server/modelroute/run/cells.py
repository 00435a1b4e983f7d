"""A notebook as one document to the run: the model reads and edits its cells joined, and its new
joined text is mapped back to edits within cells. Pure: text in, edits out.

The joined text is `context.notebook.CellLayout` (each cell's text followed by a newline, cells
separated by blank lines). A change must stay within cells: one that touches the lines between
cells (merging, adding or removing cells) is refused with a reason, nothing guessed.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from modelroute.context.model import Position, Range
from modelroute.context.notebook import CellLayout, NotebookEditError, cell_texts


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


def new_cell_texts(layout: CellLayout, new: str) -> list[str]:
    """Every cell's text after the model's change (NotebookEditError as `cell_edits`)."""
    texts = cell_texts(layout)
    for rng, text in cell_edits(layout, new):
        cell = layout.cell_at_line(rng.start.line)
        assert cell is not None
        start = _offset(texts[cell], rng.start.line - layout.starts[cell], rng.start.character)
        end = _offset(texts[cell], rng.end.line - layout.starts[cell], rng.end.character)
        texts[cell] = texts[cell][:start] + text + texts[cell][end:]
    return texts


def notebook_brief(rel: str, starts: tuple[int, ...], *, kernel_language: str, code_only: bool) -> str:
    """What the model needs to edit a notebook: the joined text it reads, and where cells start."""
    where = ", ".join(f"cell {i + 1} at line {s + 1}" for i, s in enumerate(starts))
    kind = f"its {kernel_language} cells (a markdown cell is one empty line)" if code_only else "its cells"
    return (
        f"Reading and editing the notebook: `{rel}` reads (read_file) and edits (propose_edit) as "
        f"{kind} joined in order, separated by two blank lines; {where}. Copy old_text from one cell. "
        "An edit must stay within one cell: it cannot add, remove or merge cells."
    )


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


def _offset(text: str, line: int, character: int) -> int:
    start = 0
    for _ in range(line):
        start = text.index("\n", start) + 1
    return start + character


__all__ = ["NotebookEditError", "cell_edits", "new_cell_texts", "notebook_brief"]
