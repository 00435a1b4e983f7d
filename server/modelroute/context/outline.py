"""Cheap code structure by regular expressions per language family: the function or class around
a position, names a snippet defines, the identifier at a position.

Heuristics, not parsers: they read a bounded number of lines and never raise.
"""

from __future__ import annotations

import re
from typing import Literal

from modelroute.context.symbols import IDENT, STOPWORDS

Family = Literal["indent", "brace", "lisp", "sql", "markdown", "none"]

_INDENT_LANGS = frozenset({"python", "ruby", "lua", "elixir", "nim", "julia", "crystal", "coffeescript"})
_LISP_LANGS = frozenset({"elisp", "lisp", "scheme", "racket", "clojure"})
_NONE_LANGS = frozenset(
    {
        "plaintext",
        "json",
        "jsonc",
        "yaml",
        "toml",
        "ini",
        "xml",
        "html",
        "css",
        "scss",
        "sass",
        "less",
        "dockerfile",
    }
)
MAX_SCAN_LINES = 3000
_MAX_DEF_LINE = 400
_CONTROL = frozenset(
    {"if", "for", "while", "switch", "catch", "return", "else", "do", "try", "with", "foreach", "using",
     "lock", "synchronized", "elif", "until", "unless", "case", "sizeof", "typeof", "new", "await", "when"}
)  # fmt: skip

_INDENT_DEFS = re.compile(
    r"^\s*(?:(?:async|export|local|pub|private|public|protected)\s+)*"
    r"(?:def|class|module|function|defp|defmodule|proc|func|struct|macro)\s+(?:self\.)?([A-Za-z_]\w*(?:(?:\.|::)\w+)*[?!]?)"
    r"|^\s*(?:local\s+)?([A-Za-z_][\w.]*)\s*=\s*function\b"
)
_BRACE_DEFS = re.compile(
    r"\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)"
    r"|\b(?:class|interface|struct|enum|trait|protocol|namespace|object|record|union|extension)\s+([A-Za-z_]\w*)"
    r"|\bfunc\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)"
    r"|\bfn\s+([A-Za-z_]\w*)"
    r"|\bfun\s+(?:<[^>]*>\s*)?(?:[\w.]+\.)?([A-Za-z_]\w*)"
    r"|\bimpl(?:<[^>]*>)?\s+(?:[\w:<>]+\s+for\s+)?([A-Za-z_]\w*)"
    r"|\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(?:async\s+)?"
    r"(?:function\b|\([^)]*\)\s*(?::[^=]+)?=>|[A-Za-z_$][\w$]*\s*=>)"
    r"|^\s*(?:[\w<>\[\],.?*&:~@]+\s+)*?[*&]?([A-Za-z_~][\w]*)\s*\([^;]*\)[^;]*\{\s*$"
)
_LISP_DEFS = re.compile(r"^\s*\((?:cl-)?def[\w-]*\*?\s+'?([^\s()]+)")
_SQL_DEFS = re.compile(
    r"\bcreate\s+(?:or\s+replace\s+)?(?:temp(?:orary)?\s+)?(?:materialized\s+)?"
    r"(?:function|procedure|table|view|trigger|index|type)\s+(?:if\s+not\s+exists\s+)?([\w.\"`\[\]]+)",
    re.IGNORECASE,
)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")


def family(language: str) -> Family:
    if language in _INDENT_LANGS:
        return "indent"
    if language in _LISP_LANGS:
        return "lisp"
    if language == "sql":
        return "sql"
    if language in ("markdown", "mdx"):
        return "markdown"
    if language in _NONE_LANGS:
        return "none"
    return "brace"


def _def_name(line: str, fam: Family) -> str | None:
    line = line[:_MAX_DEF_LINE]  # bounds the regex work on minified lines
    if fam == "indent":
        m = _INDENT_DEFS.match(line)
    elif fam == "brace":
        m = _BRACE_DEFS.search(line)
    elif fam == "lisp":
        m = _LISP_DEFS.match(line)
    elif fam == "sql":
        m = _SQL_DEFS.search(line)
    elif fam == "markdown":
        m = _HEADING.match(line)
    else:
        return None
    if m is None:
        return None
    name = next((g for g in m.groups() if g), None)
    if name is None or name in _CONTROL:
        return None
    return name.strip('"`[]') if fam == "sql" else name


