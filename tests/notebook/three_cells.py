"""The notebook the LSP notebook tests open: a failing first cell, a directive in the second, markdown."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

CELLS = [
    "import pandas as pd\nsales = pd.read_csv('sales.csv')\nsales['revenue'].sum()",
    "monthly = sales.groupby('month').sum()\n# fix the KeyError from the cell above AI!\nmonthly.plot()",
    "## Notes\nRevenue is in euros.",
]
ERROR_OUTPUT = {
    "output_type": "error",
    "ename": "KeyError",
    "evalue": "'revenue'",
    "traceback": ["\x1b[0;31mKeyError\x1b[0m  Traceback (most recent call last)",
                  "----> 3 sales['revenue'].sum()", "\x1b[0;31mKeyError\x1b[0m: 'revenue'"],
}


def cell_uri(root: Path, i: int) -> str:
    return f"vscode-notebook-cell:{(root / 'analysis.ipynb').as_posix()}#cell{i}"


def did_open(root: Path) -> types.DidOpenNotebookDocumentParams:
    """notebookDocument/didOpen as VS Code sends it; outputs ride in the cell metadata."""
    return types.DidOpenNotebookDocumentParams(
        notebook_document=types.NotebookDocument(
            uri=(root / "analysis.ipynb").as_uri(), notebook_type="jupyter-notebook", version=1,
            metadata={"metadata": {"kernelspec": {"language": "python", "name": "python3"}}},
            cells=[
                types.NotebookCell(kind=types.NotebookCellKind.Code, document=cell_uri(root, 0),
                                   metadata={"outputs": [ERROR_OUTPUT]},
                                   execution_summary=types.ExecutionSummary(execution_order=1, success=False)),
                types.NotebookCell(kind=types.NotebookCellKind.Code, document=cell_uri(root, 1)),
                types.NotebookCell(kind=types.NotebookCellKind.Markup, document=cell_uri(root, 2)),
            ],
        ),
        cell_text_documents=[
            types.TextDocumentItem(uri=cell_uri(root, i), language_id="markdown" if i == 2 else "python",
                                   version=1, text=text)
            for i, text in enumerate(CELLS)
        ],
    )
