"""Split a proposed shell command into every program it would run (tree-sitter-bash), and say whether
its shape lets a rule approve it at all.

Two questions, answered separately:
- *What runs?* Every sub-command, wherever it hides: after `;`, `&&`, `|`, inside `$(...)`, backticks,
  `<(...)`, here-documents, `eval`, `bash -c`, `env -S`, `find -exec`, `xargs`, `timeout`... Wrappers are
  peeled so the program that really runs is judged. Whatever the parser cannot account for (parse
  errors, command names built from variables, arithmetic that can run commands, a shell reading an
  unknown input) makes the command *opaque*; opaque is never approved by a rule.
- *Could a rule approve it?* Only a list or pipeline of simple commands made of literal words, with no
  expansion, substitution, here-document, function, compound statement, background job or redirection
  beyond a small safe set (`2>&1`, `>/dev/null`, `<file`), and only programs whose arguments pass their
  grammar (execute/grammar.py). What fails says why, as `shape_reasons` of the command and `problems` of
  each sub-command; the approval prompt shows them.

Words are read twice: tree-sitter finds them, and a small lexer of bash's quoting rules reads each one
again, so a word tree-sitter and bash would split differently is caught rather than trusted.
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import tree_sitter
import tree_sitter_bash

from modelroute.execute import grammar

MAX_LENGTH = 20_000
MAX_SUBCOMMANDS = 64
MAX_DEPTH = 8

_LANGUAGE = tree_sitter.Language(tree_sitter_bash.language())

# Assignments that change which program a name runs, or run code themselves: the parse cannot account
# for what runs after them.
DANGEROUS_VARS = frozenset(
    {
        "PATH", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "BASH_ENV", "ENV", "PROMPT_COMMAND", "PS0", "PS1",
        "PS2", "PS3", "PS4", "IFS", "SHELLOPTS", "BASHOPTS", "GLOBIGNORE", "CDPATH", "BASH_LOADABLES_PATH",
        "GIT_SSH_COMMAND", "GIT_EXTERNAL_DIFF", "GIT_PAGER", "PAGER", "EDITOR", "VISUAL", "PYTHONSTARTUP",
        "NODE_OPTIONS", "PERL5OPT", "RUBYOPT", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_EXEC_PATH",
        "GIT_DIR", "GIT_WORK_TREE", "PYTHONPATH", "PYTHONHOME", "NODE_PATH", "SHELL", "BROWSER",
    }
)
# Builtins that change what later names mean: their effect cannot be judged statically.
_SHADOWING_BUILTINS = frozenset({"alias", "enable", "shopt"})
# Builtins that treat a word as a variable name and evaluate its array subscript (`a[$(cmd)]`).
_SUBSCRIPT_BUILTINS = frozenset({"read", "unset", "let", "mapfile", "readarray", "wait", "getopts", "declare",
                                 "typeset", "local", "export", "readonly"})
_ARITH_NODES = frozenset({"arithmetic_expansion", "c_style_for_statement"})
# Nodes whose contents are walked generically; anything else is an unknown construct.
_KNOWN_NODES = frozenset(
    {
        "program", "list", "pipeline", "subshell", "compound_statement", "redirected_statement", "command",
        "command_name", "word", "string", "string_content", "raw_string", "ansi_c_string", "translated_string",
        "concatenation", "number", "simple_expansion", "expansion", "command_substitution",
        "process_substitution", "variable_assignment", "variable_assignments", "variable_name",
        "special_variable_name", "file_redirect", "heredoc_redirect", "herestring_redirect", "heredoc_start",
        "heredoc_body", "heredoc_content", "heredoc_end", "file_descriptor", "if_statement", "elif_clause",
        "else_clause", "while_statement", "for_statement", "do_group", "case_statement", "case_item",
        "function_definition", "negated_command", "declaration_command", "unset_command", "test_command",
        "unary_expression", "binary_expression", "parenthesized_expression", "postfix_expression",
        "ternary_expression", "test_operator", "comment", "extglob_pattern", "regex", "array", "subscript",
        "brace_expression", "arithmetic_expansion", "c_style_for_statement", "expansion_flags",
        "line_continuation",
    }
)
_ARITH_OPS = frozenset({"-eq", "-ne", "-lt", "-le", "-gt", "-ge"})
_RESERVED = frozenset({"{", "}", "!", "[[", "]]", "if", "then", "else", "elif", "fi", "do", "done", "case",
                       "esac", "while", "until", "for", "in", "function", "select"})
_PLAIN_JOINERS = frozenset({";", "&&", "||", "\n", "|", "|&"})


@dataclass(frozen=True)
class Layer:
    """A wrapper a program runs through (`timeout 5`, `xargs -n1`, `find ... -exec`, `bash -c`)."""

    program: str  # its name as written
    words: tuple[str, ...]  # its words, from its name to the end of its invocation
    inner_at: int | None  # where the program it runs starts in `words`; None when not as written
    transparent: bool  # its own rule is not needed: it only changes how the program runs


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
    layers: tuple[Layer, ...] = ()  # the wrappers it runs through, outermost first
    problems: tuple[str, ...] = ()  # why a rule cannot approve this invocation
    literal_through: int | None = None  # a rule must spell argv[: n + 1] without patterns (a file it runs)
    grammar_key: str | None = None  # the grammar that judged it, when not its name (`python -m unittest`)
    harmless_assignments: bool = True  # every assignment only changes output or pace

    @property
    def opaque(self) -> bool:
        return self.opaque_reason is not None

    @property
    def program(self) -> str:
        return self.argv[0] if self.argv else ""

    @property
    def normalized(self) -> str:
        """What rules match against: assignments and argv, shell-quoted, one space apart."""
        words = [*self.assignments, *(display_word(w) for w in self.argv)]
        if self.stdin_args:
            words.append("<stdin-args>")
        return " ".join(words)

    @property
    def approvable(self) -> bool:
        return not self.opaque and not self.problems and not self.sudo


def display_word(word: str) -> str:
    return shlex.quote(word) if not word or _NEEDS_QUOTES.search(word) else word


_NEEDS_QUOTES = re.compile(r"[\s'\"\\;&|<>()`$]")


@dataclass(frozen=True)
class ParsedCommand:
    text: str
    subcommands: tuple[SubCommand, ...]
    opaque_reasons: tuple[str, ...] = ()
    over_caps: bool = False
    shape_reasons: tuple[str, ...] = ()  # why the command as a whole is beyond what a rule approves

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


# ---------------------------------------------------------------- words


@dataclass(frozen=True)
class Word:
    source: str
    value: str  # quotes removed; a pattern keeps its pattern characters
    expansion: str | None = None  # why its value cannot be known statically
    pattern: bool = False  # unquoted `*`, `?` or `[...]`: a pathname expansion
    safe_prefix: bool = True  # (patterns) no expansion of it can start with `-`

    @property
    def literal(self) -> bool:
        return self.expansion is None


_NAME_START = re.compile(r"[A-Za-z_0-9{(@*#?$!\-]")
_ANSI = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
         "\\": "\\", "'": "'", '"': '"', "?": "?"}


def read_word(source: str) -> Word:
    """Read one bash word by bash's quoting rules: its literal value, or why it has none."""
    reader = _WordReader(source)
    try:
        value = reader.read()
    except _Expanded:
        return Word(source, source, reader.expansion, reader.pattern, reader.safe_prefix)
    except _NotOneWord as exc:
        return Word(source, source, f"bash would not read `{source}` as one word ({exc})")
    return Word(source, value, reader.expansion, reader.pattern, reader.safe_prefix)


