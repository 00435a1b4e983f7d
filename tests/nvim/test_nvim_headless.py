"""A real Neovim (Debian's 0.7.2 and PyPI's 0.11.4, headless) drives `modelroute serve` over stdio."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from tests.clients.editors import neovims

from modelroute_testing.env import scrubbed_env

LUA = Path(__file__).with_name("code_actions.lua")
PRICED = re.compile(r"^[A-Z][\w ]* with .+ · (~\$[0-9.]+|\$0|<\$0\.0001) \([a-z -]+\)")
FILES = {
    "app/store.py": "import json\n\n\ndef load(path):\n    # add type hints and a docstring AI!\n"
    "    with open(path) as f:\n        return json.load(f)\n",
    "scripts/build.sh": "#!/bin/sh\n# write a Dockerfile and a Makefile that build and test this AI!\necho hi\n",
}


@pytest.mark.parametrize("nvim", neovims())
@pytest.mark.parametrize(("rel", "line"), [("app/store.py", 4), ("scripts/build.sh", 1)])
def test_neovim_gets_priced_code_actions(nvim: Path, tmp_path: Path, rel: str, line: int) -> None:
    root = tmp_path / "ws"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    out = tmp_path / "result.json"
    home = Path(tempfile.mkdtemp(prefix="modelroute-nvim-"))
    env = scrubbed_env()
    env.update(
        MR_ROOT=str(root),
        MR_FILE=rel,
        MR_LINE=str(line),
        MR_OUT=str(out),
        MR_CMD=json.dumps([sys.executable, "-m", "modelroute.lsp.main"]),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
    )
    proc = subprocess.run(
        [str(nvim), "--headless", "--clean", "-u", "NONE", "-c", f"luafile {LUA}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=200,
        cwd=root,
    )
    assert out.exists(), f"nvim wrote no result (exit {proc.returncode}): {proc.stderr[-2000:]}"
    result = json.loads(out.read_text())
    assert proc.returncode == 0 and result["ok"], result
    titles = result["titles"]
    assert titles[-1] == "Why this model?"
    priced = titles[:-1]
    assert len(priced) >= 2 and all(PRICED.match(t) for t in priced), titles
    assert result["picked"] == priced[0]
    if rel.endswith(".sh"):
        assert "(shell automation)" in priced[0]
