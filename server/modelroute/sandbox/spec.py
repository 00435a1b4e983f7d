"""What a sandboxed command may do (`SandboxSpec`), what came back (`SandboxResult`), and the one error
that means "nothing was run" (`SandboxUnavailable`). Pure data plus the workspace rule of issue 11 item 7.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from modelroute.changeset import ChangeSet
from modelroute.policy.schema import SandboxSettings

EXIT_NO_SANDBOX = 125
EXIT_TIMEOUT = 124
MIB = 1024 * 1024


class SandboxUnavailable(Exception):
    """No sandbox could be set up; nothing was run."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SandboxSpec:
    workspace: Path
    cwd: Path | None = None
    mode: Literal["read-only", "workspace-write"] = "workspace-write"
    network: bool = False
    deny_read: tuple[str, ...] = ()
    timeout_s: float = 300.0
    max_output_bytes: int = 1_000_000
    max_processes: int = 256
    home: Path | None = None
    # Resource limits (issue 11 item 6). Memory covers every process of the command together (cgroup);
    # /tmp is a private tmpfs of this size; the overlay's upper layer (what commands wrote) may not
    # grow past max_disk_bytes, and no single file past it either (RLIMIT_FSIZE).
    max_memory_bytes: int = 2048 * MIB
    tmp_size_bytes: int = 512 * MIB
    max_disk_bytes: int = 2048 * MIB

    @classmethod
    def from_settings(cls, workspace: Path, settings: SandboxSettings, cwd: Path | None = None) -> SandboxSpec:
        if settings.mode == "off":
            raise SandboxUnavailable("sandbox mode is 'off': use run_unsandboxed after an explicit approval")
        return cls(
            workspace=workspace,
            cwd=cwd,
            mode=settings.mode,
            network=settings.network,
            deny_read=tuple(settings.deny_read),
            timeout_s=settings.timeout_s,
            max_output_bytes=settings.max_output_bytes,
            max_processes=settings.max_processes,
        )


@dataclass(frozen=True)
class SandboxResult:
    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool = False
    truncated: bool = False
    duration_s: float = 0.0
    process_limit: str = "none"  # "cgroup-v2", "cgroup-v1" or "none" (then only the timeout bounds forks)
    # What the command tried that did not reach the host: refused changes (protected paths, symlinks,
    # setuid bits, ...) and limits that stopped it (memory, disk). Shown to the user and the model.
    violations: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    memory_limit: str = "none"  # "cgroup-v2", "cgroup-v1", "rlimit" or "none"
    out_of_memory: bool = False
    disk_full: bool = False
    # One-shot runs (`run_sandboxed` in workspace-write mode): what the command changed, as a change set,
    # and which paths the apply guard then wrote to the workspace.
    change_set: ChangeSet | None = None
    applied: tuple[str, ...] = field(default=())


def home_of(spec: SandboxSpec) -> Path:
    return spec.home if spec.home is not None else Path(os.path.expanduser("~"))


def inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def check_workspace(workspace: Path, home: Path) -> Path:
    """The workspace, resolved; refused when it is not a folder or when it is `$HOME`, `/` or any
    ancestor of `$HOME` (a loose file's folder must never make the home folder writable, issue 11 item 7)."""
    if not workspace.is_dir():
        raise SandboxUnavailable(f"workspace {workspace} is not a directory")
    real = Path(os.path.realpath(workspace))
    real_home = Path(os.path.realpath(home))
    if inside(real_home, real):
        what = "your home folder" if real == real_home else f"an ancestor of your home folder ({real_home})"
        raise SandboxUnavailable(
            f"workspace {real} is {what}: commands run only in a project folder below it "
            "(open the project's folder as the workspace)"
        )
    return real
