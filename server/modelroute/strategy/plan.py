"""A plan of steps: what the planner is asked for, reading its answer, the document the user edits,
reading the edited document back, and which step runs next. Pure.

The planner answers in JSON (`{"steps": [{"title", "instruction", "files", "kind"}]}`); a plan in
the document format below is accepted too. The document is Markdown the user may edit freely:
reword, reorder or delete steps, change a step's kind or files. Each `## ` heading is a step (a
leading "1." is only numbering); `kind:` and `files:` lines right under it are its metadata; the
rest is its instruction. A line of an instruction that could be read as a heading or as metadata
is written with a leading backslash, so rendering and reading back never lose or move text.
Steps then run one at a time, each routed by its own kind, with its own check; the run stops at
the first step that does not finish and reports what remains.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from modelroute.categories import ALL_CATEGORIES, Category

MAX_STEPS = 12
AUTO_KIND = "auto"  # in the document: route this step by classifying its instruction
HELP = (
    "<!-- modelroute plan. Edit it, then run it: reword, reorder or delete steps; change a step's kind "
    "(" + ", ".join(c.value for c in ALL_CATEGORIES) + ", or auto) or its files. Each step runs on its own, "
    "routed by its kind, with its own check; the run stops at the first step that fails. -->"
)


class PlanError(ValueError):
    """A plan that cannot be used; the message says what is wrong and where."""


class PlanStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str = Field(min_length=1)
    instruction: str = Field(min_length=1)
    files: tuple[str, ...] = ()
    kind: Category | None = None  # None: classify the step's own instruction


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True)

    task: str  # the user's original instruction
    steps: tuple[PlanStep, ...] = Field(min_length=1)


def planner_request(task: str) -> str:
    """What the planner model is asked (the run adds the workspace context as for any action)."""
    kinds = "\n".join(f"- {c.value}: {_KIND_HELP[c]}" for c in ALL_CATEGORIES)
    return (
        "Write a plan for the task below; do not make any change yet. Split it into the fewest steps "
        f"that can each be done and checked on their own (at most {MAX_STEPS}), in the order they should run. "
        "Each step will be given, alone, to another model, so its instruction must be complete on its own: "
        "name the files, functions and the expected behaviour.\n\n"
        "Answer with only a JSON object:\n"
        '{"steps": [{"title": "short imperative title", "instruction": "what to do, complete on its own", '
        '"files": ["path/relative/to/the/workspace"], "kind": "one of the kinds below"}]}\n\n'
        f"Kinds:\n{kinds}\n\nTask:\n{task}"
    )


_KIND_HELP = {
    Category.MULTI_FILE_REFACTOR: "restructure code across files without changing behaviour",
    Category.SHELL_AUTOMATION: "shell, build, CI, Docker, deployment",
    Category.UI_GREENFIELD: "a new user interface, page or component",
    Category.CODE_REVIEW: "judge code and report problems, no edits",
    Category.DEBUGGING: "find and fix the cause of a failure",
    Category.QUICK_EDIT: "a small local change",
    Category.EXPLAIN: "answer a question in words, no edits",
}


def _kind(value: Any, where: str) -> Category | None:
    if value is None:
        return None
    text = re.sub(r"[\s\-]+", "_", str(value).strip().lower()).strip("_")
    if text in ("", AUTO_KIND, "none", "unknown", "?"):
        return None
    for category in ALL_CATEGORIES:
        if text in (category.value, category.value.replace("multi_file_", "")):
            return category
    close = difflib.get_close_matches(text, [c.value for c in ALL_CATEGORIES], n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise PlanError(f"{where}: unknown kind {value!r}{hint}; kinds are {', '.join(c.value for c in ALL_CATEGORIES)}, "
                    f"or {AUTO_KIND}")


def _files(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else re.split(r"[,\n]", str(value))
    if not all(isinstance(item, str) for item in items):
        raise PlanError(f"{where}: files must be a list of paths")
    return _relative(tuple(item.strip().strip("`").strip() for item in items if item.strip().strip("`").strip()), where)


def _relative(paths: tuple[str, ...], where: str) -> tuple[str, ...]:
    """Workspace-relative paths only: a model-written plan must not point a step outside the workspace."""
    for path in paths:
        parts = path.replace("\\", "/").split("/")
        if path.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", path) or ".." in parts:
            raise PlanError(f"{where}: {path!r} is not a path inside the workspace")
    return paths


def _step(raw: Any, index: int) -> PlanStep:
    where = f"step {index}"
    if not isinstance(raw, dict):
        raise PlanError(f"{where}: expected an object with title, instruction, files and kind")
    title = " ".join(str(raw.get("title") or "").split())
    instruction = str(raw.get("instruction") or raw.get("description") or "").strip()
    if not title and not instruction:
        raise PlanError(f"{where}: has neither a title nor an instruction")
    return PlanStep(
        title=title or title_from(instruction), instruction=instruction or title,
        files=_files(raw.get("files"), where), kind=_kind(raw.get("kind"), where),
    )


def title_from(instruction: str) -> str:
    """A step's title from its instruction: its first sentence, cut to 80 characters."""
    first = re.split(r"(?<=[.!?])\s|\n", instruction.strip(), maxsplit=1)[0]
    return first if len(first) <= 80 else first[:79] + "…"