class _NotOneWord(Exception):
    pass


class _Expanded(Exception):
    pass


class _WordReader:
    def __init__(self, s: str) -> None:
        self.s = s
        self.i = 0
        self.out: list[str] = []
        self.expansion: str | None = None
        self.pattern = False
        self.safe_prefix = True
        self.first_kind: str | None = None  # "quoted", "literal" or "pattern" for the first character

    def _emit(self, text: str, kind: str) -> None:
        if text and self.first_kind is None:
            self.first_kind = kind
            if kind == "pattern" or (kind == "literal" and text.startswith("-")):
                self.safe_prefix = False
        self.out.append(text)

    def _expands(self, why: str) -> None:
        """The word's value depends on an expansion: what follows cannot change that, stop reading."""
        self.expansion = why
        raise _Expanded

    def read(self) -> str:
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c == "\\":
                self._backslash()
            elif c == "'":
                self._single()
            elif c == '"':
                self.i += 1
                self._double()
            elif c == "$":
                self._dollar()
            elif c == "`":
                self._expands(f"`{s}` contains a command substitution")
                self._emit(c, "literal")
                self.i += 1
            elif c in "*?" or (c == "[" and "]" in s[self.i + 1 :]):
                self.pattern = True
                self._emit(c, "pattern")
                self.i += 1
            elif c == "{" and self._brace_expansion():
                self._expands(f"`{s}` contains a brace expansion")
                self._emit(c, "literal")
                self.i += 1
            elif c == "~" and (self.i == 0 or s[self.i - 1] in "=:"):
                self._expands(f"`{s}` starts a tilde expansion (`~`)")
                self._emit(c, "literal")
                self.i += 1
            elif c in " \t\n;|&<>()":
                raise _NotOneWord(f"unquoted {c!r}")
            else:
                self._emit(c, "literal")
                self.i += 1
        return "".join(self.out)

    def _backslash(self) -> None:
        if self.i + 1 >= len(self.s):
            self._emit("\\", "literal")
            self.i += 1
            return
        nxt = self.s[self.i + 1]
        if nxt != "\n":
            self._emit(nxt, "quoted")
        self.i += 2

    def _single(self) -> None:
        end = self.s.find("'", self.i + 1)
        if end < 0:
            raise _NotOneWord("unterminated single quote")
        self._emit(self.s[self.i + 1 : end], "quoted")
        self.i = end + 1

    def _double(self) -> None:
        """From after an opening double quote to after the closing one."""
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c == '"':
                self.i += 1
                return
            if c == "\\" and self.i + 1 < len(s) and s[self.i + 1] in '$`"\\\n':
                if s[self.i + 1] != "\n":
                    self._emit(s[self.i + 1], "quoted")
                self.i += 2
                continue
            if c == "`" or (c == "$" and self.i + 1 < len(s) and _NAME_START.match(s[self.i + 1])):
                self._expands(f"`{self.s}` contains an expansion inside double quotes")
            self._emit(c, "quoted")
            self.i += 1
        raise _NotOneWord("unterminated double quote")

    def _dollar(self) -> None:
        s = self.s
        nxt = s[self.i + 1] if self.i + 1 < len(s) else ""
        if nxt == "'":
            self.i += 2
            self._ansi_c()
        elif nxt == '"':
            self.i += 2
            self._double()
        elif nxt and _NAME_START.match(nxt):
            self._expands(f"`{s}` contains an expansion (`$`)")
            self._emit("$", "literal")
            self.i += 1
        else:
            self._emit("$", "literal")
            self.i += 1

    def _ansi_c(self) -> None:
        """$'...' strings: backslash escapes decoded as bash does."""
        s = self.s
        out: list[str] = []
        while self.i < len(s):
            c = s[self.i]
            if c == "'":
                self.i += 1
                self._emit("".join(out), "quoted")
                return
            if c != "\\" or self.i + 1 >= len(s):
                out.append(c)
                self.i += 1
                continue
            code = s[self.i + 1]
            self.i += 2
            if code in _ANSI:
                out.append(_ANSI[code])
            elif code in "01234567":
                digits = code + self._take("01234567", 2)
                out.append(chr(int(digits, 8) & 0xFF))
            elif code in "xuU":
                digits = self._take("0123456789abcdefABCDEF", {"x": 2, "u": 4, "U": 8}[code])
                if not digits:
                    out.append("\\" + code)
                else:
                    point = int(digits, 16)
                    out.append(chr(point) if point <= 0x10FFFF else "\ufffd")
            elif code == "c" and self.i < len(s):
                out.append(chr(ord(s[self.i]) & 0x1F))
                self.i += 1
            else:
                out.append("\\" + code)
        raise _NotOneWord("unterminated $'...' string")

    def _take(self, allowed: str, most: int) -> str:
        start = self.i
        while self.i < len(self.s) and self.i - start < most and self.s[self.i] in allowed:
            self.i += 1
        return self.s[start : self.i]

    def _brace_expansion(self) -> bool:
        """An unquoted `{` opening `{a,b}` or `{1..3}` (a lone `{}` or `{x}` is literal)."""
        depth, j = 0, self.i
        while j < len(self.s):
            c = self.s[j]
            if c in "\\'\"$`":
                return True  # quoting inside braces: treat as an expansion rather than reason about it
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    body = self.s[self.i + 1 : j]
                    return "," in body or ".." in body
            j += 1
        return False


