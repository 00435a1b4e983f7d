"""The runner's pure helpers: output capping, the escalation rule, the "always" store, the env scrub."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelroute.policy import resolve_settings
from modelroute.policy.schema import SandboxSettings, Settings
from modelroute.run.approval import (
    AlwaysStore,
    cap_output,
    sandboxed_settings,
    scrubbed_env,
    short,
    unsandboxed_allowed,
)


def test_cap_output_keeps_head_and_tail_and_says_what_was_cut() -> None:
    text = "".join(f"line {i}\n" for i in range(10_000))
    capped = cap_output(text, 3000)
    assert capped.startswith("line 0\n") and capped.endswith("line 9999\n")
    assert "characters cut" in capped and len(capped) < 3100
    assert cap_output("short", 3000) == "short"


def test_short_escapes_and_clips() -> None:
    assert short("echo \x1b[31mred\u202e") == "echo \\x1b[31mred\\u202e"
    assert short("x" * 500).endswith("…") and len(short("x" * 500)) == 60


def test_mode_off_still_means_a_sandbox_for_run_in_sandbox() -> None:
    assert sandboxed_settings(SandboxSettings(mode="off", network=True)).mode == "workspace-write"
    assert sandboxed_settings(SandboxSettings(mode="read-only")).mode == "read-only"


def _resolved(tmp_path: Path, user: str, workspace: str = "") -> tuple[Settings, Path]:
    user_file = tmp_path / "config.toml"
    user_file.write_text(user)
    ws_file = tmp_path / ".modelroute.toml"
    ws_file.write_text(workspace)
    return resolve_settings(user_file=user_file, workspace_file=ws_file, client=None).settings, user_file


@pytest.mark.parametrize(
    ("user", "workspace", "allowed"),
    [
        ('[sandbox]\nmode = "off"\n', "", True),
        ("", '[sandbox]\nmode = "off"\n', False),  # the repository cannot ask for it
        ('[sandbox]\nmode = "off"\n', '[sandbox]\nmode = "read-only"\n', False),  # narrowed
        ("", "", False),
    ],
)
def test_run_without_sandbox_only_from_the_user_file(tmp_path: Path, user: str, workspace: str, allowed: bool) -> None:
    settings, user_file = _resolved(tmp_path, user, workspace)
    assert unsandboxed_allowed(settings, user_file) is allowed


def test_settings_saying_off_are_not_enough_when_the_user_file_does_not(tmp_path: Path) -> None:
    user_file = tmp_path / "config.toml"
    user_file.write_text("")
    forged = Settings(sandbox=SandboxSettings(mode="off"))  # e.g. assembled by a caller, not the loader
    assert unsandboxed_allowed(forged, user_file) is False
    assert unsandboxed_allowed(forged, None) is False


def test_always_store_persists_per_workspace(tmp_path: Path) -> None:
    store = AlwaysStore(tmp_path / "data" / "always-allow.json")
    assert store.load() == {}
    store.add(Path("/w/one"), "pytest")
    store.add(Path("/w/one"), "pytest")
    store.add(Path("/w/two"), "npm test")
    assert AlwaysStore(store.path).load() == {"/w/one": ["pytest"], "/w/two": ["npm test"]}
    assert oct(store.path.stat().st_mode & 0o777) == "0o600"
    store.path.write_text("{not json")
    assert store.load() == {}  # a broken file allows nothing


def test_scrubbed_env_drops_secret_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_x")
    monkeypatch.setenv("DB_PASSWORD", "hunter2")
    monkeypatch.setenv("LANG", "C.UTF-8")
    env = scrubbed_env()
    assert not {"OPENAI_API_KEY", "GITHUB_TOKEN", "DB_PASSWORD"} & env.keys()
    assert env["LANG"] == "C.UTF-8"
