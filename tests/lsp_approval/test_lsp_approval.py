"""Approval end to end through the language server: a real run (`modelroute.run`) whose model, on the
fake provider through the real SDKs, proposes a command; the question arrives as
window/showMessageRequest with VS Code's and Neovim 0.7's capabilities; what the user answers decides
whether the real bubblewrap sandbox runs it, over the run's copy-on-write overlay; the model reads the
outcome back; what the command wrote comes back as the run's edit (never written to the host by the
server); the audit log records it. The approval rules themselves are tested in the core
(tests/run/test_approval.py)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from tests.lsp.lsp_helpers import command, idle, range_json, rng
from tests.lsp_run.run_helpers import Setup, open_doc, text_of

from modelroute_testing.fakeprovider.script import Reply, ScriptedToolCall

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")

VSCODE, NVIM = "visual-studio-code", "neovim@v0.7.0"
PROFILES = (VSCODE, NVIM)
RUN, DENY = "Run in sandbox", "Deny"
MODEL = "gpt-5-mini"
SETUP = Setup()
CODE = "def total(items):\n    return sum(i['price'] for i in items)\n"


@pytest_lsp.fixture(config=SETUP.config())
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


def workspace(tmp_path: Path) -> Path:
    root = (tmp_path / "ws").resolve()
    root.mkdir()
    (root / "calc.py").write_text(CODE)
    return root


async def start(client: LanguageClient, root: Path, profile: str, settings: dict[str, Any] | None = None) -> None:
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(profile), root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options={"modelroute": settings} if settings is not None else None,
    ))
    await idle(client)
    open_doc(client, (root / "calc.py").as_uri(), CODE)


async def run_proposing(client: LanguageClient, root: Path, command_text: str, *, uri: str | None = None,
                        reason: str = "check the build") -> dict[str, Any]:
    """A run whose model proposes `command_text`, then answers; the result of `modelroute.run`."""
    SETUP.fake.reset()
    SETUP.fake.queue(
        Reply(tool_calls=[ScriptedToolCall(name="propose_command",
                                           arguments={"command": command_text, "reason": reason})]),
        Reply(text="Done."),
    )
    args = {"uri": uri or (root / "calc.py").as_uri(), "range": range_json(rng(0, 0, 1, 10)),
            "instruction": "Explain this code", "model": MODEL}
    result: dict[str, Any] = await command(client, "modelroute.run", args)
    return result


def tool_result(index: int = 1) -> str:
    """What the model was sent back about its command (the request after the proposal)."""
    return SETUP.fake.model_requests()[index].raw_without_auth()


def prompts(client: LanguageClient) -> list[types.ShowMessageRequestParams]:
    return [q for q in client.questions if "wants to run a shell command" in q.message]  # type: ignore[attr-defined]


def audit(root: Path) -> list[dict[str, Any]]:
    path = SETUP.data / "audit.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [e for e in map(json.loads, lines) if e["cwd"] == str(root)]


def logs(client: LanguageClient) -> list[str]:
    return [m.message for m in client.log_messages]


@pytest.mark.parametrize("profile", PROFILES)
async def test_approve_runs_in_the_real_sandbox(client: LanguageClient, tmp_path: Path, profile: str) -> None:
    root = workspace(tmp_path)
    await start(client, root, profile)
    client.answer = lambda p: RUN if "shell command" in p.message else "Cancel"  # type: ignore[attr-defined]
    result = await run_proposing(client, root, "echo made > out.txt && grep NoNewPrivs /proc/self/status")
    # What the command wrote is the run's change set, offered like the model's edits: VS Code creates
    # the file through the WorkspaceEdit; Neovim 0.7 cannot create files through LSP, so the server
    # writes it through the apply guard once the run's result is accepted.
    assert result["outcome"] == "applied"
    out = (root / "out.txt").as_uri()
    if profile == VSCODE:
        assert text_of(client, out) == "made\n" and not (root / "out.txt").exists()
    else:
        assert (root / "out.txt").read_text() == "made\n"
    sent = tool_result()
    assert "Exit code: 0" in sent and "NoNewPrivs:\\t1" in sent  # inside bubblewrap
    [prompt] = prompts(client)
    assert prompt.type == types.MessageType.Warning
    assert [a.title for a in prompt.actions or []] == [RUN, DENY]
    for line in ("GPT-5 mini wants to run a shell command.", "Why: check the build", "1. echo made",
                 "2. grep NoNewPrivs /proc/self/status", f"Folder: {root}", "Sandbox: workspace-write; network off"):
        assert line in prompt.message
    assert any("ran in sandbox (approved by you): exit 0" in m for m in logs(client))
    assert [c for c in result["commands"] if "ran in sandbox" in c]
    [entry] = audit(root)
    assert (entry["decision"], entry["decided_by"], entry["exit_code"]) == ("run_sandboxed", "user", 0)


@pytest.mark.parametrize("profile", PROFILES)
async def test_deny_runs_nothing(client: LanguageClient, tmp_path: Path, profile: str) -> None:
    root = workspace(tmp_path)
    await start(client, root, profile)
    client.answer = lambda p: DENY  # type: ignore[attr-defined]
    result = await run_proposing(client, root, "touch denied.txt")
    assert result["outcome"] == "answered" and not client.edits  # type: ignore[attr-defined]
    assert "Denied by the user." in tool_result()
    assert any("denied by you" in c for c in result["commands"])
    [entry] = audit(root)
    assert (entry["decision"], entry["decided_by"], entry["exit_code"]) == ("deny", "user", None)


async def test_no_answer_in_time_is_a_deny_and_the_late_answer_is_ignored(client: LanguageClient,
                                                                          tmp_path: Path) -> None:
    root = workspace(tmp_path)
    await start(client, root, NVIM, {"approval": {"timeout_s": 0.5}})
    cancelled: list[bool] = []

    async def late(params: types.ShowMessageRequestParams) -> str:
        # Like a client that ignores the server's $/cancelRequest: the user clicks after the timeout.
        click = asyncio.ensure_future(asyncio.sleep(1.2))
        try:
            await asyncio.shield(click)
        except asyncio.CancelledError:
            cancelled.append(True)
            await click
        return RUN

    client.answer = late  # type: ignore[attr-defined]
    await run_proposing(client, root, "touch late.txt")
    assert "nobody answered the approval prompt within 0.5 s" in tool_result()
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


async def test_control_and_bidi_characters_are_shown_escaped(client: LanguageClient, tmp_path: Path) -> None:
    root = workspace(tmp_path)
    await start(client, root, VSCODE)
    client.answer = lambda p: DENY  # type: ignore[attr-defined]
    await run_proposing(client, root, "echo 'safe\x1b[2K\u202eexe.txt\u200b'\ntouch hidden.txt",
                        reason="tidy\x1b[8m up")
    [prompt] = prompts(client)
    for raw in ("\x1b", "\u202e", "\u200b"):
        assert raw not in prompt.message
    for shown in ("\\x1b[2K", "\\u202e", "\\u200b", "Why: tidy\\x1b[8m up", "2. touch hidden.txt"):
        assert shown in prompt.message
    assert not (root / "hidden.txt").exists()


async def test_a_file_outside_every_workspace_runs_no_command(client: LanguageClient, tmp_path: Path) -> None:
    root = workspace(tmp_path)
    await start(client, root, VSCODE)
    loose = (tmp_path / "elsewhere").resolve()
    loose.mkdir()
    (loose / "note.py").write_text(CODE)
    (loose / ".bashrc").write_text("export SECRET=1\n")
    client.answer = lambda p: RUN  # type: ignore[attr-defined]
    uri = (loose / "note.py").as_uri()
    open_doc(client, uri, CODE)
    result = await run_proposing(client, root, "touch planted.txt", uri=uri)
    assert result["outcome"] == "answered"
    assert not prompts(client) and not (loose / "planted.txt").exists()
    assert "outside every workspace folder" in tool_result()


async def test_a_long_command_reaches_the_editor_whole(client: LanguageClient, tmp_path: Path) -> None:
    """Issue 11 class 6: long commands used to be clipped "to the details", which never reached the editor."""
    root = workspace(tmp_path)
    await start(client, root, VSCODE, {"approval": {"allow": ["echo"]}})
    client.answer = lambda p: DENY  # type: ignore[attr-defined]
    filler = " ".join(f"word{i}" for i in range(600))  # about 5,000 characters
    await run_proposing(client, root, f"echo {filler} \u200b; touch hidden-at-the-end.txt")
    [prompt] = prompts(client)
    assert not (root / "hidden-at-the-end.txt").exists()
    assert "\u200b" not in prompt.message
    assert f"Full command text: echo {filler} \\u200b; touch hidden-at-the-end.txt" in prompt.message.splitlines()
    assert "2. touch hidden-at-the-end.txt" in prompt.message
