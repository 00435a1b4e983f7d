r"""Real JupyterLab 4.6 with jupyterlab-lsp 5.3 in Debian's Chromium, modelroute found through its
jupyter-lsp entry point as docs/clients/jupyterlab.md installs it.

Today JupyterLab shows modelroute's route only as a hover (jupyterlab-lsp has no code-action UI);
the priced choice in JupyterLab comes with Jupyter AI and the ACP agent (issue 15 items 1-2), which
will build on this harness. What is checked here: the server connects, and the hover on a directive
in a cell shows the route with its prices as text. JupyterLab typesets `$...$` in hover markdown as
TeX math, and `\$` does not stop it there (tried: MathJax still typesets the unescaped text);
amounts in code spans (`` `~$0.011` ``) come through. That fix waits for branch core (lsp/hover.py).

Like the VS Code tests, a .ci/run stage of its own: MODELROUTE_JUPYTERLAB=1 pytest tests/clients/jupyterlab.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.clients.artifacts import artifact_dir
from tests.clients.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tests.clients.headless import KEY_SUFFIXES, SERVER_BIN
from tests.clients.jupyterlab import lab as jupyterlab
from tests.clients.jupyterlab.workbench import JupyterLab

pytestmark = pytest.mark.skipif(
    os.environ.get("MODELROUTE_JUPYTERLAB") != "1",
    reason="real JupyterLab tests are their own .ci/run stage: MODELROUTE_JUPYTERLAB=1 pytest tests/clients/jupyterlab",
)

DIRECTIVE = "# plot the totals by month as a bar chart AI!"
NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Sales"]},
        {
            "cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": ["totals = {m: sum(v) for m, v in sales.items()}\n", DIRECTIVE],
        },
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                 "language_info": {"name": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}
# Mathematical italic letters: what a `$...$` span becomes when JupyterLab renders it as TeX.
MATH_ITALIC = re.compile("[\U0001d434-\U0001d467]")


@pytest.fixture
def lab(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JupyterLab]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    artifacts = artifact_dir("jupyterlab", request.node.name)
    root = tmp_path / "notebooks"
    (root / ".git").mkdir(parents=True)
    (root / "analysis.ipynb").write_text(json.dumps(NOTEBOOK, indent=1))
    env = {k: v for k, v in os.environ.items() if not k.endswith(KEY_SUFFIXES)}
    env.update(
        PATH=f"{SERVER_BIN}{os.pathsep}{env.get('PATH', '')}", HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_CACHE_HOME=str(tmp_path / "cache"),
        MODELROUTE_DATA_DIR=str(tmp_path / "data"),
    )
    with jupyterlab.serve(root, env, tmp_path / "jupyter", artifacts / "jupyterlab.log") as running, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
        ui = JupyterLab(page, artifacts)
        try:
            ui.open_notebook(running.page_url("analysis.ipynb"))
            yield ui
        finally:
            ui.shot("end")
            browser.close()


def test_hover_in_a_cell_shows_the_route_with_prices_as_text(lab: JupyterLab) -> None:
    lab.wait_for_language_server()
    text = lab.hover_line("AI!")
    assert ("modelroute" in text and "quick_edit" in text.replace(" ", "_").lower()) or "Category" in text, text
    amounts = re.findall(r"~\$\d+\.\d+", text)
    assert len(amounts) >= 2, f"prices are not shown as text (TeX?): {text!r}"
    assert not MATH_ITALIC.search(text), f"the hover was rendered as TeX math: {text!r}"
