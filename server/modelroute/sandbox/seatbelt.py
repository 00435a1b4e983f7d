"""macOS: the same policy as a Seatbelt (sandbox-exec) profile. Generated and unit-tested; it cannot run here.

Seatbelt rules are path based, so protected paths that do not exist yet are covered too (a regex per entry
of the protected list, e.g. `.git` at any depth); the last matching rule wins, so the denies come after
the allows. Credential stores come from the same list as on Linux (`subpath` covers files and folders).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from modelroute.sandbox.credentials import credential_paths
from modelroute.sandbox.protected import protected_entries


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
    rules = []
    for entry in protected_entries():  # the one protected list; "marker" folders need a lookup: the guard's job
        name = re.escape(entry.pattern)
        if entry.kind == "name":
            rules.append(f"(regex {_regex('^' + escaped + '(/.*)?/' + name + '(/.*)?$')})")
        elif entry.kind == "suffix":
            rules.append(f"(regex {_regex('^' + escaped + '/(.*/)?[^/]*' + name + '$')})")
    lines.append(f"(deny file-write* {' '.join(rules)})")
    hidden = [*credential_paths(home, {}), *extra_hidden, *deny_read]
    denies = [f"(subpath {_q(p)})" for p in hidden]
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
