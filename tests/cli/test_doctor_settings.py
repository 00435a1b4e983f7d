"""`modelroute doctor` on settings files: "ok" only for a file that exists and loads; a missing file
is reported as optional (built-in defaults apply), a broken one fails with file and line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from modelroute_testing.env import scrubbed_env, user_dirs


def settings_findings(workspace: Path, home: Path) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run(
        [sys.executable, "-m", "modelroute", "doctor", "--workspace", str(workspace), "--json"],
        capture_output=True, text=True, timeout=120, env=scrubbed_env(**user_dirs(home)),
    )  # fmt: skip
    report = json.loads(done.stdout)
    return done.returncode, [f for f in report["findings"] if f["area"] == "settings"]


def test_missing_files_are_optional_never_ok(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    _, found = settings_findings(workspace, tmp_path / "home")
    assert [(f["name"], f["ok"], f["optional"]) for f in found] == [
        ("user file", False, True),
        ("workspace file", False, True),
    ]
    assert all("not found (optional; built-in defaults apply)" in f["detail"] for f in found)
    assert str(workspace / ".modelroute.toml") in found[1]["detail"]


def test_existing_files_are_loaded(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / ".modelroute.toml").write_text('objective = "cost"\n')
    user = tmp_path / "home" / "config" / "modelroute" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('objective = "quality"\n')
    _, found = settings_findings(workspace, tmp_path / "home")
    assert [(f["name"], f["ok"], f["detail"]) for f in found] == [
        ("user file", True, f"{user}: loaded"),
        ("workspace file", True, f"{workspace / '.modelroute.toml'}: loaded"),
    ]


def test_a_broken_file_fails_with_its_line(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / ".modelroute.toml").write_text('objective = "cost"\n[budget\n')
    code, found = settings_findings(workspace, tmp_path / "home")
    assert code == 1
    failed = [f for f in found if not f["ok"] and not f["optional"]]
    assert failed and ".modelroute.toml" in failed[0]["detail"] and ":2" in failed[0]["detail"]
