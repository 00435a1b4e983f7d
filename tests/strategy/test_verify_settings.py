"""The [verify] settings section and its safety rule: a workspace file may only narrow it."""

from __future__ import annotations

from pathlib import Path

from modelroute.policy import resolve_settings, vscode_configuration
from modelroute.policy.schema import Settings


def _resolve(tmp_path: Path, workspace: str, user: str = "") -> tuple[Settings, list[str]]:
    user_file = tmp_path / "user.toml"
    user_file.write_text(user, encoding="utf-8")
    workspace_file = tmp_path / ".modelroute.toml"
    workspace_file.write_text(workspace, encoding="utf-8")
    resolved = resolve_settings(user_file=user_file, workspace_file=workspace_file, client=None)
    assert resolved.errors == []
    return resolved.settings, [f"{w.key}:{w.line}" for w in resolved.warnings]


def test_defaults_protect_tests_and_detect_the_command() -> None:
    verify = Settings().verify
    assert verify.command is None and verify.lint is None
    assert verify.protect_tests is True and verify.timeout_s == 600


def test_workspace_may_set_its_command_and_narrow(tmp_path: Path) -> None:
    text = '[verify]\ncommand = "make check"\ntimeout_s = 60\nlint = "ruff check ."\n'
    settings, warnings = _resolve(tmp_path, text)
    assert warnings == []
    verify = settings.verify
    assert (verify.command, verify.timeout_s, verify.lint) == ("make check", 60, "ruff check .")


def test_workspace_may_not_turn_the_tamper_guard_off(tmp_path: Path) -> None:
    settings, warnings = _resolve(tmp_path, "[verify]\nprotect_tests = false\n")
    assert settings.verify.protect_tests is True
    assert warnings == ["verify.protect_tests:2"]


def test_workspace_may_not_lengthen_the_timeout(tmp_path: Path) -> None:
    settings, warnings = _resolve(tmp_path, "[verify]\ntimeout_s = 99999\n")
    assert settings.verify.timeout_s == 600 and warnings == ["verify.timeout_s:2"]


def test_the_user_file_may_turn_the_guard_off(tmp_path: Path) -> None:
    settings, warnings = _resolve(tmp_path, "", user="[verify]\nprotect_tests = false\n")
    assert settings.verify.protect_tests is False and warnings == []


def test_vscode_keeps_verify_to_user_settings() -> None:
    # A repository's .vscode/settings.json reaches the server too: it must not switch the guard off.
    props = vscode_configuration()["properties"]
    assert props["modelroute.verify.protect_tests"]["scope"] == "machine"
    assert props["modelroute.verify.command"]["scope"] == "machine"
