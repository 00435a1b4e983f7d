"""The sandbox, split by mechanism (issue 16): what commands may not touch and how that is enforced.

- `protected`   ONE list of what acts on the host later (protected.toml), used everywhere below
- `credentials` credential stores hidden from commands (credentials.toml, with each entry's source)
- `bwrap`       which bubblewrap, and its command line (namespaces, mounts, hidden paths, environment)
- `seccomp`     system calls refused (Unix and vsock sockets, io_uring, keyrings)
- `landlock`    writes only beneath the writable roots (host FIFOs included), applied inside bwrap
- `limits`      cgroup pids/memory, RLIMIT_FSIZE, disk use of the upper layer; kill the whole tree
- `runner`      start one sandboxed process and read its output under those limits
- `overlay`     the copy-on-write workspace of one attempt, and one-shot `run_sandboxed`
- `changes`     the overlay's upper layer read back as a ChangeSet
- `apply`       the apply guard: an accepted ChangeSet written to the host with no-follow opens
- `seatbelt`    the same policy as a macOS Seatbelt profile
"""

from modelroute.sandbox.apply import ApplyResult, apply_change_set, refusal_of
from modelroute.sandbox.overlay import Overlay, PathRefused, run_sandboxed
from modelroute.sandbox.runner import run_unsandboxed
from modelroute.sandbox.spec import (
    EXIT_NO_SANDBOX,
    EXIT_TIMEOUT,
    SandboxResult,
    SandboxSpec,
    SandboxUnavailable,
    check_workspace,
)

__all__ = [
    "EXIT_NO_SANDBOX",
    "EXIT_TIMEOUT",
    "ApplyResult",
    "Overlay",
    "PathRefused",
    "SandboxResult",
    "SandboxSpec",
    "SandboxUnavailable",
    "apply_change_set",
    "check_workspace",
    "refusal_of",
    "run_sandboxed",
    "run_unsandboxed",
]
