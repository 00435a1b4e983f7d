"""Real VS Code (code-server 4.139.1 = VS Code 1.139.1) in Debian's Chromium, with the .vsix built
from client-vscode/ installed by `--install-extension`, as docs/clients/vscode.md tells a user.

The model is played by modelroute_testing.fakeprovider on 127.0.0.1: the language server's real SDKs reach it
through ANTHROPIC_BASE_URL / OPENAI_BASE_URL in code-server's environment, which the extension
host and the server inherit. Screenshots of every step go to .ci/artifacts/vscode/<test>/.

These tests are their own .ci/run stage (they need the packaged .vsix and code-server, installed
once per machine by install-code-server.sh): MODELROUTE_VSCODE=1 pytest tests/clients/vscode.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from modelroute_testing.fakeprovider.script import Reply, ScriptedToolCall
from modelroute_testing.fakeprovider.server import FakeProvider
from tests.clients.artifacts import REPO, artifact_dir
from tests.clients.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tests.clients.editors import unavailable
from tests.clients.vscode import codeserver
from tests.clients.vscode.workbench import Workbench

pytestmark = pytest.mark.skipif(
    os.environ.get("MODELROUTE_VSCODE") != "1",
    reason="real VS Code tests are their own .ci/run stage: MODELROUTE_VSCODE=1 pytest tests/clients/vscode",
)

VSIX = Path(os.environ.get("MODELROUTE_VSIX") or REPO / "client-vscode" / "modelroute.vsix")
SERVER = Path(sys.executable).with_name("modelroute")
EXAMPLE = REPO / "examples" / "shop"
DIRECTIVE_FILE = "src/shop/users.py"
DIRECTIVE = "# move this into billing.py and update every caller AI!"
OLD = "        return total * 0.1 if user.email.endswith(\"@staff.example\") else 0.0"
# A correct edit: the workspace's own tests check it in the sandbox before it is offered.
NEW = "        return total * 0.1 if user.email.lower().endswith(\"@staff.example\") else 0.0"
KEY_VARIABLES = ("_API_KEY", "_BASE_URL")
# A quiet workbench: no welcome page, no chat panel, no gallery or update checks (there is no
# network), no trust prompt; modelroute.server.path as a user who installed with pipx sets it.
SETTINGS: dict[str, object] = {
    "workbench.startupEditor": "none",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "chat.disableAIFeatures": True,
    "security.workspace.trust.enabled": False,
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "files.autoSave": "off",
    "modelroute.server.path": str(SERVER),
}


def _requirements() -> codeserver.Install:
    install = codeserver.find_install()
    if install is None:
        pytest.skip(str(unavailable("code-server", f"bash {codeserver.INSTALL_SCRIPT}").kwargs["reason"]))
    if not VSIX.exists():
        pytest.skip(str(unavailable("the .vsix", "cd client-vscode && npm ci && npm run package").kwargs["reason"]))
    return install


@dataclass(frozen=True)
class Setup:
    """How a test's VS Code starts: with the two fake keys or none; with a ledger that cannot open."""

    keys: bool = True
    unreadable_ledger: bool = False


NO_KEYS = Setup(keys=False)


@dataclass
class Session:
    root: Path
    workspace: Path
    data: Path
    fake: FakeProvider
    workbench: Workbench

    def ledger_outcomes(self) -> list[tuple[str, str]]:
        with sqlite3.connect(self.data / "ledger.sqlite3") as db:
            return [(str(m), str(o)) for m, o in db.execute("SELECT model, outcome FROM runs ORDER BY started_at")]


def _environment(root: Path, fake: FakeProvider, keys: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(KEY_VARIABLES)}
    env.update(
        MODELROUTE_DATA_DIR=str(root / "data"),
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_DATA_HOME=str(root / "xdg-data"),
        XDG_CACHE_HOME=str(root / "cache"),
        ANTHROPIC_BASE_URL=fake.anthropic_base_url,
        OPENAI_BASE_URL=fake.openai_base_url,
    )
    if keys:
        env.update(ANTHROPIC_API_KEY="sk-ant-test-key", OPENAI_API_KEY="sk-test-key")
    return env


