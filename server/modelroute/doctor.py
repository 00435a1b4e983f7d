"""`modelroute doctor`: which providers can run, whether settings load, whether the sandbox holds (a probe
run inside the sandbox, through a copy-on-write overlay, checked from outside)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from modelroute.policy.schema import SandboxSettings
    from modelroute.sandbox import SandboxResult


@dataclass(frozen=True)
class Finding:
    area: str
    name: str
    ok: bool
    detail: str
    optional: bool = False  # not ok, but not a failure either: shown as "--" (a missing key or file)


def _settings_findings(engine_root: Path) -> tuple[list[Finding], object | None]:
    from modelroute.pipeline import Engine

    engine = Engine(engine_root)
    findings = [Finding("settings", e.file or "settings", False, e.format()) for e in engine.resolved.errors]
    findings += [
        Finding("settings", w.file or "settings", True, "warning: " + w.format()) for w in engine.resolved.warnings
    ]
    findings += [Finding("settings", "catalog", True, "warning: " + note) for note in engine.catalog.warnings]
    if not engine.resolved.errors:
        findings.append(_file_finding("user file", engine.user_file))
        findings.append(_file_finding("workspace file", engine.workspace_file))
    return findings, engine


def _file_finding(name: str, path: Path) -> Finding:
    """A settings file is ok when it exists and loaded; a missing one is optional, never "ok"."""
    if path.is_file():
        return Finding("settings", name, True, f"{path}: loaded")
    return Finding("settings", name, False, f"{path}: not found (optional; built-in defaults apply)", optional=True)


def _provider_findings(engine: object) -> list[Finding]:
    from modelroute.pipeline import Engine

    assert isinstance(engine, Engine)
    findings = []
    for name, hint in sorted(engine.availability().items()):
        served = [m.display_name for m in engine.catalog.models if m.provider == name]
        detail = f"serves {', '.join(served) or 'no catalog model'}"
        findings.append(
            Finding("provider", name, hint is None, detail if hint is None else f"{hint}; {detail}", optional=True)
        )
    return findings


def _sandbox_findings(workspace: Path, engine: object | None) -> list[Finding]:
    """The self-test under the workspace's own sandbox settings (network, limits, deny_read)."""
    from modelroute.pipeline import Engine
    from modelroute.policy.schema import SandboxSettings
    from modelroute.sandbox import SandboxUnavailable

    settings = engine.settings.sandbox if isinstance(engine, Engine) else SandboxSettings()
    findings = []
    if settings.mode == "off":  # "Run in sandbox" still means workspace-write; test that
        findings.append(
            Finding(
                "sandbox",
                "mode",
                True,
                'mode "off" (user file): "Run without sandbox" is '
                "offered per command; approved commands still default to the sandbox",
            )
        )
        settings = settings.model_copy(update={"mode": "workspace-write"})
    try:
        checks = self_test(workspace, settings)
    except SandboxUnavailable as exc:
        return [*findings, Finding("sandbox", "setup", False, str(exc))]
    return findings + [Finding("sandbox", c.name, c.ok, c.detail) for c in checks]


# ---------------------------------------------------------------- the sandbox self-test


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


_PROBE = r"""
import errno, json, os, socket, sys
port, fifo = int(sys.argv[1]), sys.argv[2]; out = {}
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
out["vsock"] = attempt(lambda: socket.socket(40, socket.SOCK_STREAM).close())
import ctypes, platform
libc = ctypes.CDLL(None, use_errno=True)
keyctl = {"x86_64": 250, "aarch64": 219}.get(platform.machine(), 250)
rc = libc.syscall(keyctl, 0, -3, 0, 0, 0)  # KEYCTL_GET_KEYRING_ID of the session keyring
out["keyring"] = "succeeded" if rc >= 0 else f"refused ({os.strerror(ctypes.get_errno())})"
out["fifo"] = attempt(lambda: os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)))
out["interfaces"] = sorted(l.split(":")[0].strip() for l in open("/proc/net/dev").readlines()[2:])
home_probe = os.path.join(os.environ["HOME"], ".modelroute-selftest")
out["write_home"] = attempt(lambda: open(home_probe, "w").close())
out["write_usr"] = attempt(lambda: open("/usr/.modelroute-selftest", "w").close())
out["write_workspace"] = attempt(lambda: open("modelroute-selftest.txt", "w").write("probe"))
out["pid1_visible"] = len([p for p in os.listdir("/proc") if p.isdigit()])
print(json.dumps(out))
"""
SELFTEST_FILE = "modelroute-selftest.txt"


