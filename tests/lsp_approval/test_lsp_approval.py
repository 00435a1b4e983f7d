"""The approval prompt end to end: a real server process (approval_server.py), pytest-lsp clients with
VS Code's and Neovim 0.7's capabilities, the real bubblewrap sandbox and the real audit log."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")

VSCODE, NVIM = "visual-studio-code", "neovim@v0.7.0"
PROFILES = (VSCODE, NVIM)
RUN, DENY, UNSANDBOXED = "Run in sandbox", "Deny", "Run without sandbox"

_HOME = Path(tempfile.mkdtemp(prefix="modelroute-approval-test-"))
DATA = _HOME / "data"
PLAIN_USER = _HOME / "plain-config"  # no user file: defaults
OFF_USER = _HOME / "off-config"  # the user file turns the sandbox off
(OFF_USER / "modelroute").mkdir(parents=True)
(OFF_USER / "modelroute" / "config.toml").write_text('[sandbox]\nmode = "off"\n')
SECRET_VAR = "MODELROUTE_FAKE_API_KEY"
SERVER = [sys.executable, str(Path(__file__).with_name("approval_server.py"))]

Answer = Callable[[types.ShowMessageRequestParams], "str | Awaitable[str | None] | None"]


def server_env(config_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(
        XDG_CONFIG_HOME=str(config_home),
        XDG_CACHE_HOME=str(_HOME / "cache"),
        XDG_DATA_HOME=str(_HOME / "xdg-data"),
        XDG_STATE_HOME=str(_HOME / "state"),
        MODELROUTE_DATA_DIR=str(DATA),
    )
    env[SECRET_VAR] = "sk-test-should-never-reach-a-command"
    return env


def make_client() -> LanguageClient:
    """pytest-lsp's client with a showMessageRequest handler that records prompts and answers them
    with `client.answer(params)` (a button title, None, or an awaitable of either)."""
    client = make_test_lsp_client()
    client.prompts = []  # type: ignore[attr-defined]
    client.answer = lambda params: DENY  # type: ignore[attr-defined]

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    async def on_prompt(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        client.prompts.append(params)  # type: ignore[attr-defined]
        choice = client.answer(params)  # type: ignore[attr-defined]
        if inspect.isawaitable(choice):
            choice = await choice
        return None if choice is None else types.MessageActionItem(title=choice)

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(params: types.RegistrationParams) -> None:
        return None

    return client


def _config(config_home: Path) -> ClientServerConfig:
    return ClientServerConfig(server_command=SERVER, client_factory=make_client, server_env=server_env(config_home))


@pytest_lsp.fixture(config=_config(PLAIN_USER))
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=_config(OFF_USER))
async def off_client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


def workspace(tmp_path: Path, settings_file: str | None = None) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "README.md").write_text("# demo\n")
    if settings_file is not None:
        (root / ".modelroute.toml").write_text(settings_file)
    return root.resolve()


async def start(client: LanguageClient, root: Path, profile: str, settings: dict[str, Any] | None = None) -> None:
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(profile),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options={"modelroute": settings} if settings is not None else None,
        )
    )
    await idle(client)


async def idle(client: LanguageClient) -> Any:
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command="modelroute.idle"))


async def propose(client: LanguageClient, root: Path, command: str, reason: str = "check the build") -> dict[str, Any]:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="modelroute.test.proposeCommand",
            arguments=[{"root": str(root), "command": command, "reason": reason}],
        )
    )
    assert isinstance(result, dict), result
    return result


def prompts(client: LanguageClient) -> list[types.ShowMessageRequestParams]:
    return client.prompts  # type: ignore[attr-defined,no-any-return]


def titles(prompt: types.ShowMessageRequestParams) -> list[str]:
    return [a.title for a in prompt.actions or []]


def answer_with(client: LanguageClient, fn: Answer) -> None:
    client.answer = fn  # type: ignore[attr-defined]


def audit(root: Path) -> list[dict[str, Any]]:
    path = DATA / "audit.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [e for e in map(json.loads, lines) if e["cwd"] == str(root)]


def logs(client: LanguageClient) -> list[str]:
    return [m.message for m in client.log_messages]


# ---------------------------------------------------------------- approve, deny, no answer


@pytest.mark.parametrize("profile", PROFILES)
async def test_approve_runs_in_the_real_sandbox(client: LanguageClient, tmp_path: Path, profile: str) -> None:
    root = workspace(tmp_path)
    await start(client, root, profile)
    answer_with(client, lambda p: RUN)
    out = await propose(client, root, "echo made > out.txt && grep NoNewPrivs /proc/self/status")

    assert (root / "out.txt").read_text() == "made\n"
    assert out["ran"] is True and out["exit_code"] == 0
    assert "Exit code: 0" in out["output"] and "NoNewPrivs:\t1" in out["output"]  # inside bubblewrap
    assert "in the sandbox (workspace-write, network off)" in out["output"]
    [prompt] = prompts(client)
    assert prompt.type == types.MessageType.Warning
    assert titles(prompt) == [RUN, DENY]  # two programs need approval: no "always"; no escalation
    for line in (
        "Claude Test 4.6 wants to run a shell command.",
        "Why: the test asks: check the build",
        "Sub-commands (2):",
        "1. echo made",
        "2. grep NoNewPrivs /proc/self/status",
        f"Folder: {root}",
        "Sandbox: workspace-write; network off",
    ):
        assert line in prompt.message
    assert any("ran in sandbox (approved by you): exit 0" in m for m in logs(client))
    assert out["statuses"][0].startswith("waiting for your approval")
    [entry] = audit(root)
    assert (entry["decision"], entry["decided_by"], entry["exit_code"]) == ("run_sandboxed", "user", 0)
    assert [s["argv"] for s in entry["subcommands"]] == [["echo", "made"], ["grep", "NoNewPrivs", "/proc/self/status"]]


@pytest.mark.parametrize("profile", PROFILES)
async def test_deny_runs_nothing(client: LanguageClient, tmp_path: Path, profile: str) -> None:
    root = workspace(tmp_path)
    await start(client, root, profile)
    answer_with(client, lambda p: DENY)
    out = await propose(client, root, "touch denied.txt")
    assert not (root / "denied.txt").exists()
    assert out["ran"] is False and out["exit_code"] is None
    assert out["output"].startswith("Denied by the user.") and "without the sandbox" in out["output"]
    assert "denied by you" in out["summary"]
    [entry] = audit(root)
    assert (entry["decision"], entry["decided_by"], entry["exit_code"]) == ("deny", "user", None)


async def test_unknown_button_is_a_deny(client: LanguageClient, tmp_path: Path) -> None:
    root = workspace(tmp_path)
    await start(client, root, VSCODE)
    answer_with(client, lambda p: "Always allow `rm` here (sandboxed)")  # not a button of this prompt
    out = await propose(client, root, "touch forged.txt")
    assert out["ran"] is False and not (root / "forged.txt").exists()


async def test_no_answer_in_time_is_a_deny_and_the_late_answer_is_ignored(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = workspace(tmp_path)
    await start(client, root, NVIM, {"approval": {"timeout_s": 0.5}})

    async def late(params: types.ShowMessageRequestParams) -> str:
        # Like a client that ignores the server's $/cancelRequest: the user clicks after the timeout.
        click = asyncio.ensure_future(asyncio.sleep(1.2))
        try:
            await asyncio.shield(click)
        except asyncio.CancelledError:
            cancelled.append(True)
            await click
        return RUN

    cancelled: list[bool] = []

    answer_with(client, late)
    out = await propose(client, root, "touch late.txt")
    assert out["ran"] is False
    assert "nobody answered the approval prompt within 0.5 s" in out["output"]
    assert "no answer in time" in out["summary"]
    for _ in range(40):  # the late "Run in sandbox" arrives about 0.7 s later
        if any("ignored a late answer 'Run in sandbox'" in m for m in logs(client)):
            break
        await asyncio.sleep(0.1)
    assert any("ignored a late answer 'Run in sandbox'" in m for m in logs(client)), logs(client)
    assert cancelled == [True]  # the server withdrew its request ($/cancelRequest) at the timeout
    await idle(client)
    assert not (root / "late.txt").exists()
    [entry] = audit(root)
    assert (entry["decision"], entry["decided_by"]) == ("deny", "timeout")


# ---------------------------------------------------------------- always allow, replays, stale answers


@pytest.mark.parametrize("profile", PROFILES)
async def test_always_allow_runs_the_next_one_without_a_prompt(
    client: LanguageClient, tmp_path: Path, profile: str
) -> None:
    root = workspace(tmp_path)
    await start(client, root, profile)
    always = "Always allow `mkdir` here (sandboxed)"
    answer_with(client, lambda p: always)
    first = await propose(client, root, "mkdir -p build")
    assert titles(prompts(client)[0]) == [RUN, always, DENY]
    assert first["ran"] is True and (root / "build").is_dir()
    assert "`mkdir` is now always allowed here" in first["summary"]

    answer_with(client, lambda p: DENY)  # a prompt now would deny: it must not come
    second = await propose(client, root, "mkdir -p build/sub")
    assert second["ran"] is True and (root / "build" / "sub").is_dir()
    assert len(prompts(client)) == 1
    assert [(e["decided_by"], e["exit_code"]) for e in audit(root)] == [("user", 0), ("rule", 0)]
    stored = json.loads((DATA / "always-allow.json").read_text())
    assert stored[str(root)] == ["mkdir"]

    third = await propose(client, root, "mkdir -p x && touch x/y")  # another program still asks
    assert third["ran"] is False and len(prompts(client)) == 2


async def test_an_approval_is_used_once(client: LanguageClient, tmp_path: Path) -> None:
    root = workspace(tmp_path)
    await start(client, root, VSCODE)
    answers = iter([RUN, DENY])
    answer_with(client, lambda p: next(answers))
    assert (await propose(client, root, "touch once.txt"))["ran"] is True
    (root / "once.txt").unlink()
    again = await propose(client, root, "touch once.txt")  # the same command again: asked again
    assert again["ran"] is False and not (root / "once.txt").exists()
    assert len(prompts(client)) == 2


async def test_answer_bound_to_other_sandbox_settings_is_ignored(client: LanguageClient, tmp_path: Path) -> None:
    """The sandbox settings change (network on) while the prompt is open: the approval was given for
    the old ones, so its binding no longer matches and nothing runs."""
    root = workspace(tmp_path)
    await start(client, root, NVIM)

    async def change_then_approve(params: types.ShowMessageRequestParams) -> str:
        assert "network off" in params.message
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"modelroute": {"sandbox": {"network": True}}})
        )
        await idle(client)
        return RUN

    answer_with(client, change_then_approve)
    out = await propose(client, root, "touch stale.txt")
    assert out["ran"] is False and not (root / "stale.txt").exists()
    assert "sandbox settings changed while the prompt was open" in out["output"]
    assert "stale approval ignored" in out["summary"]

    answer_with(client, lambda p: RUN)  # asked afresh under the new settings, it runs
    out = await propose(client, root, "touch stale.txt")
    assert out["ran"] is True and "network ON" in prompts(client)[-1].message


# ---------------------------------------------------------------- escalation out of the sandbox


@pytest.mark.parametrize("profile", PROFILES)
async def test_workspace_file_cannot_offer_run_without_sandbox(
    client: LanguageClient, tmp_path: Path, profile: str
) -> None:
    root = workspace(tmp_path, '[sandbox]\nmode = "off"\n')
    await start(client, root, profile)
    answer_with(client, lambda p: DENY)
    await propose(client, root, "touch x.txt")
    [prompt] = prompts(client)
    assert UNSANDBOXED not in titles(prompt)
    assert "Sandbox: workspace-write" in prompt.message


@pytest.mark.parametrize("profile", PROFILES)
async def test_user_file_off_offers_run_without_sandbox_once(
    off_client: LanguageClient, tmp_path: Path, profile: str
) -> None:
    root = workspace(tmp_path)
    await start(off_client, root, profile)
    answer_with(off_client, lambda p: UNSANDBOXED)
    out = await propose(off_client, root, f'grep NoNewPrivs /proc/self/status; echo "k=${{{SECRET_VAR}:-unset}}"')
    assert UNSANDBOXED in titles(prompts(off_client)[0])
    assert out["ran"] is True
    assert "NoNewPrivs:\t0" in out["output"]  # really outside the sandbox...
    assert "k=unset" in out["output"]  # ...but without the server's secrets
    assert "WITHOUT the sandbox" in out["output"]
    assert [(e["decision"], e["decided_by"]) for e in audit(root)] == [("run_unsandboxed", "user")]

    answer_with(off_client, lambda p: DENY)  # never stored: the same command asks again
    again = await propose(off_client, root, "grep NoNewPrivs /proc/self/status")
    assert again["ran"] is False and len(prompts(off_client)) == 2
    assert not (DATA / "always-allow.json").exists() or str(root) not in (DATA / "always-allow.json").read_text()


async def test_user_file_off_narrowed_by_the_workspace_offers_no_escalation(
    off_client: LanguageClient, tmp_path: Path
) -> None:
    root = workspace(tmp_path, '[sandbox]\nmode = "workspace-write"\n')
    await start(off_client, root, VSCODE)
    answer_with(off_client, lambda p: DENY)
    await propose(off_client, root, "touch x.txt")
    assert UNSANDBOXED not in titles(prompts(off_client)[0])


@pytest.mark.parametrize(
    ("policy", "prompted", "ran"),
    [("untrusted", True, True), ("on-request", True, True), ("never", False, False)],
)
async def test_escalation_request_under_each_policy(
    off_client: LanguageClient, tmp_path: Path, policy: str, prompted: bool, ran: bool
) -> None:
    root = workspace(tmp_path)
    await start(off_client, root, NVIM, {"approval": {"policy": policy}})
    answer_with(off_client, lambda p: UNSANDBOXED)
    out = await propose(off_client, root, "grep NoNewPrivs /proc/self/status", reason="needs the host")
    assert bool(prompts(off_client)) is prompted
    if prompted:
        assert UNSANDBOXED in titles(prompts(off_client)[0])
    assert out["ran"] is ran
    if not ran:
        assert "policy 'never' never asks" in out["output"]


async def test_allowed_command_runs_sandboxed_even_when_the_user_file_turns_the_sandbox_off(
    off_client: LanguageClient, tmp_path: Path
) -> None:
    root = workspace(tmp_path)
    await start(off_client, root, VSCODE, {"approval": {"allow": ["grep"]}})
    out = await propose(off_client, root, "grep NoNewPrivs /proc/self/status")
    assert not prompts(off_client)
    assert out["ran"] is True and "NoNewPrivs:\t1" in out["output"]  # escalation is never automatic


# ---------------------------------------------------------------- policies and rules


@pytest.mark.parametrize("profile", PROFILES)
async def test_untrusted_asks_even_for_allowed_commands(client: LanguageClient, tmp_path: Path, profile: str) -> None:
    root = workspace(tmp_path)
    await start(client, root, profile, {"approval": {"policy": "untrusted", "allow": ["echo"]}})
    answer_with(client, lambda p: RUN)
    out = await propose(client, root, "echo hi")
    assert len(prompts(client)) == 1 and "policy 'untrusted'" not in prompts(client)[0].message
    assert out["ran"] is True and "hi" in out["output"]


async def test_on_request_runs_fully_allowed_commands_without_asking(client: LanguageClient, tmp_path: Path) -> None:
    root = workspace(tmp_path)
    await start(client, root, VSCODE, {"approval": {"policy": "on-request", "allow": ["echo", "wc"]}})
    out = await propose(client, root, "echo hi | wc -c")
    assert not prompts(client)
    assert out["ran"] is True and out["exit_code"] == 0 and "3" in out["output"]
    assert "allowed by your rules" in out["summary"]
    [entry] = audit(root)
    assert (entry["verdict"], entry["decided_by"]) == ("allow", "rule")

    answer_with(client, lambda p: DENY)
    hidden = await propose(client, root, "echo hi; touch sneaky.txt")  # one sub-command is not allowed
    assert len(prompts(client)) == 1 and hidden["ran"] is False and not (root / "sneaky.txt").exists()
    assert "2. touch sneaky.txt" in prompts(client)[0].message


async def test_never_denies_instead_of_asking(client: LanguageClient, tmp_path: Path) -> None:
    root = workspace(tmp_path)
    await start(client, root, NVIM, {"approval": {"policy": "never", "allow": ["echo"]}})
    denied = await propose(client, root, "touch never.txt")
    allowed = await propose(client, root, "echo fine")
    assert not prompts(client)
    assert denied["ran"] is False and "policy 'never' never asks" in denied["output"]
    assert allowed["ran"] is True and "fine" in allowed["output"]
    assert [(e["decision"], e["decided_by"]) for e in audit(root)] == [("deny", "rule"), ("run_sandboxed", "rule")]


async def test_deny_rules_beat_everything_without_a_prompt(client: LanguageClient, tmp_path: Path) -> None:
    root = workspace(tmp_path)
    await start(client, root, VSCODE, {"approval": {"allow": ["git"], "deny": ["curl*"]}})
    for command in ("git push --force origin main", "echo ok && curl https://example.com"):
        out = await propose(client, root, command)
        assert out["ran"] is False and out["output"].startswith("Denied by the approval rules")
    assert not prompts(client)


async def test_control_and_bidi_characters_are_shown_escaped(client: LanguageClient, tmp_path: Path) -> None:
    root = workspace(tmp_path)
    await start(client, root, VSCODE)
    answer_with(client, lambda p: DENY)
    await propose(client, root, "echo 'safe\x1b[2K\u202eexe.txt\u200b'\ntouch hidden.txt", reason="tidy\x1b[8m up")
    [prompt] = prompts(client)
    for raw in ("\x1b", "\u202e", "\u200b"):
        assert raw not in prompt.message
    for shown in ("\\x1b[2K", "\\u202e", "\\u200b", "Why: the test asks: tidy\\x1b[8m up", "2. touch hidden.txt"):
        assert shown in prompt.message
    assert not (root / "hidden.txt").exists()


async def test_a_long_command_reaches_the_editor_whole(client: LanguageClient, tmp_path: Path) -> None:
    """Issue 11 class 6: long commands used to be clipped "to the details", which never reached the editor."""
    root = workspace(tmp_path)
    await start(client, root, VSCODE, {"approval": {"allow": ["echo"]}})
    answer_with(client, lambda p: DENY)
    filler = " ".join(f"word{i}" for i in range(600))  # about 5,000 characters
    command = f"echo {filler} \u200b; touch hidden-at-the-end.txt"
    out = await propose(client, root, command)
    [prompt] = prompts(client)
    assert out["ran"] is False and not (root / "hidden-at-the-end.txt").exists()
    assert "\u200b" not in prompt.message
    assert f"Full command text: echo {filler} \\u200b; touch hidden-at-the-end.txt" in prompt.message.splitlines()
    assert "2. touch hidden-at-the-end.txt" in prompt.message
