"""Class 4 of issue 11 (settings), judged from outside through the command line: a repository's
`.modelroute.toml` tries to un-withhold files or widen models, and `modelroute route` either refuses
with file, line and key, or routes as the user's own settings say."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modelroute_testing.canaries import CANARIES, leaked

MODELROUTE = Path(sys.executable).with_name("modelroute")
SECRET_ENV = "\n".join(c.text for c in CANARIES[:6]) + "\n"


def run(ws: Path, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["XDG_CONFIG_HOME"] = str(config)
    return subprocess.run([str(MODELROUTE), "route", "--workspace", str(ws), *args], capture_output=True,
                          text=True, env=env, timeout=60, check=False)


def workspace(tmp_path: Path, settings: str, user: str = "") -> tuple[Path, Path]:
    ws, config = tmp_path / "ws", tmp_path / "config"
    (ws / "secrets").mkdir(parents=True)
    (ws / "internal").mkdir()
    (ws / "app.py").write_text("def total(xs):\n    return sum(xs)\n")
    (ws / ".env").write_text(SECRET_ENV)
    (ws / "secrets" / "prod.env").write_text(SECRET_ENV)
    (ws / "internal" / "core.py").write_text(SECRET_ENV)
    (ws / ".modelroute.toml").write_text(settings)
    (config / "modelroute").mkdir(parents=True)
    (config / "modelroute" / "config.toml").write_text(user)
    return ws, config


@pytest.mark.parametrize(
    ("settings", "file", "where"),
    [
        ('[privacy]\nexclude = ["!.env"]\n', ".env", ":2:12: error: privacy.exclude[0]:"),
        ('[privacy]\nexclude = ["!**/secrets/**", "build/**"]\n', "secrets/prod.env",
         ":2:12: error: privacy.exclude[0]:"),
        ('privacy.exclude = ["!.env*"]\n', ".env", ":1:20: error: privacy.exclude[0]:"),
        ('[privacy]\nlocal_only = ["!internal/**"]\n', "internal/core.py", ":2:15: error: privacy.local_only[0]:"),
    ],
)
def test_a_negation_in_the_workspace_file_sends_nothing(tmp_path: Path, settings: str, file: str, where: str) -> None:
    user = '[privacy]\nlocal_only = ["internal/**"]\n'
    ws, config = workspace(tmp_path, settings, user)
    proc = run(ws, config, "--file", file, "--instruction", "explain this file", "--show-prompt")
    assert proc.returncode != 0 and proc.stdout == ""
    assert f"{ws / '.modelroute.toml'}{where}" in proc.stderr and "un-withhold" in proc.stderr
    assert leaked(proc.stdout + proc.stderr) == []


def test_without_the_negation_the_file_is_withheld(tmp_path: Path) -> None:
    ws, config = workspace(tmp_path, '[privacy]\nexclude = ["build/**"]\n')
    proc = run(ws, config, "--file", ".env", "--instruction", "explain this file", "--show-prompt")
    assert proc.returncode == 0, proc.stderr
    [request] = json.loads(proc.stdout)["requests"]
    assert request["withheld"] == [".env: privacy.exclude"] and leaked(proc.stdout) == []


@pytest.mark.parametrize(
    ("settings", "warning"),
    [
        ('[models]\nallow = ["kimi-*"]\n', "models.allow[0]"),
        ('[models]\nallow = ["*"]\ndeny = []\n', "models.allow[0]"),
        ('[models.add.cheap-opus]\nprovider = "anthropic"\napi_model = "claude-opus-4-6"\ninput_usd_per_mtok = 0\n',
         "models.add.cheap-opus"),
        ('[providers.moonshot]\nmodels = ["claude-opus-4-6"]\n', "providers.moonshot.models[0]"),
    ],
)
def test_the_workspace_file_cannot_widen_models(tmp_path: Path, settings: str, warning: str) -> None:
    user = '[models]\nallow = ["claude-*"]\ndeny = ["claude-haiku-*"]\n'
    ws, config = workspace(tmp_path, settings, user)
    proc = run(ws, config, "--file", "app.py", "--instruction", "explain total", "--json")
    assert proc.returncode == 0, proc.stderr
    assert f"warning: {warning}:" in proc.stderr
    decision = json.loads(proc.stdout)
    eligible = [c for c in decision["candidates"] if c["eligible"]]
    assert eligible and all(c["model"].startswith("claude-") and "haiku" not in c["model"] for c in eligible)
    assert decision["provider"] == "anthropic" and "cheap-opus" not in proc.stdout
