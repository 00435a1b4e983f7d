"""Class 2 of issue 11, judged from outside: each command really runs a program nobody allowed (strace
sees `payload` or `./script` execute under real bash), and approval does not let it through.

The allow list is the kind the issue found abused: harmless programs plus the wrappers that run others.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from modelroute.execute.approval import build_prompt, escape_exact, evaluate
from modelroute.execute.shellparse import parse_command
from modelroute.policy.schema import ApprovalSettings, SandboxSettings
from tests.execute.tracing import UNKNOWN, trace, uncovered

TYPICAL = ApprovalSettings(
    allow=["ls", "cat", "echo", "grep", "head", "wc", "sort", "test", "[", "printf", "read", "declare", "env",
           "xargs", "find", "timeout", "nice", "nohup", "time", "stdbuf", "command", "builtin", "exec", "bash",
           "sh", "eval", "trap", "tar", "sed", "git", "python3", "id", "true", "cd"]
)
EVERYTHING = ApprovalSettings(allow=["*"])

CLASS_2 = [
    # arithmetic subscripts evaluated by builtins
    "echo ${arr[$(payload)]}",
    "test -v 'a[$(payload)]'",
    "[ -v 'a[$(payload)]' ]",
    "printf -v 'a[$(payload)]' x",
    "read 'a[$(payload)]' <<< x",
    "declare 'a[$(payload)]=1'",
    "x='a[$(payload)]'; echo $((x))",
    # code given to wrappers as a string
    "env --split-string='payload'",
    "env -S payload",
    "env --sp='payload'",
    "bash -c -- 'payload'",
    "sh -c -- payload",
    "eval -- payload",
    "builtin eval payload",
    "trap -- 'payload' EXIT",
    "bash <<< payload",
    "echo payload | xargs -I{} sh -c '{}'",
    "echo payload | xargs timeout 5",
    # options that run programs
    "echo 1 | xargs --max-p 1 ./script",
    "tar -cf o.tar --checkpoint=1 --checkpoint-action=exec=payload a.txt",
    "cd wild && tar -cf ../o.tar *",
    "sed '1e payload' a.txt",
    "sed 's/.*/payload/e' a.txt",
    "git grep -Opayload hello",
    "git grep --open-files-in-pager=payload hello",
    "git -c alias.x='!payload' x",
    "python3 -c 'import os; os.system(\"payload\")'",
    # a wrapper's rule must not approve a workspace script it runs
    "echo a | xargs ./script",
    "env ./script",
    "find . -maxdepth 0 -exec ./script {} \\;",
    "find . -maxdepth 0 -execdir payload {} \\;",
    "find . -maxdepth 1 -name script -exec {} \\;",
    "find . -maxdepth 1 -name script -exec timeout 5 {} \\;",
    "timeout 5 ./script",
    "nice -n 5 ./script",
    "nohup ./script",
    "command ./script",
    "exec ./script",
    "time ./script",
    "stdbuf -o0 ./script",
    "env A=1 payload",
    # the usual ways to chain
    "ls; payload",
    "ls $(payload)",
    "cat <(payload)",
]


@pytest.mark.parametrize("command", CLASS_2)
def test_an_unallowed_program_runs_and_approval_asks(command: str, traced_ws: Path, tmp_path: Path) -> None:
    ran = trace(command, traced_ws, tmp_path / "logs")
    assert {e.name for e in ran} & UNKNOWN, f"the case is not real: {command!r} ran {[e.argv for e in ran]}"
    parsed = parse_command(command)
    for settings in (TYPICAL, EVERYTHING):
        verdict = evaluate(parsed, settings)
        assert verdict.action != "allow", (command, verdict.reasons)
        assert verdict.reasons, command
    assert evaluate(parsed, EVERYTHING.model_copy(update={"policy": "never"})).action == "deny"
    # the prompt shows the whole command and why it asks, and offers no "always allow" for it
    spec = build_prompt("m", "why", parsed, traced_ws, SandboxSettings(), False, verdict=evaluate(parsed, TYPICAL))
    assert f"Full command text: {escape_exact(command)}" in spec.message.splitlines()
    assert "Asked because:" in spec.message or "cannot be checked" in spec.message.lower()
    assert not any(a.startswith("Always allow") for a in spec.actions), spec.actions


ALLOWED = [
    "ls -la sub",
    "cat a.txt | grep hello | wc -l",
    "git status && git log --oneline -1",
    "grep -r hello . --include=*.txt",
    "find . -name a.txt -exec grep -l hello {} +",
    "echo a.txt | xargs cat",
    "timeout 5 git status",
    "bash -c 'ls -la && cat a.txt'",
    "sed -n 1p a.txt",
    "tar -cf o.tar ./a.txt",
    "cd sub && ls",
    "head -1 a.txt 2>&1 >/dev/null",
]


@pytest.mark.parametrize("command", ALLOWED)
def test_plain_commands_stay_allowed_and_run_only_what_they_say(command: str, traced_ws: Path, tmp_path: Path) -> None:
    parsed = parse_command(command)
    assert evaluate(parsed, TYPICAL).action == "allow", evaluate(parsed, TYPICAL).reasons
    ran = trace(command, traced_ws, tmp_path / "logs")
    assert not {e.name for e in ran} & UNKNOWN
    assert uncovered(ran, parsed) == []
