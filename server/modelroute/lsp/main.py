"""`modelroute serve`: build the server and speak LSP on stdio or a TCP socket."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from modelroute.lsp.logs import configure, parse_level
from modelroute.lsp.server import ModelrouteServer


def create_server() -> ModelrouteServer:
    from modelroute.lsp import actions, commands, hover, lifecycle, notebooks, run, spend

    server = ModelrouteServer()
    for feature in (lifecycle, notebooks, actions, commands, run, spend, hover):
        feature.register(server)
    return server


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


def serve_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="modelroute serve", description="Run the modelroute language server.")
    parser.add_argument("--stdio", action="store_true", help="speak LSP on stdin/stdout (the default)")
    parser.add_argument("--tcp", type=_host_port, metavar="HOST:PORT", help="listen on a TCP socket instead")
    parser.add_argument("--log-level", default="WARNING", type=parse_level, metavar="LEVEL",
                        help="log lines sent to the editor (window/logMessage, at their own MessageType) from "
                             "this level: DEBUG, INFO, WARNING (the default) or ERROR")
    parser.add_argument("--stderr-level", default=None, type=parse_level, metavar="LEVEL",
                        help="log lines also written to stderr from this level (default ERROR: editors show "
                             "stderr as errors)")
    args = parser.parse_args(list(argv) if argv is not None else sys.argv[1:])
    server = create_server()
    configure(server, args.log_level, args.stderr_level)
    if args.tcp is not None:
        host, port = args.tcp
        server.start_tcp(host, port)
    else:
        server.start_io()
    return 0


if __name__ == "__main__":
    sys.exit(serve_main())
