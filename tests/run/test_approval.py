"""The approval flow in the core: rules, the question through the editor, the real bubblewrap
sandbox over the attempt's copy-on-write overlay (what a command writes is in the attempt's change
set, never on the host), the one-time book, "always allow", escalation out of the sandbox, and the
audit log."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from modelroute.execute.audit import AuditLog
from modelroute.policy import resolve_settings
from modelroute.policy.schema import Settings
from modelroute.run.approval import AlwaysStore, Approvals, command_runner
from modelroute.run.editor import Question
from modelroute.run.workspace import AttemptWorkspace
from tests.run.scripted import ScriptedEditor

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")

RUN, DENY, UNSANDBOXED = "Run in sandbox", "Deny", "Run without sandbox"
SECRET_VAR = "MODELROUTE_FAKE_API_KEY"


class Harness:
    """A workspace, its settings (user file, workspace file, client settings) and one approval session."""

    def __init__(self, tmp_path: Path, *, user: str = "", workspace: str | None = None,
                 client: dict[str, Any] | None = None) -> None:
        self.root = (tmp_path / "ws").resolve()
        self.root.mkdir()
        (self.root / "README.md").write_text("# demo\n")
        if workspace is not None:
            (self.root / ".modelroute.toml").write_text(workspace)
        self.user_file = tmp_path / "config.toml"
        self.user_file.write_text(user)
        self.client = client
        self.data = tmp_path / "data"
        self.approvals = Approvals(store=AlwaysStore(self.data / "always-allow.json"),
                                   audit=AuditLog(self.data / "audit.jsonl"))
        self.editor = ScriptedEditor(answer=lambda q: DENY)
        self._workspace: AttemptWorkspace | None = None

    def settings(self) -> Settings:
        return resolve_settings(user_file=self.user_file, workspace_file=self.root / ".modelroute.toml",
                                client=self.client).settings

    def answer_with(self, fn: Callable[[Question], str | Awaitable[str | None] | None]) -> None:
        self.editor.answer = fn

    @property
    def workspace(self) -> AttemptWorkspace:
        """One attempt's copy of the workspace: what commands write lands here, never on the host."""
        if self._workspace is None:
            self._workspace = AttemptWorkspace(self.root, self.settings().privacy, model_is_local=False,
                                               sandbox=self.settings().sandbox)
        return self._workspace

    async def propose(self, command: str, reason: str = "check the build") -> dict[str, Any]:
        statuses: list[str] = []
        runner = command_runner(self.editor, self.approvals, self.workspace, self.settings, "Claude Test 4.6",
                                user_file=self.user_file, reason_prefix="the test asks: ", on_status=statuses.append)
        outcome = await runner(command, reason)
        return {**dataclasses.asdict(outcome), "statuses": statuses, "denials": runner.denials}

    @property
    def prompts(self) -> list[Question]:
        return self.editor.questions

    def audit(self) -> list[dict[str, Any]]:
        path = self.data / "audit.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        return [e for e in map(json.loads, lines) if e["cwd"] == str(self.root)]

    def logs(self) -> list[str]:
        return self.editor.log_lines()


OFF = '[sandbox]\nmode = "off"\n'


# ---------------------------------------------------------------- approve, deny, no answer


