"""The program grammars (execute/programs.toml): every denied option disqualifies, with its reason.

One test case per denied option of every program and subcommand, generated from the data itself, so a
new entry is tested the moment it is added. Options that run programs make the command opaque ("cannot
be checked"), the others make it asked; both hold even under `allow = ["*"]`, even abbreviated.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modelroute.execute import grammar
from modelroute.execute.approval import evaluate
from modelroute.execute.shellparse import parse_command
from modelroute.policy.schema import ApprovalSettings

EVERYTHING = ApprovalSettings(allow=["*"])
# The least a program needs before an option can be judged (a script, a closing bracket...).
BASE = {
    "sed": ["sed"],
    "[": ["["],
    "python3": ["python3"],
    "node": ["node"],
    "xargs": ["xargs"],
    "npx": ["npx"],
    "sudo": ["sudo"],
}
TAIL = {"sed": ["p"], "[": ["]"], "xargs": ["echo"], "npx": ["jest"], "bash": ["-c", "ls"], "sh": ["-c", "ls"],
        "dash": ["-c", "ls"]}


def _cases() -> Iterator[tuple[str, str, str, bool]]:
    """(program words, option, reason, runs) for every denied option in the table."""
    for name, g in sorted(grammar.table().programs.items()):
        yield from _grammar_cases(name, g, [name])


def _grammar_cases(name: str, g: grammar.Grammar, prefix: list[str]) -> Iterator[tuple[str, str, str, bool]]:
    for option, (spec, reason) in sorted(g.deny.items()):
        yield " ".join(prefix), _spelled(spec), reason, option in g.runs
    seen: set[int] = set()
    for sub_name, sub in sorted(g.subcommands.items()):
        if id(sub) in seen:
            continue
        seen.add(id(sub))
        yield from _grammar_cases(f"{name} {sub_name}", sub, [*prefix, sub_name])


def _spelled(spec: grammar.Option) -> str:
    if spec.arity == 2:
        return f"{spec.name} a b"
    if spec.arity == 1:
        return f"{spec.name}=x" if spec.name.startswith("--") or len(spec.name) > 2 else f"{spec.name} x"
    return spec.name


CASES = list(_cases())


def test_the_table_is_large_and_documented() -> None:
    programs = grammar.table().programs
    assert len(programs) >= 90
    assert len(CASES) >= 150
    for name, g in programs.items():
        assert g.about and g.source, name


@pytest.mark.parametrize(("program", "option", "reason", "runs"), CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_every_denied_option_disqualifies(program: str, option: str, reason: str, runs: bool) -> None:
    head = program.split()[0]
    words = [*BASE.get(head, [head]), *program.split()[1:], option, *TAIL.get(head, [])]
    command = " ".join(words)
    parsed = parse_command(command)
    verdict = evaluate(parsed, EVERYTHING)
    assert verdict.action != "allow", command
    shown = " ".join(verdict.reasons) + " ".join(parsed.all_reasons())
    assert reason in shown, (command, shown)
    if runs:
        assert parsed.opaque, f"{command}: an option that runs programs must make the command opaque"


LONG_DENIED = [(p, o, r) for p, o, r, _ in CASES if o.startswith("--") and len(o.split("=")[0].split()[0]) > 5]


@pytest.mark.parametrize(("program", "option", "reason"), LONG_DENIED, ids=[f"{c[0]} {c[1]}" for c in LONG_DENIED])
def test_an_abbreviated_denied_option_is_caught(program: str, option: str, reason: str) -> None:
    name, _, rest = option.partition("=")
    name = name.split()[0]
    head = program.split()[0]
    short = name[:-2]
    words = [*BASE.get(head, [head]), *program.split()[1:], f"{short}=x" if rest else short, *TAIL.get(head, [])]
    verdict = evaluate(parse_command(" ".join(words)), EVERYTHING)
    assert verdict.action != "allow", words


FIND = [("-delete", "deletes"), ("-fprint out", "writes"), ("-fprint0 out", "writes"),
        ("-fprintf out %p", "writes"), ("-fls out", "writes"), ("-exec ./script {} \\;", "runs a file through"),
        ("-newer a.txt -exec $X {} +", "non-literal")]


@pytest.mark.parametrize(("primary", "why"), FIND)
def test_find_primaries(primary: str, why: str) -> None:
    parsed = parse_command(f"find . -name x {primary}")
    verdict = evaluate(parsed, EVERYTHING)
    assert verdict.action != "allow"
    assert why in " ".join(verdict.reasons), verdict.reasons


SED = [
    ("'1e id'", "runs", True), ("'s/a/b/e'", "runs", True), ("'s/a/b/w out'", "writes", False),
    ("'1w out'", "writes", False), ("'1W out'", "writes", False), ("-e p -e 'e id'", "runs", True),
    ("--expression='s/x/y/ge'", "runs", True), ("'s/a/b/;e'", "runs", True), ("-e '/x/{e id' -e '}'", "runs", True),
    ("'y/ab/ba/;1e'", "runs", True), ("'1!e'", "runs", True), ("'$e'", "runs", True), ("'s|a|b|e'", "runs", True),
    ("-e '1,3{w out' -e '}'", "writes", False), ("'s/a/b/ ; w out'", "writes", False), ("'s/a\\/e/b/'", "", False),
]


@pytest.mark.parametrize(("script", "why", "runs"), SED)
def test_sed_scripts(script: str, why: str, runs: bool) -> None:
    parsed = parse_command(f"sed {script} a.txt")
    verdict = evaluate(parsed, EVERYTHING)
    if not why:
        assert verdict.action == "allow", verdict.reasons
        return
    assert verdict.action != "allow" and parsed.opaque == runs
    assert why in " ".join(verdict.reasons) + " ".join(parsed.all_reasons())


PLAIN = [
    "ls -la", "ls -1 --color=never sub", "cat -n a.txt", "head -5 a.txt", "head -n 5 a.txt", "tail -n+2 a.txt",
    "grep -rn --include=*.py foo .", "grep -E 'a|b' -- a.txt", "wc -l a.txt b.txt", "sort -k2,2n -t, a.csv",
    "git status --porcelain=v2", "git diff --stat HEAD~1", "git log -3 --format=%H", "git show HEAD:README.md",
    "git branch --list", "git branch -vv", "git tag -l", "git config --get user.name", "git config user.name",
    "git remote -v", "git grep -n foo -- '*.py'", "git rev-parse --show-toplevel", "git ls-files -z",
    "find . -type f -name '*.py' -maxdepth 2", "find src -newer a.txt -print0", "sed -n '1,5p' a.txt",
    "sed 's/a/b/g;s/c/d/2' a.txt", "tar -czf out.tgz ./src", "tar tzf out.tgz", "pytest -x -q tests",
    "python3 -m pytest -k name", "npm test -- --watch=false", "npm run build", "npm ls --depth=0",
    "cargo test --release -- --nocapture", "cargo clippy --all-targets", "make -j4 test", "jq -r .name a.json",
    "jq --arg k v '.[$k]' a.json", "diff -u a.txt b.txt", "env -i ls", "env CI=1 npm test", "CI=1 npm test",
    "timeout 60 pytest", "nice -n 10 make", "xargs -0 -n1 grep foo", "bash -c 'ls && pwd'", "sh -ec 'true'",
    "cd sub && ls", "mkdir -p build/out", "rm -rf ./build", "cp -r src dst", "touch a.txt", "echo -n hi",
    "printf '%s\\n' a b", "test -f a.txt", "test -d sub", "stat -c %s a.txt", "du -sh .", "realpath a.txt",
]


@pytest.mark.parametrize("command", PLAIN)
def test_ordinary_work_is_approvable(command: str) -> None:
    verdict = evaluate(parse_command(command), EVERYTHING)
    assert verdict.action == "allow", verdict.reasons


UNKNOWN_OPTIONS = ["ls --frobnicate", "cat -Q a.txt", "git status --no-such", "grep --colr=never x",
                   "git frobnicate", "npm install left-pad", "pip install x", "cargo install ripgrep"]


@pytest.mark.parametrize("command", UNKNOWN_OPTIONS)
def test_what_the_grammar_does_not_know_is_asked(command: str) -> None:
    assert evaluate(parse_command(command), EVERYTHING).action == "ask"


def test_env_split_string_follows_gnu_env() -> None:
    assert grammar.split_string("id -u") == ["id", "-u"]
    assert grammar.split_string("id\\_-u") == ["id", "-u"]
    assert grammar.split_string("'a b' \"c\\_d\"") == ["a b", "c d"]
    assert grammar.split_string("a #comment") == ["a"]
    assert grammar.split_string("a\\cb c") == ["a"]
    assert isinstance(grammar.split_string("${X}"), str)
    assert isinstance(grammar.split_string("'open"), str)
