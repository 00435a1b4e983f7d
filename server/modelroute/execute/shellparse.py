"""Split a proposed shell command into every sub-command it would run (tree-sitter-bash).

The parser is deliberately suspicious: whatever it cannot account for statically (parse errors,
command names built from variables, `eval $x`, arithmetic on variables, shells reading an unknown
stdin...) makes the sub-command or the whole command *opaque*, and opaque is never auto-allowed.
Wrappers (`env`, `timeout`, `xargs`, `find -exec`, `bash -c`, literal `eval`...) are peeled so the
rules judge the program that really runs.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field

import tree_sitter
import tree_sitter_bash

MAX_LENGTH = 20_000
MAX_SUBCOMMANDS = 64
MAX_DEPTH = 8

_LANGUAGE = tree_sitter.Language(tree_sitter_bash.language())

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox-sh"})
# Assignments that change what later commands resolve to or run on their own.
DANGEROUS_VARS = frozenset(
    {
        "PATH",
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "LD_AUDIT",
        "BASH_ENV",
        "ENV",
        "PROMPT_COMMAND",
        "PS0",
        "PS1",
        "PS2",
        "PS3",
        "PS4",
        "IFS",
        "SHELLOPTS",
        "BASHOPTS",
        "GLOBIGNORE",
        "CDPATH",
        "BASH_LOADABLES_PATH",
        "GIT_SSH_COMMAND",
        "GIT_EXTERNAL_DIFF",
        "GIT_PAGER",
        "PAGER",
        "EDITOR",
        "PYTHONSTARTUP",
        "NODE_OPTIONS",
        "PERL5OPT",
        "RUBYOPT",
    }
)
# Builtins that change what later names mean: their effect cannot be judged statically.
_SHADOWING_BUILTINS = frozenset({"alias", "enable", "shopt"})
_GLOB_CHARS = re.compile(r"(?<!\\)[*?\[\]{}]")
_ARITH_NODES = frozenset({"arithmetic_expansion", "c_style_for_statement"})
# Nodes whose contents are walked generically; anything else is an unknown construct.
_KNOWN_NODES = frozenset(
    {
        "program",
        "list",
        "pipeline",
        "subshell",
        "compound_statement",
        "redirected_statement",
        "command",
        "command_name",
        "word",
        "string",
        "string_content",
        "raw_string",
        "ansi_c_string",
        "translated_string",
        "concatenation",
        "number",
        "simple_expansion",
        "expansion",
        "command_substitution",
        "process_substitution",
        "variable_assignment",
        "variable_assignments",
        "variable_name",
        "special_variable_name",
        "file_redirect",
        "heredoc_redirect",
        "herestring_redirect",
        "heredoc_start",
        "heredoc_body",
        "heredoc_content",
        "heredoc_end",
        "file_descriptor",
        "if_statement",
        "elif_clause",
        "else_clause",
        "while_statement",
        "for_statement",
        "do_group",
        "case_statement",
        "case_item",
        "function_definition",
        "negated_command",
        "declaration_command",
        "unset_command",
        "test_command",
        "unary_expression",
        "binary_expression",
        "parenthesized_expression",
        "postfix_expression",
        "ternary_expression",
        "test_operator",
        "comment",
        "extglob_pattern",
        "regex",
        "array",
        "subscript",
        "brace_expression",
        "arithmetic_expansion",
        "c_style_for_statement",
        "expansion_flags",
        "line_continuation",
    }
)
_ARITH_OPS = frozenset({"-eq", "-ne", "-lt", "-le", "-gt", "-ge"})


@dataclass(frozen=True)
class SubCommand:
    """One program invocation. `argv` holds literal words; non-literal ones keep their source text."""

    argv: tuple[str, ...]
    text: str
    assignments: tuple[str, ...] = ()
    wrappers: tuple[str, ...] = ()
    opaque_reason: str | None = None
    sudo: bool = False
    stdin_args: bool = False  # xargs appends words read from stdin

    @property
    def opaque(self) -> bool:
        return self.opaque_reason is not None

    @property
    def program(self) -> str:
        return self.argv[0] if self.argv else ""

    @property
    def normalized(self) -> str:
        """What rules match against: assignments and argv, shell-quoted, one space apart."""
        words = [*self.assignments, *(_display_word(w) for w in self.argv)]
        if self.stdin_args:
            words.append("<stdin-args>")
        return " ".join(words)


def _display_word(word: str) -> str:
    return shlex.quote(word) if not word or _NEEDS_QUOTES.search(word) else word


_NEEDS_QUOTES = re.compile(r"[\s'\"\\]")


@dataclass(frozen=True)
class ParsedCommand:
    text: str
    subcommands: tuple[SubCommand, ...]
    opaque_reasons: tuple[str, ...] = ()
    over_caps: bool = False

    @property
    def opaque(self) -> bool:
        return bool(self.opaque_reasons) or any(s.opaque for s in self.subcommands)

    @property
    def programs(self) -> frozenset[str]:
        names = {s.program.rsplit("/", 1)[-1] for s in self.subcommands if s.program}
        names |= {w.rsplit("/", 1)[-1] for s in self.subcommands for w in s.wrappers}
        return frozenset(names)

    def all_reasons(self) -> tuple[str, ...]:
        subs = tuple(f"{s.text!r}: {s.opaque_reason}" for s in self.subcommands if s.opaque_reason)
        return self.opaque_reasons + subs


@dataclass
class _State:
    subs: list[SubCommand] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    over_caps: bool = False

    def add(self, sub: SubCommand) -> None:
        if len(self.subs) >= MAX_SUBCOMMANDS:
            self.cap(f"more than {MAX_SUBCOMMANDS} sub-commands")
            return
        self.subs.append(sub)

    def cap(self, reason: str) -> None:
        self.over_caps = True
        if reason not in self.reasons:
            self.reasons.append(reason)

    def opaque(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)


def parse_command(text: str) -> ParsedCommand:
    state = _State()
    if len(text) > MAX_LENGTH:
        state.cap(f"command longer than {MAX_LENGTH} characters")
        return ParsedCommand(text, (), tuple(state.reasons), True)
    _parse_into(text, state, depth=0, wrappers=())
    return ParsedCommand(text, tuple(state.subs), tuple(state.reasons), state.over_caps)


def _parse_into(text: str, state: _State, depth: int, wrappers: tuple[str, ...]) -> None:
    if depth > MAX_DEPTH:
        state.cap(f"nesting deeper than {MAX_DEPTH}")
        return
    if "\x00" in text:
        state.opaque("NUL byte in command text")
    tree = tree_sitter.Parser(_LANGUAGE).parse(text.encode("utf-8", "surrogatepass"))
    _walk(tree.root_node, state, depth, wrappers)


_NESTING = frozenset({"command_substitution", "process_substitution", "subshell"})


def _walk(node: tree_sitter.Node, state: _State, depth: int, wrappers: tuple[str, ...]) -> None:
    if depth > MAX_DEPTH:
        state.cap(f"nesting deeper than {MAX_DEPTH}")
        return
    if node.is_error or node.is_missing:
        state.opaque(f"shell syntax the parser could not read near {_src(node)[:60]!r}")
        return
    kind = node.type
    if node.is_named and kind not in _KNOWN_NODES:
        state.opaque(f"unsupported shell construct {kind!r}")
    if kind == "command":
        _command(node, state, depth, wrappers)
        return
    if kind == "redirected_statement":
        _redirected(node, state, depth, wrappers)
        return
    _check_expression(node, state)
    if kind == "variable_assignment":
        _check_assignment(node, state)
    if kind in ("declaration_command", "unset_command"):
        _declaration(node, state, wrappers)
    if kind == "heredoc_redirect" and _heredoc_quoted(node):
        return  # quoted delimiter: the body is literal text
    child_depth = depth + 1 if kind in _NESTING else depth
    for child in node.children:
        _walk(child, state, child_depth, wrappers)


def _check_expression(node: tree_sitter.Node, state: _State) -> None:
    kind = node.type
    if kind in _ARITH_NODES or (kind == "compound_statement" and _src(node).startswith("((")):
        if _has_variable(node):
            state.opaque("arithmetic on variables can run commands (a[$(...)] in a value)")
    elif kind == "binary_expression" and node.parent is not None and node.parent.type == "test_command":
        ops = {c.type for c in node.children} | {_src(c) for c in node.children if c.type == "test_operator"}
        if ops & _ARITH_OPS and _has_variable(node):
            state.opaque("arithmetic test on variables can run commands")
    elif kind == "expansion" and "@P" in _src(node):
        state.opaque("${var@P} prompt expansion can run commands")


def _has_variable(node: tree_sitter.Node) -> bool:
    if node.type in ("simple_expansion", "expansion", "variable_name", "subscript"):
        return True
    return any(_has_variable(c) for c in node.children)


def _check_assignment(node: tree_sitter.Node, state: _State) -> None:
    name = node.child_by_field_name("name")
    var = _src(name) if name is not None else ""
    if var in DANGEROUS_VARS:
        state.opaque(f"assignment to {var} changes what runs")


def _declaration(node: tree_sitter.Node, state: _State, wrappers: tuple[str, ...]) -> None:
    words = [_src(c) for c in node.children]
    state.add(SubCommand(argv=tuple(words[:1]), text=_src(node), wrappers=wrappers))


def _heredoc_quoted(node: tree_sitter.Node) -> bool:
    for child in node.children:
        if child.type == "heredoc_start":
            return any(q in _src(child) for q in ("'", '"', "\\"))
    return False


def _redirected(node: tree_sitter.Node, state: _State, depth: int, wrappers: tuple[str, ...]) -> None:
    """A statement with redirects; a heredoc or here-string fed to a shell is a script to parse."""
    body = node.child_by_field_name("body")
    stdin_script: str | None = None
    for child in node.children:
        if child.type == "heredoc_redirect":
            stdin_script = _heredoc_text(child)
        elif child.type == "herestring_redirect":
            words = [c for c in child.children if c.is_named]
            stdin_script = _static(words[-1]) if words else None
    for child in node.children:
        if child is not None and body is not None and child.id == body.id and body.type == "command":
            _command(body, state, depth, wrappers, stdin_script=stdin_script, has_stdin_redirect=True)
        else:
            _walk(child, state, depth, wrappers)


def _heredoc_text(node: tree_sitter.Node) -> str | None:
    for child in node.children:
        if child.type == "heredoc_body":
            if any(c.type != "heredoc_content" for c in child.children if c.is_named):
                return None
            return _src(child)
    return None


def _command(
    node: tree_sitter.Node,
    state: _State,
    depth: int,
    wrappers: tuple[str, ...],
    *,
    stdin_script: str | None = None,
    has_stdin_redirect: bool = False,
) -> None:
    assignments: list[str] = []
    words: list[tree_sitter.Node] = []
    for child in node.children:
        if child.type == "variable_assignment":
            _check_assignment(child, state)
            assignments.append(_src(child))
        elif child.type in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
            if child.type == "herestring_redirect" or any(c.type == "<" for c in child.children):
                has_stdin_redirect = True
            if child.type == "herestring_redirect":
                literal = [c for c in child.children if c.is_named]
                stdin_script = _static(literal[-1]) if literal else None
        elif child.is_named:
            words.append(child)
    # Everything nested in the words (substitutions, expansions) runs too.
    for child in node.children:
        _walk(child, state, depth, wrappers)
    text = _src(node)
    if not words:
        return
    argv: list[str] = []
    name_node = words[0]
    name_value = _static(name_node)
    for word in words:
        value = _static(word)
        argv.append(value if value is not None else _src(word))
    reason = None
    if name_value is None or _GLOB_CHARS.search(_src(name_node)):
        reason = "command name is not a literal word"
    sub = SubCommand(
        argv=tuple(argv), text=text, assignments=tuple(assignments), wrappers=wrappers, opaque_reason=reason
    )
    if reason is None:
        _peel(sub, state, depth, stdin_script=stdin_script, stdin_redirect=has_stdin_redirect)
    else:
        state.add(sub)


def _peel(
    sub: SubCommand,
    state: _State,
    depth: int,
    *,
    stdin_script: str | None = None,
    stdin_redirect: bool = False,
) -> None:
    """Record `sub`, looking through wrappers to the program they run."""
    argv = list(sub.argv)
    name = argv[0].rsplit("/", 1)[-1]
    if name in (
        "env",
        "command",
        "builtin",
        "exec",
        "nice",
        "nohup",
        "timeout",
        "time",
        "setsid",
        "stdbuf",
        "ionice",
        "sudo",
        "doas",
        "xargs",
        "chrt",
        "taskset",
    ):
        inner = _unwrap(name, argv)
        if inner is None:  # a query (`command -v`) or a wrapper with no command: itself is the program
            state.add(_replace(sub, sudo=sub.sudo or name in ("sudo", "doas")))
            return
        if isinstance(inner, str):
            state.add(_replace(sub, opaque_reason=inner))
            return
        inner_argv, extra_assign, split_string = inner
        wrapped = SubCommand(
            argv=tuple(inner_argv) if inner_argv else ("echo",) if name == "xargs" else (),
            text=sub.text,
            assignments=sub.assignments + tuple(extra_assign),
            wrappers=(*sub.wrappers, name),
            sudo=sub.sudo or name in ("sudo", "doas"),
            stdin_args=sub.stdin_args or name == "xargs",
        )
        for a in extra_assign:
            if a.split("=", 1)[0] in DANGEROUS_VARS:
                state.opaque(f"assignment to {a.split('=', 1)[0]} changes what runs")
        if split_string is not None:
            _parse_into(split_string, state, depth + 1, wrapped.wrappers)
            return
        if not wrapped.argv:
            state.add(sub)
            return
        if _GLOB_CHARS.search(wrapped.argv[0]) or wrapped.argv[0].startswith("$"):
            state.add(_replace(wrapped, opaque_reason="wrapped command name is not a literal word"))
            return
        _peel(wrapped, state, depth, stdin_script=stdin_script, stdin_redirect=stdin_redirect)
        return
    if name in SHELLS:
        _shell(sub, state, depth, stdin_script, stdin_redirect)
        return
    if name == "eval":
        _eval_like(sub, " ".join(argv[1:]), state, depth, "eval")
        return
    if name == "trap" and len(argv) > 2 and not argv[1].startswith("-"):
        _eval_like(sub, argv[1], state, depth, "trap")
        return
    if name in ("find",):
        _find(sub, state, depth)
        return
    if name in _SHADOWING_BUILTINS or (name == "hash" and "-p" in argv):
        state.add(_replace(sub, opaque_reason=f"`{name}` changes what later command names mean"))
        return
    typed_int = name in ("declare", "typeset", "local") and any("i" in a for a in argv[1:2])
    if name == "let" or (typed_int and any("$" in a or "[" in a for a in argv[1:])):
        state.add(_replace(sub, opaque_reason="arithmetic on variables can run commands"))
        return
    state.add(sub)


def _replace(sub: SubCommand, **changes: object) -> SubCommand:
    values = {f: getattr(sub, f) for f in sub.__dataclass_fields__}
    values.update(changes)
    return SubCommand(**values)  # type: ignore[arg-type]


def _eval_like(sub: SubCommand, script: str, state: _State, depth: int, what: str) -> None:
    if any(a.startswith("$") or "`" in a for a in sub.argv[1:]) or _nonliteral(sub):
        state.add(_replace(sub, opaque_reason=f"`{what}` of a non-literal string"))
        return
    _parse_into(script, state, depth + 1, (*sub.wrappers, what))


def _nonliteral(sub: SubCommand) -> bool:
    """True when some argv word could not be resolved statically (it kept `$`/backtick source)."""
    return any(("$" in w or "`" in w) for w in sub.argv[1:])


def _shell(
    sub: SubCommand, state: _State, depth: int, stdin_script: str | None, stdin_redirect: bool
) -> None:
    argv = list(sub.argv)
    i = 1
    script: str | None = None
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if arg[:1] in ("-", "+") and len(arg) > 1:
            if "c" in arg.lstrip("-+") and not arg.startswith("--"):
                if i + 1 >= len(argv):
                    state.add(_replace(sub, opaque_reason="shell -c without a script"))
                    return
                script = argv[i + 1]
                if "$" in script and _nonliteral(_replace(sub, argv=(argv[0], script))):
                    state.add(_replace(sub, opaque_reason="shell -c of a non-literal string"))
                    return
                break
            if arg in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
                i += 1
            i += 1
            continue
        break
    if script is not None:
        _parse_into(script, state, depth + 1, (*sub.wrappers, argv[0]))
        return
    if i < len(argv):
        state.add(sub)  # runs a script file: judged as that program invocation
        return
    if stdin_script is not None:
        _parse_into(stdin_script, state, depth + 1, (*sub.wrappers, argv[0]))
        return
    if stdin_redirect:
        state.add(
            _replace(sub, opaque_reason="shell runs a script from a redirected file or non-literal text")
        )
        return
    state.add(_replace(sub, opaque_reason="shell reads its commands from stdin"))


_ENV_OPTS_WITH_ARG = frozenset({"-u", "--unset", "-C", "--chdir"})
_NICE_OPTS = frozenset({"-n", "--adjustment"})
_TIMEOUT_OPTS = frozenset({"-s", "--signal", "-k", "--kill-after"})
_XARGS_OPTS = frozenset(
    {
        "-I",
        "-L",
        "-n",
        "-P",
        "-s",
        "-d",
        "-E",
        "-a",
        "--arg-file",
        "--delimiter",
        "--max-args",
        "--max-procs",
        "--max-lines",
        "--max-chars",
        "--eof",
        "--replace",
    }
)
_SUDO_OPTS = frozenset(
    {
        "-u",
        "-g",
        "-C",
        "-D",
        "-h",
        "-p",
        "-r",
        "-t",
        "-U",
        "--user",
        "--group",
        "--chdir",
        "--host",
        "--prompt",
        "--role",
        "--type",
        "--other-user",
    }
)
_STDBUF_OPTS = frozenset({"-i", "-o", "-e"})
_GENERIC_OPTS = frozenset({"-c", "-n", "-p", "--class", "--classdata", "--pid"})

_Unwrapped = tuple[list[str], list[str], str | None]


def _unwrap(name: str, argv: list[str]) -> _Unwrapped | str | None:
    """Return (inner argv, extra assignments, string to parse) or an opaque reason, or None."""
    rest = argv[1:]
    if name == "command" or name == "builtin":
        if rest and rest[0] in ("-v", "-V"):
            return None
        while rest and rest[0] in ("-p", "--"):
            rest = rest[1:]
        return rest, [], None
    if name in ("exec", "nohup", "time", "setsid"):
        while rest and rest[0].startswith("-"):
            opt, rest = rest[0], rest[1:]
            if opt == "--":
                break
            if name == "exec" and opt == "-a":
                rest = rest[1:]
        return rest, [], None
    if name == "env":
        return _unwrap_env(rest)
    with_arg = {
        "nice": _NICE_OPTS,
        "timeout": _TIMEOUT_OPTS,
        "xargs": _XARGS_OPTS,
        "sudo": _SUDO_OPTS,
        "doas": frozenset({"-u", "-C"}),
        "stdbuf": _STDBUF_OPTS,
        "ionice": _GENERIC_OPTS,
        "chrt": frozenset(),
        "taskset": frozenset(),
    }[name]
    while rest and rest[0].startswith("-") and rest[0] != "-":
        opt = rest[0]
        rest = rest[1:]
        if opt == "--":
            break
        if opt in with_arg:
            rest = rest[1:]
    if name == "timeout" or name in ("chrt", "taskset"):
        rest = rest[1:]  # duration / priority / cpu mask
    if name in ("sudo", "doas") and not rest:
        return None
    return rest, [], None


def _unwrap_env(rest: list[str]) -> _Unwrapped | str:
    assigns: list[str] = []
    while rest:
        arg = rest[0]
        if arg == "--":
            rest = rest[1:]
            break
        if arg in ("-S", "--split-string") or arg.startswith("-S"):
            script = arg[2:] if len(arg) > 2 and arg.startswith("-S") else (rest[1] if len(rest) > 1 else "")
            after = rest[1:] if len(arg) > 2 else rest[2:]
            return [], assigns, " ".join([script, *(shlex.quote(a) for a in after)])
        if arg in _ENV_OPTS_WITH_ARG:
            rest = rest[2:]
            continue
        if arg.startswith("-"):
            rest = rest[1:]
            continue
        if "=" in arg and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", arg):
            assigns.append(arg)
            rest = rest[1:]
            continue
        break
    return rest, assigns, None


def _find(sub: SubCommand, state: _State, depth: int) -> None:
    argv = list(sub.argv)
    outer: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-exec", "-execdir", "-ok", "-okdir"):
            j = i + 1
            while j < len(argv) and argv[j] not in (";", "+"):
                j += 1
            inner = argv[i + 1 : j]
            if inner:
                inner_sub = SubCommand(argv=tuple(inner), text=sub.text, wrappers=(*sub.wrappers, "find"))
                if _GLOB_CHARS.search(inner[0].replace("{}", "")) or inner[0].startswith("$"):
                    state.add(_replace(inner_sub, opaque_reason="find -exec of a non-literal program"))
                else:
                    _peel(inner_sub, state, depth)
            outer.append(arg)
            i = j + 1
            continue
        outer.append(arg)
        i += 1
    state.add(_replace(sub, argv=tuple(outer)))


_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def _static(node: tree_sitter.Node) -> str | None:
    """The literal value of a word, or None when it depends on expansion."""
    kind = node.type
    if kind in ("command_name",):
        return _static(node.children[0]) if node.children else None
    if kind == "word":
        return _ESCAPED.sub(lambda m: "" if m.group(1) == "\n" else m.group(1), _src(node))
    if kind == "number":
        return _src(node)
    if kind == "raw_string":
        return _src(node)[1:-1]
    if kind in ("string", "translated_string"):
        parts: list[str] = []
        for child in node.children:
            if child.type == "string_content":
                parts.append(
                    re.sub(r"\\([$`\"\\\n])", lambda m: "" if m.group(1) == "\n" else m.group(1), _src(child))
                )
            elif child.is_named:
                return None
        return "".join(parts)
    if kind == "ansi_c_string":
        body = _src(node)[2:-1]
        return None if "\\" in body else body
    if kind == "concatenation":
        values = [_static(c) for c in node.children]
        if any(v is None for v in values):
            return None
        return "".join(v for v in values if v is not None)
    return None


def _src(node: tree_sitter.Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def iter_programs(parsed: ParsedCommand) -> Iterator[str]:
    for sub in parsed.subcommands:
        if sub.program:
            yield sub.program.rsplit("/", 1)[-1]
