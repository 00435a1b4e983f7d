"""Differential test of the approval parser against real bash (hypothesis).

Generated commands mix plain commands with the constructs issue 11 found (arithmetic subscripts,
`env -S`, `bash -c --`, `eval --`, `trap --`, abbreviated options, tar checkpoints, `sed e`, `git grep -O`,
`find -exec`, xargs, here-documents, functions, substitutions...), nest them, and join them. Each runs
under real bash with strace logging every execve from outside (tests/execute/tracing.py). Then:
- a program that ran must be one the parse reported, unless the parse said it cannot be checked;
- under any allow list, an "allow" must account for every execution, program and arguments, and a
  program outside the grammar (`payload`, `./script`) never runs under an "allow".
"""

from __future__ import annotations

import shlex
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from modelroute.execute.approval import evaluate
from modelroute.execute.shellparse import parse_command
from modelroute.policy.schema import ApprovalSettings
from tests.execute.tracing import UNKNOWN, trace, uncovered, unreported

ALLOW_LISTS = (
    ApprovalSettings(allow=["*"]),
    ApprovalSettings(allow=["ls", "cat", "echo", "grep", "head", "wc", "sort", "env", "xargs", "find", "timeout",
                            "nice", "command", "exec", "bash", "sh", "eval", "tar", "sed", "git", "id", "true",
                            "printf", "test", "cut", "tail", "uniq", "seq", "basename", "dirname"]),
)

SAFE = [
    "ls", "ls -la sub", "cat a.txt", "echo hi", "head -1 a.txt", "wc -l a.txt", "sort a.txt", "grep -r hello .",
    "git status", "git log --oneline -1", "id -u", "true", "sed -n 1p a.txt", "find . -name a.txt",
    "cut -c1-2 a.txt", "printf '%s\\n' x", "tail -n1 a.txt", "uniq a.txt", "seq 2", "basename /a/b",
    "tar -cf o.tar ./a.txt", "echo a.txt | xargs cat", "git grep hello",
]
PAYLOADS = ["payload", "./script", "payload -x", "'payload'", '"./script"', "\\payload", "pay''load"]

# {p}: a command (payload or generated); {q}: the same, shell-quoted as one word; {w}: its first word.
TEMPLATES = [
    "{s} ; {p}", "{s} && {p}", "{s} || {p}", "{s} | {p}", "{s}\n{p}", "{p} &", "( {p} )", "{{ {p}; }}", "! {p}",
    "echo $({p})", "echo `{p}`", "cat <({p})", "x=$({p})", "[[ -n $({p}) ]]", "echo ${{arr[$({p})]}}",
    "test -v {sub}", "[ -v {sub} ]", "printf -v {sub} x", "read {sub} <<< x", "declare {sub}=1",
    "x={sub}; echo $((x))", "f() {{ {p}; }}; f", "if true; then {p}; fi", "for i in 1; do {p}; done",
    "env {p}", "env A=1 {p}", "env -S {q}", "env --split-string={q}", "env --sp={q}", "env -- {p}",
    "bash -c {q}", "bash -c -- {q}", "sh -c {q}", "sh -ec {q}", "eval {q}", "eval -- {q}", "builtin eval {q}",
    "trap -- {q} EXIT", "trap {q} EXIT", "bash <<< {q}", "bash <<EOF\n{p}\nEOF", "cat <<EOF\n$({p})\nEOF",
    "echo x | xargs {p}", "echo x | xargs -n1 {p}", "echo x | xargs --max-p 1 {p}",
    "echo {q} | xargs -I{{}} sh -c {{}}",
    "echo {w} | xargs timeout 5", "timeout 5 {p}", "timeout -s KILL 5 {p}", "nice {p}", "nice -n 5 {p}",
    "command {p}", "exec {p}", "time {p}", "stdbuf -o0 {p}", "command -v {w}",
    "find . -maxdepth 0 -exec {p} {{}} \\;", "find . -maxdepth 0 -execdir {p} \\;",
    "find . -maxdepth 0 -exec {p} {{}} +",
    "sed {sed_e} a.txt", "sed {sed_s} a.txt", "sed -n {sed_w} a.txt",
    "tar -cf o.tar --checkpoint=1 --checkpoint-action=exec={w} a.txt", "cd wild && tar -cf ../o.tar *",
    "git grep -O{w} hello", "git grep --open-files-in-pager={w} hello", "git -c alias.x={alias} x",
    "python3 -c {py}", "echo x | xargs --max-procs=1 {p}", "env -S{q}", "bash -ce {q}", "sh -c {q} sh arg",
    "$'\\x74imeout' 5 {p}", "echo x | xargs -0 -- {p}", "{p} 2>&1 >/dev/null", "{p} > out.txt", "{p} < a.txt",
]
SEPARATORS = [" ; ", " && ", " || ", " | ", "\n"]


def fill(template: str, inner: str, safe: str) -> str:
    first = shlex.split(inner)[0] if _splits(inner) else "payload"
    return template.format(
        p=inner, q=shlex.quote(inner), s=safe, w=shlex.quote(first),
        sub=shlex.quote(f"a[$({inner})]"), sed_e=shlex.quote(f"1e {inner}"),
        sed_s=shlex.quote(f"s/.*/{inner}/e"), sed_w=shlex.quote("1w out.txt"),
        alias=shlex.quote(f"!{inner}"), py=shlex.quote(f"import os; os.system({inner!r})"),
    )


def _splits(text: str) -> bool:
    try:
        return bool(shlex.split(text))
    except ValueError:
        return False


LEAVES = st.sampled_from(PAYLOADS) | st.sampled_from(SAFE)
COMMANDS = st.recursive(
    LEAVES,
    lambda inner: st.builds(fill, st.sampled_from(TEMPLATES), inner, st.sampled_from(SAFE)),
    max_leaves=3,
)
LINES = st.lists(COMMANDS, min_size=1, max_size=3).flatmap(
    lambda parts: st.lists(st.sampled_from(SEPARATORS), min_size=len(parts) - 1, max_size=len(parts) - 1).map(
        lambda seps: parts[0] + "".join(s + p for s, p in zip(seps, parts[1:], strict=True))
    )
)


def check(command: str, ws: Path, logs: Path) -> None:
    parsed = parse_command(command)
    ran = trace(command, ws, logs)
    if not parsed.opaque:
        assert unreported(ran, parsed) == [], (command, parsed.programs)
    for allow in ALLOW_LISTS:
        verdict = evaluate(parsed, allow)
        if verdict.action == "allow":
            assert not {e.name for e in ran} & UNKNOWN, (command, verdict.reasons)
            assert uncovered(ran, parsed) == [], (command, verdict.reasons)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@example(command="echo x | xargs --max-p 1 ./script")
@example(command="env --split-string='payload'")
@example(command="test -v 'a[$(payload)]' ; ls")
@example(command="find . -maxdepth 0 -exec timeout 5 {} \\;")
@given(command=LINES)
def test_what_runs_is_reported_and_an_allow_covers_it(command: str, traced_ws: Path, tmp_path: Path) -> None:
    check(command, traced_ws, tmp_path / "logs")
