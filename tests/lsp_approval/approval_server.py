"""Test-only server: the real modelroute server plus `modelroute.test.proposeCommand`, which feeds one
command through `command_runner` exactly as the agent loop does. Production code has no such command."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import attrs
from pygls.exceptions import JsonRpcException

from modelroute.lsp.approval import command_runner
from modelroute.lsp.main import create_server
from modelroute.lsp.server import ModelrouteServer


@attrs.define
class Proposal:
    root: str
    command: str
    reason: str = ""
    model: str = "Claude Test 4.6"


def build() -> ModelrouteServer:
    server = create_server()

    @server.command("modelroute.test.proposeCommand")
    async def propose(ls: ModelrouteServer, args: Proposal) -> dict[str, Any]:
        state = ls.registry.find(Path(args.root).resolve())
        if state is None:
            raise JsonRpcException(message=f"not a workspace folder: {args.root}", code=-32602)
        engine = await state.ready()
        statuses: list[str] = []
        runner = command_runner(
            ls, state.root, engine.settings, args.model, "the test asks: ", on_status=statuses.append
        )
        outcome = await runner(args.command, args.reason)
        return {**dataclasses.asdict(outcome), "statuses": statuses}

    return server


if __name__ == "__main__":
    build().start_io()
    sys.exit(0)
