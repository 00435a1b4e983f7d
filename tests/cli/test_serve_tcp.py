"""`modelroute serve --tcp`: a clear one-line error and exit 1 when it cannot listen, and no
traceback when it ends normally (a client's shutdown and exit, or Ctrl-C)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from modelroute_testing.env import scrubbed_env


def serve(port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "modelroute", "serve", "--tcp", f"127.0.0.1:{port}"],
        stderr=subprocess.PIPE, text=True, env=scrubbed_env(),
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def connect(port: int, proc: subprocess.Popen[str]) -> socket.socket:
    for _ in range(600):  # the server is up when it accepts; this only bounds a server that never listens
        try:
            return socket.create_connection(("127.0.0.1", port))
        except OSError:
            assert proc.poll() is None, proc.communicate()[1]
            time.sleep(0.1)
    raise AssertionError("the server never listened")


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)


def receive(sock: socket.socket) -> dict[str, Any]:
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += sock.recv(1)
    length = int(head.split(b"Content-Length:")[1].split(b"\r\n")[0])
    body = b""
    while len(body) < length:
        body += sock.recv(length - len(body))
    return dict(json.loads(body))


def answer(sock: socket.socket, request_id: int) -> dict[str, Any]:
    while True:
        message = receive(sock)
        if message.get("id") == request_id and "method" not in message:
            return message


def test_port_in_use_is_one_clear_line_and_exit_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = serve(port)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert err.strip().splitlines() == [f"modelroute: error: cannot listen on 127.0.0.1:{port}: address already in use"]


def test_shutdown_and_exit_from_the_client_end_the_server_quietly() -> None:
    port = free_port()
    proc = serve(port)
    with connect(port, proc) as sock:
        init = {"processId": None, "rootUri": None, "capabilities": {}}
        send(sock, {"id": 1, "method": "initialize", "params": init})
        assert "capabilities" in answer(sock, 1)["result"]
        send(sock, {"method": "initialized", "params": {}})
        send(sock, {"id": 2, "method": "shutdown"})
        assert answer(sock, 2)["result"] is None
        send(sock, {"method": "exit"})
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert "Traceback" not in err and "Unhandled exception" not in err, err


def test_ctrl_c_ends_the_server_quietly() -> None:
    port = free_port()
    proc = serve(port)
    # The connection stays open until the signal is sent: a client that hangs up ends the server on its
    # own (exit 0), which would race the signal.
    with connect(port, proc):
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "Traceback" not in err, err
