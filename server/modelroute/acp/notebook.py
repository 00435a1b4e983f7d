"""A notebook (.ipynb) as one document to the run, for ACP clients (Jupyter AI attaches notebooks as
file links): the model reads and edits its cells joined (as the language server does), and the
accepted change is written back into the notebook's cells, outputs and metadata kept.

Pure apart from reading the file: `load` parses, `write_back` returns the new .ipynb text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelroute.context.model import NotebookCell, NotebookContext
from modelroute.context.notebook import CellLayout, NotebookEditError, cells_from_ipynb, join_cells

SUFFIX = ".ipynb"


class NotebookUnreadable(ValueError):
    """Not a notebook this agent can read (not JSON, not nbformat 4)."""


@dataclass(frozen=True)
class Notebook:
    rel: str
    raw: str  # the file as read: a change is applied only over this exact text
    data: dict[str, Any]
    cells: tuple[NotebookCell, ...]
    kernel_language: str
    layout: CellLayout

    @property
    def text(self) -> str:
        """What the model reads: the cells joined (markdown cells too, as their text)."""
        return self.layout.text

    def context(self, active_cell: int = 0) -> NotebookContext:
        return NotebookContext(cells=self.cells, active_cell=active_cell, kernel_language=self.kernel_language)

    def cell_at_line(self, line: int) -> int:
        return self.layout.nearest_cell(line)

    def brief(self) -> str:
        from modelroute.run.cells import notebook_brief

        return notebook_brief(self.rel, self.layout.starts, kernel_language=self.kernel_language, code_only=False)

    def write_back(self, new_joined: str) -> str:
        """The .ipynb text with each cell's source replaced by its text in `new_joined`.
        NotebookEditError when the change adds, removes or merges cells."""
        from modelroute.run.cells import new_cell_texts

        texts = new_cell_texts(self.layout, new_joined)
        data = json.loads(self.raw)  # a fresh copy: the loaded one stays what was read
        for raw, text in zip(_cell_list(data), texts, strict=True):
            raw["source"] = text.splitlines(keepends=True)
        return json.dumps(data, indent=_indent(self.raw), ensure_ascii=False) + "\n"


def is_notebook(rel: str) -> bool:
    return rel.lower().endswith(SUFFIX)


def load(root: Path, rel: str, text: str | None = None) -> Notebook:
    """The notebook at `rel` (or its `text`, when the client sent it)."""
    raw = text if text is not None else (root / rel).read_text(encoding="utf-8")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise NotebookUnreadable(f"{rel} is not a notebook this agent can read (not JSON: {exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookUnreadable(f"{rel} is not an nbformat 4 notebook (no cell list)")
    cells, language = cells_from_ipynb(data)
    if len(cells) != len(_cell_list(data)):
        raise NotebookUnreadable(f"{rel} holds cells this agent cannot read")
    return Notebook(rel=rel, raw=raw, data=data, cells=tuple(cells), kernel_language=language,
                    layout=join_cells([c.text for c in cells]))


def _cell_list(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in data.get("cells", []) if isinstance(c, dict)]


def _indent(raw: str) -> int:
    """The indentation the file was written with (Jupyter writes 1), so a change keeps its style."""
    for line in raw.splitlines()[1:3]:
        stripped = line.lstrip(" ")
        if stripped and len(line) != len(stripped):
            return len(line) - len(stripped)
    return 1


__all__ = ["SUFFIX", "Notebook", "NotebookEditError", "NotebookUnreadable", "is_notebook", "load"]