def _json_candidates(text: str) -> list[str]:
    fenced = re.findall(r"```(?:json)?\s*\n(.*?)```", text, re.DOTALL)
    out = list(reversed(fenced))  # the last block is usually the final answer
    start = text.find("{")
    end = text.rfind("}")
    if start != -1 and end > start:
        out.append(text[start : end + 1])
    return out


def parse_plan(text: str, task: str) -> Plan:
    """The planner's answer as a Plan. PlanError (readable) when it holds no usable plan."""
    for candidate in _json_candidates(text):
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        steps = data.get("steps") if isinstance(data, dict) else data
        if isinstance(steps, list):
            if not steps:
                raise PlanError("the plan has no steps")
            return _checked(Plan(task=task, steps=tuple(_step(s, i + 1) for i, s in enumerate(steps))))
    if re.search(r"^##\s", text, re.MULTILINE):
        document = parse_plan_document(text)
        return _checked(document.model_copy(update={"task": document.task or task}))
    raise PlanError("the planner's answer holds no plan: expected a JSON object with a list of steps")


def _checked(plan: Plan) -> Plan:
    if len(plan.steps) > MAX_STEPS:
        raise PlanError(f"the plan has {len(plan.steps)} steps; at most {MAX_STEPS} run one after another")
    return plan


_HEADING = re.compile(r"^##(?!#)\s*(.*?)\s*$")
_NUMBERING = re.compile(r"^(?:step\s*)?\d+\s*[.):]\s*", re.IGNORECASE)
_META = re.compile(r"^\s*(?:[-*+]\s*)?\**\s*(kind|files?)\s*\**\s*:\s*\**\s*(.*?)\s*$", re.IGNORECASE)
_NEEDS_ESCAPE = re.compile(r"^\s*(\\|#|>|<!--|(?:[-*+]\s*)?\**\s*(kind|files?)\s*\**\s*:)", re.IGNORECASE)
_COMMENT_LINE = re.compile(r"^\s*<!--.*-->\s*$")  # whole-line comments only: text inside a line is kept


def render_plan(plan: Plan, prices: Sequence[str] | None = None) -> str:
    """The plan as a Markdown document to review and edit. `prices` (one per step, e.g. "Cascade
    M2.5 -> Opus 4.6 · ~$0.09") are shown as comments, which reading the document ignores."""
    lines = ["# Plan", ""]
    lines += [f"> {line}" if line else ">" for line in plan.task.split("\n")]
    lines += ["", HELP, ""]
    for number, step in enumerate(plan.steps, 1):
        lines.append(f"## {number}. {' '.join(step.title.split())}")
        lines.append(f"kind: {step.kind.value if step.kind else AUTO_KIND}")
        if step.files:
            lines.append("files: " + ", ".join(f"`{f}`" for f in step.files))
        if prices is not None and number <= len(prices):
            lines.append(f"<!-- {prices[number - 1].replace('--', '- -')} -->")
        lines.append("")
        lines += [("\\" + line) if _NEEDS_ESCAPE.match(line) else line for line in step.instruction.split("\n")]
        lines.append("")
    return "\n".join(lines)


