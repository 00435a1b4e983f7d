"""Path -> LSP languageId, comment syntax per language, and test-file recognition.

Pure functions over names: nothing here reads a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

# Whole file names first: they carry no useful extension.
_BY_NAME: dict[str, str] = {
    "dockerfile": "dockerfile",
    "containerfile": "dockerfile",
    "makefile": "makefile",
    "gnumakefile": "makefile",
    "jenkinsfile": "groovy",
    "gemfile": "ruby",
    "rakefile": "ruby",
    "vagrantfile": "ruby",
    "cmakelists.txt": "cmake",
    "justfile": "just",
    ".bashrc": "shellscript",
    ".bash_profile": "shellscript",
    ".profile": "shellscript",
    ".zshrc": "shellscript",
    ".envrc": "shellscript",
    ".emacs": "elisp",
    "go.mod": "go.mod",
    "pipfile": "toml",
}

_BY_EXT: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".pyw": "python",
    ".ipynb": "jupyter",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "typescriptreact",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascriptreact",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".kt": "kotlin",
    ".kts": "kotlin",
    ".scala": "scala",
    ".groovy": "groovy",
    ".gradle": "groovy",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
    ".cs": "csharp",
    ".fs": "fsharp",
    ".swift": "swift",
    ".m": "objective-c",
    ".mm": "objective-cpp",
    ".rb": "ruby",
    ".php": "php",
    ".pl": "perl",
    ".pm": "perl",
    ".sh": "shellscript",
    ".bash": "shellscript",
    ".zsh": "shellscript",
    ".ksh": "shellscript",
    ".fish": "fish",
    ".ps1": "powershell",
    ".psm1": "powershell",
    ".bat": "bat",
    ".cmd": "bat",
    ".dockerfile": "dockerfile",
    ".mk": "makefile",
    ".mak": "makefile",
    ".cmake": "cmake",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".json": "json",
    ".jsonc": "jsonc",
    ".json5": "jsonc",
    ".toml": "toml",
    ".ini": "ini",
    ".cfg": "ini",
    ".conf": "ini",
    ".xml": "xml",
    ".xsd": "xml",
    ".xsl": "xml",
    ".svg": "xml",
    ".plist": "xml",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".vue": "vue",
    ".svelte": "svelte",
    ".astro": "astro",
    ".css": "css",
    ".scss": "scss",
    ".sass": "sass",
    ".less": "less",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdx": "mdx",
    ".rst": "restructuredtext",
    ".tex": "latex",
    ".sty": "latex",
    ".sql": "sql",
    ".r": "r",
    ".jl": "julia",
    ".lua": "lua",
    ".el": "elisp",
    ".lisp": "lisp",
    ".lsp": "lisp",
    ".cl": "lisp",
    ".scm": "scheme",
    ".ss": "scheme",
    ".rkt": "racket",
    ".clj": "clojure",
    ".cljs": "clojure",
    ".cljc": "clojure",
    ".edn": "clojure",
    ".hs": "haskell",
    ".elm": "elm",
    ".ml": "ocaml",
    ".mli": "ocaml",
    ".ex": "elixir",
    ".exs": "elixir",
    ".erl": "erlang",
    ".hrl": "erlang",
    ".dart": "dart",
    ".zig": "zig",
    ".nim": "nim",
    ".tf": "terraform",
    ".tfvars": "terraform",
    ".hcl": "hcl",
    ".proto": "proto",
    ".graphql": "graphql",
    ".gql": "graphql",
    ".vim": "vim",
    ".asm": "asm",
    ".s": "asm",
    ".nix": "nix",
    ".txt": "plaintext",
}

# Language ids that are programming or automation languages (not prose or data).
SHELL_LANGUAGES = frozenset({"shellscript", "fish", "powershell", "bat"})


def language_for(path: str | PurePath, first_line: str | None = None) -> str:
    """The LSP languageId for a path; `first_line` (a shebang) refines extension-less files."""
    name = str(path).replace("\\", "/").rsplit("/", 1)[-1]
    lower = name.lower()
    by_name = _BY_NAME.get(lower)
    if by_name is not None:
        return by_name
    if lower.startswith(("dockerfile.", "containerfile.")) or lower.endswith(".dockerfile"):
        return "dockerfile"
    if lower.startswith("makefile.") or lower.startswith("makefile-"):
        return "makefile"
    dot = lower.rfind(".")
    if dot > 0:
        found = _BY_EXT.get(lower[dot:])
        if found is not None:
            return found
    elif dot < 0 and first_line is not None and first_line.startswith("#!"):
        return _language_from_shebang(first_line)
    return "plaintext"


_SHEBANG_LANG = {
    "sh": "shellscript",
    "bash": "shellscript",
    "zsh": "shellscript",
    "ksh": "shellscript",
    "dash": "shellscript",
    "python": "python",
    "node": "javascript",
    "ruby": "ruby",
    "perl": "perl",
    "lua": "lua",
    "php": "php",
    "fish": "fish",
    "pwsh": "powershell",
}


def _language_from_shebang(line: str) -> str:
    parts = line[2:].strip().split()
    if not parts:
        return "plaintext"
    prog = parts[0].rsplit("/", 1)[-1]
    if prog == "env":
        rest = [p for p in parts[1:] if not p.startswith("-")]
        prog = rest[0] if rest else ""
    prog = prog.rstrip("0123456789.")
    return _SHEBANG_LANG.get(prog, "plaintext")


@dataclass(frozen=True, slots=True)
class CommentSyntax:
    """How comments look in one language, and which quotes start string literals there."""

    line: tuple[str, ...] = ()
    block: tuple[tuple[str, str], ...] = ()
    quotes: str = "\"'"
    # `#` only starts a comment at the start of a word (shell, YAML: `${#x}`, `a#b`).
    word_start: bool = False


_HASH = CommentSyntax(line=("#",))
_SLASH = CommentSyntax(line=("//",), block=(("/*", "*/"),))
_SLASH_TICK = CommentSyntax(line=("//",), block=(("/*", "*/"),), quotes="\"'`")
_MARKUP = CommentSyntax(block=(("<!--", "-->"),), quotes="")

_COMMENTS: dict[str, CommentSyntax] = {
    "python": _HASH,
    "ruby": CommentSyntax(line=("#",)),
    "perl": _HASH,
    "r": _HASH,
    "julia": CommentSyntax(line=("#",), block=(("#=", "=#"),)),
    "elixir": _HASH,
    "nim": _HASH,
    "cmake": _HASH,
    "toml": _HASH,
    "ini": CommentSyntax(line=("#", ";")),
    "dockerfile": CommentSyntax(line=("#",), word_start=True),
    "makefile": CommentSyntax(line=("#",), word_start=True),
    "yaml": CommentSyntax(line=("#",), word_start=True),
    "shellscript": CommentSyntax(line=("#",), word_start=True),
    "fish": CommentSyntax(line=("#",), word_start=True),
    "powershell": CommentSyntax(line=("#",), block=(("<#", "#>"),), word_start=True),
    "terraform": CommentSyntax(line=("#", "//"), block=(("/*", "*/"),)),
    "hcl": CommentSyntax(line=("#", "//"), block=(("/*", "*/"),)),
    "nix": CommentSyntax(line=("#",), block=(("/*", "*/"),)),
    "graphql": _HASH,
    "typescript": _SLASH_TICK,
    "typescriptreact": _SLASH_TICK,
    "javascript": _SLASH_TICK,
    "javascriptreact": _SLASH_TICK,
    "go": _SLASH_TICK,
    "rust": CommentSyntax(line=("//",), block=(("/*", "*/"),), quotes='"'),
    "java": _SLASH,
    "kotlin": _SLASH,
    "scala": _SLASH,
    "groovy": _SLASH,
    "c": _SLASH,
    "cpp": _SLASH,
    "objective-c": _SLASH,
    "objective-cpp": _SLASH,
    "csharp": _SLASH,
    "fsharp": CommentSyntax(line=("//",), block=(("(*", "*)"),), quotes='"'),
    "swift": _SLASH,
    "dart": _SLASH,
    "zig": CommentSyntax(line=("//",)),
    "proto": _SLASH,
    "php": CommentSyntax(line=("//", "#"), block=(("/*", "*/"),)),
    "jsonc": _SLASH,
    "json": _SLASH,  # not legal JSON, but editors and tsconfig accept it
    "css": CommentSyntax(block=(("/*", "*/"),)),
    "scss": _SLASH,
    "sass": _SLASH,
    "less": _SLASH,
    "sql": CommentSyntax(line=("--",), block=(("/*", "*/"),), quotes="'\""),
    "lua": CommentSyntax(line=("--",), block=(("--[[", "]]"),)),
    "haskell": CommentSyntax(line=("--",), block=(("{-", "-}"),), quotes='"'),
    "elm": CommentSyntax(line=("--",), block=(("{-", "-}"),), quotes='"'),
    "elisp": CommentSyntax(line=(";",), quotes='"'),
    "lisp": CommentSyntax(line=(";",), block=(("#|", "|#"),), quotes='"'),
    "scheme": CommentSyntax(line=(";",), quotes='"'),
    "racket": CommentSyntax(line=(";",), quotes='"'),
    "clojure": CommentSyntax(line=(";",), quotes='"'),
    "asm": CommentSyntax(line=(";", "#"), quotes='"'),
    "ocaml": CommentSyntax(block=(("(*", "*)"),), quotes='"'),
    "latex": CommentSyntax(line=("%",), quotes=""),
    "erlang": CommentSyntax(line=("%",), quotes='"'),
    "vim": CommentSyntax(line=('"',), quotes="'"),
    "bat": CommentSyntax(line=("REM ", "rem ", "::"), quotes='"'),
    "html": _MARKUP,
    "xml": _MARKUP,
    "markdown": _MARKUP,
    "mdx": CommentSyntax(block=(("<!--", "-->"), ("{/*", "*/}")), quotes=""),
    "vue": CommentSyntax(line=("//",), block=(("<!--", "-->"), ("/*", "*/")), quotes="\"'`"),
    "svelte": CommentSyntax(line=("//",), block=(("<!--", "-->"), ("/*", "*/")), quotes="\"'`"),
    "astro": CommentSyntax(line=("//",), block=(("<!--", "-->"), ("/*", "*/")), quotes="\"'`"),
}

# Unknown languages: every common form; no string tracking since quoting is unknown.
GENERIC_COMMENTS = CommentSyntax(
    line=("#", "//", "--", ";"), block=(("/*", "*/"), ("<!--", "-->")), quotes="", word_start=True
)


def comment_syntax(language_id: str) -> CommentSyntax:
    return _COMMENTS.get(language_id, GENERIC_COMMENTS)


_TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "specs", "testing", "e2e", "__test__"})
_TEST_NAME = re.compile(
    r"""^(?:test_.+\.py|.+_test\.(?:py|go|rb|exs?|cc|cpp|c|rs|dart|lua)
        |.+\.(?:test|spec)\.[cm]?[jt]sx?|.+_spec\.(?:rb|lua)
        |.+(?:Test|Tests|Spec|IT)\.(?:java|kt|scala|cs|groovy|swift|php)
        |conftest\.py|test\.sh|.+\.bats)$""",
    re.VERBOSE,
)


_NOT_CODE = frozenset(
    {
        "plaintext",
        "json",
        "jsonc",
        "yaml",
        "toml",
        "xml",
        "markdown",
        "mdx",
        "restructuredtext",
        "ini",
        "html",
        "css",
        "scss",
        "sass",
        "less",
        "jupyter",
    }
)


def is_test_path(rel_path: str) -> bool:
    """A test file by the naming conventions of common test runners, or inside a test folder."""
    parts = rel_path.replace("\\", "/").split("/")
    if _TEST_NAME.match(parts[-1]):
        return True
    if language_for(parts[-1]) in _NOT_CODE:
        return False  # fixtures and data under tests/ are not tests
    return any(p.lower() in _TEST_DIRS for p in parts[:-1])
