"""`modelroute run` (DESIGN 2.2b) as a user runs it: a real process, the real SDKs against the fake
provider, the real ledger and sandbox. Nothing is written without --apply; --json keys; exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modelroute_testing.env import scrubbed_env
from modelroute_testing.fakeprovider.script import Reply, ScriptedToolCall, fault
from modelroute_testing.fakeprovider.server import FakeProvider
from tests.lsp_run.run_helpers import PROVIDER_TOML, ledger_rows

STORE = """\
import json


def load(path):
    # add type hints to this function AI!
    with open(path) as f:
        return json.load(f)
"""
HAIKU = "claude-haiku-4-5"


def call(name: str, **args: Any) -> ScriptedToolCall:
    return ScriptedToolCall(name=name, arguments=dict(args))


EDIT = [
    Reply(tool_calls=[call("read_file", path="app/store.py")]),
    Reply(tool_calls=[call("propose_edit", path="app/store.py", old_text="def load(path):",
                           new_text="def load(path: str) -> object:")]),
    Reply(text="Added the hints.", output_tokens=40),
]
HINTED = STORE.replace("def load(path):", "def load(path: str) -> object:")


@dataclass
class Done:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


class Cli:
    def __init__(self, home: Path, fake: FakeProvider) -> None:
        self.home, self.fake = home, fake
        self.root = home / "ws"
        (self.root / "app").mkdir(parents=True)
        (self.root / "app" / "store.py").write_text(STORE)
        config = home / "config" / "modelroute" / "config.toml"
        config.parent.mkdir(parents=True)
        config.write_text(PROVIDER_TOML)
        self.config = config
        self.env = scrubbed_env() | {
            "XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache"),
            "XDG_DATA_HOME": str(home / "xdg-data"), "MODELROUTE_DATA_DIR": str(home / "data"),
            "ANTHROPIC_API_KEY": "sk-ant-test-key", "OPENAI_API_KEY": "sk-test-key",
            "ANTHROPIC_BASE_URL": fake.anthropic_base_url, "OPENAI_BASE_URL": fake.openai_base_url,
        }

    def __call__(self, *extra: str, stdin: str | None = None, instruction: str = "add type hints to this function",
                 line: int = 4, env: dict[str, str] | None = None) -> Done:
        argv = [sys.executable, "-m", "modelroute", "run", "--workspace", str(self.root), "--file", "app/store.py",
                "--line", str(line), "--instruction", instruction, *extra]
        proc = subprocess.run(argv, env=env or self.env, input=stdin if stdin is not None else "",
                              capture_output=True, text=True, timeout=120)
        return Done(proc.returncode, proc.stdout, proc.stderr)

    def text(self) -> str:
        return (self.root / "app" / "store.py").read_text()

    def rows(self) -> list[dict[str, Any]]:
        return ledger_rows(self.home / "data")


@pytest.fixture
def cli(tmp_path: Path, fake: FakeProvider) -> Cli:
    fake.reset()
    return Cli(tmp_path, fake)


def test_without_apply_the_change_set_is_printed_and_nothing_is_written(cli: Cli) -> None:
    cli.fake.queue(*EDIT)
    done = cli("--model", HAIKU)
    assert done.code == 0, done.stderr
    assert "--- a/app/store.py" in done.stdout and "+def load(path: str) -> object:" in done.stdout
    assert cli.text() == STORE
    assert "done: not applied: run again with --apply" in done.stderr
    assert cli.rows()[-1]["outcome"] == "answered" and cli.rows()[-1]["act_usd"] > 0


def test_with_apply_the_change_set_is_written(cli: Cli) -> None:
    cli.fake.queue(*EDIT)
    done = cli("--model", HAIKU, "--apply")
    assert done.code == 0, done.stderr
    assert cli.text() == HINTED
    assert cli.rows()[-1]["outcome"] == "applied"


def test_json_has_the_contract_keys(cli: Cli) -> None:
    cli.fake.queue(*EDIT)
    done = cli("--model", HAIKU, "--json")
    assert done.code == 0, done.stderr
    data = done.json()
    assert data["outcome"] == "done" and data["strategy"] == "single"
    [attempt] = data["attempts"]
    assert attempt["model"] == HAIKU and attempt["verified"] == "none"
    assert attempt["estimated_cost_usd"] > 0 and attempt["cost_usd"] > 0
    [change] = data["changes"]
    assert change["path"] == "app/store.py" and change["kind"] == "modified"
    assert "+def load(path: str) -> object:" in change["diff"]
    assert data["flagged"] == [] and data["cost_usd"] == attempt["cost_usd"]
    assert data["applied"] == [] and cli.text() == STORE


def test_the_routed_model_runs_when_none_is_pinned(cli: Cli) -> None:
    cli.fake.queue(*EDIT)
    done = cli("--json")
    assert done.code == 0, done.stderr
    assert done.json()["attempts"][0]["model"] == cli.rows()[-1]["model"]


def test_a_provider_error_exits_1(cli: Cli) -> None:
    cli.fake.queue(fault("malformed"))
    done = cli("--model", HAIKU, "--json")
    assert done.code == 1, done.stderr
    assert done.json()["outcome"] == "error" and "malformed" in done.stderr
    assert cli.text() == STORE


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--strategy", "cascade"), "No check found: set [verify] command"),
        (("--strategy", "cascade", "--models", "claude-haiku-4-5"), "needs at least two models"),
        (("--model", "claude-haiku-4-5", "--strategy", "best-of-n"), "--model pins one model"),
        (("--verify", " "), "--verify needs a command"),
        (("--models", "claude-haiku-4-5,gpt-5-mini"), "runs one model"),
        (("--model", "no-such-model"), "no-such-model is not in the catalog"),
        (("--end-line", "-1", "--end-character", "0"), "--end-line must be 0 or more"),
    ],
)
def test_bad_arguments_exit_2_and_call_nobody(cli: Cli, args: tuple[str, ...], says: str) -> None:
    done = cli(*args)
    assert done.code == 2 and says in done.stderr, done.stderr
    assert not cli.fake.model_requests()


def test_broken_settings_exit_2_with_file_line_and_key(cli: Cli) -> None:
    (cli.root / ".modelroute.toml").write_text("[budget]\nper_reqest_usd = 1\n")
    done = cli("--model", HAIKU)
    assert done.code == 2 and ".modelroute.toml" in done.stderr and "per_reqest_usd" in done.stderr


def test_a_budget_refusal_exits_4_before_any_call(cli: Cli) -> None:
    cli.config.write_text(PROVIDER_TOML + "\n[budget]\nper_request_usd = 0.0\n")
    done = cli("--model", HAIKU, "--json")
    assert done.code == 4, done.stderr
    assert done.json()["outcome"] == "refused" and "declined" in done.stderr
    assert not cli.fake.model_requests()


def test_no_room_in_the_daily_cap_exits_4(cli: Cli) -> None:
    cli.config.write_text(PROVIDER_TOML + "\n[budget]\ndaily_usd = 0.0\n")
    done = cli("--model", HAIKU, "--json")
    assert done.code == 4 and done.json()["outcome"] == "refused"
    assert not cli.fake.model_requests()


def test_approve_deny_refuses_a_command_exits_4_and_applies_nothing(cli: Cli) -> None:
    cli.fake.queue(
        Reply(tool_calls=[call("propose_command", command="touch made-by-model.txt", reason="setup")]),
        *EDIT[1:],
    )
    done = cli("--model", HAIKU, "--approve", "deny", "--apply", "--json")
    assert done.code == 4, done.stderr
    data = done.json()
    assert data["outcome"] == "refused" and data["denied_commands"] == ["touch made-by-model.txt"]
    assert data["changes"] and data["applied"] == []  # shown, not written: the run may be incomplete
    assert cli.text() == STORE and not (cli.root / "made-by-model.txt").exists()
    assert "Denied" in cli.fake.model_requests()[1].raw_without_auth()


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")
def test_approve_ask_reads_the_answer_from_stdin_and_runs_in_the_sandbox(cli: Cli) -> None:
    cli.fake.queue(
        Reply(tool_calls=[call("propose_command", command="touch made-by-model.txt", reason="setup")]),
        *EDIT[1:],
    )
    done = cli("--model", HAIKU, "--approve", "ask", "--apply", stdin="1\n")
    assert done.code == 0, done.stderr
    assert "wants to run a shell command" in done.stderr and "[1] Run in sandbox" in done.stderr
    assert (cli.root / "made-by-model.txt").exists() and cli.text() == HINTED


def test_no_sandbox_exits_125(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "no-bwrap"  # the bundled bwrap is always found: point the override at nothing
    cli.config.write_text(PROVIDER_TOML + '\n[approval]\nallow = ["touch"]\n')
    cli.fake.queue(Reply(tool_calls=[call("propose_command", command="touch x.txt", reason="r")]),
                   Reply(text="ok"))
    done = cli("--model", HAIKU, "--json", env=cli.env | {"MODELROUTE_BWRAP": str(missing)})
    assert done.code == 125, done.stderr
    assert "no sandbox" in done.json()["message"] and not (cli.root / "x.txt").exists()


def test_an_answer_prints_on_stdout(cli: Cli) -> None:
    cli.fake.queue(Reply(text="It reads a JSON file."))
    done = cli("--model", HAIKU, instruction="what does this function do?", line=3)
    assert done.code == 0, done.stderr
    assert "It reads a JSON file." in done.stdout
