"""Run one command under bwrap with its limits, and read its output; or run nothing and say why.

`execute` is the one place a sandboxed process is started: the overlay runs every command through it,
and `run_sandboxed` is a one-shot overlay whose change set is applied through the apply guard.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from modelroute.sandbox import bwrap, landlock
from modelroute.sandbox.limits import Cgroups, apply_rlimits, disk_usage
from modelroute.sandbox.seccomp import seccomp_filter_file
from modelroute.sandbox.spec import (
    EXIT_TIMEOUT,
    SandboxResult,
    SandboxSpec,
    SandboxUnavailable,
    check_workspace,
    home_of,
    inside,
)

# Wait for the parent to put the starter in its cgroups and set its limits, then become bwrap.
_GATE = 'read _ignored; exec "$@"'
DISK_POLL_S = 0.25


@dataclass
class _Raw:
    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool
    truncated: bool
    duration_s: float
    disk_full: bool = False


@dataclass(frozen=True)
class _Watch:
    timeout_s: float
    max_output_bytes: int
    disk_root: Path | None = None
    max_disk_bytes: int = 0


def normalise(spec: SandboxSpec) -> SandboxSpec:
    """Resolved workspace and working folder; refuses a workspace at or above $HOME and a cwd outside."""
    workspace = check_workspace(spec.workspace, home_of(spec))
    real_home = Path(os.path.expanduser("~"))
    if real_home != home_of(spec):
        check_workspace(workspace, real_home)
    cwd = Path(os.path.realpath(spec.cwd)) if spec.cwd else workspace
    if not inside(cwd, workspace):
        raise SandboxUnavailable(f"working directory {cwd} is outside the workspace {workspace}")
    return dataclasses.replace(spec, workspace=workspace, cwd=cwd)


def execute(command: str | Sequence[str], spec: SandboxSpec, layers: bwrap.Layers) -> SandboxResult:
    """Run `command` in the sandbox `spec` describes, the workspace mounted as `layers` says."""
    binary = bwrap.find_bwrap()
    if layers.overlay:
        bwrap.require_overlay(binary)
    notes: list[str] = []
    writable = ["/tmp", "/dev"] + ([str(spec.workspace)] if layers.overlay and spec.mode == "workspace-write" else [])
    inner = _as_argv(command)
    if landlock.landlock_abi() >= 1:
        inner = landlock.launcher_argv(landlock.sandbox_python(), writable, inner)
    else:
        notes.append("Landlock is not available on this kernel: host FIFOs stay writable")
    status_r, status_w = os.pipe()
    with seccomp_filter_file() as filt:
        argv = [binary, *bwrap.build_args(spec, layers, seccomp_fd=filt.fileno(), status_fd=status_w), "--", *inner]
        groups = Cgroups.create(spec.max_processes, spec.max_memory_bytes)
        if groups.process_limit == "none":
            notes.append("no writable cgroup with a pids controller: forks are bounded by the timeout only")
        if groups.memory_limit == "none":
            notes.append("no writable memory cgroup: memory is bounded per process (RLIMIT_AS)")
        try:
            proc = subprocess.Popen(
                ["/bin/sh", "-c", _GATE, "sh", *argv],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(filt.fileno(), status_w),
                start_new_session=True,
                env={"PATH": bwrap.SYSTEM_PATH, "LANG": "C.UTF-8"},
            )
        except OSError as exc:
            os.close(status_r)
            os.close(status_w)
            groups.remove()
            raise SandboxUnavailable(f"cannot start bwrap: {exc}") from exc
        os.close(status_w)
        try:
            _release(proc, groups, spec)
            watch = _Watch(spec.timeout_s, spec.max_output_bytes, layers.upper, spec.max_disk_bytes)
            raw = _pump(proc, watch, groups)
            oom = groups.out_of_memory()
        finally:
            groups.remove()
            status = _read_status(status_r)
    return _result(raw, status, groups, oom, notes, spec)


def _release(proc: subprocess.Popen[bytes], groups: Cgroups, spec: SandboxSpec) -> None:
    """Limits first, then let the starter exec bwrap (its stdin then reads as empty)."""
    assert proc.stdin is not None
    try:
        groups.join(proc.pid)
        fallback = spec.max_memory_bytes if groups.memory_limit == "none" else None
        apply_rlimits(proc.pid, max_file_bytes=spec.max_disk_bytes, memory_fallback_bytes=fallback)
    except OSError as exc:
        _kill_group(proc, groups)
        proc.wait()
        raise SandboxUnavailable(f"cannot set the sandbox's limits: {exc}") from exc
    finally:
        proc.stdin.close()


def _as_argv(command: str | Sequence[str]) -> list[str]:
    if isinstance(command, str):
        shell = shutil.which("bash") or "/bin/sh"
        return [shell, "-c", command]
    return list(command)


def _pump(proc: subprocess.Popen[bytes], watch: _Watch, groups: Cgroups | None) -> _Raw:
    """Read both pipes until exit; kill the whole tree on timeout, too much output or too much disk."""
    start = time.monotonic()
    deadline = start + watch.timeout_s
    next_disk = start + DISK_POLL_S
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    bufs: dict[int, bytearray] = {out_fd: bytearray(), err_fd: bytearray()}
    for fd in (out_fd, err_fd):
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    total, timed_out, truncated, disk_full = 0, False, False, False
    while sel.get_map():
        now = time.monotonic()
        if now >= deadline:
            timed_out = True
            break
        if watch.disk_root is not None and now >= next_disk:
            measured = time.monotonic()
            disk_full = disk_usage(watch.disk_root) > watch.max_disk_bytes
            # Measuring a large upper layer costs; never spend more than a tenth of the time on it.
            next_disk = time.monotonic() + max(DISK_POLL_S, 10 * (time.monotonic() - measured))
            if disk_full:
                break
        for key, _ in sel.select(min(deadline - now, DISK_POLL_S)):
            fd = int(key.fd)
            chunk = os.read(fd, 65536)
            if not chunk:
                sel.unregister(fd)
                continue
            room = watch.max_output_bytes - total
            bufs[fd] += chunk[:room]
            total += min(len(chunk), room)
            truncated = truncated or len(chunk) > room
        if truncated:
            break
    sel.close()
    if timed_out or truncated or disk_full:
        _kill_group(proc, groups)
    try:
        code = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc, groups)
        code = proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    if watch.disk_root is not None and not disk_full:
        disk_full = disk_usage(watch.disk_root) > watch.max_disk_bytes
    elapsed = time.monotonic() - start
    return _Raw(code, bytes(bufs[out_fd]), bytes(bufs[err_fd]), timed_out, truncated, elapsed, disk_full)


def _kill_group(proc: subprocess.Popen[bytes], groups: Cgroups | None) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    if groups is not None:
        groups.kill()


def _read_status(fd: int) -> list[dict[str, int]]:
    data = b""
    os.set_blocking(fd, False)
    try:
        while chunk := os.read(fd, 65536):
            data += chunk
    except BlockingIOError:
        pass
    finally:
        os.close(fd)
    records = []
    for line in data.decode(errors="replace").splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            records.append(json.loads(line))
    return records


def _result(
    raw: _Raw, status: list[dict[str, int]], groups: Cgroups, oom: bool, notes: list[str], spec: SandboxSpec
) -> SandboxResult:
    stderr = raw.stderr.decode(errors="replace")
    exit_codes = [r["exit-code"] for r in status if "exit-code" in r]
    if exit_codes:
        code = exit_codes[-1]
    elif raw.timed_out:
        code = EXIT_TIMEOUT
    elif raw.truncated or raw.disk_full:
        code = 128 + signal.SIGKILL
    elif stderr.startswith("bwrap: execvp"):
        code = 127
    else:
        raise SandboxUnavailable(f"bubblewrap could not set up the sandbox: {stderr.strip() or raw.returncode}")
    if raw.timed_out:
        code = EXIT_TIMEOUT
    violations: list[str] = []
    if oom:
        violations.append(f"killed: the command used more than {spec.max_memory_bytes // 2**20} MiB of memory")
    if raw.disk_full:
        violations.append(f"killed: the command wrote more than {spec.max_disk_bytes // 2**20} MiB to the workspace")
    return SandboxResult(
        exit_code=code,
        stdout=raw.stdout.decode(errors="replace"),
        stderr=stderr,
        timed_out=raw.timed_out,
        truncated=raw.truncated,
        duration_s=raw.duration_s,
        process_limit=groups.process_limit,
        violations=tuple(violations),
        notes=tuple(notes),
        memory_limit=groups.memory_limit if groups.memory_limit != "none" else "rlimit",
        out_of_memory=oom,
        disk_full=raw.disk_full,
    )


def run_unsandboxed(
    command: str | Sequence[str],
    cwd: Path,
    *,
    timeout_s: float = 300.0,
    max_output_bytes: int = 1_000_000,
    env: Mapping[str, str] | None = None,
) -> SandboxResult:
    """Only after a human chose "Run without sandbox" for this exact command; same timeout and cap."""
    proc = subprocess.Popen(
        _as_argv(command),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=dict(env) if env is not None else None,
    )
    raw = _pump(proc, _Watch(timeout_s, max_output_bytes), None)
    code = EXIT_TIMEOUT if raw.timed_out else (raw.returncode if raw.returncode >= 0 else 128 - raw.returncode)
    return SandboxResult(
        code,
        raw.stdout.decode(errors="replace"),
        raw.stderr.decode(errors="replace"),
        raw.timed_out,
        raw.truncated,
        raw.duration_s,
    )
