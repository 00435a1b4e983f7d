"""Real JupyterLab 4.6 with Jupyter AI 3 for the tests: `jupyter lab` on 127.0.0.1 with a token, every
Jupyter folder private to the test, nothing fetched from the network, and modelroute found as a
Jupyter AI persona through its entry point, as `pip install /path/to/modelroute[jupyter]` leaves it
(docs/clients/jupyterlab.md). Driven in Debian's Chromium through playwright.

(Branch `clients` has a similar harness for jupyterlab-lsp; when both are on main they can share it.)
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / ".ci" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
# Debian's chromium headless on a machine without network: the background-networking flags keep it
# from reaching out at start; no GPU, no sandbox as root.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 900}
PERSONA_ID = "jupyter-ai-personas::modelroute::ModelroutePersona"
# JupyterLab asks whether to fetch news on first start; the answer is no, so nothing waits on it.
LAB_SETTINGS = {"@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"}}


def artifact_dir(test_name: str) -> Path:
    """`.ci/artifacts/jupyterlab/<test>/`, emptied first so a folder shows one run (git-ignored)."""
    folder = ARTIFACTS / "jupyterlab" / re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name).strip("-")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Lab:
    url: str
    token: str
    root: Path
    log: Path

    def page_url(self, path: str) -> str:
        return f"{self.url}/lab/tree/{path}?token={self.token}"

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method, headers={
            "Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as answer:
            raw = answer.read()
        return json.loads(raw) if raw else None

    def new_chat(self, name: str) -> str:
        """A chat file, as File > New > Chat makes one."""
        self.request("PUT", f"/api/contents/{name}", {"type": "file", "format": "text", "content": ""})
        return name


def lab_environment(base: Mapping[str, str], home: Path) -> dict[str, str]:
    env = dict(base)
    for name, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                      ("JUPYTER_DATA_DIR", "data"), ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
                      ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"), ("IPYTHONDIR", "ipython")):
        env[name] = str(home / sub)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    # Only our persona: Jupyter AI's own agents (Claude Code, Codex, ...) need CLIs this machine lacks.
    env["JUPYTER_AI_ACP_CLIENT_E2E_TESTING_ONLY"] = "1"
    for rel, settings in LAB_SETTINGS.items():
        path = home / "lab-settings" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    return env


@contextmanager
def serve(root: Path, env: Mapping[str, str], home: Path, log: Path, *extra: str) -> Iterator[Lab]:
    """`jupyter lab` serving `root` with modelroute as the chat's default persona; stopped on exit."""
    port, token = free_port(), secrets.token_hex(16)
    lab = Lab(f"http://127.0.0.1:{port}", token, root, log)
    args = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly", f"--PersonaManager.default_persona_id={PERSONA_ID}", *extra,
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(args, env=lab_environment(env, home), stdout=sink, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_ready(lab, process)
        yield lab
    finally:
        _stop(process)


def _wait_ready(lab: Lab, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited ({process.returncode}): {lab.log.read_text()[-3000:]}")
        try:
            lab.request("GET", "/api")
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"jupyter lab did not answer in {timeout:.0f} s: {lab.log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """The whole process group: the lab and the agents it started."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=20)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


class Page:
    """A playwright page with numbered screenshots and polling that fails with a screenshot."""

    def __init__(self, page: Any, artifacts: Path) -> None:
        self.page = page
        self.artifacts = artifacts
        self._shots = 0

    def shot(self, name: str) -> Path:
        self._shots += 1
        path = self.artifacts / f"{self._shots:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def wait_until(self, what: str, check: Callable[[], bool], timeout: float = 90.0) -> None:
        """Poll `check`; the bound only decides how long a broken step takes to fail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            self.page.wait_for_timeout(300)
        shot = self.shot(f"timeout-{re.sub(r'[^a-z0-9]+', '-', what.lower())[:40]}")
        raise AssertionError(f"timed out waiting for {what} (screenshot {shot})")
