"""Turn a scenario JSON (see /work/shared/scenarios/materialize.py) into an ActionContext directly.

A stand-in for the real gatherer so the classifier can be scored without the CLI: it derives what
gather_context would (language, selection text, diagnostics, git state and diff, workspace markers,
the symbol under the cursor and how many other files mention it) from the scenario's file map.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

from modelroute.context.model import (
    ActionContext,
    Diagnostic,
    GitState,
    Position,
    Range,
    SymbolInfo,
    WorkspaceMarkers,
)

DEV_DIR = Path("/work/shared/scenarios/dev")

_LANGUAGES = {".py": "python", ".ts": "typescript", ".tsx": "typescriptreact", ".js": "javascript",
              ".jsx": "javascriptreact", ".go": "go", ".rs": "rust", ".java": "java", ".rb": "ruby",
              ".sh": "shellscript", ".bash": "shellscript", ".yml": "yaml", ".yaml": "yaml",
              ".json": "json", ".toml": "toml", ".html": "html", ".css": "css", ".md": "markdown",
              ".vue": "vue", ".svelte": "svelte", ".c": "c", ".cpp": "cpp", ".ipynb": "jupyter"}
_UI_DEPS = ("react", "vue", "svelte", "@angular/core", "solid-js", "preact", "next", "nuxt")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = frozenset({"def", "class", "func", "function", "return", "self", "export", "import", "from",
                       "const", "let", "var", "type", "async", "await", "public", "private", "static",
                       "package", "default", "interface", "struct", "if", "for", "while", "with"})


def language_for(path: str) -> str:
    p = PurePosixPath(path)
    if p.name.lower().startswith("dockerfile"):
        return "dockerfile"
    if p.name.lower() == "makefile":
        return "makefile"
    return _LANGUAGES.get(p.suffix.lower(), "plaintext")


def _is_test(path: str) -> bool:
    name = PurePosixPath(path).name
    return name.startswith("test_") or name.endswith(("_test.py", "_test.go")) or ".test." in name \
        or ".spec." in name or "tests/" in path


def _markers(files: dict[str, str]) -> WorkspaceMarkers:
    ui: list[str] = []
    if "package.json" in files:
        try:
            pkg = json.loads(files["package.json"])
            deps = {**pkg.get("dependencies", {}), **pkg.get("devDependencies", {})}
            ui = [d for d in _UI_DEPS if d in deps]
        except (ValueError, AttributeError):
            ui = []
    langs: dict[str, int] = {}
    for path in files:
        lang = language_for(path)
        langs[lang] = langs.get(lang, 0) + 1
    return WorkspaceMarkers(
        dockerfiles=tuple(p for p in files if PurePosixPath(p).name.lower().startswith("dockerfile")),
        makefiles=tuple(p for p in files if PurePosixPath(p).name.lower() == "makefile"),
        ci_configs=tuple(p for p in files if p.startswith(".github/workflows/") or p == ".gitlab-ci.yml"),
        shell_scripts=sum(1 for p in files if p.endswith((".sh", ".bash"))),
        ui_frameworks=tuple(ui), test_files=sum(1 for p in files if _is_test(p)), languages=langs)


def _git(sc: dict[str, Any], rel: str) -> GitState:
    git = sc.get("git")
    if git is None:
        return GitState()
    changes: dict[str, str | None] = git.get("changes", {})
    before = sc.get("files", {})
    diff_lines: list[str] = []
    for path, new in changes.items():
        old = before.get(path) or ""
        diff_lines += difflib.unified_diff(old.splitlines(), (new or "").splitlines(),
                                           f"a/{path}", f"b/{path}", lineterm="")
    added = sum(1 for ln in diff_lines if ln.startswith("+") and not ln.startswith("+++"))
    removed = sum(1 for ln in diff_lines if ln.startswith("-") and not ln.startswith("---"))
    changed = tuple(p for p in changes if p in before)
    untracked = tuple(p for p in changes if p not in before)
    return GitState(is_repo=True, branch="main", changed_files=changed, untracked_files=untracked,
                    lines_added=added, lines_removed=removed, diff="\n".join(diff_lines),
                    file_changed=rel in changes)


def _symbol(text: str, line: int, char: int, files: dict[str, str], rel: str) -> SymbolInfo:
    lines = text.splitlines()
    if line >= len(lines):
        return SymbolInfo()
    row = lines[line]
    words = [m for m in _WORD.finditer(row) if m.group(0) not in _KEYWORDS]
    at = [m.group(0) for m in words if m.start() <= char <= m.end()]
    after = [m.group(0) for m in words if m.start() >= char]
    name = (at or after or [""])[0]
    if not name or len(name) < 3:
        return SymbolInfo()
    pat = re.compile(rf"\b{re.escape(name)}\b")
    refs = sum(1 for p, t in files.items() if p != rel and t and pat.search(t))
    decl = rf"\b(?:def|class|func|type|function|const|let|var)\s+{re.escape(name)}\b"
    defined = bool(re.search(decl, text))
    return SymbolInfo(name=name, reference_files=refs, defined_here=defined)


def _current_files(sc: dict[str, Any]) -> dict[str, str]:
    files = {k: v for k, v in sc.get("files", {}).items() if v is not None}
    for path, new in sc.get("git", {}).get("changes", {}).items():
        if new is None:
            files.pop(path, None)
        else:
            files[path] = new
    return files


def _enclosing(lines: list[str], line: int) -> str | None:
    for row in reversed(lines[: line + 1]):
        m = re.match(r"\s*(?:async\s+)?(?:def|class|func|function)\s+(?:\([^)]*\)\s*)?(\w+)", row)
        if m:
            return m.group(1)
    return None


def context_from_scenario(sc: dict[str, Any]) -> ActionContext:
    files = _current_files(sc)
    cur = sc["cursor"]
    rel = cur["file"]
    text = files.get(rel, "")
    lines = text.splitlines()
    pos = Position(line=cur.get("line", 0), character=cur.get("character", 0))
    selection: Range | None = None
    selected = ""
    if "selection_end" in sc:
        end = Position(**sc["selection_end"])
        selection = Range(start=pos, end=end)
        chunk = lines[pos.line: end.line + 1]
        if chunk:
            last = chunk[-1] if len(chunk) > 1 else chunk[0][pos.character:]
            chunk[-1] = last[: end.character - (0 if len(chunk) > 1 else pos.character)]
        selected = "\n".join(chunk)
    return ActionContext(
        workspace=f"/scenario/{sc.get('id', 'x')}", file=rel, language=language_for(rel),
        instruction=sc.get("instruction", ""), cursor=pos, selection=selection, selected_text=selected,
        prefix="\n".join(lines[max(0, pos.line - 20): pos.line]),
        suffix="\n".join(lines[pos.line: pos.line + 20]), enclosing=_enclosing(lines, pos.line),
        file_text=text, file_line_count=len(lines), is_test_file=_is_test(rel),
        diagnostics=tuple(Diagnostic.model_validate(d) for d in sc.get("diagnostics", [])),
        git=_git(sc, rel), markers=_markers(files), file_count=len(files),
        symbol=_symbol(text, pos.line, pos.character, files, rel))


def load_dev() -> list[tuple[dict[str, Any], ActionContext]]:
    out = []
    for path in sorted(DEV_DIR.glob("*.json")):
        sc = json.loads(path.read_text(encoding="utf-8"))
        out.append((sc, context_from_scenario(sc)))
    return out
