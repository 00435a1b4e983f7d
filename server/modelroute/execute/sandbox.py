"""Run one command in a bubblewrap sandbox (DESIGN section 4), or run nothing and say why.

As root, plain bwrap is no sandbox: capabilities are dropped, a user namespace is entered and further
namespaces are forbidden; pid/ipc/uts (and net unless allowed) are private; / is read-only; /tmp is a
fresh tmpfs; the workspace is the only writable place, minus protected paths (`.git` anywhere,
`.modelroute.toml`, `.vscode`, `.envrc`, ...) that stay read-only; credentials are hidden; a seccomp
filter refuses Unix sockets and io_uring; the environment is cleared; a timeout and an output cap kill
the whole process group; a cgroup `pids.max` bounds forks where the host lets us create one.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from modelroute.policy.schema import SandboxSettings

PROTECTED_NAMES = frozenset(
    {".git", ".modelroute.toml", ".vscode", ".envrc", ".gitmodules", ".gitattributes"}
)
CREDENTIAL_DIRS = (
    ".ssh",
    ".aws",
    ".gnupg",
    ".config/gh",
    ".kube",
    ".docker",
    ".azure",
    ".config/gcloud",
    ".password-store",
    ".local/share/keyrings",
)
CREDENTIAL_FILES = (".netrc", ".git-credentials", ".pgpass", ".npmrc", ".pypirc")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SCAN_LIMIT = 20_000  # directories scanned for nested repositories before giving up
EXIT_NO_SANDBOX = 125
EXIT_TIMEOUT = 124


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

    @classmethod
    def from_settings(
        cls, workspace: Path, settings: SandboxSettings, cwd: Path | None = None
    ) -> SandboxSpec:
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
    violations: tuple[
        str, ...
    ] = ()  # protected paths created or replaced during the run (created ones removed)
    notes: tuple[str, ...] = ()


def _home(spec: SandboxSpec) -> Path:
    return spec.home if spec.home is not None else Path(os.path.expanduser("~"))


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------- protected paths


@dataclass
class _Scan:
    entries: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # rel path -> (mode, ino, link)
    gitdirs: list[Path] = field(default_factory=list)
    complete: bool = True


def _signature(path: Path) -> tuple[int, int, str]:
    st = path.lstat()
    link = os.readlink(path) if path.is_symlink() else ""
    return (st.st_mode & 0o170000, st.st_ino, link)


def scan_protected(workspace: Path) -> _Scan:
    """Every protected entry in the workspace, nested repositories included, and their gitdir targets."""
    scan = _Scan()
    dirs_seen = 0
    for root, dirnames, filenames in os.walk(workspace, followlinks=False):
        dirs_seen += 1
        if dirs_seen > SCAN_LIMIT:
            scan.complete = False
            break
        base = Path(root)
        for name in [*dirnames, *filenames]:
            if name in PROTECTED_NAMES:
                path = base / name
                try:
                    scan.entries[str(path.relative_to(workspace))] = _signature(path)
                except OSError:
                    continue
                if name == ".git" and path.is_file() and not path.is_symlink():
                    target = _gitdir_target(path)
                    if target is not None:
                        scan.gitdirs.append(target)
        dirnames[:] = [d for d in dirnames if d != ".git"]
    return scan


def _gitdir_target(git_file: Path) -> Path | None:
    try:
        first = git_file.read_text(errors="replace").splitlines()[0]
    except (OSError, IndexError):
        return None
    if not first.startswith("gitdir:"):
        return None
    target = Path(first.split(":", 1)[1].strip())
    target = target if target.is_absolute() else git_file.parent / target
    return Path(os.path.realpath(target)) if target.exists() else None


def _check_after(workspace: Path, before: _Scan) -> tuple[str, ...]:
    """Protected entries created during the run are removed; replaced ones are reported."""
    after = scan_protected(workspace)
    violations: list[str] = []
    for rel, sig in after.entries.items():
        old = before.entries.get(rel)
        if old is None:
            path = workspace / rel
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            violations.append(f"created protected path {rel!r}: removed")
        elif old != sig:
            violations.append(f"protected path {rel!r} was replaced")
    violations += [
        f"protected path {rel!r} was removed" for rel in before.entries if rel not in after.entries
    ]
    return tuple(violations)


# ---------------------------------------------------------------- bwrap command line


def hidden_paths(spec: SandboxSpec) -> list[Path]:
    from modelroute.execute.audit import data_dir

    home = _home(spec)
    candidates = [home / d for d in CREDENTIAL_DIRS] + [home / f for f in CREDENTIAL_FILES]
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    candidates += [xdg / "modelroute", data_dir()]
    for pattern in spec.deny_read:
        expanded = Path(os.path.expanduser(pattern))
        base = expanded if expanded.is_absolute() else spec.workspace / expanded
        if any(c in pattern for c in "*?["):
            candidates += [Path(p) for p in sorted(base.parent.glob(base.name))]
        else:
            candidates.append(base)
    workspace = spec.workspace.resolve()
    out: list[Path] = []
    for path in candidates:
        if os.path.lexists(path) and not _inside(workspace, path.resolve()) and path not in out:
            out.append(path)
    return out


def build_bwrap_args(spec: SandboxSpec, scan: _Scan, seccomp_fd: int, status_fd: int) -> list[str]:
    workspace = str(spec.workspace)
    cwd = str(spec.cwd or spec.workspace)
    args = [
        "--cap-drop",
        "ALL",
        "--unshare-user",
        "--disable-userns",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
    ]
    if not spec.network:
        args.append("--unshare-net")
    args += ["--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    args += ["--ro-bind" if spec.mode == "read-only" else "--bind", workspace, workspace]
    for rel in sorted(scan.entries):
        path = spec.workspace / rel
        if not path.is_symlink():
            args += ["--ro-bind", str(path), str(path)]
    for target in scan.gitdirs:
        if _inside(target, spec.workspace.resolve()):
            args += ["--ro-bind", str(target), str(target)]
    for path in hidden_paths(spec):
        if path.is_dir():
            args += ["--tmpfs", str(path), "--remount-ro", str(path)]
        else:
            args += ["--ro-bind", "/dev/null", str(path)]
    args += [
        "--chdir",
        cwd,
        "--seccomp",
        str(seccomp_fd),
        "--json-status-fd",
        str(status_fd),
        "--new-session",
        "--die-with-parent",
        "--clearenv",
    ]
    for key, value in sandbox_env(spec).items():
        args += ["--setenv", key, value]
    return args


def sandbox_env(spec: SandboxSpec) -> dict[str, str]:
    parent = [p for p in os.environ.get("PATH", SYSTEM_PATH).split(":") if p.startswith("/")]
    return {
        "PATH": ":".join(parent) or SYSTEM_PATH,
        "HOME": str(_home(spec)),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "TERM": "dumb",
    }


def seccomp_filter_file() -> IO[bytes]:
    """BPF program refusing socket(AF_UNIX) and io_uring (io_uring can create sockets past seccomp)."""
    try:
        import pyseccomp
    except (ImportError, OSError) as exc:  # libseccomp missing
        raise SandboxUnavailable(f"cannot build the seccomp filter: {exc}") from exc
    filt = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    deny = pyseccomp.ERRNO(errno.EPERM)
    filt.add_rule(deny, "socket", pyseccomp.Arg(0, pyseccomp.EQ, socket.AF_UNIX))
    filt.add_rule(deny, "socketpair", pyseccomp.Arg(0, pyseccomp.EQ, socket.AF_UNIX))
    for name in ("io_uring_setup", "io_uring_enter", "io_uring_register"):
        filt.add_rule(deny, name)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it after bwrap has read it
    filt.export_bpf(out)
    out.flush()
    out.seek(0)
    return out


# ---------------------------------------------------------------- process limit


class _Cgroup:
    """A child cgroup with pids.max, when the host lets us create one (v2, else v1 pids controller)."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path = path
        self.kind = kind

    @classmethod
    def create(cls, max_processes: int) -> _Cgroup | None:
        for base, kind in _cgroup_bases():
            path = base / f"modelroute-sandbox-{uuid.uuid4().hex[:12]}"
            try:
                path.mkdir()
            except OSError:
                continue
            try:
                (path / "pids.max").write_text(str(max_processes))
                return cls(path, kind)
            except OSError:
                path.rmdir()
        return None

    def kill(self) -> None:
        kill_file = self.path / "cgroup.kill"
        if kill_file.exists():
            with contextlib.suppress(OSError):
                kill_file.write_text("1")
        for _ in range(100):
            pids = [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        self.kill()
        for _ in range(100):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.01)


