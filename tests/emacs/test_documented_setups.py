"""Emacs runs both set-ups of docs/clients/emacs.md headless, word for word: eglot (Debian's
emacs-nox + elpa-eglot 1.9) and lsp-mode (elpa-lsp-mode 8.0). Each gets the priced code actions on
a directive and runs the routed one through the fake provider (real SDKs over HTTP), which edits
the buffer and leaves `applied` in the ledger; with eglot, `M-x modelroute-route` does the same."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from tests.clients.editors import unavailable, which
from tests.clients.headless import (
    FIRST_EDIT,
    SECOND_EDIT,
    assert_priced_menu,
    edit_replies,
    environment,
    ledger_outcomes,
    workspace,
)

from modelroute_testing.fakeprovider.server import FakeProvider

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
EMACS, NEEDS_EMACS = which("emacs", "apt-get install emacs-nox elpa-eglot elpa-lsp-mode")
ELPA = Path("/usr/share/emacs/site-lisp/elpa")


def elpa_package(name: str) -> pytest.MarkDecorator:
    """Debian's elpa-NAME, where `emacs --no-init-file` finds it (not -Q, which hides it)."""
    if any(ELPA.glob(f"{name}-[0-9]*")):
        return pytest.mark.skipif(False, reason=f"elpa-{name} is installed")
    return unavailable(f"elpa-{name}", f"apt-get install elpa-{name}")




def documented_elisp(heading: str) -> str:
    """The first elisp block under `heading` in docs/clients/emacs.md."""
    text = (ROOT / "docs" / "clients" / "emacs.md").read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```elisp\n(.*?)```", section, flags=re.S)
    assert blocks, f"docs/clients/emacs.md has an elisp block under {heading!r}"
    return str(blocks[0])


def run_emacs(tmp_path: Path, script: Path, init: str, runs: int) -> tuple[str, Path]:
    """`emacs --batch` with the documented init and a driver; returns its output and the file."""
    source = workspace(tmp_path / "ws")
    init_file = tmp_path / "modelroute-init.el"
    init_file.write_text(init, encoding="utf-8")
    with FakeProvider() as fake:
        rel = str(source.relative_to(tmp_path / "ws"))
        fake.queue(*edit_replies(rel, *FIRST_EDIT), *edit_replies(rel, *SECOND_EDIT)[: 2 * runs])
        env = environment(tmp_path, fake)
        env.update(MODELROUTE_INIT=str(init_file), MODELROUTE_FILE=str(source), MODELROUTE_ROOT=str(source.parents[1]))
        done = subprocess.run(
            [str(EMACS), "--batch", "--no-init-file", "-l", str(script)],
            env=env, cwd=source.parent, capture_output=True, text=True, timeout=400, stdin=subprocess.DEVNULL,
        )
        requests = fake.model_requests()
    out = done.stdout + done.stderr
    assert done.returncode == 0 and "RESULT ok" in out, out[-4000:]
    assert len(requests) == 2 * runs, requests
    return out, source


def lines(out: str, tag: str) -> list[str]:
    return [line[len(tag) + 1:] for line in out.splitlines() if line.startswith(tag + " ")]


@NEEDS_EMACS
@elpa_package("eglot")
def test_eglot_documented_setup_runs_the_routed_model(tmp_path: Path) -> None:
    out, _ = run_emacs(tmp_path, HERE / "test.el", documented_elisp("## `init.el`"), runs=2)
    assert_priced_menu(lines(out, "ACTION"))
    choices = lines(out, "CHOICE")
    assert choices and "(routed)" in choices[0], choices
    buffer = lines(out, "BUFFER")
    assert FIRST_EDIT[1] in buffer and SECOND_EDIT[1] in buffer, buffer
    assert ledger_outcomes(tmp_path) == ["applied", "applied"]


@NEEDS_EMACS
@elpa_package("lsp-mode")
def test_lsp_mode_documented_setup_runs_the_routed_model(tmp_path: Path) -> None:
    """Debian's elpa-lsp-mode 8.0 with the lsp-mode section of the doc."""
    out, _ = run_emacs(tmp_path, HERE / "lsp-mode-test.el", documented_elisp("## lsp-mode"), runs=1)
    assert_priced_menu(lines(out, "ACTION"))
    buffer = lines(out, "BUFFER")
    assert FIRST_EDIT[1] in buffer, buffer
    assert ledger_outcomes(tmp_path) == ["applied"]
