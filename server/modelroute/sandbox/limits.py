"""Resource limits for one sandboxed command (issue 11 item 6).

- processes and memory: a child cgroup (v2 `pids.max`/`memory.max`, or the v1 `pids` and `memory`
  controllers) that the command joins before it starts, so every process it ever forks is counted;
  memory falls back to RLIMIT_AS per process where no memory controller is writable (documented);
- the whole tree is killed through the cgroup (`cgroup.kill` or SIGKILL to every member), and bwrap's
  pid namespace takes every process with it when the command ends: nothing outlives its command;
- one file may not grow past the disk limit (RLIMIT_FSIZE); the overlay's upper layer as a whole is
  measured while the command runs (`disk_usage`).
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

CGROUP_PREFIX = "modelroute-sandbox-"


@dataclass
class Cgroups:
    """The child cgroups one command runs in (one on v2; one per controller on v1)."""

    dirs: list[Path] = field(default_factory=list)
    process_limit: str = "none"
    memory_limit: str = "none"
    memory_dir: Path | None = None

    @classmethod
    def create(cls, max_processes: int, max_memory_bytes: int) -> Cgroups:
        groups = cls()
        for base, kind, controllers in _cgroup_bases():
            need_pids = "pids" in controllers and groups.process_limit == "none"
            need_memory = "memory" in controllers and groups.memory_limit == "none"
            if not (need_pids or need_memory):
                continue
            path = base / f"{CGROUP_PREFIX}{uuid.uuid4().hex[:12]}"
            try:
                path.mkdir()
            except OSError:
                continue
            used = False
            if need_pids and _write(path / "pids.max", str(max_processes)):
                groups.process_limit, used = kind, True
            if need_memory and _set_memory(path, kind, max_memory_bytes):
                groups.memory_limit, groups.memory_dir, used = kind, path, True
            if used:
                groups.dirs.append(path)
            else:
                _rmdir(path)
        return groups

    def join(self, pid: int) -> None:
        for path in self.dirs:
            _write(path / "cgroup.procs", str(pid))

    def out_of_memory(self) -> bool:
        if self.memory_dir is None:
            return False
        if self.memory_limit == "cgroup-v2":
            events = _read(self.memory_dir / "memory.events")
            return any(line.split()[:1] == ["oom_kill"] and line.split()[1] != "0" for line in events.splitlines())
        oom = _read(self.memory_dir / "memory.oom_control")
        killed = [line.split()[1] for line in oom.splitlines() if line.startswith("oom_kill ")]
        return bool(killed and killed[0] != "0") or _read(self.memory_dir / "memory.failcnt").strip() not in ("", "0")

    def kill(self) -> None:
        for path in self.dirs:
            kill_file = path / "cgroup.kill"
            if kill_file.exists():
                _write(kill_file, "1")
        for _ in range(200):
            pids = [int(p) for path in self.dirs for p in _read(path / "cgroup.procs").split()]
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        self.kill()
        for path in self.dirs:
            _rmdir(path)


def _set_memory(path: Path, kind: str, limit: int) -> bool:
    if kind == "cgroup-v2":
        ok = _write(path / "memory.max", str(limit))
        _write(path / "memory.swap.max", "0")
        return ok
    ok = _write(path / "memory.limit_in_bytes", str(limit))
    if (path / "memory.memsw.limit_in_bytes").exists():  # count swap too, or the limit is only on RAM
        _write(path / "memory.memsw.limit_in_bytes", str(limit))
    return ok


def _cgroup_bases() -> list[tuple[Path, str, tuple[str, ...]]]:
    """Where this process may create child cgroups, and with which of pids/memory."""
    bases: list[tuple[Path, str, tuple[str, ...]]] = []
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
        own = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return bases
    for line in mounts:
        parts = line.split()
        if len(parts) < 4:
            continue
        mnt, fstype, opts = parts[1], parts[2], parts[3].split(",")
        for entry in own:
            hid, controllers, rel = entry.split(":", 2)
            base = Path(mnt) / rel.lstrip("/")
            if fstype == "cgroup2" and hid == "0":
                enabled = _read(base / "cgroup.subtree_control").split()
                found = tuple(c for c in ("pids", "memory") if c in enabled)
                if found:
                    bases.append((base, "cgroup-v2", found))
            elif fstype == "cgroup":
                found = tuple(c for c in ("pids", "memory") if c in opts and c in controllers.split(","))
                if found:
                    bases.append((base, "cgroup-v1", found))
    return bases


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


def _rmdir(path: Path) -> None:
    for _ in range(100):
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.01)


def apply_rlimits(pid: int, *, max_file_bytes: int, memory_fallback_bytes: int | None) -> None:
    """Set limits on the (still waiting) sandbox starter; every process it forks inherits them."""
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))
    resource.prlimit(pid, resource.RLIMIT_CORE, (0, 0))
    if memory_fallback_bytes is not None:
        resource.prlimit(pid, resource.RLIMIT_AS, (memory_fallback_bytes, memory_fallback_bytes))


def disk_usage(root: Path) -> int:
    """Bytes allocated under `root` (no symlinks followed); hard links counted once."""
    total = 0
    seen: set[tuple[int, int]] = set()
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            key = (st.st_dev, st.st_ino)
            if st.st_nlink > 1:
                if key in seen:
                    continue
                seen.add(key)
            total += st.st_blocks * 512
    return total
