"""Real JupyterLab for the tests: `jupyter lab` (4.6, with jupyterlab-lsp 5.3 and jupyter-lsp 2.3,
test extras) on 127.0.0.1 with a token, every Jupyter folder private to the test, and the
modelroute language server found through its `jupyter_lsp_spec_v1` entry point, as a user's
`pip install /path/to/modelroute jupyterlab jupyterlab-lsp` leaves it (docs/clients/jupyterlab.md).

This is the harness other client work builds on (Jupyter AI with an ACP agent will add its own
extension and settings here); it does not depend on ACP.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.clients.vscode.codeserver import free_port


@dataclass(frozen=True)
class Lab:
    url: str
    token: str
    root: Path
    log: Path

    def page_url(self, path: str) -> str:
        """A notebook or file in the lab, authenticated by the token."""
        return f"{self.url}/lab/tree/{path}?token={self.token}"

    def get_json(self, path: str) -> object:
        sep = "&" if "?" in path else "?"
        with urllib.request.urlopen(f"{self.url}{path}{sep}token={self.token}", timeout=10) as answer:
            return json.loads(answer.read())


def lab_environment(base: Mapping[str, str], home: Path) -> dict[str, str]:
    """`base` with Jupyter's config, data, runtime and JupyterLab's settings and workspaces in `home`."""
    env = dict(base)
    for name, sub in (
        ("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"), ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"),
        ("IPYTHONDIR", "ipython"),
    ):
        env[name] = str(home / sub)
    # Data: the venv's own share/jupyter (labextensions, kernels) stays on the path after ours.
    env["JUPYTER_DATA_DIR"] = str(home / "data")
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    return env


def _wait_ready(lab: Lab, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited ({process.returncode}): {lab.log.read_text()[-3000:]}")
        try:
            lab.get_json("/api")
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"jupyter lab did not answer in {timeout:.0f} s: {lab.log.read_text()[-3000:]}")


@contextmanager
def serve(root: Path, env: Mapping[str, str], home: Path, log: Path) -> Iterator[Lab]:
    """`jupyter lab` on 127.0.0.1 serving `root`, no browser, as root if need be; stopped on exit."""
    port, token = free_port(), secrets.token_hex(16)
    lab = Lab(f"http://127.0.0.1:{port}", token, root, log)
    args = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        # Nothing from the network: no news, no update checks, no extension manager listing.
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            args, env=lab_environment(env, home), stdout=sink, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    try:
        _wait_ready(lab, process, timeout=90)
        yield lab
    finally:
        for signal_number in (15, 9):
            try:
                os.killpg(process.pid, signal_number)
                process.wait(timeout=15)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
