"""Notebook asks route like any other action, and the decision reads the notebook context."""

from __future__ import annotations

import pytest

from modelroute.categories import Category
from modelroute.context.gather import ActionRequest
from modelroute.context.model import NotebookCell, Position
from modelroute.context.notebook import join_cells, notebook_context
from modelroute.pipeline import Engine, Routed

LOAD = "import pandas as pd\nsales = pd.read_csv('sales.csv')\norders = pd.read_csv('orders.csv')"
TRACE = "Traceback (most recent call last):\n  Cell In[2], line 1\n----> 1 sales['revenue'].sum()\nKeyError: 'revenue'"
NOTE = "a notebook cell: changes are local"


def cell(text: str, **kw: object) -> NotebookCell:
    return NotebookCell(kind="code", language="python", text=text, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("nb")
    (root / "analysis.ipynb").write_text("{}")
    eng = Engine(root, user_file=root / "no-user-config.toml", env={})
    eng.build_index()
    return eng


def decide(engine: Engine, cells: list[NotebookCell], instruction: str, *, notebook: bool = True) -> Routed:
    """Route the directive on the last line of the last cell, as the LSP layer does."""
    layout = join_cells([c.text for c in cells])
    active = len(cells) - 1
    line = layout.starts[active] + layout.lengths[active] - 1
    request = ActionRequest(
        file="analysis.ipynb",
        cursor=Position(line=line, character=0),
        instruction=instruction,
        # the directive's kind is its marker, as the LSP layer reads it (AI? asks, AI! does)
        directive="ask" if cells[active].text.rstrip().endswith("AI?") else "do",
        document_text=layout.text,
        language="python",
        notebook=notebook_context(cells, active, "python") if notebook else None,
    )
    return engine.decide(request)


SCENARIOS = [
    ("plot revenue by month", [cell(LOAD), cell("# plot revenue by month AI!")], Category.QUICK_EDIT),
    # asked with AI? and no failure in the output: answered in words (with a traceback it is debugging)
    ("why is this merge dropping rows",
     [cell(LOAD), cell("merged = sales.merge(orders, on='id')\n# why is this merge dropping rows AI?")],
     Category.EXPLAIN),
    ("fix this", [cell(LOAD), cell("sales['revenue'].sum()\n# fix this AI!", outputs=TRACE, has_error=True)],
     Category.DEBUGGING),
    ("explain this groupby",
     [cell(LOAD), cell("sales.groupby(['region', pd.Grouper(key='date', freq='M')])['revenue'].sum()\n"
                       "# explain this groupby AI?")],
     Category.EXPLAIN),
    ("add a docstring to this helper",
     [cell(LOAD), cell("def monthly(df):\n    return df.resample('M').sum()\n# add a docstring to this helper AI!")],
     Category.QUICK_EDIT),
    ("review this cleaning step for mistakes",
     [cell(LOAD), cell("sales = sales.dropna()\n# review this cleaning step for mistakes AI?")],
     Category.CODE_REVIEW),
]


@pytest.mark.parametrize(("instruction", "cells", "expected"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_notebook_asks_route_to_their_category(
    engine: Engine, instruction: str, cells: list[NotebookCell], expected: Category
) -> None:
    routed = decide(engine, cells, instruction)
    assert routed.decision.category is expected, routed.decision.classification_reasons
    assert routed.context.notebook is not None
    assert routed.context.notebook.active_cell == len(cells) - 1
    if expected is Category.QUICK_EDIT:  # the notebook cue is a reason only when it supports the winner
        assert NOTE in routed.classification.reasons
    # the prompt carries every cell, marks the cursor's cell, and says which is a notebook
    prompt = routed.prompt.text_for_counting()
    assert "Notebook `analysis.ipynb` (kernel python)" in prompt
    assert "Cell 2 [code, python] (cursor here)" in prompt and "read_csv('orders.csv')" in prompt
    assert any(f.reason == "the notebook" for f in routed.prompt.included)


def test_traceback_in_the_cursor_cell_is_a_debugging_signal(engine: Engine) -> None:
    failing = [cell(LOAD), cell("sales['revenue'].sum()\n# make this work AI!", outputs=TRACE, has_error=True)]
    with_outputs = decide(engine, failing, "make this work")
    assert with_outputs.decision.category is Category.DEBUGGING
    assert "the notebook cell's output shows an error" in with_outputs.decision.classification_reasons
    assert "KeyError: 'revenue'" in with_outputs.prompt.text_for_counting()
    clean = decide(engine, [cell(LOAD), cell("sales['revenue'].sum()\n# make this work AI!")], "make this work")
    assert "the notebook cell's output shows an error" not in clean.decision.classification_reasons
    assert with_outputs.decision.confidence != clean.decision.confidence or (
        with_outputs.decision.category is not clean.decision.category
    )


def test_without_notebook_context_the_same_text_is_a_plain_file(engine: Engine) -> None:
    cells = [cell(LOAD), cell("# plot revenue by month AI!")]
    plain = decide(engine, cells, "plot revenue by month", notebook=False)
    assert plain.context.notebook is None
    assert NOTE not in plain.classification.reasons
    assert "Notebook `analysis.ipynb`" not in plain.prompt.text_for_counting()