# ---------------------------------------------------------------- the parse


@dataclass
class _State:
    subs: list[SubCommand] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    shape: list[str] = field(default_factory=list)
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

    def block(self, reason: str) -> None:
        if reason not in self.shape:
            self.shape.append(reason)


@dataclass(frozen=True)
class _Context:
    """Where a piece of shell code came from: the wrappers that run it (bash -c, eval...)."""

    layers: tuple[Layer, ...] = ()
    sudo: bool = False


def parse_command(text: str) -> ParsedCommand:
    state = _State()
    if len(text) > MAX_LENGTH:
        state.cap(f"command longer than {MAX_LENGTH} characters")
        return ParsedCommand(text, (), tuple(state.reasons), True, tuple(state.shape))
    _parse_into(text, state, depth=0, ctx=_Context())
    if any(s.program == "cd" for s in state.subs) and any(s.literal_through is not None for s in state.subs):
        state.block("a file run by a relative name after `cd` is not the file a rule names")
    return ParsedCommand(text, tuple(state.subs), tuple(state.reasons), state.over_caps, tuple(state.shape))


def _parse_into(text: str, state: _State, depth: int, ctx: _Context) -> None:
    if depth > MAX_DEPTH:
        state.cap(f"nesting deeper than {MAX_DEPTH}")
        return
    if "\x00" in text:
        state.opaque("NUL byte in command text")
    tree = tree_sitter.Parser(_LANGUAGE).parse(text.encode("utf-8", "surrogatepass"))
    _check_shape(tree.root_node, state)
    _walk(tree.root_node, state, depth, ctx)