def enclosing_name(lines: list[str], line: int, language: str) -> str | None:
    """The innermost function, class (or markdown section) around `line`."""
    if not 0 <= line < len(lines):
        return None
    fam = family(language)
    if fam == "indent":
        return _enclosing_by_indent(lines, line, fam)
    if fam == "brace":
        return _enclosing_by_braces(lines, line)
    if fam == "none":
        return None
    for i in range(line, max(-1, line - MAX_SCAN_LINES), -1):  # nearest definition above
        name = _def_name(lines[i], fam)
        if name is not None:
            return name
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _enclosing_by_indent(lines: list[str], line: int, fam: Family) -> str | None:
    here = _def_name(lines[line], fam)
    if here is not None:
        return here
    probe = line
    while probe < len(lines) and not lines[probe].strip():
        probe += 1  # on a blank line, the code below sets the depth
    threshold = _indent(lines[probe]) if probe < len(lines) else 0
    for i in range(line - 1, max(-1, line - MAX_SCAN_LINES), -1):
        text = lines[i]
        if not text.strip() or _indent(text) >= threshold:
            continue
        name = _def_name(text, fam)
        if name is not None:
            return name
        threshold = _indent(text)
        if threshold == 0:
            return None
    return None


_BRACES = re.compile(r"[{}]")


def _enclosing_by_braces(lines: list[str], line: int) -> str | None:
    here = _def_name(lines[line], "brace")
    if here is not None:
        return here
    need = 0  # closing braces seen that still wait for their opener
    for i in range(line, max(-1, line - MAX_SCAN_LINES), -1):
        text = lines[i]
        if "{" not in text and "}" not in text:
            continue
        for brace in reversed(_BRACES.findall(text)):
            if brace == "}":
                need += 1
            elif need:
                need -= 1
            else:  # an unmatched opener: a block around the line
                name = _def_name(text, "brace") or _allman_name(lines, i, text)
                if name is not None:
                    return name
    return None


def _allman_name(lines: list[str], i: int, text: str) -> str | None:
    """`{` alone on its line opens the definition on the line above (Allman style)."""
    if text.strip() != "{" or i == 0:
        return None
    above = lines[i - 1].rstrip() + " {"
    return _def_name(above, "brace")


def first_defined_name(text: str, language: str) -> str | None:
    fam = family(language)
    if fam == "none":
        return None
    for line in text.split("\n")[:MAX_SCAN_LINES]:
        name = _def_name(line, fam)
        if name is not None:
            return re.split(r"\.|::|:", name)[-1] or None
    return None


def identifier_at(line: str, character: int) -> str | None:
    """The identifier under (or just before) the cursor, ignoring keywords."""
    for m in IDENT.finditer(line):
        if m.start() <= character <= m.end():
            name = m.group(0)
            return None if name in STOPWORDS else name
        if m.start() > character:
            break
    return None


def first_identifier(text: str) -> str | None:
    for m in IDENT.finditer(text):
        name = m.group(0)
        if name not in STOPWORDS and len(name) > 1:
            return name
    return None


_KEYWORD_BEFORE = re.compile(
    r"\b(?:def|class|function|fn|func|fun|struct|interface|enum|trait|type|impl|module|const|let|var|"
    r"defun|defmacro|defvar|local|macro|record|union|namespace|object|proc)\s+\*?\s*(?:self\.)?$"
)
_ASSIGN_BEFORE = re.compile(r"^[ \t]*(?:export\s+)?(?:[\w.]+\.)?$")
_ASSIGN_AFTER = re.compile(r"^\s*(?::[^=\n]*)?=(?!=)")
_TYPED_BEFORE = re.compile(
    r"^[ \t]*(?!(?:return|await|new|throw|yield|else|case|echo|print|delete|go|defer)\b)"
    r"(?:[\w<>\[\],.?*&:]+[ \t]+)+[*&]?$"
)
_TYPED_AFTER = re.compile(r"^[ \t]*\([^;\n]*\)[^;\n]*$")
_MAX_OCCURRENCES = 500


def defines(text: str, name: str, language: str = "") -> bool:
    """Whether `text` appears to define `name`: a definition keyword before it, an assignment at the
    start of a line, or (brace languages) a typed signature. Scans occurrences with str.find."""
    if not name:
        return False
    typed = family(language) == "brace"
    at = text.find(name)
    for _ in range(_MAX_OCCURRENCES):
        if at < 0:
            return False
        end = at + len(name)
        if _whole_word(text, at, end):
            line_start = text.rfind("\n", 0, at) + 1
            line_end = text.find("\n", end)
            before = text[line_start:at]
            after = text[end : line_end if line_end >= 0 else len(text)]
            if _KEYWORD_BEFORE.search(before) or (
                _ASSIGN_BEFORE.match(before) and _ASSIGN_AFTER.match(after)
            ):
                return True
            if typed and _TYPED_BEFORE.match(before) and _TYPED_AFTER.match(after):
                return True
        at = text.find(name, end)
    return False


def _whole_word(text: str, start: int, end: int) -> bool:
    before_ok = start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_")
    after_ok = end >= len(text) or not (text[end].isalnum() or text[end] == "_")
    return before_ok and after_ok
