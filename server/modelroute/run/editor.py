"""The editor interface: how the run core talks to the user, whatever the front end.

The run core (plan, budget, progress, the agent loop, approval, the ledger) never speaks a protocol.
It asks, tells, shows progress, shows a document, offers a change set and presents review findings
through an `Editor`, which each front end implements: the language server with showMessageRequest,
$/progress, showDocument, applyEdit and publishDiagnostics; the command line on the terminal; the
ACP agent with its permission requests and session updates. (The shape follows aider's
`io.confirm_ask` injected into the coder, and codex's orchestrator that decides and asks through
an injected approval interface.)

Every method fails safe: a question with no answer is None (never a yes), an offer the editor
could not apply is rejected with the reason, a document that could not be shown is told instead.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from modelroute.changeset import ChangeSet, Refusal
    from modelroute.execute.agent import Finding
    from modelroute.sandbox import ApplyResult

Level = Literal["error", "warning", "info"]
Purpose = Literal["budget", "fallback", "approval", "plan", "offer"]
OfferStatus = Literal["applied", "rejected", "proposed"]

DEFAULT_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Question:
    """A question with buttons. `choices` are the exact button titles; the answer is one of them."""

    message: str
    choices: tuple[str, ...]
    purpose: Purpose
    level: Level = "warning"
    timeout_s: float = DEFAULT_TIMEOUT_S
    # An answer that arrives after the timeout is not acted on; this hears about it (for the log).
    on_late: Callable[[str], None] | None = None


class Progress(Protocol):
    """One progress display. The work polls `cancelled` (the user pressed Cancel)."""

    @property
    def cancelled(self) -> bool: ...

    def report(self, message: str) -> None: ...


@dataclass(frozen=True)
class Markdown:
    """A document for the user to read (an answer). Equal `key`s name the same document.
    `aside`: an account beside the result (a strategy's candidates and checks), not the result
    itself: a terminal prints it with the messages, not with the output."""

    title: str
    text: str
    key: str
    aside: bool = False


@dataclass(frozen=True)
class Shown:
    """Where a document went: shown as a document, else told as a message; `location` names the
    copy kept (a file URI) when there is one."""

    shown: bool
    location: str | None = None


@dataclass(frozen=True)
class Offer:
    """A change set for the user to accept, with what the editor needs to apply it safely."""

    changes: ChangeSet
    label: str  # one line: who made it and why ("Haiku 4.5: add type hints")
    description: str  # "2 file(s), ~$0.01"
    # The version of each file when the run read it (None: read from disk): an editor applies an edit
    # only to the version it was computed on.
    read_versions: Mapping[str, Hashable | None] = field(default_factory=dict)
    # Commands the model proposed that approval refused: the change set may be incomplete.
    denied_commands: tuple[str, ...] = ()
    # Why this result is offered although it did not pass (its check failed, it changed tests):
    # an editor asks before applying it, a command line does not write it.
    failing: str | None = None
    # Writes accepted changes to the workspace through the apply guard (binary files, files an
    # editor cannot create or delete, `modelroute run --apply`); what it refused is in its result.
    write: Callable[[ChangeSet], ApplyResult] | None = None


@dataclass(frozen=True)
class OfferResult:
    """`applied`: the editor applied every change; `rejected`: none was applied (`reason` says why);
    `proposed`: shown for the user to apply later (the command line without --apply).

    `on_disk`: applied by writing the workspace (not into editor buffers). `by_user`: a rejection the
    user chose (a cascade then escalates), not an editor that could not apply it. `refused`: what
    the apply guard would not write (shown to the user, never dropped)."""

    status: OfferStatus
    reason: str = ""
    on_disk: bool = False
    by_user: bool = True
    refused: tuple[Refusal, ...] = ()


@dataclass(frozen=True)
class Review:
    """Review findings on the action's document (replacing its previous review) and other files."""

    document: str  # workspace-relative path of the reviewed document
    findings: tuple[Finding, ...]
    model: str  # catalog id: the findings' source


@dataclass(frozen=True)
class Buffer:
    """A file as the editor holds it: its text (for a notebook, its cells joined) and version.
    `view`: the text is not the file's bytes (a notebook's cells joined), so the run stages its
    edits in memory instead of in the attempt's copy of the workspace."""

    text: str
    version: Hashable
    view: bool = False


class Editor(Protocol):
    """What a front end gives the run core. All user-facing text arrives finished (no markup to add)."""

    async def ask(self, question: Question) -> str | None:
        """The choice the user picked, or None: declined, no answer within the timeout, or failed."""
        ...

    def tell(self, level: Level, message: str) -> None:
        """A message the user sees now (a notification, a line on stderr)."""
        ...

    def log(self, level: Level, message: str) -> None:
        """A line for the log (the output channel): what ran, what was refused."""
        ...

    def progress(
        self, title: str, *, cancellable: bool = False, message: str | None = None
    ) -> AbstractAsyncContextManager[Progress]:
        """A progress display for the body of an `async with`; ended on exit."""
        ...

    async def show(self, document: Markdown) -> Shown:
        """Show a document (an editor that cannot show one tells its text as a message instead)."""
        ...

    async def offer(self, offer: Offer) -> OfferResult:
        """Offer a change set; the editor applies what the user accepts, all or nothing."""
        ...

    async def edit_document(self, document: Markdown, action: str) -> str | None:
        """Show a document the user may edit before `action` ("Run the plan") proceeds; its text as
        the user confirmed it, or None when they cancelled (or nobody can answer)."""
        ...

    async def review(self, review: Review) -> None:
        """Present review findings (diagnostics in an editor, a list on a terminal)."""
        ...

    def buffer(self, path: Path) -> Buffer | None:
        """The editor's unsaved text of a file, or None when the editor does not hold it."""
        ...


__all__ = [
    "DEFAULT_TIMEOUT_S",
    "Buffer",
    "Editor",
    "Level",
    "Markdown",
    "Offer",
    "OfferResult",
    "OfferStatus",
    "Progress",
    "Purpose",
    "Question",
    "Review",
    "Shown",
]