# ---------------------------------------------------------------- shape: what a rule may approve


def _check_shape(root: tree_sitter.Node, state: _State) -> None:
    """A list or pipeline of simple commands with safe redirections, or say what else it is."""
    for child in root.children:
        _shape_node(child, state)


def _shape_node(node: tree_sitter.Node, state: _State) -> None:
    kind = node.type
    if kind in ("list", "pipeline"):
        for child in node.children:
            if child.is_named:
                _shape_node(child, state)
            elif child.type == "&":
                state.block("`&` runs a command in the background")
            elif child.type not in _PLAIN_JOINERS:
                state.block(f"`{_src(child)}` joins commands in a way a rule does not approve")
        return
    if kind == "command":
        if not any(c.type == "command_name" for c in node.children):
            state.block("a bare variable assignment changes the shell for the commands after it")
        for child in node.children:
            if child.type in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
                _shape_redirect(child, state)
        return
    if kind == "redirected_statement":
        body = node.child_by_field_name("body")
        if body is None or body.type != "command":
            state.block(f"{_construct(body)} with a redirection")
        else:
            _shape_node(body, state)
        for child in node.children:
            if child.type in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
                _shape_redirect(child, state)
        return
    if kind == "comment":
        return
    if kind == "&":
        state.block("`&` runs a command in the background")
        return
    if not node.is_named and kind in (";", "\n"):
        return
    state.block(f"{_construct(node)} (only simple commands joined by ;, &&, || and | are approved by rules)")


_CONSTRUCTS = {
    "subshell": "a subshell `( ... )`",
    "compound_statement": "a command group `{ ...; }` or `(( ))`",
    "if_statement": "an `if` statement",
    "while_statement": "a loop",
    "for_statement": "a `for` loop",
    "c_style_for_statement": "a `for (( ))` loop",
    "case_statement": "a `case` statement",
    "function_definition": "a function definition",
    "negated_command": "a negated command `!`",
    "declaration_command": "a declaration (export, declare, local, readonly)",
    "unset_command": "`unset`",
    "test_command": "a `[ ]` or `[[ ]]` test",
    "variable_assignment": "a variable assignment",
    "variable_assignments": "variable assignments",
}


def _construct(node: tree_sitter.Node | None) -> str:
    if node is None:
        return "an empty statement"
    return _CONSTRUCTS.get(node.type, f"`{_src(node)[:40]}`")