@pytest.fixture
def vscode(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Session]:
    """code-server with the .vsix on a copy of examples/shop, a fake provider, and a Chromium page."""
    install = _requirements()
    setup: Setup = getattr(request, "param", Setup())
    artifacts = artifact_dir("vscode", request.node.name)
    workspace = tmp_path / "shop"
    shutil.copytree(EXAMPLE, workspace)
    profile = codeserver.Profile.create(tmp_path / "profile", SETTINGS)
    with FakeProvider() as fake:
        env = _environment(tmp_path, fake, setup.keys)
        if setup.unreadable_ledger:  # a file where the data folder should be: the ledger cannot open
            (tmp_path / "data").write_text("not a folder\n")
        (artifacts / "install-extension.log").write_text(codeserver.install_extension(install, profile, VSIX, env))
        with codeserver.serve(install, profile, env, artifacts / "code-server.log") as running, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
            bench = Workbench(page, artifacts)
            try:
                bench.open_folder(running.folder_url(workspace))
                yield Session(tmp_path, workspace, tmp_path / "data", fake, bench)
            finally:
                bench.shot("end")
                _keep_logs(profile, artifacts)
                browser.close()


def _keep_logs(profile: codeserver.Profile, artifacts: Path) -> None:
    """The extension's output channel log, next to the screenshots."""
    for log in profile.user_data.glob("logs/*/exthost*/modelroute.modelroute/*.log"):
        shutil.copyfile(log, artifacts / f"output-{log.name}")


def _output_log(session: Session) -> list[str]:
    """The modelroute output channel as VS Code writes it to its log (one `[level]` per line)."""
    logs = sorted(session.root.glob("profile/user-data/logs/*/exthost*/modelroute.modelroute/*.log"))
    return [line for log in logs for line in log.read_text().splitlines()]


def _edit_reply() -> list[Reply]:
    call = ScriptedToolCall(
        name="propose_edit", arguments={"path": DIRECTIVE_FILE, "old_text": OLD, "new_text": NEW}
    )
    return [Reply(tool_calls=[call]), Reply(text="Staff addresses match in any letter case.", output_tokens=20)]


def test_lightbulb_run_apply_in_real_vscode(vscode: Session) -> None:
    bench = vscode.workbench
    vscode.fake.queue(*_edit_reply())
    bench.open_file("users.py")
    line = (vscode.workspace / DIRECTIVE_FILE).read_text().splitlines().index("        " + DIRECTIVE) + 1
    bench.go_to_line(line)
    bench.shot("directive")

    titles = bench.open_code_actions()
    bench.shot("lightbulb")
    priced = [t for t in titles if "~$" in t]
    assert len(priced) >= 2, titles
    assert titles[0] == priced[0] and "(multi-file refactor)" in priced[0], titles
    assert "Why this model?" in titles, titles

    bench.pick_action(priced[0])
    target = vscode.workspace / DIRECTIVE_FILE

    def offered() -> bool:
        return NEW.strip() in bench.editor_text() or bench.refactor_preview().count() > 0

    # The workspace has tests, so the run checks its result with them in the sandbox: that command is
    # asked like any other (not in the allow list), and the user lets it run.
    bench.wait_until("the check's question or the run's edit", lambda: offered() or bench.dialog().count() > 0,
                     timeout=90)
    if not offered():
        question = bench.dialog().inner_text()
        bench.shot("check-asked")
        assert "the check" in question and "pytest" in question, question
        bench.press_dialog_button("Run in sandbox")
    bench.wait_until("the run's edit (in the editor, or a Refactor Preview to confirm)", offered, timeout=90)
    bench.shot("edit-offered")
    if bench.refactor_preview().count() > 0:
        bench.press_preview_apply()
        bench.shot("preview-applied")
    bench.wait_until("the edit in the editor", lambda: bench.dirty_tabs() > 0 or NEW in target.read_text(), 30)
    if bench.dirty_tabs():
        bench.save()
    bench.wait_until("users.py saved with the edit", lambda: NEW in target.read_text(), 30)
    bench.shot("saved")

    assert OLD not in target.read_text()
    assert len(vscode.fake.model_requests()) == 2
    assert not [line for line in _output_log(vscode) if "[error]" in line], "errors in the modelroute output channel"
    bench.wait_until("the ledger row", lambda: bool(vscode.ledger_outcomes()), 30)
    [(model, outcome)] = vscode.ledger_outcomes()
    assert outcome == "applied", (model, outcome)
    assert model.startswith("claude-")


