"""The pygls 2 language server: features and commands, thin over `modelroute.pipeline.Engine`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelroute.lsp.server import ModelrouteServer


def serve_main(argv: Any = None) -> int:
    """`modelroute serve [--tcp HOST:PORT]`; imported lazily so `modelroute route` stays fast."""
    from modelroute.lsp.main import serve_main as main

    return main(argv)


def create_server() -> ModelrouteServer:
    from modelroute.lsp.main import create_server as create

    return create()


__all__ = ["create_server", "serve_main"]