def _shape_redirect(node: tree_sitter.Node, state: _State) -> None:
    if node.type == "heredoc_redirect":
        state.block("a here-document")
        return
    if node.type == "herestring_redirect":
        state.block("a here-string `<<<`")
        return
    ops = [c.type for c in node.children if not c.is_named]
    targets = [c for c in node.children if c.is_named and c.type != "file_descriptor"]
    op = ops[0] if ops else ""
    target = read_word(_src(targets[-1])) if targets else None
    shown = _src(node)
    if target is None or not target.literal or target.pattern:
        state.block(f"the redirection `{shown}` goes to a name that is not a literal word")
        return
    if op in (">&", "<&") and (target.value.isdigit() or target.value == "-"):
        return  # 2>&1, >&2, <&-: only duplicates or closes descriptors
    if op in (">", ">>", ">|", "&>", "&>>", ">&") and target.value == "/dev/null":
        return
    if op == "<" and (target.value == "/dev/null" or not target.value.startswith(("/dev/", "/proc/"))):
        return
    if op == "<":
        state.block(f"the redirection `{shown}` reads a device (bash's /dev/tcp opens network connections)")
    elif op == "<>":
        state.block(f"the redirection `{shown}` opens a file for writing")
    else:
        state.block(f"the redirection `{shown}` writes to a file")


# ---------------------------------------------------------------- what runs


_NESTING = frozenset({"command_substitution", "process_substitution", "subshell"})
_HEREDOC_PARTS = frozenset({"<<", "<<-", "heredoc_start", "heredoc_body", "heredoc_end", "file_descriptor"})


def _walk(node: tree_sitter.Node, state: _State, depth: int, ctx: _Context) -> None:
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
        _command(node, state, depth, ctx)
        return
    if kind == "redirected_statement":
        _redirected(node, state, depth, ctx)
        return
    _check_expression(node, state)
    if kind == "variable_assignment":
        _check_assignment(node, state)
    if kind in ("declaration_command", "unset_command"):
        _declaration(node, state, ctx)
    if kind == "heredoc_redirect":
        odd = [c for c in node.children if c.type not in _HEREDOC_PARTS]
        if odd:
            state.opaque(f"the parser could not read a here-document (near {_src(odd[0])[:40]!r})")
        if _heredoc_quoted(node):
            return  # quoted delimiter: the body is literal text
    child_depth = depth + 1 if kind in _NESTING else depth
    for child in node.children:
        _walk(child, state, child_depth, ctx)


def _check_expression(node: tree_sitter.Node, state: _State) -> None:
    kind = node.type
    if kind in _ARITH_NODES or (kind == "compound_statement" and _src(node).startswith("((")):
        if _has_name(node):
            state.opaque("arithmetic on names can run commands (a[$(...)] in a value)")
    elif kind == "binary_expression" and node.parent is not None and node.parent.type == "test_command":
        ops = {c.type for c in node.children} | {_src(c) for c in node.children if c.type == "test_operator"}
        if ops & _ARITH_OPS and _has_name(node):
            state.opaque("arithmetic test on names can run commands")
    elif kind == "unary_expression" and any(_src(c) in ("-v", "-R") for c in node.children):
        state.opaque("`[[ -v name ]]` evaluates an array subscript, which can run commands")
    elif kind == "expansion" and "@P" in _src(node):
        state.opaque("${var@P} prompt expansion can run commands")


def _has_name(node: tree_sitter.Node) -> bool:
    """Whether an arithmetic expression involves a name (whose value bash evaluates in turn)."""
    if node.type in ("simple_expansion", "expansion", "variable_name", "subscript", "word", "string",
                     "raw_string", "concatenation"):
        return node.type != "word" or not _src(node).isdigit()
    return any(_has_name(c) for c in node.children)


def _check_assignment(node: tree_sitter.Node, state: _State) -> None:
    name = node.child_by_field_name("name")
    var = _src(name) if name is not None else ""
    if var in DANGEROUS_VARS:
        state.opaque(f"assignment to {var} changes what runs")
    if name is not None and name.type == "subscript":
        state.opaque("an assignment to an array element evaluates its subscript, which can run commands")


def _declaration(node: tree_sitter.Node, state: _State, ctx: _Context) -> None:
    words = [_src(c) for c in node.children]
    if any("[" in w for w in words[1:]):
        state.opaque(f"`{words[0]}` evaluates an array subscript in a name, which can run commands")
    state.add(SubCommand(argv=tuple(words[:1]), text=_src(node), wrappers=_names(ctx), layers=ctx.layers,
                         problems=(f"`{words[0] if words else ''}` changes the shell's variables",)))


def _heredoc_quoted(node: tree_sitter.Node) -> bool:
    for child in node.children:
        if child.type == "heredoc_start":
            return any(q in _src(child) for q in ("'", '"', "\\"))
    return False