def self_test(workspace: Path, settings: SandboxSettings | None = None) -> list[Check]:
    """Run a probe inside the sandbox, through a copy-on-write overlay, and check what it promises."""
    from modelroute.sandbox import Overlay, SandboxSpec, SandboxUnavailable, check_workspace

    notes: list[Check] = []
    try:
        check_workspace(workspace, Path.home())
    except SandboxUnavailable as exc:  # the probe still tells whether the sandbox works on this machine
        notes.append(Check("workspace", True, f"{exc.reason}; self-test run in a temporary folder instead"))
        scratch = Path(tempfile.mkdtemp(prefix="modelroute-doctor-", dir="/var/tmp"))
        try:
            return notes + self_test(scratch, settings)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    spec = SandboxSpec.from_settings(workspace, settings or SandboxSettings(), None)
    spec = dataclasses.replace(spec, timeout_s=20.0)
    with _probe_targets() as (port, fifo):
        try:
            # The real interpreter, not a venv link: a venv under /tmp is hidden by the private /tmp.
            python = os.path.realpath(sys.executable)
            with Overlay(workspace, spec) as attempt:
                result = attempt.run([python, "-I", "-c", _PROBE, str(port), str(fifo)])
                proposal = attempt.change_set()
        except SandboxUnavailable as exc:
            return [*notes, Check("sandbox available", False, exc.reason)]
    try:
        probe = json.loads(result.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return [*notes, Check("probe ran", False, f"exit {result.exit_code}: {result.stderr.strip()[:300]}")]
    return notes + _checks(probe, result, proposal.paths(), workspace, spec.network)


def _checks(
    probe: dict[str, Any], result: SandboxResult, changed: list[str], workspace: Path, network: bool
) -> list[Check]:
    def refused(key: str) -> bool:
        return str(probe[key]).startswith("refused")

    kept = probe["write_workspace"] == "succeeded" and changed == [SELFTEST_FILE]
    checks = [
        Check("sandbox available", True, "bubblewrap started"),
        Check("no capabilities", int(probe["cap_eff"], 16) == 0, f"CapEff {probe['cap_eff']}"),
        Check("no_new_privs", probe["no_new_privs"] == "1", f"NoNewPrivs {probe['no_new_privs']}"),
        Check("seccomp filter", probe["seccomp"] == "2", f"Seccomp mode {probe['seccomp']}"),
        Check("unix sockets refused", refused("unix_socket"), probe["unix_socket"]),
        Check("vsock refused", refused("vsock"), probe["vsock"]),
        Check("keyrings refused", refused("keyring"), probe["keyring"]),
        Check("host FIFOs not writable", refused("fifo"), f"{probe['fifo']} (Landlock)"),
        Check(
            "cannot write outside the workspace",
            refused("write_home") and refused("write_usr"),
            f"home: {probe['write_home']}; /usr: {probe['write_usr']}",
        ),
        Check(
            "workspace is copy-on-write",
            kept and not (workspace / SELFTEST_FILE).exists(),
            f"write {probe['write_workspace']}; change set {changed}; workspace untouched",
        ),
        Check("host processes hidden", probe["pid1_visible"] <= 3, f"{probe['pid1_visible']} processes visible"),
        Check(
            "process limit",
            result.process_limit != "none",
            result.process_limit if result.process_limit != "none" else "no cgroup: bounded by timeout only",
        ),
        Check(
            "memory limit",
            result.memory_limit.startswith("cgroup"),
            result.memory_limit if result.memory_limit != "rlimit" else "no memory cgroup: RLIMIT_AS per process",
        ),
    ]
    if not network:
        checks.append(
            Check(
                "no network",
                refused("loopback") and probe["interfaces"] == ["lo"],
                f"host loopback: {probe['loopback']}; interfaces: {probe['interfaces']}",
            )
        )
    return checks


@contextlib.contextmanager
def _probe_targets() -> Iterator[tuple[int, Path]]:
    """A host TCP listener and a host FIFO (with a reader) that the probe must not reach."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    folder = Path(tempfile.mkdtemp(prefix="modelroute-doctor-", dir="/var/tmp"))
    fifo = folder / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        yield listener.getsockname()[1], fifo
    finally:
        os.close(reader)
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)


def run_doctor(workspace: Path, *, as_json: bool = False) -> int:
    """Exit 0 when settings load and the sandbox holds; providers without keys are reported, not failed."""
    findings, engine = _settings_findings(workspace)
    if engine is not None:
        findings += _provider_findings(engine)
    findings += _sandbox_findings(workspace, engine)
    failed = [f for f in findings if not f.ok and not f.optional]
    if as_json:
        print(json.dumps({"ok": not failed, "findings": [asdict(f) for f in findings]}, indent=2))
    else:
        console = Console()
        for f in findings:
            mark = "[green]ok[/green]  " if f.ok else ("[yellow]--[/yellow]  " if f.optional else "[red]FAIL[/red]")
            # escape: details quote settings keys such as [providers.x], which rich would eat as markup
            line = f"{mark} {f.area:<9} {escape(f.name):<22} {escape(f.detail)}"
            console.print(line, highlight=False, soft_wrap=True)
    return 1 if failed else 0
