"""`modelroute run` (DESIGN 2.2b) as a user runs it: a real process, the real SDKs against the fake
provider, the real ledger and sandbox. Nothing is written without --apply; --json keys; exit codes."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modelroute_testing.env import scrubbed_env
from modelroute_testing.fakeprovider.script import Reply, call, fault
from modelroute_testing.fakeprovider.server import FakeProvider
from tests.lsp_run.run_helpers import PROVIDER_TOML, ledger_rows
from tests.run.helpers import HINTS_EDIT as EDIT
from tests.run.scenarios import (
    CALC,
    CHECK,
    FIX_INSTRUCTION,
    MINI,
    OTHER_RIGHT_FIX,
    RIGHT_FIX,
    SONNET,
    TAMPER,
    TEST_CALC,
    WRONG_FIX,
    edit,
    plan_answer,
    project,
    runs_its_own_test,
    synthesis,
)
from tests.sandbox.conftest import needs_bwrap

STORE = """\
import json


def load(path):
    # add type hints to this function AI!
    with open(path) as f:
        return json.load(f)
"""
HAIKU = "claude-haiku-4-5"


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
                 line: int = 4, env: dict[str, str] | None = None, file: str = "app/store.py") -> Done:
        argv = [sys.executable, "-m", "modelroute", "run", "--workspace", str(self.root), "--file", file,
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
        (("--end-line", "-1", "--end-character", "0"), "argument --end-line: must be 0 or more"),
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


# -- strategies and checks---------------------------------------------------------------------
STORE_TASKS = "Add type hints to load in app/store.py. Also add a docstring to total in app/store.py."


@pytest.fixture
def pcli(tmp_path: Path, fake: FakeProvider) -> Cli:
    """A workspace that also holds the project whose test fails (tests/run/scenarios.py)."""
    fake.reset()
    cli = Cli(tmp_path, fake)
    project(cli.root)
    return cli


def fix(cli: Cli, *extra: str, stdin: str | None = None) -> Done:
    return cli(*extra, file="calc.py", line=1, instruction=FIX_INSTRUCTION, stdin=stdin)


def calc(cli: Cli) -> str:
    return (cli.root / "calc.py").read_text()


def attempts(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["model"], a["verified"]) for a in data["attempts"]]


@needs_bwrap
def test_a_cascade_escalates_on_a_failed_check_and_writes_only_with_apply(pcli: Cli) -> None:
    cli = pcli
    cli.fake.queue_for(HAIKU, WRONG_FIX)
    cli.fake.queue_for(MINI, RIGHT_FIX)
    done = fix(cli, "--strategy", "cascade", "--models", f"{HAIKU},{MINI}", "--verify", CHECK, "--json")
    assert done.code == 0, done.stderr
    data = done.json()
    assert data["outcome"] == "done" and data["strategy"] == "cascade"
    assert attempts(data) == [(HAIKU, "fail"), (MINI, "pass")]
    assert "+    return a + b" in data["changes"][0]["diff"] and data["applied"] == []
    assert calc(cli) == CALC and data["cost_usd"] > 0
    assert [(r["model"], r["outcome"]) for r in cli.rows()] == [(HAIKU, "rejected"), (MINI, "answered")]

    cli.fake.reset()
    cli.fake.queue_for(HAIKU, WRONG_FIX)
    cli.fake.queue_for(MINI, RIGHT_FIX)
    applied = fix(cli, "--strategy", "cascade", "--models", f"{HAIKU},{MINI}", "--verify", CHECK, "--apply")
    assert applied.code == 0, applied.stderr
    assert calc(cli) == "def add(a, b):\n    return a + b\n"
    assert "failed (exit 1)" in applied.stderr and "passed" in applied.stderr


@needs_bwrap
def test_every_attempt_failing_exits_3_and_writes_nothing_even_with_apply(pcli: Cli) -> None:
    cli = pcli
    cli.fake.queue_for(HAIKU, WRONG_FIX)
    cli.fake.queue_for(MINI, WRONG_FIX)
    done = fix(cli, "--strategy", "cascade", "--models", f"{HAIKU},{MINI}", "--verify", CHECK, "--apply", "--json")
    assert done.code == 3, done.stderr
    data = done.json()
    assert data["outcome"] == "verification_failed" and attempts(data) == [(HAIKU, "fail"), (MINI, "fail")]
    assert data["changes"] and data["applied"] == [] and calc(cli) == CALC


@needs_bwrap
def test_a_model_s_pytest_sees_its_own_staged_edit(pcli: Cli) -> None:
    cli = pcli
    cli.fake.queue(*runs_its_own_test())
    done = fix(cli, "--model", HAIKU, "--approve", "ask", "--json", stdin="1\n")
    assert done.code == 0, done.stderr
    assert "1 passed" in cli.fake.model_requests()[2].raw_without_auth()
    assert calc(cli) == CALC


@needs_bwrap
def test_best_of_three_with_a_synthesiser(pcli: Cli) -> None:
    cli = pcli
    fixes = {HAIKU: RIGHT_FIX, MINI: OTHER_RIGHT_FIX, SONNET: WRONG_FIX}
    for model, replies in fixes.items():
        cli.fake.queue_for(model, replies)
    cli.fake.queue_for(SONNET, synthesis("PICK A"))  # the strongest of the three synthesises (see the core test)
    done = fix(cli, "--strategy", "best-of-n", "--models", f"{HAIKU},{MINI},{SONNET}", "--verify", CHECK, "--json")
    assert done.code == 0, done.stderr
    data = done.json()
    assert data["strategy"] == "best-of-n" and data["outcome"] == "done"
    verdicts = {a["model"]: a["verified"] for a in data["attempts"] if a["role"] == "attempt"}
    assert verdicts == {HAIKU: "pass", MINI: "pass", SONNET: "fail"}
    assert [a["role"] for a in data["attempts"]].count("synthesis") == 1
    assert len(data["changes"]) == 1 and calc(cli) == CALC
    assert "Best of N: the candidates" in done.stderr  # every verdict and cost, aside


@needs_bwrap
def test_a_tampered_test_is_flagged_and_the_cascade_escalates(pcli: Cli) -> None:
    cli = pcli
    cli.fake.queue_for(HAIKU, TAMPER)
    cli.fake.queue_for(MINI, RIGHT_FIX)
    done = fix(cli, "--strategy", "cascade", "--models", f"{HAIKU},{MINI}", "--verify", CHECK, "--json")
    assert done.code == 0, done.stderr
    data = done.json()
    first, second = data["attempts"]
    assert first["flagged"][0]["path"] == "test_calc.py" and first["verified"] == "none"
    assert second["verified"] == "pass" and data["flagged"] == []
    assert (cli.root / "test_calc.py").read_text() == TEST_CALC


@needs_bwrap
def test_a_flagged_result_alone_is_shown_not_written(pcli: Cli) -> None:
    cli = pcli
    cli.fake.queue(*TAMPER)
    done = fix(cli, "--model", HAIKU, "--verify", CHECK, "--apply", "--json")
    assert done.code == 3, done.stderr
    data = done.json()
    assert data["flagged"][0]["path"] == "test_calc.py" and data["applied"] == []
    assert (cli.root / "test_calc.py").read_text() == TEST_CALC


@needs_bwrap
def test_a_strategy_over_the_budget_exits_4_before_any_call(pcli: Cli) -> None:
    cli = pcli
    # Each listed model fits the day on its own; three attempts and a synthesis do not.
    cli.config.write_text(cli.config.read_text() + "\n[budget]\ndaily_usd = 0.1\n")
    done = fix(cli, "--strategy", "best-of-n", "--models", f"{HAIKU},{MINI},{SONNET}", "--verify", CHECK, "--json")
    assert done.code == 4, done.stderr
    assert done.json()["outcome"] == "refused" and "could cost up to" in done.stderr
    assert not cli.fake.model_requests()


def test_a_listed_model_over_the_budget_on_its_own_exits_4(pcli: Cli) -> None:
    cli = pcli
    cli.config.write_text(cli.config.read_text() + "\n[budget]\ndaily_usd = 0.03\n")
    done = fix(cli, "--strategy", "cascade", "--models", f"{HAIKU},{SONNET}", "--json")
    assert done.code == 4, done.stderr
    assert done.json()["outcome"] == "refused" and "over what is left of the daily budget" in done.stderr
    assert not cli.fake.model_requests()


@needs_bwrap
def test_a_three_step_plan_edited_in_the_editor_before_it_runs(pcli: Cli, tmp_path: Path) -> None:
    cli = pcli
    steps = [
        {"title": "Type the loader", "instruction": "Add type hints to load in app/store.py.", "kind": "quick_edit"},
        {"title": "Document total", "instruction": "Add a docstring to total in app/store.py.", "kind": "quick_edit"},
        {"title": "Describe the module", "instruction": "Add a module docstring to app/store.py.",
         "kind": "quick_edit"},
    ]
    cli.fake.queue(
        plan_answer(steps),
        *edit("def load(path):", "def load(path: str) -> object:", "app/store.py"),
        *edit("    with open(path) as f:", '    """Read a JSON file."""\n    with open(path) as f:', "app/store.py"),
        *edit("import json\n", '"""Store helpers."""\nimport json\n', "app/store.py"),
    )
    editor = tmp_path / "reword.py"
    editor.write_text("import sys\nfrom pathlib import Path\np = Path(sys.argv[1])\n"
                      "p.write_text(p.read_text().replace('Add a module docstring to app/store.py.', "
                      "'Add a one-line module docstring saying Store helpers.'))\n")
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    env = cli.env | {"EDITOR": f"{sys.executable} {editor}"}
    done = cli("--strategy", "plan", "--model", HAIKU, "--approve", "ask", "--json",
               instruction="Tidy app/store.py: type the loader, document load and the module", env=env,
               stdin="2\n1\n")
    assert done.code == 0, done.stderr
    data = done.json()
    assert data["strategy"] == "plan" and [s["conclusion"] for s in data["steps"]] == ["done"] * 3
    assert "## 1. Type the loader" in done.stderr and "Edit it in" in done.stderr
    assert "one-line module docstring saying Store helpers" in cli.fake.model_requests()[-2].raw_without_auth()
    assert '+"""Store helpers."""' in data["changes"][0]["diff"] and cli.text().startswith("import json")


@needs_bwrap
def test_an_instruction_holding_two_tasks_runs_them_one_at_a_time(pcli: Cli) -> None:
    cli = pcli
    cli.fake.queue(*edit("def load(path):", "def load(path: str) -> object:", "app/store.py"),
                   *edit("def total(items):\n", 'def total(items):\n    """The sum."""\n', "app/store.py"))
    (cli.root / "app" / "store.py").write_text(cli.text() + "\n\ndef total(items):\n    return sum(items)\n")
    done = cli("--json", "--apply", instruction=STORE_TASKS)
    assert done.code == 0, done.stderr
    data = done.json()
    assert data["strategy"] == "plan" and data["planner"] is None and len(data["steps"]) == 2
    assert "def load(path: str) -> object:" in cli.text() and '"""The sum."""' in cli.text()  # --apply, per step
    assert "holds 2 tasks" in done.stderr


@needs_bwrap
def test_what_the_apply_guard_refuses_is_shown_and_never_written(pcli: Cli) -> None:
    cli = pcli
    cli.config.write_text(cli.config.read_text() + '\n[approval]\nallow = ["mkdir", "touch"]\n')
    cli.fake.queue(
        Reply(tool_calls=[call("propose_command", reason="set up",
                               command="mkdir -p .vscode sub && touch .vscode/tasks.json sub/.envrc notes.txt")]),
        *RIGHT_FIX,
    )
    done = fix(cli, "--model", HAIKU, "--apply", "--json")
    assert done.code == 0, done.stderr
    data = done.json()
    refused = {r["path"] for r in data["refused"]}
    assert {".vscode/", "sub/.envrc"} <= refused or {".vscode/tasks.json", "sub/.envrc"} <= refused, data["refused"]
    assert "not offered:" in done.stderr and ".envrc" in done.stderr
    assert sorted(data["applied"]) == ["calc.py", "notes.txt"]
    assert not (cli.root / ".vscode").exists() and not (cli.root / "sub" / ".envrc").exists()
    assert (cli.root / "notes.txt").exists()
