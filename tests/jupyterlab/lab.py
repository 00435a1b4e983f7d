"""Real JupyterLab 4.6 with Jupyter AI 3, on the real-client harness in tests/clients (the lab on
127.0.0.1 with a token and private Jupyter folders, Debian's Chromium, numbered screenshots): what
Jupyter AI adds is set the way a user sets it, in the lab's own config and settings files. modelroute
is found as a Jupyter AI persona through its entry point, as `pip install /path/to/modelroute[jupyter]`
leaves it (docs/clients/jupyterlab.md).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.clients.jupyterlab import lab as harness
from tests.clients.jupyterlab.lab import Lab

PERSONA_ID = "jupyter-ai-personas::modelroute::ModelroutePersona"
# The chat answers with modelroute unless the user @-mentions another persona.
SERVER_CONFIG = {"PersonaManager": {"default_persona_id": PERSONA_ID}}
# JupyterLab asks whether to fetch news on first start; the answer is no, so nothing waits on it.
LAB_SETTINGS = {"@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"}}


@contextmanager
def serve(root: Path, env: Mapping[str, str], home: Path, log: Path) -> Iterator[Lab]:
    """`jupyter lab` serving `root` with modelroute as the chat's default persona; stopped on exit."""
    config = home / "config" / "jupyter_server_config.json"  # JUPYTER_CONFIG_DIR of harness.serve
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps(SERVER_CONFIG))
    for rel, settings in LAB_SETTINGS.items():
        path = home / "lab-settings" / rel  # JUPYTERLAB_SETTINGS_DIR of harness.serve
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    # Only our persona: Jupyter AI's own agents (Claude Code, Codex, ...) need CLIs this machine lacks.
    with harness.serve(root, {**env, "JUPYTER_AI_ACP_CLIENT_E2E_TESTING_ONLY": "1"}, home, log) as lab:
        yield lab


def new_chat(lab: Lab, name: str) -> str:
    """A chat file, as File > New > Chat makes one (through the contents API, so the lab knows it)."""
    body = json.dumps({"type": "file", "format": "text", "content": ""}).encode()
    request = urllib.request.Request(f"{lab.url}/api/contents/{name}?token={lab.token}", data=body, method="PUT",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30):
        return name
