"""`modelroute serve --tcp HOST:PORT` speaks LSP on a socket; bad arguments exit 2."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys

from lsp_helpers import server_env

SERVE = [sys.executable, "-m", "modelroute.cli", "serve"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_tcp_initialize_and_shutdown():
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        *SERVE, "--tcp", f"127.0.0.1:{port}", env=server_env(), stderr=asyncio.subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            raise AssertionError("server never listened")
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "rootUri": None, "capabilities": {}},
            }
        ).encode()
        writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        length = 0
        while (line := await asyncio.wait_for(reader.readline(), 20)) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        reply = json.loads(await reader.readexactly(length))
        assert (
            reply["id"] == 1
            and "modelroute.route" in reply["result"]["capabilities"]["executeCommandProvider"]["commands"]
        )
        writer.close()
    finally:
        proc.kill()
        await proc.wait()


def test_bad_tcp_argument_exits_2():
    done = subprocess.run([*SERVE, "--tcp", "nonsense"], capture_output=True, text=True, env=server_env(), timeout=30)
    assert done.returncode == 2 and "HOST:PORT" in done.stderr
