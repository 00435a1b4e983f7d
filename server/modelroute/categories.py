"""The seven task categories (DESIGN 2.1). The labels are a public contract."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    MULTI_FILE_REFACTOR = "multi_file_refactor"
    SHELL_AUTOMATION = "shell_automation"
    UI_GREENFIELD = "ui_greenfield"
    CODE_REVIEW = "code_review"
    DEBUGGING = "debugging"
    QUICK_EDIT = "quick_edit"
    EXPLAIN = "explain"

    @property
    def words(self) -> str:
        return self.value.replace("_", " ")

    @property
    def verb(self) -> str:
        """The verb a code action title starts with."""
        return _VERBS[self]

    @property
    def edits_code(self) -> bool:
        return self not in (Category.CODE_REVIEW, Category.EXPLAIN)

    @property
    def short(self) -> str:
        """A one-word name for tables and compact output."""
        return _SHORT[self]

    @classmethod
    def parse(cls, name: str) -> Category:
        """A label, or one of its aliases ("refactor", "review", "debug"...), case-insensitive."""
        key = name.strip().lower().replace("-", "_").replace(" ", "_")
        found = ALIASES.get(key)
        if found is None:
            raise ValueError(f"unknown category {name!r}; expected one of {', '.join(c.value for c in cls)}")
        return found


_VERBS: dict[Category, str] = {
    Category.MULTI_FILE_REFACTOR: "Refactor",
    Category.SHELL_AUTOMATION: "Automate",
    Category.UI_GREENFIELD: "Build UI",
    Category.CODE_REVIEW: "Review",
    Category.DEBUGGING: "Debug",
    Category.QUICK_EDIT: "Edit",
    Category.EXPLAIN: "Explain",
}

_SHORT: dict[Category, str] = {
    Category.MULTI_FILE_REFACTOR: "refactor",
    Category.SHELL_AUTOMATION: "shell",
    Category.UI_GREENFIELD: "ui",
    Category.CODE_REVIEW: "review",
    Category.DEBUGGING: "debug",
    Category.QUICK_EDIT: "edit",
    Category.EXPLAIN: "explain",
}

# The one alias table: every other name a label goes by (the labels themselves, the short names, the
# words people use). Parse with Category.parse; do not keep another copy elsewhere.
ALIASES: dict[str, Category] = {
    **{c.value: c for c in Category},
    **{short: c for c, short in _SHORT.items()},
    "multi_file": Category.MULTI_FILE_REFACTOR,
    "refactoring": Category.MULTI_FILE_REFACTOR,
    "shell": Category.SHELL_AUTOMATION,
    "automation": Category.SHELL_AUTOMATION,
    "greenfield": Category.UI_GREENFIELD,
    "ui_design": Category.UI_GREENFIELD,
    "code_review": Category.CODE_REVIEW,
    "debugging": Category.DEBUGGING,
    "fix": Category.DEBUGGING,
    "quick": Category.QUICK_EDIT,
    "quick_edit": Category.QUICK_EDIT,
    "question": Category.EXPLAIN,
}

ALL_CATEGORIES: tuple[Category, ...] = tuple(Category)
