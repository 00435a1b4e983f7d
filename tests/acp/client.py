"""An ACP client written with the SDK's client side, as an editor would write one: it starts
`modelroute acp` as a process, records every session update, and answers permission requests with
what the test scripted (a function of the options and the tool call). Files are served from disk."""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acp import PROTOCOL_VERSION, RequestError, spawn_agent_process, text_block
from acp.client.connection import ClientSideConnection
from acp.schema import (
    AgentMessageChunk,
    AgentPlanUpdate,
    AllowedOutcome,
    ClientCapabilities,
    ConfigOptionUpdate,
    DeniedOutcome,
    FileSystemCapabilities,
    Implementation,
    PermissionOption,
    ReadTextFileResponse,
    RequestPermissionResponse,
    ResourceContentBlock,
    ToolCallProgress,
    ToolCallStart,
    ToolCallUpdate,
    UsageUpdate,
    WriteTextFileResponse,
)

from modelroute_testing.env import scrubbed_env, user_dirs

# (options, tool call) -> the option id to pick, or None: the "cancelled" outcome (ACP: the turn was cancelled).
Answer = Callable[[list[PermissionOption], ToolCallUpdate], Any]  # str | None, or an awaitable of it


@dataclass
class Asked:
    tool_call: ToolCallUpdate
    options: list[PermissionOption]
    picked: str | None
    # What was on disk when the question came: the test proves nothing was written before "apply".
    disk: dict[str, str] = field(default_factory=dict)


class RecordingClient:
    def __init__(self, root: Path, watch: tuple[str, ...] = ()) -> None:
        self.root = root
        self.watch = watch
        self.updates: list[Any] = []
        self.asked: list[Asked] = []
        self.answers: list[Answer] = []
        self.written: dict[str, str] = {}
        self.conn: ClientSideConnection | None = None
        self.session_id = ""

    # -- what the agent calls ---------------------------------------------------------------
    async def request_permission(self, options: list[PermissionOption], session_id: str, tool_call: ToolCallUpdate,
                                 **kwargs: Any) -> RequestPermissionResponse:
        answer = self.answers.pop(0) if self.answers else (lambda _o, _t: None)
        picked = answer(options, tool_call)
        if inspect.isawaitable(picked):  # an answer that does something first (a second prompt, say)
            picked = await picked
        disk = {rel: (self.root / rel).read_text() for rel in self.watch if (self.root / rel).exists()}
        self.asked.append(Asked(tool_call, options, picked, disk))
        if picked is None:
            return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
        return RequestPermissionResponse(outcome=AllowedOutcome(option_id=picked, outcome="selected"))

    async def session_update(self, session_id: str, update: Any, **kwargs: Any) -> None:
        self.updates.append(update)

    async def write_text_file(self, content: str, path: str, session_id: str, **kwargs: Any) -> WriteTextFileResponse:
        self.written[path] = content
        return WriteTextFileResponse()

    async def read_text_file(self, path: str, session_id: str, limit: int | None = None, line: int | None = None,
                             **kwargs: Any) -> ReadTextFileResponse:
        return ReadTextFileResponse(content=Path(path).read_text())

    async def ext_method(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        raise RequestError.method_not_found(method)

    async def ext_notification(self, method: str, params: dict[str, Any]) -> None:
        return None

    def on_connect(self, conn: Any) -> None:
        pass

    # -- what the test reads ----------------------------------------------------------------
    def text(self) -> str:
        return "".join(u.content.text for u in self.updates if isinstance(u, AgentMessageChunk)
                       and getattr(u.content, "text", None) is not None)

    def of(self, kind: type) -> list[Any]:
        return [u for u in self.updates if isinstance(u, kind)]

    def config_updates(self) -> list[ConfigOptionUpdate]:
        return self.of(ConfigOptionUpdate)

    def usage(self) -> list[UsageUpdate]:
        return self.of(UsageUpdate)

    def plans(self) -> list[AgentPlanUpdate]:
        return self.of(AgentPlanUpdate)

    def tool_calls(self) -> dict[str, list[Any]]:
        calls: dict[str, list[Any]] = {}
        for u in self.updates:
            if isinstance(u, ToolCallStart | ToolCallProgress):
                calls.setdefault(u.tool_call_id, []).append(u)
        return calls


@dataclass
class Agent:
    conn: ClientSideConnection
    client: RecordingClient
    process: Any

    async def session(self, cwd: Path) -> str:
        response = await self.conn.new_session(cwd=str(cwd), mcp_servers=[])
        self.options = response.config_options
        self.client.session_id = response.session_id
        return response.session_id

    async def ask(self, session_id: str, text: str, *files: str) -> Any:
        blocks: list[Any] = [text_block(text)]
        for f in files:
            blocks.append(ResourceContentBlock(type="resource_link", uri=f, name=Path(f.split("#")[0]).name))
        return await asyncio.wait_for(self.conn.prompt(session_id=session_id, prompt=blocks), timeout=240)


@asynccontextmanager
async def start_agent(client: RecordingClient, env: dict[str, str], stderr: Path,
                      *, write_files: bool = False) -> AsyncIterator[Agent]:
    with stderr.open("wb") as sink:
        async with spawn_agent_process(
            client, sys.executable, "-m", "modelroute", "acp", env=env, cwd=str(client.root),
            transport_kwargs={"stderr": sink.fileno()},
        ) as (conn, process):
            await conn.initialize(
                protocol_version=PROTOCOL_VERSION,
                client_capabilities=ClientCapabilities(
                    fs=FileSystemCapabilities(read_text_file=True, write_text_file=write_files), terminal=False),
                client_info=Implementation(name="modelroute-tests", version="1"),
            )
            client.conn = conn
            yield Agent(conn, client, process)


def clean_env(home: Path, extra: dict[str, str]) -> dict[str, str]:
    """The test process's environment without any real key or endpoint, private user folders."""
    return scrubbed_env(**user_dirs(home), MODELROUTE_DATA_DIR=str(home / "data"), **extra)


def pick(prefix: str) -> Answer:
    """Pick the first option whose id starts with `prefix`."""
    def answer(options: list[PermissionOption], _call: ToolCallUpdate) -> str | None:
        return next((o.option_id for o in options if o.option_id.startswith(prefix)), None)
    return answer


def pick_named(name: str) -> Answer:
    def answer(options: list[PermissionOption], _call: ToolCallUpdate) -> str | None:
        return next((o.option_id for o in options if o.name == name), None)
    return answer


def decline() -> Answer:
    """Press the question's reject button (Don't run, Deny, ...); a question without one is not answered."""
    def answer(options: list[PermissionOption], _call: ToolCallUpdate) -> str | None:
        return next((o.option_id for o in options if o.kind.startswith("reject")), None)
    return answer


def cancel_turn(client: RecordingClient, after_s: float = 0.0, then: Answer | None = None) -> Answer:
    """Press the client's stop button (session/cancel) `after_s` seconds from this question, and
    answer the question with `then` (default: cancelled, as ACP asks of a client that cancels)."""
    def answer(options: list[PermissionOption], call: ToolCallUpdate) -> str | None:
        assert client.conn is not None
        conn, session = client.conn, client.session_id
        asyncio.get_running_loop().call_later(after_s, lambda: asyncio.ensure_future(conn.cancel(session_id=session)))
        return then(options, call) if then is not None else None
    return answer
