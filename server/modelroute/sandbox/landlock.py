"""Landlock inside the sandbox: writes only where the command may write, whatever is mounted.

bwrap's read-only bind of `/` stops writes to files, but not to FIFOs: opening a host FIFO for writing
is not a change to the file system, so a command could feed a host process that reads one. Landlock
(Linux 5.13+) checks every open for writing against the folders a ruleset allows, FIFOs included.
Landlock forbids mounting, so it cannot be applied before bwrap has built the mounts: a small launcher
(the interpreter that runs modelroute, `-I -S`, standard library only) applies it inside the sandbox and
then executes the command. It also scopes abstract Unix sockets (ABI 6) as a second lock behind the
seccomp filter.

The launcher is passed as `-c` source, so it works wherever the package is installed.
"""

from __future__ import annotations

import ctypes
import os
import sys
from functools import cache

SYS_LANDLOCK_CREATE_RULESET = 444  # the same number on every architecture (new syscall table)
LANDLOCK_CREATE_RULESET_VERSION = 1
EXIT_LAUNCH_FAILED = 125

LAUNCHER = r"""
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
args = sys.argv[1:]
split = args.index("--")
roots, argv = args[:split], args[split + 1:]
abi = libc.syscall(444, None, 0, 1)
def fail(what):
    err = ctypes.get_errno()
    sys.stderr.write("modelroute sandbox: landlock %s failed: %s\n" % (what, os.strerror(err)))
    sys.exit(125)
if abi >= 1:
    fs_all = (1 << 13) - 1            # ABI 1: execute .. make_sym
    if abi >= 2: fs_all |= 1 << 13    # refer
    if abi >= 3: fs_all |= 1 << 14    # truncate
    if abi >= 5: fs_all |= 1 << 15    # ioctl_dev
    read = 1 | 4 | 8                  # execute, read_file, read_dir
    if abi >= 6:
        attr = struct.pack("QQQ", fs_all, 0, 1)   # scoped: abstract unix sockets
    else:
        attr = struct.pack("Q", fs_all)
    buf = ctypes.create_string_buffer(attr, len(attr))
    rs = libc.syscall(444, buf, len(attr), 0)
    if rs < 0: fail("create_ruleset")
    def allow(path, access):
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        rule = ctypes.create_string_buffer(struct.pack("=Qi", access, fd), 12)
        if libc.syscall(445, rs, 1, rule, 0) < 0: fail("add_rule " + path)
        os.close(fd)
    allow("/", read)
    for root in roots:
        allow(root, fs_all)
    if libc.prctl(38, 1, 0, 0, 0) != 0: fail("no_new_privs")
    if libc.syscall(446, rs, 0) < 0: fail("restrict_self")
    os.close(rs)
try:
    os.execvp(argv[0], argv)
except OSError as e:
    sys.stderr.write("bwrap: execvp %s: %s\n" % (argv[0], e.strerror))
    sys.exit(127 if e.errno == 2 else 126)
"""


@cache
def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when Landlock is missing or disabled."""
    if not sys.platform.startswith("linux"):
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    version = int(libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, 0, LANDLOCK_CREATE_RULESET_VERSION))
    return max(version, 0)


def launcher_argv(python: str, writable: list[str], command: list[str]) -> list[str]:
    """The command wrapped in the launcher: Landlock allows writes only beneath `writable`."""
    return [python, "-I", "-S", "-c", LAUNCHER, *writable, "--", *command]


def sandbox_python() -> str:
    """The real interpreter (not a venv link: a venv under /tmp is hidden by the private /tmp)."""
    return os.path.realpath(sys.executable)