def _redirected(node: tree_sitter.Node, state: _State, depth: int, ctx: _Context) -> None:
    """A statement with redirects; a here-document or here-string fed to a shell is a script to parse."""
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
            _command(body, state, depth, ctx, stdin_script=stdin_script, has_stdin_redirect=True)
        else:
            _walk(child, state, depth, ctx)


def _heredoc_text(node: tree_sitter.Node) -> str | None:
    for child in node.children:
        if child.type == "heredoc_body":
            if any(c.type != "heredoc_content" for c in child.children if c.is_named):
                return None
            return _src(child)
    return None


@dataclass
class _Invocation:
    """A simple command's words as the peeling sees them."""

    argv: list[str]
    literal: list[bool]
    globbed: dict[int, bool]  # pattern words -> whether their expansions cannot start with `-`
    text: str
    assignments: tuple[str, ...]
    problems: list[str]
    harmless_assignments: bool = True
    stdin_script: str | None = None
    stdin_redirect: bool = False
    stdin_args: bool = False
    grammar_key: str | None = None

    def tail(self, start: int) -> _Invocation:
        return replace(
            self,
            argv=self.argv[start:],
            literal=self.literal[start:],
            globbed={i - start: v for i, v in self.globbed.items() if i >= start},
        )


def _command(
    node: tree_sitter.Node,
    state: _State,
    depth: int,
    ctx: _Context,
    *,
    stdin_script: str | None = None,
    has_stdin_redirect: bool = False,
) -> None:
    assignments: list[tree_sitter.Node] = []
    word_nodes: list[tree_sitter.Node] = []
    for child in node.children:
        if child.type == "variable_assignment":
            _check_assignment(child, state)
            assignments.append(child)
        elif child.type in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
            if child.type == "herestring_redirect" or any(c.type == "<" for c in child.children):
                has_stdin_redirect = True
            if child.type == "herestring_redirect":
                literal = [c for c in child.children if c.is_named]
                stdin_script = _static(literal[-1]) if literal else None
        elif child.is_named:
            word_nodes.append(child)
    for child in node.children:  # everything nested in the words (substitutions, expansions) runs too
        _walk(child, state, depth, ctx)
    if not word_nodes:
        return
    text = _src(node)
    words = [read_word(_src(w)) for w in word_nodes]
    problems = [w.expansion for w in words if w.expansion]
    for left, right in itertools.pairwise(word_nodes):
        if left.end_byte == right.start_byte:
            state.opaque(f"the parser split `{_src(left)}{_src(right)}` where bash may not")
    inv = _Invocation(
        argv=[w.value for w in words],
        literal=[w.literal for w in words],
        globbed={i: w.safe_prefix for i, w in enumerate(words) if w.pattern},
        text=text,
        assignments=tuple(_src(a) for a in assignments),
        problems=[p for p in problems if p],
        stdin_script=stdin_script,
        stdin_redirect=has_stdin_redirect,
    )
    for a in assignments:
        _judge_assignment(_src(a), inv)
    name = words[0]
    if not name.literal or name.pattern:
        state.add(_sub(inv, ctx, opaque_reason="command name is not a literal word"))
        return
    if name.source in _RESERVED:  # bash would read it as syntax: the tree does not match bash's parse
        state.opaque(f"the parser read the reserved word `{name.source}` as a command name")
    _peel(inv, state, depth, ctx)


def _judge_assignment(text: str, inv: _Invocation) -> None:
    name, _, value = text.partition("=")
    word = read_word(value) if value else Word("", "")
    if not word.literal:
        inv.problems.append(f"`{text}` sets {name} to an expansion")
    if not grammar.harmless_assignment(name):
        inv.harmless_assignments = False
        inv.problems.append(f"`{text}` sets {name}, which can change what the program does")


def _sub(inv: _Invocation, ctx: _Context, **changes: object) -> SubCommand:
    sub = SubCommand(
        argv=tuple(inv.argv),
        text=inv.text,
        assignments=inv.assignments,
        wrappers=_names(ctx),
        layers=ctx.layers,
        sudo=ctx.sudo,
        stdin_args=inv.stdin_args,
        problems=tuple(dict.fromkeys(inv.problems)),
        grammar_key=inv.grammar_key,
        harmless_assignments=inv.harmless_assignments,
    )
    return replace(sub, **changes)  # type: ignore[arg-type]


def _names(ctx: _Context) -> tuple[str, ...]:
    return tuple(layer.program for layer in ctx.layers)


