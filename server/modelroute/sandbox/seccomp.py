"""The seccomp filter every sandboxed command runs under (bwrap `--seccomp FD`).

Refused with EPERM:
- `socket` for AF_UNIX: a read-only mount does not stop connecting to a host socket (docker.sock, the
  session bus, an ssh-agent); `socketpair` for AF_UNIX datagrams, which can `sendto` a socket path.
  Stream and seqpacket pairs stay allowed: they are connected to each other only, and cargo, Rust's
  process spawning and Python's multiprocessing need them;
- `socket`/`socketpair` for AF_VSOCK: the hypervisor's host services stay reachable with the network off;
- `io_uring_*`: io_uring can open sockets without the `socket` system call, past this filter;
- `keyctl`, `add_key`, `request_key`: the kernel keyrings (the session keyring the server inherited)
  are not namespaced by bwrap.
"""

from __future__ import annotations

import errno
import socket
import tempfile
from typing import IO

from modelroute.sandbox.spec import SandboxUnavailable

AF_VSOCK = getattr(socket, "AF_VSOCK", 40)
DENIED_FAMILIES = {"AF_UNIX": socket.AF_UNIX, "AF_VSOCK": AF_VSOCK}
SOCK_TYPE_MASK = 0xF  # the type without SOCK_NONBLOCK/SOCK_CLOEXEC
DENIED_SYSCALLS = ("io_uring_setup", "io_uring_enter", "io_uring_register", "keyctl", "add_key", "request_key")


def seccomp_filter_file() -> IO[bytes]:
    """A BPF program in a temporary file, rewound; the caller closes it once bwrap has read it."""
    try:
        import pyseccomp
    except (ImportError, OSError) as exc:  # libseccomp missing
        raise SandboxUnavailable(f"cannot build the seccomp filter: {exc}") from exc
    filt = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    deny = pyseccomp.ERRNO(errno.EPERM)
    for family in DENIED_FAMILIES.values():
        filt.add_rule(deny, "socket", pyseccomp.Arg(0, pyseccomp.EQ, family))
    filt.add_rule(deny, "socketpair", pyseccomp.Arg(0, pyseccomp.EQ, AF_VSOCK))
    unix_datagram = (pyseccomp.Arg(0, pyseccomp.EQ, socket.AF_UNIX),
                     pyseccomp.Arg(1, pyseccomp.MASKED_EQ, SOCK_TYPE_MASK, socket.SOCK_DGRAM))
    filt.add_rule(deny, "socketpair", *unix_datagram)
    for name in DENIED_SYSCALLS:
        filt.add_rule(deny, name)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it after bwrap has read it
    filt.export_bpf(out)
    out.flush()
    out.seek(0)
    return out
