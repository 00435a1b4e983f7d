"""`modelroute acp`: the ACP agent on stdio (newline-delimited JSON-RPC, as ACP clients spawn agents).

stdout carries the protocol and nothing else: the process's file descriptor 1 is pointed at stderr
before anything runs, so a stray print or a child process's output cannot corrupt a frame. A line
that is not a JSON-RPC object is answered with a JSON-RPC error (parse error, invalid request) and
the agent reads on; the SDK would otherwise drop it silently, or stop on a JSON array.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import stat
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from acp import Agent

PARSE_ERROR, INVALID_REQUEST = -32700, -32600
LINE_LIMIT = 50 * 1024 * 1024  # a prompt with embedded files can be large


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelroute acp",
        description="Run modelroute as an Agent Client Protocol agent on stdio (Zed, Jupyter AI, Neovim and "
                    "Emacs ACP clients start it). Each prompt is routed to the best-fit model; the priced "
                    "choice is shown before anything runs.",
    )
    parser.add_argument("--log-level", default=os.environ.get("MODELROUTE_LOG", "WARNING"),
                        choices=("DEBUG", "INFO", "WARNING", "ERROR"), help="log level on stderr")
    return parser


def acp_main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="modelroute acp: %(levelname)s %(name)s: %(message)s")
    protocol_out = _protect_stdout()
    try:
        asyncio.run(serve(sys.stdin.buffer, protocol_out))
    except KeyboardInterrupt:
        return 130
    return 0


def _protect_stdout() -> IO[bytes]:
    """A private copy of stdout for the protocol; fd 1 (print, child processes) goes to stderr."""
    sys.stdout.flush()
    protocol = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    return protocol


async def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """Serve one client on these pipes until it closes stdin."""
    from acp import run_agent

    from modelroute.acp.agent import ModelrouteAgent

    loop = asyncio.get_running_loop()
    raw = asyncio.StreamReader(limit=LINE_LIMIT)
    relay = None
    if _regular_file(stdin):  # `modelroute acp < requests.jsonl`: asyncio cannot watch a file
        relay = asyncio.ensure_future(_relay(stdin, raw))
    else:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(raw), stdin)
    if _regular_file(stdout):  # `> answers.jsonl`
        transport: asyncio.WriteTransport = _FileTransport(stdout)
        protocol = asyncio.streams.FlowControlMixin(loop)
    else:
        transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, stdout)
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    checked = asyncio.StreamReader(limit=LINE_LIMIT)
    guard = asyncio.ensure_future(screen(raw, checked, writer))
    try:
        # The agent implements the methods it supports; the SDK answers "method not found" for the rest
        # (session/load, fork, resume), which the agent's capabilities do not advertise.
        await run_agent(cast("Agent", ModelrouteAgent()), writer, checked)
    finally:
        guard.cancel()
        if relay is not None:
            relay.cancel()


def _regular_file(stream: IO[bytes]) -> bool:
    return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)


async def _relay(source: IO[bytes], sink: asyncio.StreamReader) -> None:
    """A file's bytes into the reader, read off the event loop (a file is always "ready" to asyncio)."""
    while chunk := await asyncio.to_thread(source.read, 64 * 1024):
        sink.feed_data(chunk)
    sink.feed_eof()


class _FileTransport(asyncio.WriteTransport):
    """Frames written straight to a file (a file never blocks the way a full pipe does)."""

    def __init__(self, file: IO[bytes]) -> None:
        super().__init__()
        self._file = file
        self._closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._file.write(data)
        self._file.flush()

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        self._closing = True

    def get_write_buffer_size(self) -> int:
        return 0

    def can_write_eof(self) -> bool:
        return False


async def screen(source: asyncio.StreamReader, sink: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Pass JSON-RPC objects on to the SDK; answer anything else with an error naming the problem."""
    oversized = False  # inside a frame over the limit: its rest is dropped, one error answers it
    try:
        while True:
            try:
                line = await source.readuntil(b"\n")
            except asyncio.IncompleteReadError as exc:
                line = exc.partial
            except asyncio.LimitOverrunError as exc:
                await source.readexactly(exc.consumed)
                if not oversized:
                    _reply_error(writer, INVALID_REQUEST, f"message longer than {LINE_LIMIT} bytes")
                oversized = True
                continue
            if not line:
                break
            if oversized:
                oversized = False
                continue
            problem = rejected(line)
            if problem is None:
                sink.feed_data(line if line.endswith(b"\n") else line + b"\n")
            elif problem[1]:
                _reply_error(writer, *problem)
    finally:
        sink.feed_eof()


def rejected(line: bytes) -> tuple[int, str] | None:
    """None for a line to pass on; else the JSON-RPC error for it (an empty message: nothing to say)."""
    text = line.strip()
    if not text:
        return INVALID_REQUEST, ""
    try:
        message: Any = json.loads(text)
    except ValueError as exc:
        return PARSE_ERROR, f"not JSON: {exc}"
    if not isinstance(message, dict):
        return INVALID_REQUEST, "a message must be one JSON object (batches are not part of ACP)"
    if "method" in message and not isinstance(message["method"], str):
        return INVALID_REQUEST, "`method` must be a string"
    return None


def _reply_error(writer: asyncio.StreamWriter, code: int, details: str) -> None:
    message = "Parse error" if code == PARSE_ERROR else "Invalid Request"
    frame = {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message, "data": {"details": details}}}
    writer.write(json.dumps(frame).encode() + b"\n")


__all__ = ["acp_main", "build_parser", "rejected", "screen", "serve"]
