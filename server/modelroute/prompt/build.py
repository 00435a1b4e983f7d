"""Build the first request of a run from the action context. Pure: the context already holds the text.

The same request is counted for the cost estimate, printed by `route --show-prompt`, and sent by the
providers, so what the user is shown is what leaves the machine.
"""

from __future__ import annotations

import re
from itertools import pairwise

from modelroute.categories import Category
from modelroute.context.model import ActionContext, Diagnostic
from modelroute.policy.schema import PrivacySettings
from modelroute.prompt.model import IncludedFile, Message, PromptRequest
from modelroute.prompt.privacy import matches
from modelroute.prompt.redact import redact
from modelroute.prompt.tools import tools_for

WHOLE_FILE_LINES = 400  # files up to this size go in whole; bigger ones as a window
WINDOW_LINES = 150  # lines kept on each side of the cursor or selection in a big file
DIFF_CHARS = 60_000  # review diffs are capped here (the model can read files for more)
MAX_EXPECTED_READS = 12

_ROLE = (
    "You are a senior software engineer working inside the user's editor through modelroute. "
    "Paths are relative to the workspace root. Line numbers in file excerpts are 1-based and are "
    "not part of the file. Some files are withheld for privacy; do not ask for secrets."
)

_TASK: dict[Category, str] = {
    Category.MULTI_FILE_REFACTOR: (
        "Restructure the code as asked without changing behaviour. Read every file you change first, "
        "update all references, and make each change with propose_edit. Keep edits minimal."
    ),
    Category.SHELL_AUTOMATION: (
        "Write or change scripts, build files, CI or container configuration as asked. Make file changes "
        "with propose_edit. Propose shell commands only when running them is needed; the user approves "
        "each one and it runs in a sandbox."
    ),
    Category.UI_GREENFIELD: (
        "Build the user interface as asked, in the framework and style the workspace already uses. "
        "Create or change files with propose_edit. Make it accessible and responsive."
    ),
    Category.CODE_REVIEW: (
        "Review the code or diff below. Do not change anything. Report each concrete problem with "
        "report_finding (file, lines, severity, a short explanation and a fix), then summarise."
    ),
    Category.DEBUGGING: (
        "Find the root cause of the failure described, explain it in two or three sentences, and fix it "
        "with propose_edit. You may propose a command to reproduce or to run the tests."
    ),
    Category.QUICK_EDIT: (
        "Make the small, local change asked for with propose_edit. Change nothing else."
    ),
    Category.EXPLAIN: (
        "Answer the question in clear markdown. Quote the relevant lines. Do not propose edits."
    ),
}


def _numbered(lines: list[str], first: int) -> str:
    width = len(str(first + len(lines)))
    return "\n".join(f"{first + i + 1:>{width}}| {line}" for i, line in enumerate(lines))


def _span(ctx: ActionContext, total: int) -> tuple[int, int]:
    if total <= WHOLE_FILE_LINES:
        return 0, max(total - 1, 0)
    start = ctx.selection.start.line if ctx.selection else ctx.cursor.line
    end = ctx.selection.end.line if ctx.selection else ctx.cursor.line
    return max(0, start - WINDOW_LINES), min(total - 1, end + WINDOW_LINES)


def _diagnostics_text(diags: tuple[Diagnostic, ...]) -> str:
    names = {1: "error", 2: "warning", 3: "info", 4: "hint"}
    rows = [
        f"- line {d.range.start.line + 1}: {names.get(d.severity or 1, 'error')}"
        f"{f' [{d.source}]' if d.source else ''}: {d.message}"
        for d in diags[:50]
    ]
    return "\n".join(rows)


def _where(ctx: ActionContext) -> str:
    if ctx.selection and not ctx.selection.is_empty:
        s, e = ctx.selection.start, ctx.selection.end
        where = f"Selection: lines {s.line + 1}-{e.line + 1} of {ctx.file}."
    else:
        where = f"Cursor: line {ctx.cursor.line + 1}, column {ctx.cursor.character + 1} of {ctx.file}."
    if ctx.enclosing:
        where += f" Inside `{ctx.enclosing}`."
    return where


def _file_section(ctx: ActionContext) -> tuple[str, IncludedFile | None]:
    lines = ctx.file_text.splitlines()
    if not lines:
        return f"File `{ctx.file}` is empty.", None
    offset = ctx.file_first_line  # file_text is a window of a large file when this is not 0
    total = max(ctx.file_line_count, offset + len(lines))
    first, last = _span(ctx, total)
    first, last = max(first, offset), min(last, offset + len(lines) - 1)
    of = f"{total}" if ctx.file_line_count_exact else f"more than {total}"
    note = "" if (first, last) == (0, total - 1) else f" (lines {first + 1}-{last + 1} of {of})"
    body = _numbered(lines[first - offset : last - offset + 1], first)
    text = f"File `{ctx.file}` ({ctx.language}){note}:\n```\n{body}\n```"
    return text, IncludedFile(path=ctx.file, start_line=first, end_line=last, reason="the file being edited")


