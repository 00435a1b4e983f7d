"""A broken `.modelroute.toml` stops `modelroute route` with exit 2 and `path:line:col: error: key: ...`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

MODELROUTE = Path(sys.executable).with_name("modelroute")
CASES = {
    "bad-toml": ('objective = "cost"\n[budget\ndaily_usd = 3\n', 2, None, "TOML syntax"),
    "wrong-type": ('objective = "cost"\n\n[budget]\ndaily_usd = "lots"\n', 4, "budget.daily_usd", "valid number"),
    "unknown-key": ('[privacy]\nexclud = [".env"]\n', 2, "privacy.exclud", "unknown key"),
    "bad-enum": ('[sandbox]\nmode = "yolo"\n', 2, "sandbox.mode", "read-only"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_route_exits_2_with_a_positioned_error(case: str, tmp_path: Path) -> None:
    text, line, key, words = CASES[case]
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("x = 1\n")
    settings = tmp_path / ".modelroute.toml"
    settings.write_text(text)
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    proc = subprocess.run([str(MODELROUTE), "route", "--workspace", str(tmp_path), "--file", "src/a.py"],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    first = proc.stderr.splitlines()[0]
    match = re.fullmatch(rf"{re.escape(str(settings))}:(\d+):(\d+): error: (.+)", first)
    assert match, first
    assert int(match.group(1)) == line and int(match.group(2)) >= 1
    message = match.group(3)
    if key is not None:
        assert message.startswith(f"{key}: "), message
    assert words in message, message
    assert "Traceback" not in proc.stderr
