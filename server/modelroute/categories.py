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


_VERBS: dict[Category, str] = {
    Category.MULTI_FILE_REFACTOR: "Refactor",
    Category.SHELL_AUTOMATION: "Automate",
    Category.UI_GREENFIELD: "Build UI",
    Category.CODE_REVIEW: "Review",
    Category.DEBUGGING: "Debug",
    Category.QUICK_EDIT: "Edit",
    Category.EXPLAIN: "Explain",
}

ALL_CATEGORIES: tuple[Category, ...] = tuple(Category)
