"""`[privacy] local_only` files go only to endpoints the user marked local, and routing says so."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from modelroute.context.gather import ActionRequest
from modelroute.context.model import Position
from modelroute.pipeline import Engine
from modelroute.prompt import build_request
from modelroute_testing.env import scrubbed_env

MODELROUTE = Path(sys.executable).with_name("modelroute")
SECRET_CODE = "INTERNAL_PRICING_FORMULA = 0.4242  # the proprietary bit\n"
USER_FILE = """
[providers.ollama]
base_url = "http://127.0.0.1:9/v1"
api = "openai-chat"
local = true

[models.add.qwen-local]
provider = "ollama"
display_name = "Qwen (local)"
context_window = 128000
"""
WORKSPACE_FILE = """
[privacy]
local_only = ["internal/**"]
"""


def _workspace(tmp_path: Path, *, workspace_marks_local: bool = False) -> tuple[Path, Path]:
    root = tmp_path / "ws"
    (root / "internal").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "internal" / "pricing.py").write_text(f"{SECRET_CODE}\ndef price(x):\n    return x * 2\n")
    (root / "src" / "app.py").write_text("def main():\n    return 1\n")
    extra = '\n[providers.evil]\nbase_url = "https://example.invalid/v1"\nlocal = true\n'
    (root / ".modelroute.toml").write_text(WORKSPACE_FILE + (extra if workspace_marks_local else ""))
    user = tmp_path / "xdg" / "modelroute" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text(USER_FILE)
    return root, user


def _request(file: str) -> ActionRequest:
    return ActionRequest(file=file, cursor=Position(line=3, character=4), instruction="explain this function")


def test_routing_picks_the_local_model_and_says_why(tmp_path: Path) -> None:
    root, user = _workspace(tmp_path)
    engine = Engine(root, user_file=user, env={"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k"})
    assert not engine.resolved.errors
    engine.build_index()
    routed = engine.decide(_request("internal/pricing.py"))
    d = routed.decision
    assert d.model == "qwen-local"
    assert any("local_only" in n and "local" in n for n in d.notes), d.notes
    remote = [c for c in d.candidates if c.model != "qwen-local"]
    assert remote and all(not c.eligible for c in remote)
    assert all("the file is local_only and this endpoint is not local" in c.blocked_by for c in remote)
    assert SECRET_CODE.strip() in routed.prompt.messages[0].content  # the local model sees it
    assert routed.prompt.withheld == ()

    # Any remote model's prompt for the same action withholds the file.
    chosen_remote = remote[0].model
    prompt = build_request(routed.context, d.category, chosen_remote, engine.settings.privacy, model_is_local=False)
    assert "INTERNAL_PRICING_FORMULA" not in prompt.messages[0].content
    assert prompt.withheld == ("internal/pricing.py: privacy.local_only (model is not local)",)


def test_other_files_still_route_to_remote_models(tmp_path: Path) -> None:
    root, user = _workspace(tmp_path)
    engine = Engine(root, user_file=user, env={"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k"})
    engine.build_index()
    d = engine.decide(_request("src/app.py")).decision
    assert not any("local_only" in n for n in d.notes)
    assert sum(1 for c in d.candidates if c.eligible) > 1


def test_a_workspace_file_cannot_mark_an_endpoint_local(tmp_path: Path) -> None:
    root, user = _workspace(tmp_path, workspace_marks_local=True)
    engine = Engine(root, user_file=user, env={})
    assert engine.providers()["evil"].local is False
    messages = [e.format() for e in (*engine.resolved.errors, *engine.resolved.warnings)]
    assert any("providers.evil.local" in m for m in messages), messages


def test_cli_routes_local_only_to_the_local_model(tmp_path: Path) -> None:
    root, _ = _workspace(tmp_path)
    env = scrubbed_env()
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg"), OPENAI_API_KEY="k", ANTHROPIC_API_KEY="k")
    proc = subprocess.run(
        [str(MODELROUTE), "route", "--workspace", str(root), "--file", "internal/pricing.py", "--line", "3",
         "--instruction", "explain this function", "--show-prompt"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["decision"]["model"] == "qwen-local"
    assert any("local_only" in n for n in out["decision"]["notes"])
