"""No canary leaves the machine: not through `route --show-prompt`, not through the agent's read_file, not
through environment keys, not into DEBUG logs."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from modelroute.categories import Category
from modelroute.execute.agent import ReadFile, RunLimits, run_agent
from modelroute.policy.schema import PrivacySettings, ProviderSettings
from modelroute.prompt.model import Message, PromptRequest
from modelroute.prompt.tools import tools_for
from modelroute.providers import client_for
from modelroute_testing.canaries import CANARIES, leaked
from modelroute_testing.env import scrubbed_env
from modelroute_testing.fakeprovider.fixtures import fake_provider  # noqa: F401
from modelroute_testing.fakeprovider.script import Reply, ScriptedToolCall
from modelroute_testing.fakeprovider.server import FakeProvider
from tests.providers.conftest import model_entry
from tests.trust import workspace

MODELROUTE = Path(sys.executable).with_name("modelroute")
ENV_KEYS = {
    "OPENAI_API_KEY": "sk-proj-envcanary" + "Q" * 40,
    "ANTHROPIC_API_KEY": "sk-ant-api03-envcanary" + "R" * 80,
    "MOONSHOT_API_KEY": "envcanary-moonshot-" + "S" * 30,
    "DEEPSEEK_API_KEY": "envcanary-deepseek-" + "T" * 30,
}


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = scrubbed_env()
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")  # no user file from the machine
    env.update(ENV_KEYS)
    return env


def _no_leak(text: str) -> None:
    assert leaked(text) == []
    assert workspace.WITHHELD_ONLY not in text
    for name, value in ENV_KEYS.items():
        assert value not in text and "envcanary" not in text, name


def test_show_prompt_shows_the_code_and_no_secret(tmp_path: Path) -> None:
    root = workspace.build(tmp_path / "ws")
    proc = subprocess.run(
        [str(MODELROUTE), "route", "--workspace", str(root), "--file", "src/app.py",
         "--line", str(workspace.CURSOR_LINE), "--instruction", "explain what compute_total returns",
         "--show-prompt"],
        capture_output=True, text=True, env=_clean_env(tmp_path), timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    _no_leak(proc.stdout + proc.stderr)
    shown = json.loads(proc.stdout)
    [request] = shown["requests"]
    body = request["messages"][0]["content"]
    assert "def compute_total(orders: list[Order], discount: float = 0.0) -> float:" in body
    assert "return round(subtotal * (1 - discount), 2)" in body
    assert 'token = os.environ["GITHUB_TOKEN"]' in body and "max_tokens = 4096" in body
    assert request["redactions"] >= len(CANARIES)
    assert body.count("[REDACTED:") >= len(CANARIES)
    for rel in workspace.WITHHELD:
        assert rel not in request["expected_reads"]


def test_the_cursor_file_excluded_is_withheld_whole(tmp_path: Path) -> None:
    root = workspace.build(tmp_path / "ws")
    proc = subprocess.run(
        [str(MODELROUTE), "route", "--workspace", str(root), "--file", ".env", "--instruction", "explain",
         "--show-prompt"],
        capture_output=True, text=True, env=_clean_env(tmp_path), timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    _no_leak(proc.stdout + proc.stderr)
    [request] = json.loads(proc.stdout)["requests"]
    assert request["withheld"] == [".env: privacy.exclude"]


def _read_disk(root: Path) -> ReadFile:
    def read(rel: str) -> str | None:
        path = root / rel
        return path.read_text(encoding="utf-8") if path.is_file() else None

    return read


ASKED = [*workspace.WITHHELD, "src/app.py", "config/settings.py", "./.env", "src/../.env", ".//.env",
         "secrets/../secrets/prod.json", "deploy//secrets/db.yaml", "config\\id_rsa"]


@pytest.mark.parametrize("api", ["anthropic-messages", "openai-responses", "openai-chat"])
async def test_agent_reading_every_canary_file_sends_none(
    api: str, tmp_path: Path, fake_provider: FakeProvider, caplog: pytest.LogCaptureFixture,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in ENV_KEYS.items():
        monkeypatch.setenv(name, value)
    root = workspace.build(tmp_path / "ws")
    calls = [ScriptedToolCall(name="read_file", arguments={"path": p}) for p in ASKED]
    fake_provider.queue(Reply(tool_calls=calls[:6]), Reply(tool_calls=calls[6:]), Reply(text="done"))
    provider_key = "sk-test-provider-canary-" + "K" * 24
    base = fake_provider.anthropic_base_url if api == "anthropic-messages" else fake_provider.openai_base_url
    provider = ProviderSettings(base_url=base, api=api, api_key_env="TRUST_KEY", timeout_s=5, max_retries=0)
    model = model_entry(api)
    client = client_for(model, provider, env={"TRUST_KEY": provider_key})
    prompt = PromptRequest(model=model.id, system="sys", messages=(Message(role="user", content="read all"),),
                           tools=tools_for(Category.DEBUGGING), included=())
    caplog.set_level(logging.DEBUG)
    result = await run_agent(client, prompt, model, privacy=PrivacySettings(), read=_read_disk(root),
                             limits=RunLimits(max_turns=4, budget_usd=5.0, max_output_tokens=1024))
    assert result.stop == "done"
    requests = fake_provider.model_requests()
    assert len(requests) == 3
    sent = "".join(r.raw_without_auth() for r in requests)
    _no_leak(sent)
    assert "def compute_total" in sent and "[REDACTED:" in sent  # the allowed file did go, redacted
    assert sent.count("withheld by the user's privacy settings") >= len(workspace.WITHHELD)
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # the SDKs did log at DEBUG
    logs = caplog.text + "".join(str(r.args) for r in caplog.records)
    _no_leak(logs)
    assert provider_key not in logs and provider_key not in sent
    assert any(provider_key in json.dumps(r.headers) for r in requests)  # the key went only as auth