async def test_approve_runs_in_the_real_sandbox(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.answer_with(lambda q: RUN)
    out = await h.propose("echo made > out.txt && grep NoNewPrivs /proc/self/status")
    assert not (h.root / "out.txt").exists()  # the host is untouched: the write is in the attempt's copy
    assert h.workspace.read("out.txt") == "made\n"
    [change] = h.workspace.change_set().changes
    assert (change.path, change.kind, change.new) == ("out.txt", "created", "made\n")
    assert out["ran"] is True and out["exit_code"] == 0
    assert "Exit code: 0" in out["output"] and "NoNewPrivs:\t1" in out["output"]  # inside bubblewrap
    assert "in the sandbox (workspace-write, network off)" in out["output"]
    [prompt] = h.prompts
    assert prompt.level == "warning" and prompt.purpose == "approval"
    assert prompt.choices == (RUN, DENY)  # two programs need approval: no "always"; no escalation
    for line in (
        "Claude Test 4.6 wants to run a shell command.",
        "Why: the test asks: check the build",
        "Sub-commands (2):",
        "1. echo made",
        "2. grep NoNewPrivs /proc/self/status",
        f"Folder: {h.root}",
        "Sandbox: workspace-write; network off",
    ):
        assert line in prompt.message
    assert any("ran in sandbox (approved by you): exit 0" in m for m in h.logs())
    assert out["statuses"][0].startswith("waiting for your approval")
    [entry] = h.audit()
    assert (entry["decision"], entry["decided_by"], entry["exit_code"]) == ("run_sandboxed", "user", 0)
    assert [s["argv"] for s in entry["subcommands"]] == [["echo", "made"], ["grep", "NoNewPrivs", "/proc/self/status"]]
    assert out["denials"] == []


async def test_deny_runs_nothing(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    out = await h.propose("touch denied.txt")
    assert not (h.root / "denied.txt").exists() and not h.workspace.exists("denied.txt")
    assert out["ran"] is False and out["exit_code"] is None
    assert out["output"].startswith("Denied by the user.") and "without the sandbox" in out["output"]
    assert "denied by you" in out["summary"] and out["denials"] == ["touch denied.txt"]
    [entry] = h.audit()
    assert (entry["decision"], entry["decided_by"], entry["exit_code"]) == ("deny", "user", None)


async def test_unknown_button_is_a_deny(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.answer_with(lambda q: "Always allow `rm` here (sandboxed)")  # not a button of this prompt
    out = await h.propose("touch forged.txt")
    assert out["ran"] is False and not (h.root / "forged.txt").exists() and not h.workspace.exists("forged.txt")


async def test_no_answer_is_a_deny_and_a_late_answer_is_logged_and_ignored(tmp_path: Path) -> None:
    h = Harness(tmp_path, client={"approval": {"timeout_s": 0.5}})
    h.answer_with(lambda q: None)  # the editor's timeout passed
    out = await h.propose("touch late.txt")
    assert out["ran"] is False
    assert "nobody answered the approval prompt within 0.5 s" in out["output"]
    assert "no answer in time" in out["summary"]
    [question] = h.prompts
    assert question.timeout_s == 0.5 and question.on_late is not None
    question.on_late(RUN)  # the user clicks after the timeout
    assert any("ignored a late answer 'Run in sandbox'" in m for m in h.logs())
    assert not (h.root / "late.txt").exists() and not h.workspace.exists("late.txt")
    [entry] = h.audit()
    assert (entry["decision"], entry["decided_by"]) == ("deny", "timeout")


# ---------------------------------------------------------------- always allow, replays, stale answers


async def test_always_allow_runs_the_next_one_without_a_prompt(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    always = "Always allow `mkdir` here (sandboxed)"
    h.answer_with(lambda q: always)
    first = await h.propose("mkdir -p build")
    assert h.prompts[0].choices == (RUN, always, DENY)
    assert first["ran"] is True and h.workspace.exists("build") and not (h.root / "build").exists()
    assert "`mkdir` is now always allowed here" in first["summary"]

    h.answer_with(lambda q: DENY)  # a prompt now would deny: it must not come
    second = await h.propose("mkdir -p build/sub")
    assert second["ran"] is True and h.workspace.exists("build/sub") and not (h.root / "build").exists()
    assert len(h.prompts) == 1
    assert [(e["decided_by"], e["exit_code"]) for e in h.audit()] == [("user", 0), ("rule", 0)]
    stored = json.loads((h.data / "always-allow.json").read_text())
    assert stored[str(h.root)] == ["mkdir"]

    third = await h.propose("mkdir -p x && touch x/y")  # another program still asks
    assert third["ran"] is False and len(h.prompts) == 2

    fresh = Approvals(store=h.approvals.store, audit=h.approvals.audit)  # a new session reads the store
    assert fresh.book(h.root).always_prefixes(h.root) == ["mkdir"]


async def test_an_approval_is_used_once(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    answers = iter([RUN, DENY])
    h.answer_with(lambda q: next(answers))
    assert (await h.propose("touch once.txt"))["ran"] is True
    assert h.workspace.exists("once.txt") and not (h.root / "once.txt").exists()
    again = await h.propose("touch once.txt")  # the same command again: asked again
    assert again["ran"] is False
    assert len(h.prompts) == 2


async def test_answer_bound_to_other_sandbox_settings_is_ignored(tmp_path: Path) -> None:
    """The sandbox settings change (network on) while the prompt is open: the approval was given for
    the old ones, so its binding no longer matches and nothing runs."""
    h = Harness(tmp_path)

    def change_then_approve(question: Question) -> str:
        assert "network off" in question.message
        h.client = {"sandbox": {"network": True}}
        return RUN

    h.answer_with(change_then_approve)
    out = await h.propose("touch stale.txt")
    assert out["ran"] is False and not (h.root / "stale.txt").exists() and not h.workspace.exists("stale.txt")
    assert "sandbox settings changed while the prompt was open" in out["output"]
    assert "stale approval ignored" in out["summary"]

    h.answer_with(lambda q: RUN)  # asked afresh under the new settings, it runs
    out = await h.propose("touch stale.txt")
    assert out["ran"] is True and "network ON" in h.prompts[-1].message


# ---------------------------------------------------------------- escalation out of the sandbox


async def test_workspace_file_cannot_offer_run_without_sandbox(tmp_path: Path) -> None:
    h = Harness(tmp_path, workspace=OFF)
    await h.propose("touch x.txt")
    [prompt] = h.prompts
    assert UNSANDBOXED not in prompt.choices
    assert "Sandbox: workspace-write" in prompt.message


async def test_user_file_off_offers_run_without_sandbox_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_VAR, "sk-test-should-never-reach-a-command")
    h = Harness(tmp_path, user=OFF)
    h.answer_with(lambda q: UNSANDBOXED)
    out = await h.propose(f'grep NoNewPrivs /proc/self/status; echo "k=${{{SECRET_VAR}:-unset}}"')
    assert UNSANDBOXED in h.prompts[0].choices
    assert out["ran"] is True
    assert "NoNewPrivs:\t0" in out["output"]  # really outside the sandbox...
    assert "k=unset" in out["output"]  # ...but without the server's secrets
    assert "WITHOUT the sandbox" in out["output"]
    assert [(e["decision"], e["decided_by"]) for e in h.audit()] == [("run_unsandboxed", "user")]

    h.answer_with(lambda q: DENY)  # never stored: the same command asks again
    again = await h.propose("grep NoNewPrivs /proc/self/status")
    assert again["ran"] is False and len(h.prompts) == 2
    store = h.data / "always-allow.json"
    assert not store.exists() or str(h.root) not in store.read_text()


async def test_user_file_off_narrowed_by_the_workspace_offers_no_escalation(tmp_path: Path) -> None:
    h = Harness(tmp_path, user=OFF, workspace='[sandbox]\nmode = "workspace-write"\n')
    await h.propose("touch x.txt")
    assert UNSANDBOXED not in h.prompts[0].choices


@pytest.mark.parametrize(
    ("policy", "prompted", "ran"),
    [("untrusted", True, True), ("on-request", True, True), ("never", False, False)],
)
async def test_escalation_request_under_each_policy(tmp_path: Path, policy: str, prompted: bool, ran: bool) -> None:
    h = Harness(tmp_path, user=OFF, client={"approval": {"policy": policy}})
    h.answer_with(lambda q: UNSANDBOXED)
    out = await h.propose("grep NoNewPrivs /proc/self/status", reason="needs the host")
    assert bool(h.prompts) is prompted
    if prompted:
        assert UNSANDBOXED in h.prompts[0].choices
    assert out["ran"] is ran
    if not ran:
        assert "policy 'never' never asks" in out["output"]


async def test_allowed_command_runs_sandboxed_even_when_the_user_file_turns_the_sandbox_off(tmp_path: Path) -> None:
    h = Harness(tmp_path, user=OFF, client={"approval": {"allow": ["grep"]}})
    out = await h.propose("grep NoNewPrivs /proc/self/status")
    assert not h.prompts
    assert out["ran"] is True and "NoNewPrivs:\t1" in out["output"]  # escalation is never automatic


# ---------------------------------------------------------------- policies and rules


async def test_untrusted_asks_even_for_allowed_commands(tmp_path: Path) -> None:
    h = Harness(tmp_path, client={"approval": {"policy": "untrusted", "allow": ["echo"]}})
    h.answer_with(lambda q: RUN)
    out = await h.propose("echo hi")
    assert len(h.prompts) == 1 and "policy 'untrusted'" not in h.prompts[0].message
    assert out["ran"] is True and "hi" in out["output"]


async def test_on_request_runs_fully_allowed_commands_without_asking(tmp_path: Path) -> None:
    h = Harness(tmp_path, client={"approval": {"policy": "on-request", "allow": ["echo", "wc"]}})
    out = await h.propose("echo hi | wc -c")
    assert not h.prompts
    assert out["ran"] is True and out["exit_code"] == 0 and "3" in out["output"]
    assert "allowed by your rules" in out["summary"]
    [entry] = h.audit()
    assert (entry["verdict"], entry["decided_by"]) == ("allow", "rule")

    hidden = await h.propose("echo hi; touch sneaky.txt")  # one sub-command is not allowed
    assert len(h.prompts) == 1 and hidden["ran"] is False
    assert not (h.root / "sneaky.txt").exists() and not h.workspace.exists("sneaky.txt")
    assert "2. touch sneaky.txt" in h.prompts[0].message


async def test_never_denies_instead_of_asking(tmp_path: Path) -> None:
    h = Harness(tmp_path, client={"approval": {"policy": "never", "allow": ["echo"]}})
    denied = await h.propose("touch never.txt")
    allowed = await h.propose("echo fine")
    assert not h.prompts
    assert denied["ran"] is False and "policy 'never' never asks" in denied["output"]
    assert allowed["ran"] is True and "fine" in allowed["output"]
    assert [(e["decision"], e["decided_by"]) for e in h.audit()] == [("deny", "rule"), ("run_sandboxed", "rule")]


async def test_deny_rules_beat_everything_without_a_prompt(tmp_path: Path) -> None:
    h = Harness(tmp_path, client={"approval": {"allow": ["git"], "deny": ["curl*"]}})
    for command in ("git push --force origin main", "echo ok && curl https://example.com"):
        out = await h.propose(command)
        assert out["ran"] is False and out["output"].startswith("Denied by the approval rules")
    assert not h.prompts


async def test_control_and_bidi_characters_are_shown_escaped(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    await h.propose("echo 'safe\x1b[2K\u202eexe.txt\u200b'\ntouch hidden.txt", reason="tidy\x1b[8m up")
    [prompt] = h.prompts
    for raw in ("\x1b", "\u202e", "\u200b"):
        assert raw not in prompt.message
    for shown in ("\\x1b[2K", "\\u202e", "\\u200b", "Why: the test asks: tidy\\x1b[8m up", "2. touch hidden.txt"):
        assert shown in prompt.message
    assert not (h.root / "hidden.txt").exists() and not h.workspace.exists("hidden.txt")


async def test_a_loose_file_runs_no_command_and_asks_nothing(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.answer_with(lambda q: RUN)
    workspace = AttemptWorkspace(h.root, h.settings().privacy, model_is_local=False, only="README.md")
    runner = command_runner(h.editor, h.approvals, workspace, h.settings, "M", user_file=h.user_file)
    out = await runner("touch loose.txt", "r")
    assert not out.ran and "outside every workspace folder" in out.output
    assert not h.prompts and not (h.root / "loose.txt").exists() and runner.denials == ["touch loose.txt"]


async def test_a_command_sees_the_staged_edits_and_the_model_reads_what_it_wrote(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.answer_with(lambda q: RUN)
    (h.root / "app.py").write_text("VALUE = 1\n")
    h.workspace.stage("app.py", "VALUE = 1", "VALUE = 2")
    out = await h.propose("cat app.py && echo generated > gen.txt && rm README.md")
    assert "VALUE = 2" in out["output"]  # the model's edit, not the file on disk
    assert h.workspace.read("gen.txt") == "generated\n" and h.workspace.read("README.md") is None
    kinds = {c.path: c.kind for c in h.workspace.change_set().changes}
    assert kinds == {"app.py": "modified", "gen.txt": "created", "README.md": "deleted"}
    assert (h.root / "app.py").read_text() == "VALUE = 1\n" and (h.root / "README.md").exists()
    h.workspace.close()
