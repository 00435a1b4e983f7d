"""A scripted editor for the run core's tests: answers questions from a script, records what the
core told, showed, offered and reviewed, and applies accepted change sets to an in-memory buffer set
(like an editor does) or refuses them. It implements the same Editor interface as the language
server and the command line; no function of modelroute is replaced."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelroute.run.editor import Buffer, Level, Markdown, Offer, OfferResult, Question, Review, Shown

Answer = Callable[[Question], "str | Awaitable[str | None] | None"]


@dataclass
class Bar:
    title: str
    cancellable: bool
    reports: list[str] = field(default_factory=list)
    cancelled: bool = False
    on_report: Callable[[Bar, str], None] | None = None

    def report(self, message: str) -> None:
        self.reports.append(message)
        if self.on_report is not None:
            self.on_report(self, message)


@dataclass
class ScriptedEditor:
    answer: Answer = lambda question: None
    accept: Callable[[Offer], OfferResult] = lambda offer: OfferResult("applied")
    questions: list[Question] = field(default_factory=list)
    told: list[tuple[Level, str]] = field(default_factory=list)
    logged: list[tuple[Level, str]] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    shown: list[Markdown] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    buffers: dict[Path, Buffer] = field(default_factory=dict)
    on_report: Callable[[Bar, str], None] | None = None
    edit: Callable[[Markdown], str | None] = lambda document: document.text  # the user's edit of a plan
    edited: list[Markdown] = field(default_factory=list)

    async def ask(self, question: Question) -> str | None:
        self.questions.append(question)
        choice: Any = self.answer(question)
        if inspect.isawaitable(choice):
            choice = await choice
        return choice if choice is None else str(choice)

    def tell(self, level: Level, message: str) -> None:
        self.told.append((level, message))

    def log(self, level: Level, message: str) -> None:
        self.logged.append((level, message))

    @asynccontextmanager
    async def progress(self, title: str, *, cancellable: bool = False, message: str | None = None
                       ) -> AsyncIterator[Bar]:
        bar = Bar(title, cancellable, on_report=self.on_report)
        self.bars.append(bar)
        yield bar

    async def show(self, document: Markdown) -> Shown:
        self.shown.append(document)
        return Shown(True, f"memory:{document.key}")

    async def offer(self, offer: Offer) -> OfferResult:
        self.offers.append(offer)
        return self.accept(offer)

    async def edit_document(self, document: Markdown, action: str) -> str | None:
        self.edited.append(document)
        return self.edit(document)

    async def review(self, review: Review) -> None:
        self.reviews.append(review)

    def buffer(self, path: Path) -> Buffer | None:
        return self.buffers.get(path)

    def messages(self, level: Level | None = None) -> list[str]:
        return [m for lv, m in self.told if level is None or lv == level]

    def log_lines(self) -> list[str]:
        return [m for _, m in self.logged]
