"""A real Vim (Debian's vim-nox 9.0) with ALE (Debian's vim-ale 3.3) runs the set-up of
docs/clients/vim.md word for word, inside tmux: keys go in with send-keys and the screen is read
with capture-pane, as a user types and reads. `:ALECodeAction` on a directive must list the priced
models, typing 1 runs the routed one through the fake provider (real SDKs over HTTP), the edit
lands in the buffer and `:w` saves it.

ALE applies a server's `workspace/applyEdit` but never answers it (it advertises `applyEdit:
false`), so the server cannot learn from an answer that the edit was applied. What it must not do
is wait for that answer for ever: the run has to settle its ledger row (not leave it `pending`,
holding its budget reservation). The server settles it when ALE's didChange shows the edit
(lsp/editor.py), or after `run.apply_timeout_s`."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from modelroute_testing.fakeprovider.server import FakeProvider
from tests.clients.artifacts import REPO, artifact_dir
from tests.clients.editors import unavailable, which
from tests.clients.headless import (
    DIRECTIVE_LINE,
    FIRST_EDIT,
    assert_priced_menu,
    edit_replies,
    environment,
    ledger_outcomes,
    workspace,
)

DOC = REPO / "docs" / "clients" / "vim.md"
VIM, NEEDS_VIM = which("vim", "apt-get install vim-nox")
TMUX, NEEDS_TMUX = which("tmux", "apt-get install tmux")
ALE = Path("/usr/share/vim/vimfiles/pack/dist-bundle/opt/ale")
NEEDS_ALE = (
    pytest.mark.skipif(False, reason="vim-ale is installed")
    if ALE.exists()
    else unavailable("vim-ale", "apt-get install vim-ale")
)
# What every vimrc has before a plugin's lines; the rest is the doc's block, word for word.
VIMRC_HEAD = "set nocompatible\nfiletype plugin indent on\nsyntax on\n"
MENU_ENTRY = re.compile(r"^\d+\) (.+?)\s*$")


def documented_vimrc() -> str:
    blocks = re.findall(r"```vim\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 1, "docs/clients/vim.md has one vim block"
    return VIMRC_HEAD + str(blocks[0])


class Terminal:
    """One tmux session on a private socket: keys in, screen out."""

    def __init__(self, socket: Path, artifacts: Path) -> None:
        self.socket = socket
        self.artifacts = artifacts
        self.screens = 0

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            [str(TMUX), "-S", str(self.socket), *args], capture_output=True, text=True, timeout=30, check=True
        )
        return done.stdout

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "vim", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "vim")

    def save_screen(self, name: str) -> str:
        self.screens += 1
        text = self.screen()
        (self.artifacts / f"{self.screens:02d}-{name}.txt").write_text(text)
        return text

    def wait_for(self, what: str, check: Callable[[str], bool], timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if check(text):
                return text
            time.sleep(0.2)
        text = self.save_screen("timeout")
        raise AssertionError(f"timed out waiting for {what}; the screen:\n{text}")


@contextmanager
def vim_in_tmux(tmp: Path, env: dict[str, str], vimrc: Path, file: Path, artifacts: Path) -> Iterator[Terminal]:
    socket = tmp / "tmux.sock"
    term = Terminal(socket, artifacts)
    command = f"{VIM} -u {vimrc} -i NONE {file}"
    subprocess.run(
        [str(TMUX), "-S", str(socket), "-f", "/dev/null", "new-session", "-d", "-s", "vim", "-x", "160", "-y", "48",
         "-c", str(file.parent), command],
        env=env, check=True, timeout=30,
    )
    try:
        yield term
    finally:
        term.save_screen("end")
        subprocess.run([str(TMUX), "-S", str(socket), "kill-server"], capture_output=True, timeout=90)


@NEEDS_VIM
@NEEDS_TMUX
@NEEDS_ALE
def test_ale_documented_setup_runs_the_routed_model(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    artifacts = artifact_dir("vim", request.node.name)
    source = workspace(tmp_path / "ws")
    vimrc = tmp_path / "vimrc"
    vimrc.write_text(documented_vimrc())
    with FakeProvider() as fake:
        fake.queue(*edit_replies("app/store.py", *FIRST_EDIT))
        env = environment(tmp_path, fake)
        env["TERM"] = "xterm-256color"
        with vim_in_tmux(tmp_path, env, vimrc, source, artifacts) as term:
            term.wait_for("Vim to show the file", lambda s: "AI!" in s, timeout=90)
            term.keys(f":{DIRECTIVE_LINE}", "Enter")
            term.keys(":ALECodeAction", "Enter")
            menu = term.wait_for("ALE's code action list", lambda s: "Type number and <Enter>" in s)
            term.save_screen("code-actions")
            assert_priced_menu([m.group(1) for line in menu.splitlines() if (m := MENU_ENTRY.match(line.strip()))])
            term.keys("1", "Enter")
            term.wait_for("the run's edit in the buffer", lambda s: FIRST_EDIT[1] in s, timeout=90)
            term.save_screen("edited")
            term.keys(":w", "Enter")
            deadline = time.monotonic() + 30
            while FIRST_EDIT[1] not in source.read_text() and time.monotonic() < deadline:
                time.sleep(0.2)
            settled = time.monotonic() + 60
            while ledger_outcomes(tmp_path) in ([], ["pending"]) and time.monotonic() < settled:
                time.sleep(0.5)
        requests = fake.model_requests()
    assert FIRST_EDIT[1] in source.read_text()
    assert len(requests) == 2, requests
    [outcome] = ledger_outcomes(tmp_path)
    assert outcome != "pending", "the run still waits for an answer ALE never sends to workspace/applyEdit"
    assert outcome == "applied", "ALE's didChange showed the edit: the run counts as applied (docs/clients/vim.md)"
