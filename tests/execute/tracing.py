"""Run a command with real bash under strace and see, from outside, every program that executed.

`strace -f -ff -e trace=execve` logs each successful execve of every process, including programs run
by absolute path (sed's `e` runs /bin/sh without any PATH lookup), so nothing that runs escapes the log.
The workspace is a throw-away folder with a small git repository, a script `./script` and a program
`payload` on PATH that modelroute's grammar does not know: neither may ever run under an "allow".
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from modelroute.execute.shellparse import ParsedCommand, SubCommand

STRACE = shutil.which("strace")
BASH = "/bin/bash"
UNKNOWN = frozenset({"payload", "script"})
_EXECVE = re.compile(r'^execve\("((?:[^"\\]|\\.)*)", \[(.*)\], .*\) = 0$')
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "v": "\v", "f": "\f", '"': '"', "\\": "\\"}


@dataclass(frozen=True)
class Execution:
    path: str
    argv: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def build_workspace(root: Path) -> Path:
    """A folder to run generated commands in: files, a git repository, a script and a payload."""
    ws = root / "ws"
    (ws / "sub").mkdir(parents=True)
    (ws / "a.txt").write_text("hello\nworld\n")
    (ws / "b.txt").write_text("b\n")
    (ws / "sub" / "c.txt").write_text("c\n")
    for path, body in ((ws / "script", "#!/bin/sh\nexit 0\n"), (root / "bin" / "payload", "#!/bin/sh\nexit 0\n")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
        path.chmod(0o755)
    (root / "home").mkdir()
    env = environment(root)
    for argv in (["git", "init", "-q"], ["git", "add", "."],
                 ["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "first"]):
        subprocess.run(argv, cwd=ws, env=env, check=True, capture_output=True)
    return ws


def environment(root: Path) -> dict[str, str]:
    return {
        "PATH": f"{root / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(root / "home"),
        "LANG": "C.UTF-8",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_PAGER": "cat",
    }


def trace(command: str, ws: Path, logs: Path) -> list[Execution]:
    """Every program that bash and its children executed for `command` (bash itself left out)."""
    assert STRACE is not None, "strace is needed (.ci/run installs it)"
    if logs.exists():
        shutil.rmtree(logs)
    logs.mkdir(parents=True)
    argv = [STRACE, "-f", "-ff", "-qq", "-e", "trace=execve", "-e", "signal=none", "-s", "65536",
            "-o", str(logs / "t"), BASH, "-c", command]
    with contextlib.suppress(subprocess.TimeoutExpired):  # what ran until then is in the logs
        subprocess.run(argv, cwd=ws, env=environment(ws.parent), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60, check=False)
    found: list[Execution] = []
    for log in sorted(logs.iterdir()):
        for line in log.read_text(errors="replace").splitlines():
            match = _EXECVE.match(line)
            if match:
                argv_text = _STRING.findall(match.group(2))
                found.append(Execution(_unescape(match.group(1)), tuple(_unescape(s) for s in argv_text)))
    return [e for e in found if e.argv != (BASH, "-c", command)]


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\" or i + 1 >= len(text):
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt == "x":
            out.append(chr(int(text[i + 2 : i + 4], 16)))
            i += 4
        else:
            digits = re.match(r"[0-7]{1,3}", text[i + 1 :])
            if digits:
                out.append(chr(int(digits.group(0), 8)))
                i += 1 + len(digits.group(0))
            else:
                out.append(nxt)
                i += 2
    return "".join(out)


def unreported(executions: Sequence[Execution], parsed: ParsedCommand) -> list[Execution]:
    """Executions of programs the parse did not name."""
    return [e for e in executions if e.name not in parsed.programs]


def uncovered(executions: Sequence[Execution], parsed: ParsedCommand) -> list[Execution]:
    """Executions no sub-command (or wrapper of one) accounts for, program and arguments."""
    return [e for e in executions if not any(_covers(s, e) for s in parsed.subcommands)]


def _covers(sub: SubCommand, run: Execution) -> bool:
    if _basename(sub.argv[0]) == run.name and _argv_matches(sub.argv[1:], run.argv[1:], sub.stdin_args):
        return True
    return any(
        _basename(layer.words[0]) == run.name and _argv_matches(layer.words[1:], run.argv[1:], False)
        for layer in sub.layers
    )


def _basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def _argv_matches(tokens: Sequence[str], args: Sequence[str], open_tail: bool) -> bool:
    """tokens (a sub-command's words) against the arguments that ran: `{}` stands for one or more
    found names, a pattern for its expansions (or itself), an xargs tail for anything."""

    def match(ti: int, ai: int) -> bool:
        if ti == len(tokens):
            return ai == len(args) or open_tail
        token = tokens[ti]
        if "{}" in token:
            return any(match(ti + 1, k) for k in range(ai + 1, len(args) + 1))
        if ai < len(args) and args[ai] == token and match(ti + 1, ai + 1):
            return True
        if any(c in token for c in "*?["):
            k = ai
            while k < len(args) and fnmatch.fnmatchcase(args[k], token):
                k += 1
                if match(ti + 1, k):
                    return True
        return False

    return match(0, 0)


def available() -> bool:
    return STRACE is not None and os.path.exists(BASH)
