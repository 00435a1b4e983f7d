"""The documented install works from a built wheel, not only from an editable checkout: the wheel
carries every file of the package (code and any data file next to it), and the
`modelroute` it installs answers `--version`, routes the example workspace and speaks LSP.

The wheel is built as README "Install" says (`pip wheel --no-deps`) and installed with `--no-deps`
into a fresh venv whose dependencies come from the test venv through a .pth file, so the test
downloads nothing beyond the build backend (which pip takes from its cache or the index).
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.clients.artifacts import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q",
         "-w", str(out), str(REPO)],
        check=True, capture_output=True, text=True, timeout=600,
    )
    [built] = out.glob("modelroute-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the wheel installed; returns its bin folder."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "--no-deps", "--no-index", str(wheel)], check=True, timeout=300)
    site = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout.strip()
    # The test venv's packages as dependencies (its editable modelroute is not on this path).
    Path(site, "test-venv-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def test_wheel_carries_every_package_file(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tracked = subprocess.run(
        ["git", "ls-files", "server/modelroute"], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    sources = [Path(p).relative_to("server").as_posix() for p in tracked]
    assert len(sources) > 50
    missing = sorted(set(sources) - set(names))
    assert not missing, f"files the wheel leaves out: {missing}"
    assert "modelroute/py.typed" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "modelroute = modelroute.cli:main" in text and "jupyter_lsp_spec_v1" in text


def test_installed_wheel_routes_the_example_without_keys(installed: Path, tmp_path: Path) -> None:
    env = {"PATH": f"{installed}:/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "c"),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "MODELROUTE_DATA_DIR": str(tmp_path / "data")}
    version = subprocess.run(["modelroute", "--version"], env=env, capture_output=True, text=True, timeout=60)
    assert version.stdout.strip() == "modelroute 0.1.0", version
    route = subprocess.run(
        ["modelroute", "route", "--workspace", str(REPO / "examples" / "shop"), "--file", "src/shop/users.py",
         "--line", "18", "--character", "8", "--instruction", "move discount_for into billing.py", "--json"],
        env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert route.returncode == 0, route.stderr
    decision = json.loads(route.stdout)
    assert decision["category"] == "multi_file_refactor" and decision["model"], decision
    # The installed module, not the checkout's.
    where = subprocess.run([str(installed / "python"), "-c", "import modelroute; print(modelroute.__file__)"],
                           env=env, capture_output=True, text=True, timeout=60).stdout
    assert str(REPO) not in where and "site-packages" in where, where


def test_installed_wheel_speaks_lsp(installed: Path, tmp_path: Path) -> None:
    """initialize / initialized / shutdown / exit over stdio with the installed `modelroute serve`."""
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"processId": None, "rootUri": (REPO / "examples" / "shop").as_uri(), "capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    payload = b"".join(
        f"Content-Length: {len(body)}\r\n\r\n".encode() + body for body in (json.dumps(m).encode() for m in messages)
    )
    env = {"PATH": f"{installed}:/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "c"),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "MODELROUTE_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(["modelroute", "serve"], input=payload, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert b'"codeActionProvider"' in done.stdout and b'"id": 2' in done.stdout.replace(b'"id":2', b'"id": 2')
