"""Server log lines at their own level in the editor's output channel.

Editors show a server's stderr as errors (VS Code's output channel marks every stderr line
`[error]`), so Python log records go to the client as window/logMessage with their level
(warning as Warning, info as Info), and only errors also go to stderr. pygls' routine notices (a
cancel for a request already answered, a notification nobody handles) are information, not warnings.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import threading
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from modelroute.lsp.server import ModelrouteServer

ROUTINE = ("Cancel notification for unknown message id", "Ignoring notification for unknown method")
LEVELS = ((logging.ERROR, types.MessageType.Error), (logging.WARNING, types.MessageType.Warning),
          (logging.INFO, types.MessageType.Info))
# DEBUG records go as MessageType.Log, not 3.18's Debug: clients written before 3.18 index their
# level tables by type and fail on 5 (pytest-lsp's own report does); every client knows Log.
NAMES = ("DEBUG", "INFO", "WARNING", "ERROR")


class Routine(logging.Filter):
    """pygls' routine notices become INFO records (a filter on the logger that makes them, so the
    handlers' levels see the new level)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and str(record.msg).startswith(ROUTINE):
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


class ClientLog(logging.Handler):
    """Sends records to the client as window/logMessage, from whatever thread logs them."""

    def __init__(self, server: ModelrouteServer, level: int) -> None:
        super().__init__(level)
        self.server = server
        self._sending = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        loop = self.server.event_loop
        if loop is None or loop.is_closed() or not self.server.initialized or getattr(self._sending, "on", False):
            return  # a record logged while a log line is sent (pygls' DEBUG "sending ..."): never a loop
        kind = next((kind for level, kind in LEVELS if record.levelno >= level), types.MessageType.Log)
        message = f"modelroute: {record.name}: {self.format(record)}"
        try:
            if _on_loop(loop):
                self._send(message, kind)
            else:
                loop.call_soon_threadsafe(self._send, message, kind)
        except Exception:  # a log line must never break the server
            self.handleError(record)

    def _send(self, message: str, kind: types.MessageType) -> None:
        self._sending.on = True
        try:
            self.server.log(message, kind)
        finally:
            self._sending.on = False


def parse_level(value: str) -> str:
    """`--log-level` and `--stderr-level`: a level name in any case; anything else is an error
    that names the choices (argparse exits 2 with it)."""
    name = value.upper()
    if name not in NAMES:
        raise argparse.ArgumentTypeError(f"{value!r} is not a log level: choose from {', '.join(NAMES)}")
    return name


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def configure(server: ModelrouteServer, level_name: str, stderr_level_name: str | None) -> None:
    """Records at `level_name` and above to the client; errors (or `stderr_level_name`) to stderr."""
    import sys

    level = logging.getLevelName(level_name.upper())
    level = level if isinstance(level, int) else logging.WARNING
    stderr_level = logging.getLevelName((stderr_level_name or "ERROR").upper())
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(stderr_level if isinstance(stderr_level, int) else logging.ERROR)
    stderr.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("pygls.protocol.json_rpc").addFilter(Routine())
    root = logging.getLogger()
    root.setLevel(min(level, stderr.level))
    root.addHandler(stderr)
    root.addHandler(ClientLog(server, level))


__all__ = ["ClientLog", "Routine", "configure", "parse_level"]
