"""Merge order across the four sources, previous settings, user_config_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from modelroute.policy import CLIENT_SOURCE, Settings, resolve_settings, user_config_path

Write = Callable[[str, str], Path]


def test_four_sources_in_order(write: Write) -> None:
    user = write(
        "user.toml",
        'objective = "quality"\n[budget]\ndaily_usd = 10\nmonthly_usd = 100\n'
        '[models]\nallow = ["claude-*", "gpt-5*"]\n[run]\nmax_turns = 4\n',
    )
    ws = write(
        ".modelroute.toml",
        '[budget]\ndaily_usd = 5\n[models]\nallow = ["claude-opus-*"]\n'
        '[route.debugging]\nprefer = ["gpt-5.3-codex"]\n',
    )
    client = {"objective": "cost", "route": {"debugging": {"pin": "kimi-k2.5"}}}
    resolved = resolve_settings(user_file=user, workspace_file=ws, client=client)
    s = resolved.settings
    assert resolved.errors == [] and resolved.warnings == []
    assert s.objective == "cost"  # client beats user
    assert (s.budget.daily_usd, s.budget.monthly_usd, s.budget.per_request_usd) == (5, 100, 2.0)
    assert s.models.allow == ["claude-opus-*"]  # lists replace (a workspace list only if it narrows)
    assert s.route.debugging.pin == "kimi-k2.5" and s.route.debugging.prefer == ["gpt-5.3-codex"]
    assert s.run.max_turns == 4
    assert resolved.sources["objective"] == CLIENT_SOURCE
    assert resolved.sources["budget.daily_usd"] == str(ws)
    assert resolved.sources["budget.monthly_usd"] == str(user)
    assert "budget.per_request_usd" not in resolved.sources


def test_missing_files_give_defaults(tmp_path: Path) -> None:
    resolved = resolve_settings(
        user_file=tmp_path / "nope.toml", workspace_file=tmp_path / "x.toml", client=None
    )
    assert resolved.ok and resolved.settings == Settings()


def test_vscode_flat_client_with_nulls(write: Write) -> None:
    ws = write(".modelroute.toml", 'objective = "cost"\n')
    client = {"modelroute.objective": None, "budget.daily_usd": 3, "sandbox": {"mode": None}}
    s = resolve_settings(user_file=None, workspace_file=ws, client=client).settings
    assert s.objective == "cost" and s.budget.daily_usd == 3 and s.sandbox.mode == "workspace-write"


def test_invalid_layer_is_left_out_whole_others_apply(write: Write) -> None:
    user = write("user.toml", 'objective = "quality"\n[budget]\ndaily_usd = 7\n')
    ws = write(".modelroute.toml", '[budget]\ndaily_usd = 1\nmonthly_usd = "x"\n')
    resolved = resolve_settings(user_file=user, workspace_file=ws, client={"run": {"max_turns": 3}})
    assert [e.key for e in resolved.errors] == ["budget.monthly_usd"]
    assert resolved.settings.budget.daily_usd == 7  # none of the bad file applies
    assert resolved.settings.objective == "quality" and resolved.settings.run.max_turns == 3
    assert not resolved.kept_previous


def test_previous_settings_stay_in_force(write: Write) -> None:
    previous = Settings(objective="cost")
    ws = write(".modelroute.toml", "[budget\n")
    resolved = resolve_settings(user_file=None, workspace_file=ws, client=None, previous=previous)
    assert resolved.settings is previous and resolved.kept_previous and len(resolved.errors) == 1
    ok = write(".modelroute.toml", 'objective = "quality"\n')
    again = resolve_settings(user_file=None, workspace_file=ok, client=None, previous=previous)
    assert again.settings.objective == "quality" and not again.kept_previous


def test_previous_kept_on_bad_client_too() -> None:
    previous = Settings(objective="cost")
    resolved = resolve_settings(
        user_file=None, workspace_file=None, client={"objectiv": "x"}, previous=previous
    )
    assert resolved.settings is previous
    assert resolved.errors[0].message == "unknown key 'objectiv'; did you mean 'objective'?"


def test_later_layer_can_complete_an_earlier_table(write: Write) -> None:
    user = write("user.toml", '[models.add.local-coder]\nprovider = "ollama"\n')
    ws = write(".modelroute.toml", "[models.add.local-coder]\ncontext_window = 32000\n")
    s = resolve_settings(user_file=user, workspace_file=ws, client=None).settings
    assert s.models.add["local-coder"].provider == "ollama"
    assert s.models.add["local-coder"].context_window == 32000


def test_user_config_path_honours_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert user_config_path() == tmp_path / "modelroute" / "config.toml"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert user_config_path() == tmp_path / ".config" / "modelroute" / "config.toml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert user_config_path() == tmp_path / ".config" / "modelroute" / "config.toml"
