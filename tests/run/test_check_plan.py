"""Which check a run uses: given, configured, detected, or none when detection is turned off."""

from __future__ import annotations

from pathlib import Path

from modelroute.policy.schema import Settings
from modelroute.run.check import check_plan


def _python_project(root: Path) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_a.py").write_text("def test_a():\n    assert True\n")
    (root / "pyproject.toml").write_text('[project]\nname = "a"\n\n[tool.pytest.ini_options]\npythonpath = ["src"]\n')
    return root


def test_detected_by_default(tmp_path: Path) -> None:
    plan = check_plan(_python_project(tmp_path), Settings(), "python")
    assert plan.text is not None and "pytest" in plan.text


def test_detect_false_means_no_check_unless_one_is_set(tmp_path: Path) -> None:
    root = _python_project(tmp_path)
    off = Settings.model_validate({"verify": {"detect": False}})
    assert check_plan(root, off, "python").command is None
    configured = Settings.model_validate({"verify": {"detect": False, "command": "make check"}})
    assert check_plan(root, configured, "python").text == "make check"
    given = check_plan(root, off, "python", given="pytest -x")
    assert given.text == "pytest -x" and given.given
