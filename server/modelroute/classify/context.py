"""Evidence from the workspace: diagnostics, file kind, selection, git, symbol, notebook, directive.

Each signal adds log-odds (data/context_weights.json) to the text model's calibrated logits, with a
reason a user can read. Because the text model's probabilities are calibrated, the same signal
decides a vague request ("make this work" on a failing test) and only nudges a clear one ("add a
docstring" on a file with errors).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Any

from modelroute.categories import Category
from modelroute.context.model import ActionContext

_SHELL_LANGS = {"shellscript", "bash", "sh", "zsh", "fish", "powershell", "dockerfile", "makefile",
                "dockercompose", "nginx", "systemd", "terraform", "hcl", "bat"}
_SHELL_SUFFIXES = {".sh", ".bash", ".zsh", ".fish", ".ps1", ".bat", ".cmd", ".service", ".timer",
                   ".tf", ".hcl", ".mk", ".conf", ".nix"}
_UI_SUFFIXES = {".html", ".htm", ".tsx", ".jsx", ".vue", ".svelte", ".css", ".scss", ".sass", ".less",
                ".astro", ".dart", ".swift"}
_UI_LANGS = {"html", "typescriptreact", "javascriptreact", "vue", "svelte", "css", "scss", "less", "astro"}
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|\b\w+(?:Error|Exception)\b")
# A change to a symbol's name, place or signature: with callers in other files, it is a multi-file change.
_SIGNATURE_CHANGE = re.compile(
    r"\b(?:renam\w*|mov(?:e|ing)|extract\w*|signature|parameters?|arguments?|kwargs?"
    r"|make (?:it|this) (?:private|public|async)|into (?:a|its own) (?:module|file|package))\b", re.IGNORECASE)
# "why is this merge dropping rows", "what's wrong here", "how come it returns None"
_ASKS_WHY = re.compile(r"^\W*(?:why\b|what(?:'s| is) (?:wrong|happening|going on)|how come\b)", re.IGNORECASE)
_CREATION = re.compile(r"\b(?:build|create|design|make|develop|generate|new|implement|mock|craft)\b",
                       re.IGNORECASE)


_ERRORS = frozenset({"error_diagnostics", "notebook_error"})


@dataclass(frozen=True)
class ContextSignal:
    name: str
    weights: dict[Category, float]
    reason: str


@cache
def _table() -> dict[str, dict[str, Any]]:
    path = resources.files("modelroute.classify") / "data" / "context_weights.json"
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in raw.items() if not k.startswith("_")}


def _signal(name: str, reason: str, scale: float = 1.0) -> ContextSignal:
    weights = {Category(label): float(w) * scale for label, w in _table()[name]["weights"].items()}
    return ContextSignal(name, weights, reason)


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
            "bitbucket-pipelines.yml") or ".circleci" in parts or ".buildkite" in parts:
        return "a CI configuration"
    if language in _SHELL_LANGS or p.suffix in _SHELL_SUFFIXES:
        return "a shell or system configuration file"
    if name in ("crontab", "nginx.conf", "vagrantfile", "procfile") or "ansible" in parts:
        return "a system configuration file"
    return None


def ui_file(path: str, language: str) -> bool:
    return language in _UI_LANGS or PurePosixPath(path.lower()).suffix in _UI_SUFFIXES


def context_signals(ctx: ActionContext) -> list[ContextSignal]:
    """Every context signal that applies to this action."""
    out: list[ContextSignal] = []
    instruction = (ctx.instruction or "").strip()
    if not instruction:
        what = "a selection" if ctx.selection is not None and not ctx.selection.is_empty else "no selection"
        out.append(_signal("no_instruction", f"no instruction, {what}: explain by default"))
    out += _diagnostics(ctx)
    out += _file_kind(ctx, instruction)
    if instruction:
        out += _selection(ctx)
    out += _git(ctx)
    out += _symbol(ctx, instruction)
    out += _notebook(ctx)
    if instruction and _ASKS_WHY.match(instruction) and any(s.name in _ERRORS for s in out):
        out.append(_signal("error_question", "asks why, with the error right there"))
    if ctx.directive == "ask":
        out.append(_signal("ask_directive", "written as an AI? question"))
    elif ctx.directive == "do":
        out.append(_signal("do_directive", "written as an AI! request in the file"))
    return out


def _diagnostics(ctx: ActionContext) -> list[ContextSignal]:
    errors = [d for d in ctx.diagnostics if d.severity in (None, 1)]
    if not errors:
        warnings = sum(1 for d in ctx.diagnostics if d.severity == 2)
        return [_signal("warnings_only", f"{warnings} warning(s) on the file")] if warnings else []
    near = any(d.range.start.line <= ctx.cursor.line + 3 and d.range.end.line >= ctx.cursor.line - 3 for d in errors)
    noun = "diagnostic" if len(errors) == 1 else "diagnostics"
    out = [_signal("error_diagnostics", f"{len(errors)} error {noun}{' at the cursor' if near else ' on the file'}")]
    if near:
        out.append(_signal("error_near_cursor", "the error is at the cursor"))
    if ctx.is_test_file:
        out.append(_signal("error_in_test_file", "an error in a test file"))
    return out


def _file_kind(ctx: ActionContext, instruction: str) -> list[ContextSignal]:
    kind = shell_file_kind(ctx.file, ctx.language)
    if kind:
        return [_signal("shell_file", f"file is {kind}")]
    if not (ui_file(ctx.file, ctx.language) and _CREATION.search(instruction)):
        return []
    nonblank = sum(1 for line in ctx.file_text.splitlines() if line.strip())
    out = [_signal("ui_file_creating", "a UI file that is nearly empty") if nonblank < 12
           else _signal("ui_file_creating_full", "a UI file")]
    if ctx.markers.ui_frameworks:
        out.append(_signal("ui_framework", f"workspace uses {', '.join(ctx.markers.ui_frameworks[:2])}"))
    return out


def _selection(ctx: ActionContext) -> list[ContextSignal]:
    if ctx.selection is None or ctx.selection.is_empty:
        return []
    lines = ctx.selection.end.line - ctx.selection.start.line + 1
    if lines <= 40:
        return [_signal("small_selection", f"a small selection ({lines} lines)")]
    if lines > 200:
        return [_signal("large_selection", f"a large selection ({lines} lines)")]
    return []


def _git(ctx: ActionContext) -> list[ContextSignal]:
    git = ctx.git
    if git.file_changed and (git.diff or git.lines_added or git.lines_removed):
        return [_signal("file_changed", f"the file has uncommitted changes (+{git.lines_added}/-{git.lines_removed})")]
    if git.has_changes:
        n = len(git.changed_files) + len(git.staged_files)
        return [_signal("repo_changed", f"{n} changed file(s) in git")]
    return []


def _symbol(ctx: ActionContext, instruction: str) -> list[ContextSignal]:
    refs = ctx.symbol.reference_files
    if refs < 2 or not ctx.symbol.name:
        return []
    spec = _table()["symbol_shared"]
    scale = 1.0 + spec["per_file"] * min(refs, spec["max_files"]) / spec["weights"]["multi_file_refactor"]
    name = ctx.symbol.name[:40]
    out = [_signal("symbol_shared", f"'{name}' is used in {refs} other files", scale)]
    change = _SIGNATURE_CHANGE.search(instruction)
    if change:
        out.append(_signal("symbol_shared_change",
                           f"the request changes '{name}' ('{change.group(0)}') and {refs} other files use it"))
    return out


def _notebook(ctx: ActionContext) -> list[ContextSignal]:
    nb = ctx.notebook
    if nb is None:
        return []
    out = []
    cell = nb.cells[nb.active_cell] if 0 <= nb.active_cell < len(nb.cells) else None
    if cell is not None and (cell.has_error or _TRACEBACK.search(cell.outputs[:5000])):
        out.append(_signal("notebook_error", "the notebook cell's output shows an error"))
        out.append(_signal("notebook_scope", "a notebook cell: changes are local"))
    else:
        out.append(_signal("notebook_cell", "a notebook cell: changes are local"))
    return out
