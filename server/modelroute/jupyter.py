"""The jupyter-lsp server spec: modelroute installed next to JupyterLab starts `modelroute serve`.

Found through the `jupyter_lsp_spec_v1` entry point (`modelroute = "modelroute.jupyter:spec"`).
jupyter-lsp starts the server with the Jupyter root as `rootUri`; settings come from the
`.modelroute.toml` there, or in the notebook's own folder when it has one (lsp/notebooks.py).
"""

from __future__ import annotations

import sys
from typing import Any

from modelroute import __version__

SPEC_VERSION = 2  # jupyter-lsp's spec schema version (jupyter_lsp.schema.SPEC_VERSION)
LANGUAGES = ["python", "ipython", "r", "julia", "sql", "markdown"]
MIME_TYPES = [
    "text/python",
    "text/x-ipython",
    "text/x-rsrc",
    "text/x-julia",
    "text/x-sql",
    "application/sql",
    "text/x-markdown",
    "text/markdown",
    "text/x-ipythongfm",
]


def spec(manager: Any = None) -> dict[str, dict[str, Any]]:
    """The spec keyed by server name; `manager` (jupyter-lsp's LanguageServerManager) is unused."""
    return {
        "modelroute": {
            "argv": [sys.executable, "-m", "modelroute.cli", "serve"],
            "languages": list(LANGUAGES),
            "mime_types": list(MIME_TYPES),
            "display_name": f"modelroute {__version__}",
            "version": SPEC_VERSION,
            # documents are read from the client's buffers (and the saved .ipynb for outputs)
            "requires_documents_on_disk": False,
            "env": {"PYTHONUNBUFFERED": "1"},
            "urls": {
                "home": "https://github.com/modelroute/modelroute",
                "issues": "https://github.com/modelroute/modelroute/issues",
            },
            # not on PyPI: from a checkout or a wheel built from one (docs/clients/jupyterlab.md)
            "install": {"pip": "pip install /path/to/modelroute"},
            "troubleshoot": (
                "Check the server with `modelroute doctor`; the settings file is `.modelroute.toml` in the "
                "Jupyter root or in the notebook's folder. Logs: `jupyter server --log-level=DEBUG`."
            ),
        }
    }