def _cgroup_bases() -> list[tuple[Path, str]]:
    bases: list[tuple[Path, str]] = []
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
            if fstype == "cgroup2" and hid == "0":
                base = Path(mnt) / rel.lstrip("/")
                if "pids" in _read_words(base / "cgroup.subtree_control"):
                    bases.append((base, "cgroup-v2"))
            elif fstype == "cgroup" and "pids" in opts and "pids" in controllers.split(","):
                bases.append((Path(mnt) / rel.lstrip("/"), "cgroup-v1"))
    return bases


def _read_words(path: Path) -> list[str]:
    try:
        return path.read_text().split()
    except OSError:
        return []


# ---------------------------------------------------------------- running


@dataclass
class _Raw:
    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool
    truncated: bool
    duration_s: float


def _pump(proc: subprocess.Popen[bytes], timeout_s: float, cap: int, cgroup: _Cgroup | None) -> _Raw:
    """Read both pipes until exit; kill the whole group on timeout or when output exceeds the cap."""
    start = time.monotonic()
    deadline = start + timeout_s
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    bufs: dict[int, bytearray] = {out_fd: bytearray(), err_fd: bytearray()}
    for stream in (proc.stdout, proc.stderr):
        os.set_blocking(stream.fileno(), False)
        sel.register(stream.fileno(), selectors.EVENT_READ)
    total, timed_out, truncated = 0, False, False
    while sel.get_map():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        for key, _ in sel.select(min(remaining, 0.5)):
            fd = int(key.fd)
            chunk = os.read(fd, 65536)
            if not chunk:
                sel.unregister(fd)
                continue
            room = cap - total
            bufs[fd] += chunk[:room]
            total += min(len(chunk), room)
            if len(chunk) > room:
                truncated = True
        if truncated:
            break
    sel.close()
    if timed_out or truncated:
        _kill_group(proc, cgroup)
    try:
        code = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc, cgroup)
        code = proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    return _Raw(
        code, bytes(bufs[out_fd]), bytes(bufs[err_fd]), timed_out, truncated, time.monotonic() - start
    )