def _peel(inv: _Invocation, state: _State, depth: int, ctx: _Context) -> None:
    """Record the invocation, looking through wrappers to the programs they run."""
    program = grammar.lookup(inv.argv[0], inv.grammar_key)
    name = inv.argv[0].rsplit("/", 1)[-1]
    g = program.grammar
    _check_builtin(name, inv, state)
    if "{}" in inv.argv[0] and any(layer.program == "find" for layer in ctx.layers):
        state.add(_sub(inv, ctx, opaque_reason="runs a file find finds"))
        return
    if inv.stdin_args and not (g is not None and g.any_arguments and g.wrapper is None):
        reason = f"xargs passes words from its input to `{name}`, which can run what they name"
        state.add(_sub(inv, ctx, opaque_reason=reason))
        return
    if g is not None and g.wrapper == "find":
        _find(inv, program, state, depth, ctx)
        return
    unwrapped = grammar.unwrap(program, inv.argv, inv.globbed) if g is not None else None
    if unwrapped is None:
        _final(inv, program, state, ctx)
        return
    if unwrapped.opaque:
        state.add(_sub(inv, ctx, opaque_reason=unwrapped.opaque, problems=(*inv.problems, *unwrapped.problems)))
        return
    if unwrapped.foreign:
        state.opaque(unwrapped.foreign)
    nonliteral = [inv.argv[i] for i, ok in enumerate(inv.literal) if not ok]
    layer = Layer(name, tuple(inv.argv), unwrapped.inner_at, bool(g and g.transparent))
    inner_ctx = _Context((*ctx.layers, layer), ctx.sudo or name in ("sudo", "doas"))
    if unwrapped.script is not None:
        _script(inv, unwrapped.script, nonliteral, unwrapped.problems, state, depth, inner_ctx, name)
        return
    if unwrapped.script_file is not None or unwrapped.reads_stdin:
        _shell_input(inv, unwrapped, program, state, depth, ctx, inner_ctx, name)
        return
    if unwrapped.inner is None and unwrapped.inner_at is None:  # a query, or env setting variables only
        _final(replace(inv, problems=[*inv.problems, *unwrapped.problems]), program, state, ctx)
        return
    inner = _inner(inv, unwrapped)
    for text in unwrapped.assignments:
        if text.split("=", 1)[0] in DANGEROUS_VARS:
            state.opaque(f"assignment to {text.split('=', 1)[0]} changes what runs")
        _judge_assignment(text, inner)
    if not inner.argv:
        _final(inv, program, state, ctx)
        return
    if not inner.literal[0] or 0 in inner.globbed:
        state.add(_sub(inner, inner_ctx, opaque_reason=f"`{name}` runs a program whose name is not a literal word"))
        return
    _peel(inner, state, depth, inner_ctx)


def _inner(inv: _Invocation, unwrapped: grammar.Unwrapped) -> _Invocation:
    if unwrapped.inner is not None:  # not as written (env -S, xargs without a command, python -m X=...)
        inner = replace(inv, argv=list(unwrapped.inner), literal=[True] * len(unwrapped.inner), globbed={})
    else:
        assert unwrapped.inner_at is not None
        inner = inv.tail(unwrapped.inner_at)
    problems = [*inv.problems, *unwrapped.problems]
    return replace(inner, problems=problems, assignments=inv.assignments + tuple(unwrapped.assignments),
                   stdin_args=inv.stdin_args or unwrapped.stdin_args, grammar_key=unwrapped.module,
                   stdin_script=None, stdin_redirect=False)


def _script(
    inv: _Invocation,
    script: str,
    nonliteral: Sequence[str],
    problems: Sequence[str],
    state: _State,
    depth: int,
    ctx: _Context,
    name: str,
) -> None:
    """Shell code a wrapper runs (`bash -c`, `eval`, `trap`): parsed like the command itself."""
    if nonliteral:
        state.add(_sub(inv, ctx, opaque_reason=f"`{name}` runs code built from an expansion ({nonliteral[0]})"))
        return
    for problem in (*inv.problems, *problems):
        state.block(f"`{name}`: {problem}")
    _parse_into(script, state, depth + 1, ctx)


