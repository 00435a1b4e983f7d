"""Tools the model may call during a run. Each category gets only what it needs."""

from __future__ import annotations

from modelroute.categories import Category
from modelroute.prompt.model import ToolSpec

READ_FILE = ToolSpec(
    name="read_file",
    description=(
        "Read a file of the workspace. Paths are relative to the workspace root. "
        "Returns the text with 1-based line numbers. Some files are withheld for privacy."
    ),
    input_schema={
        "type": "object",
        "properties": {
            "path": {"type": "string"},
            "start_line": {"type": "integer", "minimum": 1},
            "end_line": {"type": "integer", "minimum": 1},
        },
        "required": ["path"],
    },
)

PROPOSE_EDIT = ToolSpec(
    name="propose_edit",
    description=(
        "Propose one edit: replace old_text (copied exactly from the file, without line numbers, "
        "unique in the file) by new_text. To create a file, give an empty old_text and the whole "
        "content as new_text. Edits are applied together, all or nothing, after the run."
    ),
    input_schema={
        "type": "object",
        "properties": {
            "path": {"type": "string"},
            "old_text": {"type": "string"},
            "new_text": {"type": "string"},
        },
        "required": ["path", "old_text", "new_text"],
    },
)

PROPOSE_COMMAND = ToolSpec(
    name="propose_command",
    description=(
        "Propose a shell command to run in the workspace. The user approves or denies it; it runs in a "
        "sandbox without network unless allowed. Returns the exit code and output."
    ),
    input_schema={
        "type": "object",
        "properties": {
            "command": {"type": "string"},
            "reason": {"type": "string", "description": "Why this command is needed, for the user."},
        },
        "required": ["command", "reason"],
    },
)

REPORT_FINDING = ToolSpec(
    name="report_finding",
    description="Report one problem found in review, on 1-based lines of a file.",
    input_schema={
        "type": "object",
        "properties": {
            "path": {"type": "string"},
            "line": {"type": "integer", "minimum": 1},
            "end_line": {"type": "integer", "minimum": 1},
            "severity": {"type": "string", "enum": ["error", "warning", "info"]},
            "message": {"type": "string"},
        },
        "required": ["path", "line", "severity", "message"],
    },
)

_TOOLS: dict[Category, tuple[ToolSpec, ...]] = {
    Category.EXPLAIN: (READ_FILE,),
    Category.CODE_REVIEW: (READ_FILE, REPORT_FINDING),
    Category.QUICK_EDIT: (READ_FILE, PROPOSE_EDIT),
    Category.UI_GREENFIELD: (READ_FILE, PROPOSE_EDIT),
    Category.MULTI_FILE_REFACTOR: (READ_FILE, PROPOSE_EDIT, PROPOSE_COMMAND),
    Category.DEBUGGING: (READ_FILE, PROPOSE_EDIT, PROPOSE_COMMAND),
    Category.SHELL_AUTOMATION: (READ_FILE, PROPOSE_EDIT, PROPOSE_COMMAND),
}


def tools_for(category: Category) -> tuple[ToolSpec, ...]:
    return _TOOLS[category]
