"""Program grammars for approval: which programs a rule may approve, and with which arguments (pure).

The grammars are data (`programs.toml`, shipped in the package). This module reads them and checks
one program invocation at a time: its options against the program's allow-list (exact spellings only;
an abbreviated long option is asked, naming what it abbreviates), denied options with the reason,
operands (count, pattern expansions), subcommands, and the few checks options cannot express (sed
scripts, find expressions, tar's old-style options, make's variable overrides), which live here as
named functions the data refers to. For programs that run another (`timeout`, `env`, `xargs`,
`find -exec`, shells, `python -m`...), `unwrap` says where the inner program starts, or which shell
code it runs, so the parser can judge that program on its own.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

SYSTEM_DIRS = frozenset({"/bin", "/usr/bin", "/usr/local/bin", "/sbin", "/usr/sbin", "/usr/local/sbin"})
_PYTHON_NAME = re.compile(r"^python3(?:\.\d+)?$")


@dataclass(frozen=True)
class Option:
    name: str
    arity: int = 0  # words of value: 0, 1 or 2
    optional: bool = False  # a value only when attached (`--color=auto`, `-ifoo`)


def parse_spec(spec: str) -> Option:
    """`-x`, `--long` (no value); `-x=`, `--long=` (one); `--long[=]` (optional, attached); `--long=2`."""
    if spec.endswith("[=]"):
        return Option(spec[:-3], 0, True)
    if spec.endswith("=2"):
        return Option(spec[:-2], 2)
    if spec.endswith("="):
        return Option(spec[:-1], 1)
    return Option(spec)


@dataclass(frozen=True)
class Grammar:
    name: str
    about: str = ""
    source: str = ""
    options: Mapping[str, Option] = field(default_factory=dict)
    deny: Mapping[str, tuple[Option, str]] = field(default_factory=dict)
    runs: frozenset[str] = frozenset()  # denied options that run a program or code: the command is opaque
    stops: frozenset[str] = frozenset()  # options after whose value everything is an operand (python -m)
    open: bool = False
    numeric: bool = False
    long_single_dash: bool = False
    operands: int | None = None
    globs: bool = False
    any_arguments: bool = False
    options_first: bool = False
    dashdash: bool = True
    subcommands: Mapping[str, Grammar] = field(default_factory=dict)
    subcommand_required: bool = False
    wrapper: str | None = None
    transparent: bool = False
    leading: int = 0
    checker: str | None = None
    interpreter: bool = False
    never: str | None = None
    modules: Mapping[str, str] = field(default_factory=dict)
    module_only: bool = False

    def option(self, name: str) -> Option | None:
        return self.options.get(name)

    def denied(self, name: str) -> tuple[Option, str] | None:
        return self.deny.get(name)

    @property
    def plus_options(self) -> bool:
        return any(n.startswith("+") for n in self.options) or any(n.startswith("+") for n in self.deny)

    def long_names(self) -> list[str]:
        return sorted(n for n in (*self.options, *self.deny) if n.startswith("--"))


@dataclass(frozen=True)
class Table:
    programs: Mapping[str, Grammar]
    aliases: Mapping[str, str]
    harmless_env: frozenset[str]


# ---------------------------------------------------------------- loading the data file


@cache
def table() -> Table:
    raw = tomllib.loads(resources.files("modelroute.execute").joinpath("programs.toml").read_text("utf-8"))
    return build_table(raw)


def build_table(raw: Mapping[str, Any]) -> Table:
    fragments = raw.get("fragments", {})
    programs: dict[str, Grammar] = {}
    aliases: dict[str, str] = {}
    for name, spec in raw.get("programs", {}).items():
        programs[name] = _grammar(name, spec, fragments)
        for other in spec.get("names", []):
            aliases[other] = name
    env = frozenset(raw.get("environment", {}).get("harmless", []))
    return Table(programs, aliases, env)


_FLAGS = ("open", "numeric", "long_single_dash", "globs", "any_arguments", "options_first", "dashdash",
          "subcommand_required", "transparent", "interpreter", "module_only")


def _grammar(name: str, spec: Mapping[str, Any], fragments: Mapping[str, Any]) -> Grammar:
    merged: dict[str, Any] = {}
    option_specs: list[str] = []
    deny: dict[str, str] = {}
    runs: dict[str, str] = {}
    for part in [*(fragments[f] for f in spec.get("include", [])), spec]:
        option_specs += part.get("options", [])
        deny.update(part.get("deny", {}))
        runs.update(part.get("runs", {}))
        merged.update({k: part[k] for k in _FLAGS if k in part})
    options = {o.name: o for o in map(parse_spec, option_specs)}
    denied = {o.name: (o, reason) for o, reason in ((parse_spec(k), v) for k, v in {**deny, **runs}.items())}
    subs: dict[str, Grammar] = {}
    for sub_name, sub_spec in spec.get("subcommands", {}).items():
        sub = _grammar(f"{name} {sub_name}", sub_spec, fragments)
        for alias in (sub_name, *sub_spec.get("aliases", [])):
            subs[alias] = sub
    stops = frozenset(s for s in ("-m",) if s in options) if spec.get("wrapper") == "python" else frozenset()
    return Grammar(
        name=name,
        about=spec.get("about", ""),
        source=spec.get("source", ""),
        options=options,
        deny=denied,
        runs=frozenset(parse_spec(k).name for k in runs),
        stops=stops,
        operands=spec.get("operands"),
        subcommands=subs,
        wrapper=spec.get("wrapper"),
        leading=int(spec.get("leading", 0)),
        checker=spec.get("checker"),
        never=spec.get("never"),
        modules=dict(spec.get("modules", {})),
        **merged,
    )


# ---------------------------------------------------------------- finding a program's grammar


@dataclass(frozen=True)
class Program:
    """What a command word names: a grammar, or a path to a file (a workspace script)."""

    word: str
    grammar: Grammar | None
    path: bool  # names a file by path (./script, bin/tool, /opt/x): not a known program

    @property
    def key(self) -> str:
        return self.grammar.name if self.grammar is not None else self.word


def lookup(word: str, key: str | None = None) -> Program:
    """The program a command word runs. `/usr/bin/git` is git; `./git` and `/tmp/git` are files."""
    programs = table().programs
    if key is not None:
        return Program(word, programs.get(key), False)
    if "/" in word:
        folder, _, base = word.rpartition("/")
        if (folder or "/") in SYSTEM_DIRS and base:
            found = _by_name(base)
            if found is not None:
                return Program(word, found, False)
        return Program(word, None, True)
    return Program(word, _by_name(word), False)


def _by_name(name: str) -> Grammar | None:
    t = table()
    if _PYTHON_NAME.match(name):
        name = "python3"
    grammar = t.programs.get(t.aliases.get(name, name))
    if grammar is not None and grammar.module_only:
        return None  # reachable only as `python -m MODULE`
    return grammar


def harmless_assignment(name: str) -> bool:
    return name in table().harmless_env


# ---------------------------------------------------------------- scanning options and operands


@dataclass
class Scan:
    problems: list[str] = field(default_factory=list)
    operands: list[int] = field(default_factory=list)  # indices into the words
    seen: dict[str, str | None] = field(default_factory=dict)  # option -> its value
    end: int = 0  # index after the last word scanned
    after_dashdash: set[int] = field(default_factory=set)  # operands that came after `--`
    stopped_at: int | None = None  # index after an option that ends option parsing (python -m MODULE)
    unknown: bool = False  # an option could not be identified, so neither could what follows it
    runs: list[str] = field(default_factory=list)  # options that run programs the command line does not show

    def deny(self, g: Grammar, name: str, text: str) -> None:
        self.problems.append(text)
        if name in g.runs:
            self.runs.append(text)


Globbed = Mapping[int, bool]
"""Indices of words that are pattern expansions -> whether their expansions cannot start with `-`."""


def scan(
    g: Grammar, words: Sequence[str], start: int = 1, globbed: Globbed | None = None, *, stop_at_operand: bool = False
) -> Scan:
    """Options and operands of `words[start:]` under `g`; problems say what a rule cannot approve."""
    globbed = globbed or {}
    out = Scan()
    i, after = start, False
    plus = g.plus_options
    while i < len(words):
        word = words[i]
        is_option = not after and len(word) > 1 and (word[0] == "-" or (plus and word[0] == "+"))
        if not is_option or (word == "-" and g.dashdash):
            out.operands.append(i)
            if after:
                out.after_dashdash.add(i)
            i += 1
            if g.options_first or stop_at_operand:
                after = True
                if stop_at_operand:
                    break
            continue
        if word == "--" and g.dashdash:
            after = True
            i += 1
            continue
        if i in globbed and not _globbed_value_ok(g, word):
            out.problems.append(f"{word!r} is a pattern where {_short(g)} expects an option")
            i += 1
            continue
        if word in g.options or word in g.deny:  # whole-word spellings (`-vv`, `-ws`, `-uu`)
            i = _known(g, word, word, None, words, i, out, globbed)
        elif g.long_single_dash or word.startswith("--"):
            name, eq, value = word.partition("=")
            i = _long(g, name, value if eq else None, words, i, out, globbed)
        elif g.numeric and word[1:].isdigit():
            out.seen["-NUM"] = word[1:]
            i += 1
        else:
            i = _cluster(g, word, words, i, out, globbed)
        if not after and out.seen.keys() & g.stops:
            after = True
            out.stopped_at = i
    out.end = i
    return out


def _globbed_value_ok(g: Grammar, word: str) -> bool:
    """`--include=*.py` unquoted: every expansion is the same option with another value."""
    name, eq, _ = word.partition("=")
    spec = g.option(name)
    return bool(eq) and name.startswith("--") and not any(c in name for c in "*?[") and spec is not None \
        and (spec.arity == 1 or spec.optional)


def _short(g: Grammar) -> str:
    return f"`{g.name}`"


def _known(
    g: Grammar,
    word: str,
    name: str,
    value: str | None,
    words: Sequence[str],
    i: int,
    out: Scan,
    globbed: Globbed,
    *,
    announce: bool = True,
) -> int:
    denied = g.denied(name)
    spec = denied[0] if denied else g.option(name)
    assert spec is not None
    if denied is not None and announce:
        out.deny(g, name, f"`{name}` {denied[1]}")
    consumed = 1
    if value is None and spec.arity and not spec.optional:
        if i + spec.arity >= len(words):
            out.problems.append(f"`{name}` needs a value")
        else:
            value = words[i + 1]
            if any(j in globbed for j in range(i + 1, i + 1 + spec.arity)):
                out.problems.append(f"the value of `{name}` is a pattern expansion")
        consumed += spec.arity
    elif value is not None and spec.arity == 0 and not spec.optional:
        out.problems.append(f"`{name}` takes no value (`{word}`)")
    elif value is not None and spec.arity == 2:
        consumed += 1
    out.seen[name] = value
    return i + consumed


def _long(g: Grammar, name: str, value: str | None, words: Sequence[str], i: int, out: Scan, globbed: Globbed) -> int:
    if name in g.options or name in g.deny:
        return _known(g, f"{name}={value}" if value is not None else name, name, value, words, i, out, globbed)
    if g.long_single_dash:  # Go's flags have no abbreviations; unknown ones pass only when open
        if not g.open:
            out.unknown = True
            out.problems.append(f"`{name}` is not an option modelroute knows for {_short(g)}")
        out.seen[name] = value
        return i + 1
    matches = [n for n in g.long_names() if n.startswith(name)] if len(name) > 2 else []
    if len(matches) == 1:  # GNU getopt takes a unique prefix: read it as the option it stands for
        full = matches[0]
        denied = g.denied(full)
        if denied is None:
            out.problems.append(f"`{name}` abbreviates `{full}`: spell long options out to be approved by a rule")
        else:
            out.deny(g, full, f"`{name}` abbreviates `{full}`, which {denied[1]}")
        shown = f"{name}={value}" if value is not None else name
        return _known(g, shown, full, value, words, i, out, globbed, announce=False)
    denied_matches = [n for n in matches if n in g.deny]
    if denied_matches:
        first = denied_matches[0]
        out.deny(g, first, f"`{name}` may abbreviate `{first}`, which {g.deny[first][1]}")
    elif matches:
        full_names = " or ".join(f"`{m}`" for m in matches)
        out.problems.append(f"`{name}` is ambiguous ({full_names})")
    elif not g.open:
        out.problems.append(f"`{name}` is not an option modelroute knows for {_short(g)}")
    out.unknown = out.unknown or not g.open or bool(matches)
    out.seen[name] = value
    return i + 1


def _cluster(g: Grammar, word: str, words: Sequence[str], i: int, out: Scan, globbed: Globbed) -> int:
    """`-la`, `-n5`, `-xzf archive`: flags, then at most one option that takes the rest or the next word."""
    prefix = word[0]
    for j in range(1, len(word)):
        name = prefix + word[j]
        spec = g.option(name)
        denied = g.denied(name)
        if denied is not None:
            out.deny(g, name, f"`{name}` {denied[1]}" + (f" (in `{word}`)" if len(word) > 2 else ""))
            spec = denied[0]
        if spec is None:
            if not g.open:
                out.unknown = True
                out.problems.append(f"`{name}` (in `{word}`) is not an option modelroute knows for {_short(g)}")
            out.seen[name] = None
            return i + 1  # the rest of the word may be its value: nothing more can be read from it
        rest = word[j + 1 :]
        if spec.arity or spec.optional:
            if rest:
                out.seen[name] = rest
                return i + 1 + (1 if spec.arity == 2 else 0)
            if spec.optional:
                out.seen[name] = None
                return i + 1
            if i + spec.arity >= len(words):
                out.problems.append(f"`{name}` needs a value")
                return i + 1
            if i + 1 in globbed:
                out.problems.append(f"the value of `{name}` is a pattern expansion")
            out.seen[name] = words[i + 1]
            return i + 1 + spec.arity
        out.seen[name] = None
    return i + 1


# ---------------------------------------------------------------- checking one program invocation


@dataclass
class Check:
    problems: list[str] = field(default_factory=list)
    literal_through: int | None = None  # a rule must spell words[:n + 1] literally (a script it runs)
    grammar: Grammar | None = None
    runs: list[str] = field(default_factory=list)  # it runs programs the command line does not show


def check(program: Program, words: Sequence[str], globbed: Globbed | None = None) -> Check:
    """Why a rule could not approve `words` (the program's own words, program first)."""
    globbed = globbed or {}
    if program.path:
        return Check([], 0)
    g = program.grammar
    if g is None:
        return Check([f"`{program.word}` is not a program modelroute knows the options of"])
    if g.never:
        return Check([g.never], None, g)
    if g.checker == "tar":
        words, globbed = _tar_old_style(words, globbed)
    result = _check_grammar(g, words, 1, globbed)
    result.grammar = g
    return result


def _check_grammar(g: Grammar, words: Sequence[str], start: int, globbed: Globbed) -> Check:
    s = scan(g, words, start, globbed, stop_at_operand=bool(g.subcommands))
    problems = list(s.problems)
    if g.subcommands:
        return _check_subcommand(g, words, s, globbed, problems)
    literal_through = None
    operands = s.operands
    if g.interpreter and operands:
        literal_through = operands[0]  # the file of code it runs
        if words[operands[0]] == "-":
            problems.append(f"{_short(g)} - reads a program from its input")
        operands = []
    elif g.interpreter and not s.seen.keys() & _NO_PROGRAM_NEEDED:
        problems.append(f"{_short(g)} with no file reads a program from its input")
    problems += _operand_problems(g, words, operands, s, globbed)
    runs = list(s.runs)
    if g.runs or g.open:
        runs += [
            f"`{words[i]}` can expand to options of `{g.name}`, and some of its options run programs"
            for i in operands
            if i in globbed and not globbed[i] and i not in s.after_dashdash
        ]
    if g.checker in CHECKERS:
        found, found_runs = CHECKERS[g.checker](g, words, s)
        problems += found
        runs += found_runs
    return Check(problems, literal_through, runs=runs)


_NO_PROGRAM_NEEDED = frozenset({"-m", "--version", "-V", "--help", "-h", "-v", "--test", "-c", "--check"})


def _check_subcommand(g: Grammar, words: Sequence[str], s: Scan, globbed: Globbed, problems: list[str]) -> Check:
    if not s.operands:
        return Check(problems, runs=s.runs)  # `git --version`, `npm`: options only
    at = s.operands[0]
    name = words[at]
    sub = g.subcommands.get(name)
    if sub is None or at in globbed:
        known = ", ".join(sorted(set(g.subcommands)))
        problems.append(f"`{g.name} {name}` is not a subcommand modelroute approves (known: {known})")
        return Check(problems, runs=s.runs)
    inner = _check_grammar(sub, words, at + 1, globbed)
    return Check(problems + inner.problems, inner.literal_through, runs=s.runs + inner.runs)


def _operand_problems(
    g: Grammar, words: Sequence[str], operands: Sequence[int], s: Scan, globbed: Globbed
) -> list[str]:
    problems: list[str] = []
    if g.operands is not None and len(operands) > g.operands:
        problems.append(f"{_short(g)} takes at most {g.operands} operand(s) here; more could name a file it writes")
    for i in operands:
        if i not in globbed:
            continue
        if not g.globs:
            problems.append(f"`{words[i]}` is a pattern expansion, which {_short(g)} is not approved with")
        elif not globbed[i] and i not in s.after_dashdash:
            problems.append(
                f"`{words[i]}` could expand to a file name starting with `-`, read as an option "
                f"(write `./{words[i]}` or put it after `--`)"
            )
    return problems


# ---------------------------------------------------------------- named checks the data refers to


Found = tuple[list[str], list[str]]
"""(problems, of which those that run programs the command line does not show)"""


def _check_test(g: Grammar, words: Sequence[str], s: Scan) -> Found:
    problems = []
    body = list(words[1:])
    if g.name == "[":
        if not body or body[-1] != "]":
            problems.append("`[` without a closing `]`")
        body = body[:-1]
    runs = [f"`{g.name} {w}` evaluates a variable name's array subscript, which can run commands"
            for w in body if w in ("-v", "-R")]
    return problems + runs, runs


def _check_make(g: Grammar, words: Sequence[str], s: Scan) -> Found:
    overrides = [words[i] for i in s.operands if "=" in words[i]]
    return [f"`{w}` overrides a make variable, which changes the commands make runs" for w in overrides], []


def _check_list_only(g: Grammar, words: Sequence[str], s: Scan) -> Found:
    if s.operands and not s.seen.keys() & {"-l", "--list"}:
        return [f"`{g.name}` with a name creates it (add --list to list)"], []
    return [], []


def _check_git_remote(g: Grammar, words: Sequence[str], s: Scan) -> Found:
    names = [words[i] for i in s.operands]
    if not names or (names[0] == "get-url" and len(names) == 2):
        return [], []
    return [f"`git remote {' '.join(names)}` changes or contacts remotes"], []


def _check_git_config(g: Grammar, words: Sequence[str], s: Scan) -> Found:
    queries = {"--get", "--get-all", "--get-regexp", "--get-urlmatch", "-l", "--list"}
    if s.seen.keys() & queries or len(s.operands) <= 1:
        return [], []
    return ["`git config NAME VALUE` sets configuration"], []


def _check_git_reflog(g: Grammar, words: Sequence[str], s: Scan) -> Found:
    if s.operands and words[s.operands[0]] in ("expire", "delete", "drop"):
        return [f"`git reflog {words[s.operands[0]]}` rewrites the reflog"], []
    return [], []


def _check_sed(g: Grammar, words: Sequence[str], s: Scan) -> Found:
    scripts = [v for k, v in s.seen.items() if k in ("-e", "--expression") and v is not None]
    scripts += _repeated_values(words, s, ("-e", "--expression"))
    operands = list(s.operands)
    if not s.seen.keys() & {"-e", "--expression", "-f", "--file"}:
        if not operands:
            return ["`sed` without a script"], []
        scripts.append(words[operands[0]])
    problems: list[str] = []
    runs: list[str] = []
    for script in dict.fromkeys(scripts):
        reader = _SedReader(script)
        try:
            reader.read()
        except _SedUnclear as exc:
            runs.append(f"sed script {script!r} is not understood ({exc}), so what it runs cannot be checked")
        problems += [f"sed script {script!r}: {why}" for why in reader.problems]
        runs += [f"sed script {script!r}: {why}" for why in reader.runs]
    return problems + runs, runs


def _repeated_values(words: Sequence[str], s: Scan, names: tuple[str, ...]) -> list[str]:
    """Every value of a repeatable option (scan keeps only the last)."""
    values: list[str] = []
    i = 1
    while i < s.end:
        word = words[i]
        if word in names and i + 1 < len(words):
            values.append(words[i + 1])
            i += 2
            continue
        for name in names:
            if name.startswith("--") and word.startswith(name + "="):
                values.append(word[len(name) + 1 :])
            elif not name.startswith("--") and word.startswith(name) and len(word) > len(name):
                values.append(word[len(name) :])
        i += 1
    return values


def _check_tar(s: Scan) -> list[str]:
    archive = s.seen.get("-f", s.seen.get("--file"))
    if archive and ":" in archive and "--force-local" not in s.seen:
        return [f"`{archive}` names a remote archive, which tar reaches by running a remote shell"]
    return []


def _check_cd(words: Sequence[str], s: Scan) -> list[str]:
    """cd changes what the commands after it read and run: only into the workspace's own folders."""
    if not s.operands:
        return ["`cd` with no folder goes to the home folder"]
    target = words[s.operands[0]]
    parts = target.split("/")
    if target.startswith("/") or target == "-" or ".." in parts:
        return [f"`cd {target}` leaves the workspace (rules approve `cd` into its folders only)"]
    return []


CHECKERS: dict[str, Callable[[Grammar, Sequence[str], Scan], Found]] = {
    "test": _check_test,
    "make": _check_make,
    "git-list-only": _check_list_only,
    "git-remote": _check_git_remote,
    "git-config": _check_git_config,
    "git-reflog": _check_git_reflog,
    "sed": _check_sed,
    "find": lambda g, words, s: (find_expression(words).problems, []),
    "tar": lambda g, words, s: (_check_tar(s), []),
    "cd": lambda g, words, s: (_check_cd(words, s), []),
}


# ---------------------------------------------------------------- sed scripts

_SED_SIMPLE = set("=dDgGhHlnNpPxzF")
_SED_LABEL = set("bTt")


class _SedUnclear(Exception):
    pass


class _SedReader:
    def __init__(self, script: str) -> None:
        self.s = script
        self.i = 0
        self.problems: list[str] = []
        self.runs: list[str] = []

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def read(self) -> None:
        while self.i < len(self.s):
            self._skip(" \t\n;")
            if self.i >= len(self.s):
                break
            if self.peek() == "#":
                self._to_eol()
                continue
            self._address()
            self._skip(" \t")
            if self.peek() == "!":
                self.i += 1
                self._skip(" \t")
            self._command()

    def _skip(self, chars: str) -> None:
        while self.i < len(self.s) and self.s[self.i] in chars:
            self.i += 1

    def _to_eol(self) -> str:
        end = self.s.find("\n", self.i)
        end = len(self.s) if end < 0 else end
        text = self.s[self.i : end]
        self.i = end
        return text

    def _address(self) -> None:
        for _ in range(2):
            c = self.peek()
            if c.isdigit():
                while self.peek().isdigit() or self.peek() == "~":
                    self.i += 1
            elif c == "$":
                self.i += 1
            elif c in ("/", "\\"):
                if c == "\\":
                    self.i += 1
                self._delimited(self.peek())
                while self.peek() in ("I", "M"):
                    self.i += 1
            elif c in ("+", "~") and _ > 0:
                self.i += 1
                while self.peek().isdigit():
                    self.i += 1
            else:
                return
            self._skip(" \t")
            if self.peek() != "," or _ > 0:
                return
            self.i += 1
            self._skip(" \t")

    def _delimited(self, delim: str) -> str:
        """Text up to an unescaped `delim`; self.i is on the opening delimiter."""
        if not delim or delim in "\n\\":
            raise _SedUnclear("bad delimiter")
        self.i += 1
        start = self.i
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\":
                self.i += 2
                continue
            if c == delim:
                text = self.s[start : self.i]
                self.i += 1
                return text
            if c == "\n":
                raise _SedUnclear("unterminated regular expression")
            self.i += 1
        raise _SedUnclear("unterminated regular expression")

    def _command(self) -> None:
        c = self.peek()
        self.i += 1
        if c in "{}" or c in _SED_SIMPLE:
            if c == "l":
                self._skip("0123456789")
            return
        if c in "qQ":
            self._skip(" \t")
            self._skip("0123456789")
        elif c in _SED_LABEL or c == ":":
            self._label()
        elif c in "aic":
            self._text()
        elif c in "rR":
            self._to_eol()  # reads a file: harmless
        elif c in "wW":
            self.problems.append(f"`{c}` writes to a file ({self._to_eol().strip()!r})")
        elif c == "e":
            self.runs.append("`e` runs a shell command")
            self._to_eol()
        elif c == "v":
            self._label()
        elif c == "s":
            self._substitute()
        elif c == "y":
            delim = self.peek()
            self._delimited(delim)
            self.i -= 1
            self._delimited(delim)
        else:
            raise _SedUnclear(f"unknown command {c!r}")

    def _label(self) -> None:
        while self.i < len(self.s) and self.s[self.i] not in ";\n":
            self.i += 1

    def _text(self) -> None:
        # `a text`, or `a\` then lines, each ending with a backslash while more follow
        while self.i < len(self.s):
            line = self._to_eol()
            if not line.endswith("\\") or self.i >= len(self.s):
                return
            self.i += 1

    def _substitute(self) -> None:
        delim = self.peek()
        self._delimited(delim)
        self.i -= 1
        self._delimited(delim)
        while self.i < len(self.s) and self.s[self.i] not in ";\n}":
            flag = self.s[self.i]
            if flag == "e":
                self.runs.append("the `e` flag of `s` runs the pattern space as a command")
            elif flag == "w":
                self.i += 1
                self.problems.append(f"the `w` flag of `s` writes to a file ({self._to_eol().strip()!r})")
                return
            elif flag not in "gpIiMm0123456789 \t":
                raise _SedUnclear(f"unknown flag {flag!r} of s")
            self.i += 1


# ---------------------------------------------------------------- find expressions

_FIND_LEADING = {"-H": 0, "-L": 0, "-P": 0, "-D": 1, "-O": 0}
# find primaries and how many words of value each takes (GNU findutils 4.9.0 find(1))
_FIND_ARITY: dict[str, int] = {
    **dict.fromkeys(
        (
        "-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename", "-regex", "-iregex", "-lname",
        "-ilname", "-type", "-xtype", "-size", "-mtime", "-mmin", "-atime", "-amin", "-ctime", "-cmin",
        "-newer", "-anewer", "-cnewer", "-perm", "-user", "-group", "-uid", "-gid", "-links", "-inum",
        "-samefile", "-used", "-fstype", "-context", "-maxdepth", "-mindepth", "-regextype", "-printf",
        "-files0-from"
        ),
        1,
    ),
    **dict.fromkeys(
        (
        "-empty", "-readable", "-writable", "-executable", "-nouser", "-nogroup", "-false", "-true",
        "-depth", "-d", "-mount", "-xdev", "-noleaf", "-ignore_readdir_race", "-noignore_readdir_race",
        "-warn", "-nowarn", "-daystart", "-follow", "-print", "-print0", "-ls", "-prune", "-quit", "(", ")",
        "!", "-not", "-a", "-and", "-o", "-or", ",", "-help", "--help", "-version", "--version"
        ),
        0,
    ),
}
_FIND_DENY = {
    "-delete": "deletes the files it finds",
    "-fprint": "writes the names to a file",
    "-fprint0": "writes the names to a file",
    "-fprintf": "writes the names to a file",
    "-fls": "writes a listing to a file",
}
_FIND_DENY_ARITY = {"-delete": 0, "-fprint": 1, "-fprint0": 1, "-fprintf": 2, "-fls": 1}
FIND_EXEC = ("-exec", "-execdir", "-ok", "-okdir")


@dataclass
class FindSplit:
    problems: list[str] = field(default_factory=list)
    execs: list[tuple[int, int]] = field(default_factory=list)  # [start, end) of each program it runs
    starts: list[int] = field(default_factory=list)  # starting points


def find_expression(words: Sequence[str], globbed: Globbed | None = None) -> FindSplit:
    """find's leading options, starting points and expression; the commands `-exec` and friends run."""
    globbed = globbed or {}
    out = FindSplit()
    i = 1
    while i < len(words) and words[i] in _FIND_LEADING:
        i += 1 + _FIND_LEADING[words[i]]
    while i < len(words) and not _find_expr_word(words[i]):
        out.starts.append(i)
        i += 1
    while i < len(words):
        word = words[i]
        if word in FIND_EXEC:
            end = i + 1
            while end < len(words) and words[end] not in (";", "+"):
                end += 1
            if end >= len(words):
                out.problems.append(f"`{word}` without a closing `;` or `+`")
            if end == i + 1:
                out.problems.append(f"`{word}` without a command")
            else:
                out.execs.append((i + 1, end))
            i = end + 1
            continue
        if i in globbed:
            out.problems.append(f"`{word}` in find's expression is a pattern expansion (quote it)")
        if word in _FIND_DENY:
            out.problems.append(f"`find {word}` {_FIND_DENY[word]}")
            i += 1 + _FIND_DENY_ARITY[word]
            continue
        if word.startswith("-newer") and len(word) == 8:  # -newerXY FILE
            i += 2
            continue
        if word not in _FIND_ARITY:
            out.problems.append(f"`{word}` is not a find primary modelroute knows")
            i += 1
            continue
        arity = _FIND_ARITY[word]
        if any(j in globbed for j in range(i + 1, i + 1 + arity)):
            out.problems.append(f"the value of `{word}` is a pattern expansion (quote it)")
        i += 1 + arity
    return out


def _find_expr_word(word: str) -> bool:
    return word.startswith("-") or word in ("(", ")", "!", ",")


# ---------------------------------------------------------------- tar's old-style options

_TAR_WITH_ARG = set("fbCKLNTVXgHIF")


def _tar_old_style(words: Sequence[str], globbed: Globbed) -> tuple[list[str], Globbed]:
    """`tar czf out.tar dir` -> `tar -c -z -f out.tar dir` (the first word is a cluster without `-`)."""
    if len(words) < 2 or words[1].startswith("-") or 1 in globbed:
        return list(words), globbed
    out = [words[0]]
    origin: list[int | None] = [0]
    rest = list(range(2, len(words)))
    for letter in words[1]:
        out.append("-" + letter)
        origin.append(None)
        if letter in _TAR_WITH_ARG and rest:
            j = rest.pop(0)
            out.append(words[j])
            origin.append(j)
    for j in rest:
        out.append(words[j])
        origin.append(j)
    moved = {new: globbed[old] for new, old in enumerate(origin) if old is not None and old in globbed}
    return out, moved


# ---------------------------------------------------------------- wrappers


@dataclass
class Unwrapped:
    """Where the program a wrapper runs starts, or the shell code it runs, or why that is unknown."""

    problems: list[str] = field(default_factory=list)  # why a rule cannot approve the wrapper's own words
    inner_at: int | None = None  # index of the inner program's first word, as written
    inner: list[str] | None = None  # the inner words, when they are not as written (env -S)
    script: str | None = None  # shell code it runs (bash -c, eval, trap)
    script_file: int | None = None  # index of a file of code it runs (bash script.sh)
    reads_stdin: bool = False  # a shell with no script: runs what its input says
    stdin_args: bool = False  # xargs: appends words read from its input
    assignments: list[str] = field(default_factory=list)  # env NAME=VALUE
    opaque: str | None = None  # cannot tell what runs
    module: str | None = None  # python -m: the grammar of the module
    foreign: str | None = None  # a shell whose syntax is not bash's: its script is read as bash, best effort


def unwrap(program: Program, words: Sequence[str], globbed: Globbed | None = None) -> Unwrapped | None:
    """For a wrapper, what it runs; None when `words` run no other program (`command -v x`, `env`)."""
    g = program.grammar
    if g is None or g.wrapper is None:
        return None
    handler = _UNWRAP.get(g.wrapper)
    return handler(g, list(words), globbed or {}) if handler else None


def _runs(g: Grammar, s: Scan) -> Unwrapped | None:
    if s.runs:
        return Unwrapped(s.problems, opaque=s.runs[0])
    return None


def _inner_start(g: Grammar, words: list[str], s: Scan) -> int | None:
    operands = [i for i in s.operands]
    if len(operands) <= g.leading:
        return None
    return operands[g.leading]


def _unwrap_exec(g: Grammar, words: list[str], globbed: Globbed) -> Unwrapped | None:
    s = scan(g, words, 1, globbed)
    if s.runs:
        return _runs(g, s)
    if s.unknown:
        return Unwrapped(s.problems, opaque=f"cannot tell which program `{g.name}` runs: {s.problems[0]}")
    at = _inner_start(g, words, s)
    if at is None:
        return None
    return Unwrapped(s.problems, inner_at=at)


def _unwrap_command(g: Grammar, words: list[str], globbed: Globbed) -> Unwrapped | None:
    s = scan(g, words, 1, globbed)
    if s.seen.keys() & {"-v", "-V"}:
        return None  # a query: says what a name is, runs nothing
    return _unwrap_exec(g, words, globbed)


def _unwrap_never(g: Grammar, words: list[str], globbed: Globbed) -> Unwrapped | None:
    if g.name in ("zsh", "ksh", "fish"):
        found = _unwrap_shell(g, words, globbed) or Unwrapped()
        found.problems.insert(0, g.never or "")
        found.foreign = g.never
        return found
    wrapped = _unwrap_exec(g, words, globbed)
    if wrapped is None:
        return Unwrapped([g.never or ""]) if g.name == "coproc" else None
    wrapped.problems.insert(0, g.never or "")
    return wrapped


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _unwrap_env(g: Grammar, words: list[str], globbed: Globbed) -> Unwrapped | None:
    s = scan(g, words, 1, globbed)
    if s.runs:
        return _runs(g, s)
    if s.unknown:
        return Unwrapped(s.problems, opaque=f"cannot tell which program `env` runs: {s.problems[0]}")
    split = next((v for k, v in s.seen.items() if k in ("-S", "--split-string")), None)
    i = s.operands[0] if s.operands else len(words)
    assignments = []
    while i < len(words) and _ENV_NAME.match(words[i]):
        assignments.append(words[i])
        i += 1
    if split is not None:
        parts = split_string(split)
        if isinstance(parts, str):
            return Unwrapped([*s.problems, parts], opaque=f"`env -S`: {parts}")
        while parts and _ENV_NAME.match(parts[0]):
            assignments.append(parts.pop(0))
        return Unwrapped(s.problems, inner=parts + words[i:], assignments=assignments)
    if i >= len(words):
        return None if not assignments and not s.problems else Unwrapped(s.problems, assignments=assignments)
    return Unwrapped(s.problems, inner_at=i, assignments=assignments)


def _unwrap_xargs(g: Grammar, words: list[str], globbed: Globbed) -> Unwrapped | None:
    s = scan(g, words, 1, globbed)
    if s.runs:
        return _runs(g, s)
    if s.unknown:
        return Unwrapped(s.problems, opaque=f"cannot tell which program `xargs` runs: {s.problems[0]}")
    if not s.operands:
        return Unwrapped(s.problems, inner=["echo"], stdin_args=True)
    return Unwrapped(s.problems, inner_at=s.operands[0], stdin_args=True)


def _unwrap_npx(g: Grammar, words: list[str], globbed: Globbed) -> Unwrapped | None:
    s = scan(g, words, 1, globbed)
    if s.runs:
        return _runs(g, s)
    if not s.operands:
        return Unwrapped(s.problems, opaque="`npx` without a package runs what its options say")
    return Unwrapped(s.problems, inner_at=s.operands[0])


def _unwrap_shell(g: Grammar, words: list[str], globbed: Globbed) -> Unwrapped | None:
    s = scan(g, words, 1, globbed)
    if s.runs:
        return _runs(g, s)
    has_c = any(k.lstrip("-+") == "c" or (k.startswith("-") and "c" in k[1:] and not k.startswith("--"))
                for k in s.seen)
    if has_c:
        if not s.operands:
            why = f"`{g.name} -c` without a script"
            return Unwrapped([*s.problems, why], opaque=why)
        return Unwrapped(s.problems, script=words[s.operands[0]])
    if s.operands:
        return Unwrapped(s.problems, script_file=s.operands[0])
    return Unwrapped(s.problems, reads_stdin=True)


def _unwrap_python(g: Grammar, words: list[str], globbed: Globbed) -> Unwrapped | None:
    s = scan(g, words, 1, globbed)
    if s.runs:
        return _runs(g, s)
    module = s.seen.get("-m")
    if module is None or s.stopped_at is None:
        return None  # a script file, code from -c, or nothing: checked as python's own invocation
    rest = words[s.stopped_at :]
    at = s.stopped_at - 1 if words[s.stopped_at - 1] == module else None  # `-m pytest`, not `-mpytest`
    inner = None if at is not None else [module, *rest]
    key = g.modules.get(module)
    if key is None:
        why = f"`python -m {module}` runs a module modelroute knows nothing about"
        return Unwrapped([*s.problems, why], inner=[module, *rest])
    return Unwrapped(s.problems, inner_at=at, inner=inner, module=key)


def _unwrap_eval(g: Grammar, words: list[str], globbed: Globbed) -> Unwrapped | None:
    rest = words[1:]
    if rest and rest[0] == "--":
        rest = rest[1:]
    return Unwrapped(script=" ".join(rest))


def _unwrap_trap(g: Grammar, words: list[str], globbed: Globbed) -> Unwrapped | None:
    rest = words[1:]
    problems = [g.never or ""]
    while rest and rest[0].startswith("-") and rest[0] != "--" and rest[0] != "-":
        if rest[0] in ("-l", "-p", "-P"):
            return Unwrapped(problems)  # a query
        rest = rest[1:]
    if rest and rest[0] == "--":
        rest = rest[1:]
    if len(rest) >= 2 and rest[0] != "-":
        return Unwrapped(problems, script=rest[0])
    return Unwrapped(problems)


def _unwrap_find(g: Grammar, words: list[str], globbed: Globbed) -> Unwrapped | None:
    return None  # find is both a program and a wrapper: the parser splits it with find_expression


_UNWRAP: dict[str, Callable[[Grammar, list[str], Globbed], Unwrapped | None]] = {
    "exec": _unwrap_exec,
    "command": _unwrap_command,
    "never": _unwrap_never,
    "env": _unwrap_env,
    "xargs": _unwrap_xargs,
    "npx": _unwrap_npx,
    "shell": _unwrap_shell,
    "python": _unwrap_python,
    "eval": _unwrap_eval,
    "trap": _unwrap_trap,
    "find": _unwrap_find,
}


# ---------------------------------------------------------------- env -S


def split_string(text: str) -> list[str] | str:
    """GNU env's -S splitting (coreutils 9.1 env.c): quotes, backslash escapes, `#` comments.

    Returns the words, or why they cannot be known (`${VAR}` expands a variable).
    """
    words: list[str] = []
    current: list[str] = []
    in_word = False
    i = 0
    quote = ""
    escapes = {"f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "#": "#", "$": "$", '"': '"', "'": "'",
               "\\": "\\", "_": " "}
    while i < len(text):
        c = text[i]
        if quote == "'":
            if c == "\\" and i + 1 < len(text) and text[i + 1] in "\\'":
                current.append(text[i + 1])
                i += 2
                continue
            if c == "'":
                quote = ""
            else:
                current.append(c)
            i += 1
            continue
        if c == "$" and i + 1 < len(text) and text[i + 1] == "{":
            return "${VAR} expands a variable, whose value cannot be known"
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "c" and not quote:
                break
            if nxt == "_" and not quote:
                if in_word:
                    words.append("".join(current))
                current, in_word = [], False
                i += 2
                continue
            if nxt not in escapes:
                return f"unknown escape \\{nxt}"
            current.append(escapes[nxt])
            in_word = True
            i += 2
            continue
        if quote == '"':
            if c == '"':
                quote = ""
            else:
                current.append(c)
            i += 1
            continue
        if c in "'\"":
            quote = c
            in_word = True
        elif c in " \t\n\v\f\r":
            if in_word:
                words.append("".join(current))
            current, in_word = [], False
        elif c == "#" and not in_word:
            break
        else:
            current.append(c)
            in_word = True
        i += 1
    if quote:
        return "unterminated quote"
    if in_word:
        words.append("".join(current))
    return words