def _shell_input(
    inv: _Invocation,
    unwrapped: grammar.Unwrapped,
    program: grammar.Program,
    state: _State,
    depth: int,
    ctx: _Context,
    inner_ctx: _Context,
    name: str,
) -> None:
    if unwrapped.script_file is not None:  # `bash script.sh`: the shell runs a file of code
        problems = [*inv.problems, *unwrapped.problems]
        if ctx.layers:
            problems.append(f"`{name}` runs a file through `{ctx.layers[-1].program}`: asked every time")
        state.add(_sub(inv, ctx, problems=tuple(problems), literal_through=unwrapped.script_file))
        return
    if inv.stdin_script is not None:
        state.block(f"`{name}` reads its commands from a here-document")
        _parse_into(inv.stdin_script, state, depth + 1, inner_ctx)
        return
    why = "runs a script from a redirected file" if inv.stdin_redirect else "reads its commands from its input"
    state.add(_sub(inv, ctx, opaque_reason=f"`{name}` {why}"))


def _final(inv: _Invocation, program: grammar.Program, state: _State, ctx: _Context) -> None:
    """A program that runs no other: checked against its grammar."""
    checked = grammar.check(program, inv.argv, inv.globbed)
    problems = [*inv.problems, *checked.problems]
    if checked.runs:
        state.add(_sub(inv, ctx, opaque_reason=checked.runs[0], problems=tuple(dict.fromkeys(problems))))
        return
    if ctx.layers and checked.literal_through is not None:
        problems.append(f"`{inv.argv[0]}` runs a file through `{ctx.layers[-1].program}`: asked every time")
    if program.grammar is not None and program.grammar.module_only and inv.grammar_key is None:
        problems.append(f"`{inv.argv[0]}` is not a program modelroute knows the options of")
    state.add(_sub(inv, ctx, problems=tuple(dict.fromkeys(problems)), literal_through=checked.literal_through))


def _find(inv: _Invocation, program: grammar.Program, state: _State, depth: int, ctx: _Context) -> None:
    """find is a program (its expression is checked) and a wrapper (each -exec runs a program)."""
    split = grammar.find_expression(inv.argv, inv.globbed)
    problems = [*inv.problems, *split.problems]
    for i in split.starts:
        if i in inv.globbed and not inv.globbed[i]:
            problems.append(f"`{inv.argv[i]}` could expand to a name starting with `-` (write `./{inv.argv[i]}`)")
    state.add(_sub(inv, ctx, problems=tuple(dict.fromkeys(problems))))
    for start, end in split.execs:
        layer = Layer("find", tuple(inv.argv), start, False)
        inner = replace(inv.tail(start), argv=inv.argv[start:end], literal=inv.literal[start:end],
                        globbed={i - start: v for i, v in inv.globbed.items() if start <= i < end},
                        problems=list(inv.problems), stdin_script=None, stdin_redirect=False)
        inner_ctx = _Context((*ctx.layers, layer), ctx.sudo)
        if not inner.literal[0] or 0 in inner.globbed or "{}" in inner.argv[0]:
            state.add(_sub(inner, inner_ctx, opaque_reason="find -exec of a non-literal program"))
            continue
        _peel(inner, state, depth, inner_ctx)


def _check_builtin(name: str, inv: _Invocation, state: _State) -> None:
    """Builtins whose effect the parse cannot follow: they are recorded, and the command is opaque."""
    args = inv.argv[1:]
    if name in _SHADOWING_BUILTINS:
        state.opaque(f"`{name}` changes what later command names mean")
    if name == "hash" and "-p" in args:
        state.opaque("`hash -p` changes which file a command name runs")
    if name in _SUBSCRIPT_BUILTINS and (name == "let" or any("[" in a for a in args)):
        state.opaque(f"`{name}` evaluates an array subscript in a name, which can run commands")
    if name in ("test", "[") and any(a in ("-v", "-R") for a in args):
        state.opaque(f"`{name} -v` evaluates an array subscript in a name, which can run commands")
    if name == "printf" and any(a.startswith("-v") for a in args):
        state.opaque("`printf -v` evaluates an array subscript in a name, which can run commands")
    if name in ("declare", "typeset", "local") and any("i" in a for a in args[:1] if a.startswith("-")):
        state.opaque("an integer declaration evaluates arithmetic, which can run commands")


def _static(node: tree_sitter.Node) -> str | None:
    """The literal value of a word node, or None when it depends on expansion."""
    word = read_word(_src(node))
    return word.value if word.literal and not word.pattern else None


def _src(node: tree_sitter.Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")