def parse_plan_document(text: str) -> Plan:
    """The (edited) document back as a Plan. PlanError names the step when something is wrong."""
    # Split on newlines only (an editor's CRLF is tolerated): other line separators stay inside the text.
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    lines = [line for line in lines if not _COMMENT_LINE.match(line)]
    task_lines: list[str] = []
    steps: list[tuple[str, list[str]]] = []
    for line in lines:
        heading = _HEADING.match(line)
        if heading:
            steps.append((_NUMBERING.sub("", heading.group(1), count=1), []))
        elif steps:
            steps[-1][1].append(line)
        elif line.startswith(">"):
            task_lines.append(line[1:].removeprefix(" "))
    if not steps:
        raise PlanError("the plan has no steps: each step starts with a '## ' heading")
    parsed = tuple(_document_step(title, body, i + 1) for i, (title, body) in enumerate(steps))
    return _checked(Plan(task="\n".join(task_lines), steps=parsed))


def _document_step(title: str, body: list[str], index: int) -> PlanStep:
    where = f"step {index} ({title or 'untitled'})"
    meta: dict[str, str] = {}
    at = 0
    while at < len(body):
        line = body[at]
        match = _META.match(line)
        if match and not line.lstrip().startswith("\\"):
            key = "files" if match.group(1).lower().startswith("file") else "kind"
            meta[key] = match.group(2).strip("*").strip()
        elif line.strip():
            break
        at += 1
    rest = [line[1:] if line.startswith("\\") else line for line in body[at:]]
    instruction = "\n".join(rest).strip("\n")
    title = " ".join(title.split())
    if not title and not instruction.strip():
        raise PlanError(f"{where}: has neither a title nor an instruction")
    quoted = tuple(re.findall(r"`([^`]+)`", meta.get("files", "")))
    files = _relative(quoted, where) if quoted else _files(meta.get("files"), where)
    return PlanStep(
        title=title or title_from(instruction), instruction=instruction if instruction.strip() else title,
        files=tuple(files), kind=_kind(meta.get("kind"), where),
    )


StepConclusion = Literal["done", "verification_failed", "rejected", "error"]


class StepResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    conclusion: StepConclusion
    summary: str = ""


class NextStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int
    step: PlanStep


class PlanStopped(BaseModel):
    """The plan ended: every step done, or stopped at a step that did not finish."""

    model_config = ConfigDict(frozen=True)

    completed: int
    stopped_at: int | None  # index of the step that did not finish; None when all finished
    remaining: tuple[PlanStep, ...]
    reason: str


def next_step(plan: Plan, results: Sequence[StepResult]) -> NextStep | PlanStopped:
    """Steps run in order; the first that does not end `done` stops the plan with what remains."""
    for index, result in enumerate(results):
        if result.conclusion != "done":
            step = plan.steps[index]
            why = {"verification_failed": "failed its check", "rejected": "was rejected",
                   "error": "ended with an error"}[result.conclusion]
            return PlanStopped(
                completed=index, stopped_at=index, remaining=plan.steps[index:],
                reason=f"step {index + 1} ({step.title}) {why}; {len(plan.steps) - index} step(s) not done",
            )
    if len(results) >= len(plan.steps):
        return PlanStopped(completed=len(plan.steps), stopped_at=None, remaining=(),
                           reason=f"all {len(plan.steps)} steps done")
    index = len(results)
    return NextStep(index=index, step=plan.steps[index])


__all__ = [
    "AUTO_KIND",
    "MAX_STEPS",
    "NextStep",
    "Plan",
    "PlanError",
    "PlanStep",
    "PlanStopped",
    "StepResult",
    "next_step",
    "parse_plan",
    "parse_plan_document",
    "planner_request",
    "render_plan",
    "title_from",
]