@pytest.mark.parametrize("vscode", [NO_KEYS], indirect=True, ids=["no-keys"])
def test_priced_actions_visible_without_keys(vscode: Session) -> None:
    """No API key at all: the lightbulb must still offer the priced models (VS Code hides disabled
    actions), and choosing one says which variable to set."""
    bench = vscode.workbench
    bench.open_file("users.py")
    line = (vscode.workspace / DIRECTIVE_FILE).read_text().splitlines().index("        " + DIRECTIVE) + 1
    bench.go_to_line(line)
    titles = bench.open_code_actions()
    bench.shot("lightbulb-no-keys")
    priced = [t for t in titles if "~$" in t]
    assert len(priced) >= 2, f"only {titles} in the lightbulb menu without keys"
    bench.pick_action(priced[0])
    bench.wait_until(
        "a message naming the key to set",
        lambda: any("_API_KEY" in m for m in bench.notifications()),
        timeout=60,
    )
    bench.shot("set-key-message")
    assert vscode.fake.model_requests() == []
    assert json.dumps(bench.notifications()).count("needs needs") == 0


NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Discounts by month"]},
        {
            "cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": [
                "totals = {m: sum(v) for m, v in sales.items()}\n",
                "# plot the totals by month as a bar chart AI!",
            ],
        },
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                 "language_info": {"name": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def test_notebook_cell_gets_priced_actions(vscode: Session) -> None:
    """A directive in a notebook cell (VS Code's built-in .ipynb editor) gets the priced actions."""
    bench = vscode.workbench
    (vscode.workspace / "analysis.ipynb").write_text(json.dumps(NOTEBOOK, indent=1))
    bench.open_file("analysis.ipynb")
    bench.click_cell_line("AI!")
    bench.shot("notebook-cell")
    titles = bench.open_code_actions()
    bench.shot("notebook-lightbulb")
    priced = [t for t in titles if "~$" in t]
    assert len(priced) >= 2 and "Why this model?" in titles, titles


@pytest.mark.parametrize("vscode", [NO_KEYS], indirect=True, ids=["no-keys"])
def test_why_this_model_opens_the_reasons(vscode: Session) -> None:
    """*Why this model?* opens the reasons as a document, worded for a reader ("needs X", never
    "needs: needs X")."""
    bench = vscode.workbench
    bench.open_file("users.py")
    line = (vscode.workspace / DIRECTIVE_FILE).read_text().splitlines().index("        " + DIRECTIVE) + 1
    bench.go_to_line(line)
    bench.open_code_actions()
    bench.pick_action("Why this model?")
    bench.wait_until("the reasons document", lambda: bench.editor_tab_count() >= 2, timeout=60)
    bench.shot("why-this-model")
    text = bench.visible_text()
    assert "## Why this model" in text and "refactor" in text, text[:2000]
    assert "needs: needs" not in text and "needs needs" not in text, text[:4000]


@pytest.mark.parametrize("vscode", [Setup(unreadable_ledger=True)], indirect=True, ids=["unreadable-ledger"])
def test_server_warnings_are_warnings_in_the_output_channel(vscode: Session) -> None:
    """A harmless server warning (the ledger cannot be read, so routing goes on without spend)
    reaches the modelroute output channel as [warning], not [error], and the actions still come."""
    bench = vscode.workbench
    bench.open_file("users.py")
    line = (vscode.workspace / DIRECTIVE_FILE).read_text().splitlines().index("        " + DIRECTIVE) + 1
    bench.go_to_line(line)
    titles = bench.open_code_actions()
    assert any("~$" in t for t in titles), titles
    bench.wait_until("the server's warning in the output channel",
                     lambda: any("ledger unreadable" in entry for entry in _output_log(vscode)), 60)
    warned = [entry for entry in _output_log(vscode) if "ledger unreadable" in entry]
    assert all("[warning]" in entry for entry in warned), warned
    # An unreadable ledger is bad input, not a crash: modelroute.status (the status bar asks for
    # it) must answer with a clear error, not an internal exception and its traceback (lsp/spend.py
    # answers with `ledger_error`; the status bar says "spend unknown").
    errors = [entry for entry in _output_log(vscode) if "[error]" in entry]
    assert not errors, "\n".join(errors[:12])
