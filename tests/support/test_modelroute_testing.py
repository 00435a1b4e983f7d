"""The shared test support: the one key-scrubbing rule and the session-wide isolation."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from modelroute.catalog import default_providers
from modelroute_testing.env import is_provider_variable, scrubbed_env, user_dirs


def test_every_builtin_provider_key_is_scrubbed() -> None:
    names = [p.api_key_env for p in default_providers().values() if p.api_key_env]
    assert names, "the catalog names its providers' key variables"
    assert all(is_provider_variable(n) for n in names), names


def test_sdk_endpoints_and_tokens_are_scrubbed_and_ordinary_variables_kept() -> None:
    env = {
        "ANTHROPIC_BASE_URL": "http://x",
        "OPENAI_BASE_URL": "http://x",
        "ANTHROPIC_AUTH_TOKEN": "t",
        "OPENAI_ORG_ID": "org",
        "SOME_VENDOR_API_KEY": "k",
        "PATH": "/bin",
        "HOME": "/home/u",
        "API_KEY_FILE_HINT": "kept: the suffix rule is anchored",
    }
    assert scrubbed_env(env, EXTRA="1") == {
        "PATH": "/bin",
        "HOME": "/home/u",
        "API_KEY_FILE_HINT": "kept: the suffix rule is anchored",
        "EXTRA": "1",
    }


def test_user_dirs_are_the_four_xdg_folders(tmp_path: Path) -> None:
    assert user_dirs(tmp_path) == {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }


def test_session_keeps_user_state_out_of_the_home_folder(session_home: Path) -> None:
    for name, folder in user_dirs(session_home).items():
        assert os.environ[name] == folder
    for where in (platformdirs.user_cache_dir("modelroute"), platformdirs.user_data_dir("modelroute"),
                  platformdirs.user_config_dir("modelroute"), platformdirs.user_state_dir("modelroute")):
        assert Path(where).is_relative_to(session_home), where
    assert "MODELROUTE_DATA_DIR" not in os.environ
    assert not [k for k in os.environ if is_provider_variable(k)]
