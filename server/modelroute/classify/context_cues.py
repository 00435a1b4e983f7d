"""Evidence from the workspace: diagnostics, git, file kind, selection, symbol, notebook, directive.

Context supports the instruction; `scale` grows when the instruction itself says little ("make this
work", "clean this up"), so context decides vague requests and only nudges clear ones.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from modelroute.categories import Category
from modelroute.classify.signals import Evidence
from modelroute.context.model import ActionContext

M = Category.MULTI_FILE_REFACTOR
S = Category.SHELL_AUTOMATION
U = Category.UI_GREENFIELD
R = Category.CODE_REVIEW
D = Category.DEBUGGING
Q = Category.QUICK_EDIT
E = Category.EXPLAIN

_SHELL_LANGS = {"shellscript", "bash", "sh", "zsh", "fish", "powershell", "dockerfile", "makefile",
                "dockercompose", "nginx", "systemd", "terraform", "hcl", "bat"}
_SHELL_SUFFIXES = {".sh", ".bash", ".zsh", ".fish", ".ps1", ".bat", ".cmd", ".service", ".timer",
                   ".tf", ".hcl", ".mk", ".conf", ".nix"}
_UI_SUFFIXES = {".html", ".htm", ".tsx", ".jsx", ".vue", ".svelte", ".css", ".scss", ".sass", ".less",
                ".astro", ".dart", ".swift"}
_UI_LANGS = {"html", "typescriptreact", "javascriptreact", "vue", "svelte", "css", "scss", "less", "astro"}
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|\b\w+(?:Error|Exception)\b")
_CREATION = re.compile(r"\b(?:build|create|design|make|develop|generate|new|implement|mock|craft)\b",
                       re.IGNORECASE)


def shell_file_kind(path: str, language: str) -> str | None:
    """A readable name for a file that is shell/build/CI/infra work, or None."""
    p = PurePosixPath(path.lower())
    name = p.name
    parts = p.parts
    if name.startswith("dockerfile") or name.endswith(".dockerfile") or name in (
            "docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"):
        return "a Docker file"
    if name in ("makefile", "gnumakefile", "justfile", "rakefile", "taskfile.yml") or name.endswith(".mk"):
        return "a Makefile"
    if (".github" in parts and "workflows" in parts) or name in (
            ".gitlab-ci.yml", "jenkinsfile", ".travis.yml", "azure-pipelines.yml",
            "bitbucket-pipelines.yml") \
            or ".circleci" in parts or ".buildkite" in parts:
        return "a CI configuration"
    if language in _SHELL_LANGS or p.suffix in _SHELL_SUFFIXES:
        return "a shell or system configuration file"
    if name in ("crontab", "nginx.conf", "vagrantfile", "procfile") or "ansible" in parts:
        return "a system configuration file"
    return None


def ui_file(path: str, language: str) -> bool:
    return language in _UI_LANGS or PurePosixPath(path.lower()).suffix in _UI_SUFFIXES


def add_context(ctx: ActionContext, ev: Evidence, *, scale: float, instruction: str) -> None:
    """Append context signals to `ev`; `instruction` is the normalised instruction head."""
    _diagnostics(ctx, ev, scale)
    _file_kind(ctx, ev, scale, instruction)
    if instruction:
        _selection(ctx, ev, scale)
    _git(ctx, ev, scale)
    _symbol(ctx, ev, scale)
    _notebook(ctx, ev, scale)
    if ctx.directive == "ask":
        ev.add({E: 1.5 * scale}, "written as an AI? question", "context")
    elif ctx.directive == "do":
        ev.add({Q: 0.3 * scale}, "written as an AI! request in the file", "context")


def _diagnostics(ctx: ActionContext, ev: Evidence, scale: float) -> None:
    errors = [d for d in ctx.diagnostics if d.severity in (None, 1)]
    warnings = [d for d in ctx.diagnostics if d.severity == 2]
    if errors:
        near = any(d.range.start.line <= ctx.cursor.line + 3 and d.range.end.line >= ctx.cursor.line - 3
                   for d in errors)
        weight = 2.0 + (0.5 if near else 0.0) + (0.5 if ctx.is_test_file else 0.0)
        noun = "diagnostic" if len(errors) == 1 else "diagnostics"
        where = " at the cursor" if near else " on the file"
        ev.add({D: weight * scale}, f"{len(errors)} error {noun}{where}", "context")
    elif warnings:
        ev.add({D: 0.6 * scale}, f"{len(warnings)} warning(s) on the file", "context")


def _file_kind(ctx: ActionContext, ev: Evidence, scale: float, instruction: str) -> None:
    kind = shell_file_kind(ctx.file, ctx.language)
    if kind:
        ev.add({S: 2.0 * scale}, f"file is {kind}", "context")
        return
    creating = bool(_CREATION.search(instruction))
    if ui_file(ctx.file, ctx.language) and creating:
        nonblank = sum(1 for line in ctx.file_text.splitlines() if line.strip())
        weight = 1.2 if nonblank < 12 else 0.6
        what = "a UI file" + (" that is nearly empty" if nonblank < 12 else "")
        ev.add({U: weight * scale}, what, "context")
        if ctx.markers.ui_frameworks:
            ev.add({U: 0.4 * scale}, f"workspace uses {', '.join(ctx.markers.ui_frameworks[:2])}", "context")


def _selection(ctx: ActionContext, ev: Evidence, scale: float) -> None:
    if ctx.selection is None or ctx.selection.is_empty:
        return
    lines = ctx.selection.end.line - ctx.selection.start.line + 1
    if lines <= 40:
        ev.add({Q: 1.0 * scale}, f"a small selection ({lines} lines)", "context")
    elif lines > 200:
        ev.add({Q: -0.5, M: 0.3}, f"a large selection ({lines} lines)", "context")


def _git(ctx: ActionContext, ev: Evidence, scale: float) -> None:
    git = ctx.git
    if git.file_changed and (git.diff or git.lines_added or git.lines_removed):
        ev.add({R: 0.8 * scale},
               f"the file has uncommitted changes (+{git.lines_added}/-{git.lines_removed})", "context")
    elif git.has_changes:
        ev.add({R: 0.3 * scale}, f"{len(git.changed_files) + len(git.staged_files)} changed file(s) in git",
               "context")


def _symbol(ctx: ActionContext, ev: Evidence, scale: float) -> None:
    refs = ctx.symbol.reference_files
    if refs >= 2 and ctx.symbol.name:
        weight = 0.4 + 0.15 * min(refs, 6)
        ev.add({M: weight * scale}, f"'{ctx.symbol.name[:40]}' is used in {refs} other files", "context")


def _notebook(ctx: ActionContext, ev: Evidence, scale: float) -> None:
    nb = ctx.notebook
    if nb is None:
        return
    cell = nb.cells[nb.active_cell] if 0 <= nb.active_cell < len(nb.cells) else None
    if cell is not None and (cell.has_error or _TRACEBACK.search(cell.outputs[:5000])):
        ev.add({D: 2.0 * scale}, "the notebook cell's output shows an error", "context")
    ev.add({Q: 0.8 * scale, U: -1.0, M: -0.5}, "a notebook cell: changes are local", "context")
