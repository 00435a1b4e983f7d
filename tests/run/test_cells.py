"""The model's new notebook text (cells joined) back to edits within cells: `run/cells.py`."""

from __future__ import annotations

import pytest

from modelroute.context.model import Range
from modelroute.context.notebook import NotebookEditError, join_cells, split_edits
from modelroute.run.cells import cell_edits

CELLS = ["import pandas as pd\ndf = pd.read_csv('s.csv')", "# plot revenue AI!\ndf.plot()", "df.tail()  # 🙂 done"]


def apply(text: str, edits: list[tuple[Range, str]]) -> str:
    """Joined-text edits (code points) applied last first."""
    lines = text.split("\n")

    def offset(line: int, character: int) -> int:
        return sum(len(x) + 1 for x in lines[:line]) + character

    for rng, new in sorted(edits, key=lambda e: (e[0].start.line, e[0].start.character), reverse=True):
        start, end = offset(rng.start.line, rng.start.character), offset(rng.end.line, rng.end.character)
        text = text[:start] + new + text[end:]
    return text


def test_a_change_in_the_second_cell_is_one_trimmed_edit_in_that_cell() -> None:
    layout = join_cells(CELLS)
    new = layout.text.replace("df.plot()", "df.groupby('month')['revenue'].sum().plot()")
    edits = cell_edits(layout, new)
    assert len(edits) == 1
    assert list(split_edits(layout, edits)) == [1]  # lies within cell 2
    rng, text = edits[0]
    # cell 2 starts at joined line 4: its "df.plot()" is line 5
    assert (rng.start.line, rng.start.character, rng.end.line, rng.end.character) == (5, 3, 5, 3)
    assert text == "groupby('month')['revenue'].sum()."
    assert apply(layout.text, edits) == new


def test_changes_in_two_cells_with_the_separator_intact_are_two_edits() -> None:
    layout = join_cells(CELLS)
    new = layout.text.replace("s.csv", "sales.csv").replace("🙂 done", "🙂 all done")
    edits = cell_edits(layout, new)
    assert sorted(split_edits(layout, edits)) == [0, 2]
    assert apply(layout.text, edits) == new


def test_lines_added_at_the_end_of_a_cell_and_at_its_start_stay_in_it() -> None:
    layout = join_cells(CELLS)
    new = layout.text.replace("df.plot()\n", "df.plot()\nplt.show()\n")
    new = new.replace("import pandas", "import os\nimport pandas")
    edits = cell_edits(layout, new)
    assert sorted(split_edits(layout, edits)) == [0, 1]
    assert apply(layout.text, edits) == new


def test_deleting_a_whole_cell_body_and_the_final_newline() -> None:
    layout = join_cells(CELLS)
    new = layout.text.replace("# plot revenue AI!\ndf.plot()", "").rstrip("\n")
    edits = cell_edits(layout, new)
    assert list(split_edits(layout, edits)) == [1]
    assert apply(layout.text, edits) == new + "\n"


@pytest.mark.parametrize(
    "old, new",
    [
        ("df.plot()\n\n\ndf.tail()", "df.plot()\ndf.tail()"),  # merges cells 2 and 3
        ("s.csv')\n\n\n# plot", "s.csv')\n# note\n\n# plot"),  # rewrites a separator line
    ],
)
def test_a_change_across_the_cell_boundary_is_refused(old: str, new: str) -> None:
    layout = join_cells(CELLS)
    assert old in layout.text
    changed = layout.text.replace(old, new)
    with pytest.raises(NotebookEditError, match="within one cell"):
        cell_edits(layout, changed)


def test_what_looks_like_a_new_cell_goes_into_a_neighbour_exactly() -> None:
    """Cells may hold blank lines (notebook sync), so added text is never split into a new cell."""
    layout = join_cells(CELLS)
    new = layout.text.replace("df.plot()\n", "df.plot()\n\n\nx = 1\n")
    edits = cell_edits(layout, new)
    assert len(split_edits(layout, edits)) == 1
    assert apply(layout.text, edits) == new


def test_no_change_no_edits() -> None:
    layout = join_cells(CELLS)
    assert cell_edits(layout, layout.text) == []
