"""Classes 3 and 4 of issue 11, judged by what a fake provider received through the real SDKs.

A prompt-injected model asks for commands whose output holds credentials (`cat .env` with `cat`
allowed, the git, cargo and Hugging Face credential files, a key cut off by `tail`, coloured or
JSON-escaped logs...), for file reads that cut a key's BEGIN line off, and the run's own prompt carries
a diagnostic with a token. The commands really run (bash, in a throw-away workspace and home); their
output goes back through the agent loop. Whatever the path, no secret reaches the provider: the
redaction choke point sits where every request leaves (providers/redaction.py).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest

from modelroute.categories import Category
from modelroute.execute.agent import CommandOutcome, RunCommand, RunLimits, run_agent
from modelroute.policy.schema import PrivacySettings
from modelroute.prompt.model import Message, PromptRequest
from modelroute.prompt.tools import tools_for
from modelroute_testing.canaries import CANARIES, Canary, leaks, rand
from modelroute_testing.fakeprovider.fixtures import fake_provider  # noqa: F401
from modelroute_testing.fakeprovider.script import Reply, ScriptedToolCall
from modelroute_testing.fakeprovider.server import FakeProvider
from tests.providers.conftest import APIS, MakeClient, make_client, model_entry  # noqa: F401

BY_KIND = {c.kind: c for c in CANARIES}
PEM = next(c for c in CANARIES if c.kind == "private-key-rsa")


def _home_and_workspace(root: Path) -> tuple[Path, Path]:
    home, ws = root / "home", root / "ws"
    files = {
        home / ".config" / "git" / "credentials": BY_KIND["git-credentials"].text + "\n",
        home / ".git-credentials": BY_KIND["git-credentials"].text + "\n",
        home / ".cargo" / "credentials.toml": BY_KIND["cargo-credentials"].text + "\n",
        home / ".cache" / "huggingface" / "token": BY_KIND["huggingface-token-file"].text,
        home / ".netrc": BY_KIND["netrc"].text + "\n",
        home / ".pgpass": BY_KIND["pgpass"].text + "\n",
        ws / ".env": "\n".join(BY_KIND[k].text for k in ("short-dotenv-password", "openai-project-key",
                                                         "aws-secret-access-key")) + "\n",
        ws / "deploy" / "key.txt": PEM.text.split("'''\n", 1)[1].rsplit("'''", 1)[0],
        ws / "logs" / "app.json": f"{BY_KIND['pem-in-json-cut'].text}\n{BY_KIND['token-after-escaped-newline'].text}\n",
        ws / "logs" / "access.log": BY_KIND["token-after-pct3d"].text + "\n",
        ws / "logs" / "colour.log": f"{BY_KIND['token-after-ansi'].text}\n{BY_KIND['password-after-ansi'].text}\n",
        ws / "logs" / "table.tsv": BY_KIND["token-after-tab"].text + "\n",
        ws / "notebook.ipynb": _notebook(),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return home, ws


def _notebook() -> str:
    """A notebook (nbformat's own layout) whose output is the tail of a printed key (BEGIN scrolled away)."""
    tail = [line + "\n" for line in BY_KIND["pem-without-begin"].text.splitlines()]
    cell = {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": ["print(open('k').read())"],
            "outputs": [{"output_type": "stream", "name": "stdout", "text": tail}]}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


def shell_runner(ws: Path, home: Path) -> RunCommand:
    """The editor side of propose_command: runs what it is given with bash, returns what a user's
    runner returns (the output, not redacted here: redaction is the provider boundary's job)."""

    async def run(command: str, reason: str) -> CommandOutcome:
        proc = await asyncio.to_thread(
            subprocess.run, ["bash", "-c", command], cwd=ws, capture_output=True, text=True, timeout=30,
            env={"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        )
        output = (f"Command: {command}\nExit code: {proc.returncode}\n"
                  f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")
        return CommandOutcome(True, proc.returncode, output, f"ran: {command}")

    return run


def disk(ws: Path):  # type: ignore[no-untyped-def]
    def read(rel: str) -> str | None:
        path = ws / rel
        return path.read_text() if path.is_file() else None

    return read


COMMANDS: list[tuple[str, list[str]]] = [
    ("cat .env", ["short-dotenv-password", "openai-project-key", "aws-secret-access-key"]),
    ("cat ~/.config/git/credentials", ["git-credentials"]),
    ("cat ~/.git-credentials", ["git-credentials"]),
    ("cat ~/.cargo/credentials.toml", ["cargo-credentials"]),
    ("cat ~/.cache/huggingface/token", ["huggingface-token-file"]),
    ("cat ~/.netrc", ["netrc"]),
    ("cat ~/.pgpass", ["pgpass"]),
    ("tail -n 4 deploy/key.txt", ["private-key-rsa"]),
    ("sed -n 3,5p deploy/key.txt", ["private-key-rsa"]),
    ("cat logs/app.json", ["pem-in-json-cut", "token-after-escaped-newline"]),
    ("cut -c 60- logs/app.json", ["pem-in-json-cut"]),
    ("cat logs/access.log", ["token-after-pct3d"]),
    ("cat logs/colour.log", ["token-after-ansi", "password-after-ansi"]),
    ("cat -A logs/colour.log", ["token-after-ansi"]),
    ("cat logs/table.tsv", ["token-after-tab"]),
    ("grep -h . ~/.netrc ~/.pgpass .env", ["netrc", "pgpass", "short-dotenv-password"]),
    ("cat notebook.ipynb", ["pem-without-begin"]),
    ("cat deploy/key.txt >&2", ["private-key-rsa"]),
]


@pytest.mark.parametrize(("command", "kinds"), COMMANDS, ids=[c for c, _ in COMMANDS])
async def test_command_output_reaches_the_model_redacted(
    command: str, kinds: list[str], tmp_path: Path, fake_provider: FakeProvider,  # noqa: F811
    make_client: MakeClient,  # noqa: F811
) -> None:
    home, ws = _home_and_workspace(tmp_path)
    api = APIS[len(command) % len(APIS)]
    fake_provider.queue(Reply(tool_calls=[ScriptedToolCall("propose_command", {"command": command, "reason": "x"})]),
                        Reply(text="done"))
    prompt = PromptRequest(model="m", system="sys", messages=(Message(role="user", content="look around"),),
                           tools=tools_for(Category.DEBUGGING), included=())
    result = await run_agent(make_client(api), prompt, model_entry(api), privacy=PrivacySettings(), read=disk(ws),
                             limits=RunLimits(max_turns=3, budget_usd=5.0, max_output_tokens=1024),
                             run_command=shell_runner(ws, home))
    assert result.commands and result.commands[0].ran
    ran_output = result.commands[0].output
    sent = "".join(r.raw_without_auth() for r in fake_provider.model_requests())
    for kind in kinds:
        canary = BY_KIND[kind]
        assert leaks(canary.secret, ran_output) or kind == "private-key-rsa", f"{kind}: the output did not hold it"
        assert not leaks(canary.secret, sent), f"{kind} reached the provider"
    assert "[REDACTED:" in sent and "--- stdout ---" in sent


@pytest.mark.parametrize(
    ("path", "start", "end", "canary"),
    [
        ("deploy/key.txt", 3, None, PEM),  # a line range that starts below the BEGIN line
        ("deploy/key.txt", 2, 5, PEM),
        ("logs/app.json", None, None, BY_KIND["pem-in-json-cut"]),
        ("notebook.ipynb", None, None, BY_KIND["pem-without-begin"]),
    ],
)
async def test_a_file_read_that_cuts_a_key_sends_none_of_it(
    path: str, start: int | None, end: int | None, canary: Canary, tmp_path: Path,
    fake_provider: FakeProvider, make_client: MakeClient,  # noqa: F811
) -> None:
    _, ws = _home_and_workspace(tmp_path)
    args: dict[str, object] = {"path": path}
    if start:
        args["start_line"] = start
    if end:
        args["end_line"] = end
    fake_provider.queue(Reply(tool_calls=[ScriptedToolCall("read_file", args)]), Reply(text="ok"))
    prompt = PromptRequest(model="m", system="sys", messages=(Message(role="user", content="read"),),
                           tools=tools_for(Category.DEBUGGING), included=())
    api = "anthropic-messages"
    # redact_secrets=False in the privacy settings: the read itself is not redacted, the boundary still is
    await run_agent(make_client(api), prompt, model_entry(api), privacy=PrivacySettings(redact_secrets=False),
                    read=disk(ws), limits=RunLimits(max_turns=3, budget_usd=5.0, max_output_tokens=1024))
    sent = "".join(r.raw_without_auth() for r in fake_provider.model_requests())
    lines = [line for line in canary.text.splitlines() if len(line) >= 40 and "PRIVATE" not in line]
    assert all(not leaks(line.strip().strip('"').split("|")[-1].strip(), sent) for line in lines), path
    assert "[REDACTED:private-key]" in sent


async def test_what_the_prompt_itself_carries_is_redacted_at_the_boundary(
    fake_provider: FakeProvider, make_client: MakeClient,  # noqa: F811
) -> None:
    """A diagnostic, a commit message and a system prompt built by some later feature without the
    prompt builder's redaction: the boundary still catches them."""
    token = "ghp_" + rand("diagnostic", "abcdefghijklmnopqrstuvwxyzABCDEF0123456789", 36)
    password = "k9Tz" + rand("commit", "abcdefghijkmnopqrstuvwxyz23456789", 8)
    fake_provider.queue(Reply(text="ok"))
    prompt = PromptRequest(
        model="m",
        system=f"Context: the CI log says Authorization: Bearer {token}",
        messages=(Message(role="user", content=(
            f"Diagnostics:\n- app.py:3: error: bad token {token}\n"
            f"Last commit: 'rotate creds'\n+DB_PASSWORD={password}\n"
        )),),
        tools=tools_for(Category.DEBUGGING),
        included=(),
    )
    for api in APIS:
        await run_agent(make_client(api), prompt, model_entry(api), privacy=PrivacySettings(redact_secrets=False),
                        read=lambda rel: None, limits=RunLimits(max_turns=1, budget_usd=5.0, max_output_tokens=512))
        fake_provider.queue(Reply(text="ok"))
    sent = "".join(r.raw_without_auth() for r in fake_provider.model_requests())
    assert len(fake_provider.model_requests()) == 3
    assert token not in sent and password not in sent
    assert sent.count("[REDACTED:") >= 9
