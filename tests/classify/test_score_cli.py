"""`python -m modelroute.classify score FILE.jsonl`: the command the blind set is scored with."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from modelroute.classify.__main__ import main


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_score_prints_accuracy_macro_f1_and_confusion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"text": "Rename UserService to AccountService in every file that imports it",
             "label": "multi_file_refactor"},
            {"text": "Write a bash script that backs up /var/www every night", "label": "shell_automation"},
            {"text": "What does the walrus operator do in Python?", "label": "explain"},
            {"text": "Build a landing page for a bakery", "label": "code_review"}]  # one deliberate miss
    assert main(["score", str(_write(tmp_path / "set.jsonl", rows)), "--misses"]) == 0
    out = capsys.readouterr().out
    assert "accuracy 0.750 (3/4)" in out and "macro-F1" in out and "expected calibration error" in out
    assert "| want \\ got |" in out and "MISS set.jsonl:4 want code_review got ui_greenfield" in out


def test_score_refuses_a_bad_record_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "x", "label": "explain"}\n{"text": "y", "label": "poetry"}\n', encoding="utf-8")
    assert main(["score", str(path)]) == 2
    assert "bad.jsonl:2" in capsys.readouterr().err


def test_the_module_runs_as_a_command(tmp_path: Path) -> None:
    path = _write(tmp_path / "one.jsonl", [{"text": "add type hints to parse_config", "label": "quick_edit"}])
    proc = subprocess.run([sys.executable, "-m", "modelroute.classify", "score", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "accuracy 1.000 (1/1)" in proc.stdout
    check = subprocess.run([sys.executable, "-m", "modelroute.classify", "check"],
                           capture_output=True, text=True, timeout=120, check=False)
    assert check.returncode == 0 and "matches" in check.stdout