def _kill_group(proc: subprocess.Popen[bytes], cgroup: _Cgroup | None) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    if cgroup is not None:
        cgroup.kill()


def _as_argv(command: str | Sequence[str]) -> list[str]:
    if isinstance(command, str):
        shell = shutil.which("bash") or "/bin/sh"
        return [shell, "-c", command]
    return list(command)


def run_sandboxed(command: str | Sequence[str], spec: SandboxSpec) -> SandboxResult:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed; install it (apt-get install bubblewrap)"
        )
    workspace = spec.workspace
    if not workspace.is_dir():
        raise SandboxUnavailable(f"workspace {workspace} is not a directory")
    workspace = Path(os.path.realpath(workspace))
    cwd = Path(os.path.realpath(spec.cwd)) if spec.cwd else workspace
    if not _inside(cwd, workspace):
        raise SandboxUnavailable(f"working directory {cwd} is outside the workspace {workspace}")
    spec = SandboxSpec(**{**spec.__dict__, "workspace": workspace, "cwd": cwd})
    before = scan_protected(workspace)
    notes = (
        [] if before.complete else [f"stopped scanning for nested repositories after {SCAN_LIMIT} folders"]
    )
    status_r, status_w = os.pipe()
    with seccomp_filter_file() as filt:
        argv = [bwrap, *build_bwrap_args(spec, before, filt.fileno(), status_w), "--", *_as_argv(command)]
        cgroup = _Cgroup.create(spec.max_processes)
        if cgroup is None:
            notes.append("no writable cgroup with a pids controller: forks are bounded by the timeout only")
        else:
            # Join the cgroup before exec, so every process the sandbox ever forks is counted.
            argv = ["/bin/sh", "-c", 'echo 0 > "$0" && exec "$@"', str(cgroup.path / "cgroup.procs"), *argv]
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(filt.fileno(), status_w),
                start_new_session=True,
                env={"PATH": SYSTEM_PATH, "LANG": "C.UTF-8"},
            )
        except OSError as exc:
            os.close(status_r)
            os.close(status_w)
            if cgroup is not None:
                cgroup.remove()
            raise SandboxUnavailable(f"cannot start bwrap: {exc}") from exc
        os.close(status_w)
        try:
            raw = _pump(proc, spec.timeout_s, spec.max_output_bytes, cgroup)
        finally:
            if cgroup is not None:
                cgroup.remove()
            status = _read_status(status_r)
    violations = () if spec.mode == "read-only" else _check_after(workspace, before)
    return _result(raw, status, cgroup, violations, notes)


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
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def _result(
    raw: _Raw,
    status: list[dict[str, int]],
    cgroup: _Cgroup | None,
    violations: tuple[str, ...],
    notes: list[str],
) -> SandboxResult:
    stderr = raw.stderr.decode(errors="replace")
    exit_codes = [r["exit-code"] for r in status if "exit-code" in r]
    if exit_codes:
        code = exit_codes[-1]
    elif raw.timed_out:
        code = EXIT_TIMEOUT
    elif raw.truncated:
        code = 128 + signal.SIGKILL
    elif stderr.startswith("bwrap: execvp"):
        code = 127
    else:
        raise SandboxUnavailable(
            f"bubblewrap could not set up the sandbox: {stderr.strip() or raw.returncode}"
        )
    if raw.timed_out:
        code = EXIT_TIMEOUT
    return SandboxResult(
        exit_code=code,
        stdout=raw.stdout.decode(errors="replace"),
        stderr=stderr,
        timed_out=raw.timed_out,
        truncated=raw.truncated,
        duration_s=raw.duration_s,
        process_limit=cgroup.kind if cgroup else "none",
        violations=violations,
        notes=tuple(notes),
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
    raw = _pump(proc, timeout_s, max_output_bytes, None)
    code = (
        EXIT_TIMEOUT if raw.timed_out else (raw.returncode if raw.returncode >= 0 else 128 - raw.returncode)
    )
    return SandboxResult(
        code,
        raw.stdout.decode(errors="replace"),
        raw.stderr.decode(errors="replace"),
        raw.timed_out,
        raw.truncated,
        raw.duration_s,
    )


# ---------------------------------------------------------------- doctor self-test


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


_PROBE = r"""
import json, os, socket, sys
port = int(sys.argv[1]); out = {}
status = dict(l.split(":", 1) for l in open("/proc/self/status") if ":" in l)
out["cap_eff"] = status["CapEff"].strip(); out["no_new_privs"] = status["NoNewPrivs"].strip()
out["seccomp"] = status["Seccomp"].strip()
def attempt(fn):
    try:
        fn(); return "succeeded"
    except OSError as e:
        return f"refused ({e.strerror})"
def tcp():
    s = socket.create_connection(("127.0.0.1", port), timeout=2); s.close()
out["loopback"] = attempt(tcp)
out["unix_socket"] = attempt(lambda: socket.socket(socket.AF_UNIX).close())
out["interfaces"] = sorted(l.split(":")[0].strip() for l in open("/proc/net/dev").readlines()[2:])
home_probe = os.path.join(os.environ["HOME"], ".modelroute-selftest")
out["write_home"] = attempt(lambda: open(home_probe, "w").close())
out["write_usr"] = attempt(lambda: open("/usr/.modelroute-selftest", "w").close())
out["pid1_visible"] = len([p for p in os.listdir("/proc") if p.isdigit()])
print(json.dumps(out))
"""


def self_test(workspace: Path, settings: SandboxSettings | None = None) -> list[Check]:
    """Run a probe inside the sandbox and check what the sandbox promises."""
    spec = SandboxSpec.from_settings(workspace, settings or SandboxSettings(), None)
    spec = SandboxSpec(**{**spec.__dict__, "timeout_s": 20.0})
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        # The real interpreter, not a venv link: a venv under /tmp is hidden by the private /tmp.
        python = os.path.realpath(sys.executable)
        result = run_sandboxed([python, "-I", "-c", _PROBE, str(port)], spec)
    except SandboxUnavailable as exc:
        return [Check("sandbox available", False, exc.reason)]
    finally:
        listener.close()
    try:
        probe = json.loads(result.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return [Check("probe ran", False, f"exit {result.exit_code}: {result.stderr.strip()[:300]}")]
    checks = [
        Check("sandbox available", True, "bubblewrap started"),
        Check("no capabilities", int(probe["cap_eff"], 16) == 0, f"CapEff {probe['cap_eff']}"),
        Check("no_new_privs", probe["no_new_privs"] == "1", f"NoNewPrivs {probe['no_new_privs']}"),
        Check("seccomp filter", probe["seccomp"] == "2", f"Seccomp mode {probe['seccomp']}"),
        Check("unix sockets refused", probe["unix_socket"].startswith("refused"), probe["unix_socket"]),
        Check(
            "cannot write outside the workspace",
            probe["write_home"].startswith("refused") and probe["write_usr"].startswith("refused"),
            f"home: {probe['write_home']}; /usr: {probe['write_usr']}",
        ),
        Check(
            "host processes hidden", probe["pid1_visible"] <= 3, f"{probe['pid1_visible']} processes visible"
        ),
        Check(
            "process limit",
            result.process_limit != "none",
            result.process_limit if result.process_limit != "none" else "no cgroup: bounded by timeout only",
        ),
    ]
    if not spec.network:
        checks.append(
            Check(
                "no network",
                probe["loopback"].startswith("refused") and probe["interfaces"] == ["lo"],
                f"host loopback: {probe['loopback']}; interfaces: {probe['interfaces']}",
            )
        )
    return checks


# ---------------------------------------------------------------- command line


def sandbox_main(argv: list[str], settings: SandboxSettings | None = None) -> int:
    """`modelroute sandbox --workspace DIR [--network] [--timeout S] -- COMMAND [ARG...]`."""
    parser = argparse.ArgumentParser(
        prog="modelroute sandbox", description="Run one command in the sandbox the server uses."
    )
    parser.add_argument("--workspace", required=True, type=Path)
    parser.add_argument("--network", action="store_true", help="share the host network")
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds before the process group is killed"
    )
    parser.add_argument("--read-only", action="store_true", help="mount the workspace read-only")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given (put it after --)")
    base = settings or SandboxSettings()
    try:
        spec = SandboxSpec.from_settings(args.workspace, base)
        spec = SandboxSpec(
            **{
                **spec.__dict__,
                "network": args.network or spec.network,
                "timeout_s": args.timeout or spec.timeout_s,
                "mode": "read-only" if args.read_only else spec.mode,
            }
        )
        result = run_sandboxed(command, spec)
    except SandboxUnavailable as exc:
        print(f"modelroute sandbox: no sandbox, nothing was run: {exc.reason}", file=sys.stderr)
        return EXIT_NO_SANDBOX
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    for line in (*result.violations, *result.notes):
        print(f"modelroute sandbox: {line}", file=sys.stderr)
    if result.truncated:
        print(
            f"modelroute sandbox: output cut at {spec.max_output_bytes} bytes; command killed",
            file=sys.stderr,
        )
    if result.timed_out:
        print(
            f"modelroute sandbox: timed out after {spec.timeout_s:g} s; process group killed", file=sys.stderr
        )
    return result.exit_code
