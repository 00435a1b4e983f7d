"""`modelroute route` on the example workspace: the contract's keys, notes, and clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from modelroute_testing.env import scrubbed_env

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "examples" / "shop"


def route(*args: str) -> subprocess.CompletedProcess[str]:
    return modelroute("route", *args)


def modelroute(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line with no provider key, user state in the session's folders (tests/conftest.py)."""
    return subprocess.run([sys.executable, "-m", "modelroute", *args], capture_output=True, text=True,
                          timeout=120, env=scrubbed_env())


def test_json_contract_and_clamped_position_note() -> None:
    proc = route("--workspace", str(SHOP), "--file", "src/shop/api.py", "--line", "999",
                 "--instruction", "what does quote return?", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["category"] == "explain"
    assert {"confidence", "model", "provider", "estimated_cost_usd", "estimated_cost_range_usd",
            "estimated_tokens", "alternatives", "reasons"} <= out.keys()
    assert len(out["alternatives"]) >= 2
    assert any("moved to" in n for n in out["notes"])


def test_readable_table_names_the_choice_and_what_to_set() -> None:
    proc = route("--workspace", str(SHOP), "--file", "src/shop/users.py", "--line", "17", "--character", "8",
                 "--instruction", "move discount_for into billing.py and update every caller")
    assert proc.returncode == 0, proc.stderr
    assert "Refactor with" in proc.stdout and "multi_file_refactor" in proc.stdout
    assert "needs" in proc.stdout  # no key in this environment: the table says what to set


@pytest.mark.parametrize(("file", "message"), [
    ("nope.py", "file not found"),
    ("src", "is a folder"),
    ("../../README.md", "outside the workspace"),
])
def test_bad_paths_exit_2_with_a_clear_message(file: str, message: str) -> None:
    proc = route("--workspace", str(SHOP), "--file", file, "--instruction", "x")
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_missing_workspace_and_bad_diagnostics_file(tmp_path: Path) -> None:
    proc = route("--workspace", str(tmp_path / "none"), "--file", "a.py", "--instruction", "x")
    assert proc.returncode == 2 and "is not a folder" in proc.stderr
    bad = tmp_path / "diag.json"
    bad.write_text("{not json")
    proc = route("--workspace", str(SHOP), "--file", "src/shop/api.py", "--diagnostics", str(bad),
                 "--instruction", "fix it")
    assert proc.returncode == 2 and "LSP Diagnostic" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(("flag", "value"), [("--line", "-1"), ("--character", "-4"), ("--end-line", "-2"),
                                             ("--end-character", "-1")])
def test_negative_positions_are_refused_not_clamped(flag: str, value: str) -> None:
    extra = ["--end-line", "3"] if flag == "--end-character" else []
    proc = route("--workspace", str(SHOP), "--file", "src/shop/api.py", flag, value, *extra, "--instruction", "x")
    assert proc.returncode == 2 and proc.stdout == ""
    assert f"argument {flag}: must be 0 or more" in proc.stderr and "Traceback" not in proc.stderr


def test_a_position_that_is_not_a_number_is_refused() -> None:
    proc = route("--workspace", str(SHOP), "--file", "src/shop/api.py", "--line", "ten", "--instruction", "x")
    assert proc.returncode == 2 and "argument --line: expected a whole number, got 'ten'" in proc.stderr


def test_end_character_without_end_line_is_refused() -> None:
    proc = route("--workspace", str(SHOP), "--file", "src/shop/api.py", "--end-character", "4", "--instruction", "x")
    assert proc.returncode == 2 and "--end-character needs --end-line" in proc.stderr


def test_help_speaks_to_users() -> None:
    proc = modelroute("--help")
    assert proc.returncode == 0
    assert "modelroute serve" in proc.stdout and "modelroute route" in proc.stdout and "exit codes" in proc.stdout
    for internal in ("DESIGN", "lazily", "Subcommands import"):
        assert internal not in proc.stdout
