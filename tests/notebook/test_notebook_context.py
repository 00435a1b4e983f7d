"""Pure notebook helpers: outputs, .ipynb cells, JupyterLab's virtual-document layout, edit mapping."""

from __future__ import annotations

import pytest

from modelroute.context.model import NotebookCell, Position, Range
from modelroute.context.notebook import (
    NotebookEditError,
    cells_from_ipynb,
    join_cells,
    merge_virtual,
    notebook_context,
    outputs_text,
    saved_outputs_for,
    split_edits,
    virtual_layout,
)

TRACEBACK = [
    "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
    "\x1b[0;31mKeyError\x1b[0m                                  Traceback (most recent call last)",
    "Cell \x1b[0;32mIn[3], line 1\x1b[0m\n----> 1 sales['revenue'].sum()",
    "\x1b[0;31mKeyError\x1b[0m: 'revenue'",
]


def code(text: str, **kw: object) -> NotebookCell:
    return NotebookCell(kind="code", language="python", text=text, **kw)  # type: ignore[arg-type]


def md(text: str) -> NotebookCell:
    return NotebookCell(kind="markdown", language="markdown", text=text)


def ipynb() -> dict[str, object]:
    return {
        "nbformat": 4,
        "metadata": {"kernelspec": {"name": "ir", "language": "R"}},
        "cells": [
            {"cell_type": "code", "source": ["df <- read.csv('sales.csv')\n", "head(df)"], "outputs": [
                {"output_type": "execute_result", "data": {"text/plain": ["  id revenue\n", "1  1 10"],
                                                           "text/html": "<table/>"}},
            ]},
            {"cell_type": "markdown", "source": "## Revenue"},
            {"cell_type": "code", "source": "plot(df$revenue)", "outputs": [
                {"output_type": "error", "ename": "KeyError", "evalue": "'revenue'", "traceback": TRACEBACK},
            ]},
            {"cell_type": "raw", "source": "raw text"},
        ],
    }


def test_error_output_is_plain_text_and_an_error() -> None:
    text, error = outputs_text([{"output_type": "error", "ename": "KeyError", "evalue": "x", "traceback": TRACEBACK}])
    assert error
    assert "\x1b" not in text
    assert "KeyError: 'revenue'" in text and "Traceback (most recent call last)" in text


def test_stream_and_results() -> None:
    text, error = outputs_text([
        {"output_type": "stream", "name": "stdout", "text": ["rows: 10\n"]},
        {"output_type": "display_data", "data": {"image/png": "iVBOR..."}},
        {"output_type": "stream", "name": "stderr", "text": "Traceback (most recent call last):\nValueError: bad\n"},
        "not an output",
    ])
    assert error
    assert text.splitlines()[0] == "rows: 10"
    assert "[image/png output]" in text and "ValueError: bad" in text
    assert outputs_text([{"output_type": "stream", "name": "stderr", "text": "a warning\n"}]) == ("a warning", False)


def test_cells_from_ipynb_keeps_kinds_language_and_outputs() -> None:
    cells, language = cells_from_ipynb(ipynb())
    assert language == "r"
    assert [c.kind for c in cells] == ["code", "markdown", "code", "markdown"]
    assert cells[0].text == "df <- read.csv('sales.csv')\nhead(df)"
    assert cells[0].outputs.endswith("1  1 10") and not cells[0].has_error
    assert cells[2].has_error and "KeyError" in cells[2].outputs
    assert cells[3].language == "plaintext"
    assert cells_from_ipynb({"cells": "junk"}) == ([], "python")


def test_join_matches_jupyterlab_virtual_document() -> None:
    # JupyterLab: each block is `text + "\n"`, blocks joined by two newlines, so two blank lines
    # sit between cells; a markdown cell leaves one empty line in the kernel-language document.
    layout = join_cells(["import pandas as pd\ndf = pd.read_csv('x')", "", "df.head()"])
    assert layout.text == "import pandas as pd\ndf = pd.read_csv('x')\n\n\n\n\n\ndf.head()\n"
    assert layout.starts == (0, 4, 7)
    assert layout.lengths == (2, 1, 1)
    assert layout.to_cell(Position(line=7, character=3)) == (2, Position(line=0, character=3))
    assert layout.to_cell(Position(line=2, character=0)) is None  # a separator line
    assert layout.nearest_cell(3) == 0
    assert layout.to_joined(1, Position(line=0, character=0)) == Position(line=4, character=0)


def test_virtual_layout_exact_with_saved_notebook() -> None:
    saved = [code("a = 1"), md("# title"), code("def f():\n    pass\n\n\ndef g():\n    pass")]
    text = join_cells(["a = 1", "", saved[2].text]).text
    layout = virtual_layout(text, saved)
    assert layout.starts == (0, 3, 6)
    # two blank lines inside a cell do not split it, because the saved cells say where cells are
    assert merge_virtual(layout, saved, "python")[2].text == saved[2].text
    assert merge_virtual(layout, saved, "python")[1] == saved[1]


def test_virtual_layout_follows_unsaved_edits() -> None:
    saved = [code("a = 1"), code("b = 2\nprint(b)"), code("c = 3")]
    edited = join_cells(["a = 1", "b = 2\nb += 1\nb *= 2\nprint(b)", "c = 3"]).text
    layout = virtual_layout(edited, saved)
    cells = merge_virtual(layout, saved, "python")
    assert [c.text for c in cells] == ["a = 1", "b = 2\nb += 1\nb *= 2\nprint(b)", "c = 3"]
    assert layout.cell_at_line(layout.text.split("\n").index("c = 3")) == 2


def test_virtual_layout_without_saved_notebook_splits_on_two_blank_lines() -> None:
    layout = virtual_layout(join_cells(["x = 1", "y = 2\nz = 3"]).text, None)
    assert layout.starts == (0, 3) and layout.lengths == (1, 2)


def test_saved_outputs_follow_their_code() -> None:
    saved = [code("a = 1", outputs="1"), code("boom()", outputs="NameError", has_error=True)]
    live = [code("import x"), code("a = 1"), code("boom()")]
    merged = saved_outputs_for(live, saved)
    assert [c.outputs for c in merged] == ["", "1", "NameError"]
    assert merged[2].has_error


def test_context_clamps_active_cell() -> None:
    ctx = notebook_context([code("a"), code("b")], 7, "python")
    assert ctx.active_cell == 1 and ctx.kernel_language == "python"


def _r(l1: int, c1: int, l2: int, c2: int) -> Range:
    return Range(start=Position(line=l1, character=c1), end=Position(line=l2, character=c2))


def test_split_edits_lands_each_edit_in_its_cell() -> None:
    layout = join_cells(["a = 1", "df.plot()\n# plot revenue AI!", "c = 3"])
    by_cell = split_edits(layout, [(_r(3, 0, 4, 18), "df.groupby('month')['revenue'].sum().plot()")])
    assert by_cell == {1: [(_r(0, 0, 1, 18), "df.groupby('month')['revenue'].sum().plot()")]}
    with pytest.raises(NotebookEditError):
        split_edits(layout, [(_r(0, 0, 3, 2), "x")])  # spans the first two cells
    with pytest.raises(NotebookEditError):
        split_edits(layout, [(_r(2, 0, 2, 0), "x")])  # a separator line