def _notebook_section(ctx: ActionContext) -> str:
    assert ctx.notebook is not None
    parts = []
    for i, cell in enumerate(ctx.notebook.cells):
        mark = " (cursor here)" if i == ctx.notebook.active_cell else ""
        parts.append(f"Cell {i + 1} [{cell.kind}, {cell.language}]{mark}:\n```\n{cell.text}\n```")
        if cell.outputs:
            label = "Error output" if cell.has_error else "Output"
            parts.append(f"{label} of cell {i + 1}:\n```\n{cell.outputs[-4000:]}\n```")
    return f"Notebook `{ctx.file}` (kernel {ctx.notebook.kernel_language}):\n" + "\n".join(parts)


_DIFF_HEADER = re.compile(r"^diff --git a/(.+?) b/(.+)$", re.MULTILINE)


def _filter_diff(diff: str, privacy: PrivacySettings, model_is_local: bool) -> tuple[str, list[tuple[str, str]]]:
    """Drop the sections of files the privacy settings withhold from this model."""
    starts = [m.start() for m in _DIFF_HEADER.finditer(diff)] + [len(diff)]
    kept = [diff[: starts[0]]] if starts[0] else []
    dropped: list[tuple[str, str]] = []
    for begin, end in pairwise(starts):
        section = diff[begin:end]
        header = _DIFF_HEADER.match(section)
        path = header.group(2) if header else ""
        if matches(path, privacy.exclude):
            dropped.append((path, "privacy.exclude"))
        elif not model_is_local and matches(path, privacy.local_only):
            dropped.append((path, "privacy.local_only (model is not local)"))
        else:
            kept.append(section)
    return "".join(kept), dropped


def _expected_reads(ctx: ActionContext, category: Category, privacy: PrivacySettings) -> tuple[str, ...]:
    if category not in (Category.MULTI_FILE_REFACTOR, Category.DEBUGGING, Category.EXPLAIN):
        return ()
    paths = [r.path for r in ctx.related if not matches(r.path, privacy.exclude)]
    return tuple(paths[:MAX_EXPECTED_READS])


def build_request(
    ctx: ActionContext,
    category: Category,
    model_id: str,
    privacy: PrivacySettings,
    *,
    model_is_local: bool = False,
) -> PromptRequest:
    """The first request a run of `category` on `ctx` would send to `model_id`."""
    withheld: list[str] = []
    included: list[IncludedFile] = []
    sections = [f"Task ({category.words}): {ctx.instruction.strip() or 'see the selection'}", _where(ctx)]

    blocked = matches(ctx.file, privacy.exclude)
    local_only = matches(ctx.file, privacy.local_only) and not model_is_local
    if blocked or local_only:
        why = "privacy.exclude" if blocked else "privacy.local_only (model is not local)"
        withheld.append(f"{ctx.file}: {why}")
        sections.append(f"The file `{ctx.file}` is withheld by the user's privacy settings.")
    elif ctx.notebook is not None:
        sections.append(_notebook_section(ctx))
        included.append(
            IncludedFile(path=ctx.file, start_line=0, end_line=ctx.file_line_count, reason="the notebook")
        )
    else:
        text, span = _file_section(ctx)
        sections.append(text)
        if span:
            included.append(span)
        if ctx.selected_text:
            sections.append(f"Selected text:\n```\n{ctx.selected_text}\n```")

    if ctx.diagnostics:
        sections.append("Diagnostics reported by the editor:\n" + _diagnostics_text(ctx.diagnostics))
    if category is Category.CODE_REVIEW and ctx.git.diff:
        diff, dropped = _filter_diff(ctx.git.diff, privacy, model_is_local)
        withheld.extend(f"{path}: {why} (its diff)" for path, why in dropped)
        diff = diff[:DIFF_CHARS]
        cut = " (truncated)" if ctx.git.diff_truncated or len(ctx.git.diff) > DIFF_CHARS else ""
        sections.append(f"Uncommitted changes (git diff HEAD){cut}:\n```diff\n{diff}\n```")
    reads = _expected_reads(ctx, category, privacy)
    if reads:
        sections.append("Files that reference the symbol at the cursor:\n" + "\n".join(f"- {p}" for p in reads))

    user = "\n\n".join(sections)
    system = f"{_ROLE}\n\n{_TASK[category]}"
    redactions = 0
    if privacy.redact_secrets:
        user, redactions = redact(user)
    return PromptRequest(
        model=model_id,
        system=system,
        messages=(Message(role="user", content=user),),
        tools=tools_for(category),
        included=tuple(included),
        withheld=tuple(withheld),
        redactions=redactions,
        expected_reads=reads,
    )
