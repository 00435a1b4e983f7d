"""`modelroute serve` with the notebook feature registered (until lsp/main.py registers it itself)."""

from __future__ import annotations

import sys

from lsprotocol import types

from modelroute.lsp import notebooks
from modelroute.lsp.main import create_server


def main() -> int:
    server = create_server()
    if types.NOTEBOOK_DOCUMENT_DID_OPEN not in server.protocol.fm.features:
        notebooks.register(server)
    server.start_io()
    return 0


if __name__ == "__main__":
    sys.exit(main())
