"""macOS: the same policy as a Seatbelt (sandbox-exec) profile. Generated and unit-tested; it cannot run here.

Seatbelt rules are path based, so protected paths that do not exist yet are covered too (a regex over
`.git` at any depth); the last matching rule wins, so the denies come after the allows.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from modelroute.execute.sandbox import CREDENTIAL_DIRS, CREDENTIAL_FILES, PROTECTED_NAMES


def _q(path: str | Path) -> str:
    """A Seatbelt string literal."""
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _regex(text: str) -> str:
    return '#"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate_profile(
    workspace: Path,
    *,
    home: Path,
    mode: str = "workspace-write",
    network: bool = False,
    deny_read: Sequence[Path] = (),
    extra_hidden: Sequence[Path] = (),
) -> str:
    ws = os.path.realpath(workspace) if workspace.exists() else str(workspace)
    lines = [
        "(version 1)",
        "(deny default)",
        "(allow process-exec)",
        "(allow process-fork)",
        "(allow signal (target same-sandbox))",
        "(allow sysctl-read)",
        "(allow mach-lookup)",
        "(allow ipc-posix-shm)",
        "(allow file-read*)",
        '(allow file-write* (literal "/dev/null") (literal "/dev/zero") (regex #"^/dev/tty"))',
        '(allow file-write* (subpath "/private/tmp") (subpath "/private/var/folders"))',
    ]
    if mode == "workspace-write":
        lines.append(f"(allow file-write* (subpath {_q(ws)}))")
    escaped = re.escape(ws)
    protected = " ".join(
        f"(regex {_regex('^' + escaped + '(/.*)?/' + re.escape(name) + '(/.*)?$')})"
        for name in sorted(PROTECTED_NAMES)
    )
    lines.append(f"(deny file-write* {protected})")
    hidden = [home / d for d in CREDENTIAL_DIRS] + [*extra_hidden, *deny_read]
    files = [home / f for f in CREDENTIAL_FILES]
    denies = [f"(subpath {_q(p)})" for p in hidden] + [f"(literal {_q(p)})" for p in files]
    lines.append(f"(deny file-read* file-write* {' '.join(denies)})")
    if network:
        lines += [
            "(allow system-socket)",
            "(allow network-outbound (remote ip))",
            "(allow network-inbound (local ip))",
            "(allow network-bind (local ip))",
        ]
    lines.append("(deny network* (remote unix-socket))")
    lines.append('(deny network-outbound (literal "/private/var/run/docker.sock"))')
    return "\n".join(lines) + "\n"


def seatbelt_argv(profile: str, command: Sequence[str]) -> list[str]:
    return ["/usr/bin/sandbox-exec", "-p", profile, *command]
