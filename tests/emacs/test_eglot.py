"""Emacs eglot (Debian's emacs-nox + elpa-eglot 1.9) runs the set-up of docs/clients/emacs.md
headless: priced code actions on a directive, the routed one run through the fake provider (real
SDKs over HTTP) editing the buffer, then `M-x modelroute-route` doing the same."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.clients.editors import which
from tests.clients.headless import (
    FIRST_EDIT,
    SECOND_EDIT,
    edit_replies,
    environment,
    ledger_outcomes,
    workspace,
)
from tests.fakeprovider.server import FakeProvider

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
EMACS, NEEDS_EMACS = which("emacs", "apt-get install emacs-nox elpa-eglot")
PRICED = re.compile(r"^\w[\w ]* with .+ · ~\$[0-9.]+ \(.+\)$")


def documented_elisp(heading: str) -> str:
    """The first elisp block under `heading` in docs/clients/emacs.md."""
    text = (ROOT / "docs" / "clients" / "emacs.md").read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```elisp\n(.*?)```", section, flags=re.S)
    assert blocks, f"docs/clients/emacs.md has an elisp block under {heading!r}"
    return str(blocks[0])


def run_emacs(tmp_path: Path, script: Path, init: str) -> tuple[str, Path]:
    """`emacs --batch` with the documented init and a driver; returns its output and the file."""
    source = workspace(tmp_path / "ws")
    init_file = tmp_path / "modelroute-init.el"
    init_file.write_text(init, encoding="utf-8")
    with FakeProvider() as fake:
        rel = str(source.relative_to(tmp_path / "ws"))
        fake.queue(*edit_replies(rel, *FIRST_EDIT), *edit_replies(rel, *SECOND_EDIT))
        env = environment(tmp_path, fake)
        env.update(MODELROUTE_INIT=str(init_file), MODELROUTE_FILE=str(source))
        done = subprocess.run(
            [str(EMACS), "--batch", "--no-init-file", "-l", str(script)],
            env=env, cwd=source.parent, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
        )
        requests = fake.model_requests()
    out = done.stdout + done.stderr
    assert done.returncode == 0 and "RESULT ok" in out, out[-4000:]
    assert len(requests) == 4, requests
    return out, source


def lines(out: str, tag: str) -> list[str]:
    return [line[len(tag) + 1:] for line in out.splitlines() if line.startswith(tag + " ")]


@NEEDS_EMACS
def test_eglot_documented_setup_runs_the_routed_model(tmp_path: Path) -> None:
    out, _ = run_emacs(tmp_path, HERE / "test.el", documented_elisp("## `init.el`"))
    titles = lines(out, "ACTION")
    priced = [t for t in titles if PRICED.match(t)]
    assert len(priced) >= 2 and titles[0] == priced[0], titles
    assert "Why this model?" in titles, titles
    choices = lines(out, "CHOICE")
    assert choices and "(routed)" in choices[0], choices
    buffer = lines(out, "BUFFER")
    assert FIRST_EDIT[1] in buffer and SECOND_EDIT[1] in buffer, buffer
    assert ledger_outcomes(tmp_path) == ["applied", "applied"]
