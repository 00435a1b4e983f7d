"""The run core's editor, spoken in LSP: questions are window/showMessageRequest, messages
window/showMessage and window/logMessage, progress is server-created $/progress, documents are
window/showDocument, a change set is one workspace/applyEdit, review findings are diagnostics.

One `LspEditor` per run, made for the document the action names (a text file or a notebook), so the
core sees a notebook as one more document: its joined cells are the buffer it reads, and its changes
and findings are mapped back into the cells here.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
from lsprotocol import types
from pygls.uris import from_fs_path

from modelroute.lsp.asking import ask
from modelroute.lsp.documents import DocumentQuery
from modelroute.lsp.progress import ProgressHandle, work_done
from modelroute.run.editor import Buffer, Level, Markdown, Offer, OfferResult, Question, Review, Shown

if TYPE_CHECKING:
    from modelroute.changeset import Change, ChangeSet, Flag
    from modelroute.execute.agent import Finding
    from modelroute.lsp.server import ModelrouteServer

log = logging.getLogger(__name__)

LEVELS = {"error": types.MessageType.Error, "warning": types.MessageType.Warning, "info": types.MessageType.Info}
FLAGGED_ID = "modelroute-flagged"
APPLY_ANYWAY, DISCARD = "Apply anyway", "Discard"
PLAN_TIMEOUT_S = 1800.0  # editing a plan takes a while; an unanswered question is still a Cancel
DEFAULT_APPLY_TIMEOUT_S = 300.0  # run.apply_timeout_s before the workspace's settings are loaded


class LspEditor:
    """`run.editor.Editor` over one language server session, for one action's document."""

    def __init__(self, ls: ModelrouteServer, query: DocumentQuery) -> None:
        self.ls = ls
        self.query = query  # the action's document as it was when the action was asked for

    # -- talking to the user -----------------------------------------------------------
    async def ask(self, question: Question) -> str | None:
        params = types.ShowMessageRequestParams(
            type=LEVELS[question.level], message=question.message,
            actions=[types.MessageActionItem(title=c) for c in question.choices],
        )
        prefix = "modelroute-approval-" if question.purpose == "approval" else f"modelroute-{question.purpose}-"
        return await ask(self.ls, params, question.timeout_s, msg_id_prefix=prefix, on_late=question.on_late,
                         on_error=lambda exc: self.log("warning", f"modelroute: could not ask the user: {exc}"))

    def tell(self, level: Level, message: str) -> None:
        self.ls.window_show_message(types.ShowMessageParams(type=LEVELS[level], message=message))

    def log(self, level: Level, message: str) -> None:
        self.ls.log(message, LEVELS[level])

    def progress(
        self, title: str, *, cancellable: bool = False, message: str | None = None
    ) -> AbstractAsyncContextManager[ProgressHandle]:
        return work_done(self.ls, title, cancellable=cancellable, message=message)

    async def show(self, document: Markdown) -> Shown:
        uri = write_markdown(document.text, document.key).as_uri()
        if await self._show_uri(uri, focus=not document.aside):
            return Shown(True, uri)
        if document.aside:  # an account beside the result: the log, not a notification wall
            self.log("info", document.text)
        else:
            self.tell("info", document.text)
        return Shown(False, uri)

    async def _show_uri(self, uri: str, *, focus: bool) -> bool:
        if not supports_show_document(self.ls):
            return False
        try:
            answer = await self.ls.window_show_document_async(types.ShowDocumentParams(uri=uri, take_focus=focus))
        except Exception as exc:
            log.info("showDocument failed: %s", exc)
            return False
        return answer is not None and answer.success

    async def edit_document(self, document: Markdown, action: str) -> str | None:
        """The document opened in the editor (showDocument), then one question: `action` or Cancel.
        The text is read back as the editor holds it then (its unsaved edits included), else from
        the file. A client that cannot show documents is told the text and asked the same."""
        path = write_markdown(document.text, document.key, folder="plans")
        uri = from_fs_path(str(path)) or path.as_uri()
        shown = await self._show_uri(uri, focus=True)
        if not shown:
            self.tell("info", document.text)
        where = "in the document just opened" if shown else f"in {path}"
        picked = await self.ask(Question(
            message=f"modelroute: {document.title}. Edit it {where} if you like (reword, reorder or delete steps), "
                    f"then choose {action}.", choices=(action, "Cancel"), purpose="plan", level="info",
            timeout_s=PLAN_TIMEOUT_S,
        ))
        if picked != action:
            return None
        try:
            return str(self.ls.workspace.get_text_document(uri).source)
        except OSError as exc:
            self.tell("error", f"modelroute: cannot read the plan back from {path}: {exc}")
            return None

    # -- the editor's documents ---------------------------------------------------------
    def buffer(self, path: Path) -> Buffer | None:
        """The editor's text of `path` now (the action's document is asked for again by its URI:
        a notebook's buffer is its cells joined, a view of the file rather than its bytes)."""
        if path == self.query.state.root / self.query.rel:
            current = self.ls.session.query(self.query.uri)
        else:
            current = self._query(path, opened_only=True)
        return editor_buffer(current) if current is not None else None

    def _query(self, path: Path, *, opened_only: bool = False) -> DocumentQuery | None:
        """The editor's view of another file: an open text document or notebook (else from disk)."""
        session = self.ls.session
        uri = from_fs_path(str(path)) or path.as_uri()
        if opened_only and session.documents.get(uri) is None and \
                self.ls.workspace.get_notebook_document(notebook_uri=uri) is None:
            return None
        return session.query(uri)

    def _document(self, rel: str) -> DocumentQuery | None:
        """The editor's document of `rel` now: the action's own is asked for again, since an earlier
        step of the same run (a plan) may have moved it on through an applied edit."""
        if rel == self.query.rel:
            return self.ls.session.query(self.query.uri) or self.query
        return self._query(self.query.state.root / rel)

    # -- results ------------------------------------------------------------------------
    async def offer(self, offer: Offer) -> OfferResult:
        """One workspace/applyEdit for what the editor can take; what it cannot (binary files, files
        it cannot create or delete) is written to the workspace through the apply guard once the
        edit is applied. A result that did not pass its check is asked about first."""
        refused = offer.changes.refused
        if refused:  # never dropped silently
            listed = "; ".join(f"{r.path}: {r.reason}" for r in refused)
            self.tell("warning", f"modelroute: not offered ({len(refused)}): {listed}")
        if offer.failing and await self.ask(Question(
            message=f"modelroute: {offer.label}: {offer.failing}. Apply it anyway?", choices=(APPLY_ANYWAY, DISCARD),
            purpose="offer", level="warning",
        )) != APPLY_ANYWAY:
            return OfferResult("rejected", f"not applied: {offer.failing}")
        in_editor, on_disk = self.split(offer)
        if on_disk.changes and offer.write is None:
            return OfferResult("rejected", f"this editor cannot take {', '.join(on_disk.paths())} through LSP; "
                               "nothing was applied", by_user=False)
        if in_editor.changes:
            try:
                edit = self.workspace_edit(replace(offer, changes=in_editor))
            except ValueError as exc:  # the editor cannot take this change set: nothing is applied
                return OfferResult("rejected", str(exc), by_user=False)
            applied = await self._apply(replace(offer, changes=in_editor), edit)
            if applied.status != "applied":
                return applied
        return await self._write(offer, on_disk)

    async def _write(self, offer: Offer, on_disk: ChangeSet) -> OfferResult:
        if not on_disk.changes or offer.write is None:
            return OfferResult("applied")
        written = await asyncio.to_thread(offer.write, on_disk)
        new = tuple(r for r in written.refused if r not in on_disk.refused)
        if written.applied:
            self.tell("info", f"modelroute: written to the workspace (the editor cannot take them): "
                      f"{', '.join(written.applied)}")
        if new:
            self.tell("warning", "modelroute: the apply guard did not write: "
                      + "; ".join(f"{r.path}: {r.reason}" for r in new))
        return OfferResult("applied", refused=new)

    def split(self, offer: Offer) -> tuple[ChangeSet, ChangeSet]:
        """(what the editor takes as a WorkspaceEdit, what is written to disk through the guard)."""
        _, creates, deletes = _edit_caps(self.ls)
        editor: list[Change] = []
        disk: list[Change] = []
        for change in offer.changes.changes:
            takes = not change.binary and (
                change.kind == "modified" or (change.kind == "created" and creates)
                or (change.kind == "deleted" and deletes))
            (editor if takes else disk).append(change)
        base = offer.changes.model_copy(update={"refused": ()})
        return (base.model_copy(update={"changes": tuple(editor)}),
                base.model_copy(update={"changes": tuple(disk), "flagged": ()}))

    async def _apply(self, offer: Offer, edit: types.WorkspaceEdit) -> OfferResult:
        """Send the edit and settle on the first of: the client's answer; its documents showing
        every changed file as edited (a client that applies without answering, as ALE does, still
        sends didChange); `run.apply_timeout_s` with neither (rejected, and the user is told how
        to check). An answer after that is never acted on; the user is told when it disagrees."""
        request = asyncio.ensure_future(self.ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=edit, label=offer.label)))
        timeout = self._apply_timeout()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not request.done() and not self._landed(offer):
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            changed = self.ls.session.changes.next()
            waits: list[asyncio.Future[Any]] = [request, changed]
            await asyncio.wait(waits, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            changed.cancel()
        if request.done():
            return _answered(request)
        landed = self._landed(offer)
        request.add_done_callback(lambda late: self._late_answer(late, offer, "applied" if landed else "rejected"))
        if landed:  # a client that answers (VS Code) often sends didChange first: only ALE's kind is news
            if not _answers_apply_edit(self.ls):
                self.log("info", f"modelroute: {offer.label}: the editor applied the edit without answering "
                                 "workspace/applyEdit; its documents show every change, so it counts as applied")
            return OfferResult("applied")
        files = ", ".join(c.path for c in offer.changes.changes)
        return OfferResult("rejected", f"the editor neither applied nor answered the edit within {timeout:g} s "
                                       f"(run.apply_timeout_s), so it counts as not applied; check {files}",
                           by_user=False)  # silence is not the user's rejection: a cascade does not escalate on it

    def _apply_timeout(self) -> float:
        engine = self.query.state.engine
        return engine.settings.run.apply_timeout_s if engine is not None else DEFAULT_APPLY_TIMEOUT_S

    def _landed(self, offer: Offer) -> bool:
        """Every changed file reads, in the editor, as the change set's new text (a deleted file
        cannot be seen this way: only the client's answer settles that)."""
        root = self.query.state.root
        for change in offer.changes.changes:
            buffer = self.buffer(root / change.path) if change.new is not None else None
            if buffer is None or buffer.text != change.new:
                return False
        return True

    def _late_answer(self, late: asyncio.Future[types.ApplyWorkspaceEditResult], offer: Offer, settled: str) -> None:
        if late.cancelled():
            return
        status = _answered(late).status
        if status != settled:  # the run was settled the other way: the user must know what is on screen
            self.tell("warning", f"modelroute: {offer.label}: the editor answered '{status}' after the run "
                                f"was settled as '{settled}'; the ledger keeps '{settled}'")

    def workspace_edit(self, offer: Offer) -> types.WorkspaceEdit:
        """One WorkspaceEdit for the whole change set: versioned documentChanges (with CreateFile
        where supported), else plain `changes`. Only flagged changes carry an annotation that asks
        for confirmation (VS Code then shows them unticked, the rest ticked, and says why in the
        label); everything else applies when the user presses Apply. ValueError: the editor cannot
        take a change (the message says why)."""
        versioned, creates, deletes = _edit_caps(self.ls)
        flags = {f.path: f for f in offer.changes.flagged}
        annotated = versioned and bool(flags) and _annotations(self.ls)
        plain: dict[str, list[types.TextEdit]] = {}
        ops: list[types.TextDocumentEdit | types.CreateFile | types.RenameFile | types.DeleteFile] = []
        for change in offer.changes.changes:
            annotation = FLAGGED_ID if annotated and change.path in flags else None
            for uri, edits, version in self._edits(change, versioned, (creates, deletes), ops, annotation, offer):
                if not versioned:
                    plain.setdefault(uri, []).extend(edits)
                    continue
                ops.append(types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                    edits=[types.AnnotatedTextEdit(range=e.range, new_text=e.new_text, annotation_id=annotation)
                           if annotation else e for e in edits],
                ))
        if not versioned:
            return types.WorkspaceEdit(changes=plain)
        annotations = {FLAGGED_ID: _flag_annotation(list(flags.values()))} if annotated else None
        return types.WorkspaceEdit(document_changes=ops, change_annotations=annotations)

    def _edits(
        self, change: Change, versioned: bool, resources: tuple[bool, bool],
        ops: list[types.TextDocumentEdit | types.CreateFile | types.RenameFile | types.DeleteFile],
        annotation: str | None, offer: Offer,
    ) -> Iterator[tuple[str, list[types.TextEdit], int | None]]:
        creates, deletes = resources
        path = self.query.state.root / change.path
        uri = from_fs_path(str(path)) or path.as_uri()
        if not change.binary and change.kind == "deleted" and versioned and deletes:
            ops.append(types.DeleteFile(uri=uri, options=types.DeleteFileOptions(ignore_if_not_exists=True),
                                        annotation_id=annotation))
            return
        if change.binary or change.new is None:
            raise ValueError(f"{change.path}: this editor cannot take a {change.kind} "
                             f"{'binary ' if change.binary else ''}file through LSP; nothing was applied")
        if change.kind == "created":
            if not (versioned and creates):
                raise ValueError(f"this editor cannot create files through LSP ({change.path}); nothing was applied")
            ops.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True),
                                        annotation_id=annotation))
            yield uri, [types.TextEdit(range=types.Range(start=types.Position(line=0, character=0),
                                                         end=types.Position(line=0, character=0)),
                                       new_text=change.new)], None
            return
        document = self._document(change.path)
        if document is None:
            raise ValueError(f"{change.path} cannot be read any more; nothing was applied")
        read = offer.read_versions.get(change.path)
        for edit_uri, edits in document.text_edits(change.original or "", change.new).items():
            own = document.uri == self.query.uri
            version = document.edit_version(edit_uri) if own or not isinstance(read, int) else read
            yield edit_uri, edits, version

    async def review(self, review: Review) -> None:
        """Replace the previous review of each file touched (the action's document always: an empty
        review clears it)."""
        by_path: dict[str, list[Finding]] = {}
        for finding in review.findings:
            by_path.setdefault(finding.path, []).append(finding)
        by_uri: dict[str, list[types.Diagnostic]] = {self.query.uri: []}
        for rel, findings in by_path.items():
            document = self._document(rel)
            if document is None:
                continue
            for uri, diagnostics in document.review(findings, review.model).items():
                by_uri.setdefault(uri, []).extend(diagnostics)
        reviews = self.ls.session.reviews
        for uri, diagnostics in by_uri.items():
            reviews[uri] = diagnostics
            self.ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))


def _answered(request: asyncio.Future[types.ApplyWorkspaceEditResult]) -> OfferResult:
    """The client's answer to workspace/applyEdit as an offer's outcome (a failed request: nothing applied)."""
    if request.cancelled():
        return OfferResult("rejected", "the edit's request was cancelled; nothing was applied")
    exc = request.exception()
    answer = request.result() if exc is None else None
    if answer is not None and answer.applied:
        return OfferResult("applied")
    reason = str(exc) if exc is not None else (answer.failure_reason if answer is not None else None) or "rejected"
    return OfferResult("rejected", f"the editor did not apply the edit ({reason}); nothing was applied")


def _flag_annotation(flags: list[Flag]) -> types.ChangeAnnotation:
    reasons = "; ".join(f"{f.path}: {f.reason}" for f in flags)
    return types.ChangeAnnotation(
        label=f"Flagged by modelroute, not ticked: {reasons}"[:200], needs_confirmation=True,
        description="Review these changes; tick them to apply them with the rest (the rest is ticked).",
    )


def _edit_caps(ls: ModelrouteServer) -> tuple[bool, bool, bool]:
    """(documentChanges, CreateFile, DeleteFile) as the client advertises them."""
    ws = ls.client_capabilities.workspace
    we = ws.workspace_edit if ws else None
    versioned = bool(we and we.document_changes)
    operations = (we.resource_operations if we else None) or ()
    kinds = types.ResourceOperationKind
    return versioned, versioned and kinds.Create in operations, versioned and kinds.Delete in operations


def _answers_apply_edit(ls: ModelrouteServer) -> bool:
    """The client says it handles workspace/applyEdit (ALE applies one but says it does not)."""
    ws = ls.client_capabilities.workspace
    return bool(ws and ws.apply_edit)


def editor_buffer(query: DocumentQuery) -> Buffer | None:
    """The editor's buffer of a document, marked as a view when it is not the file's bytes (a
    notebook's cells joined): the run stages its edits in memory, not in the overlay."""
    buffer = query.buffer
    if buffer is None or query.brief is None:
        return buffer
    return replace(buffer, view=True)


def _annotations(ls: ModelrouteServer) -> bool:
    ws = ls.client_capabilities.workspace
    we = ws.workspace_edit if ws else None
    return bool(we and we.change_annotation_support is not None)


def clear_review(ls: ModelrouteServer, uri: str) -> int:
    cleared = len(ls.session.reviews.pop(uri, []))
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
    return cleared


def write_markdown(markdown: str, identity: str, folder: str = "explain") -> Path:
    """A stable file per identity (document, instruction, model) under the user cache directory."""
    where = platformdirs.user_cache_path("modelroute") / folder
    where.mkdir(parents=True, exist_ok=True)
    name = hashlib.blake2b(identity.encode(), digest_size=6).hexdigest()
    path = where / f"route-{name}.md"
    path.write_text(markdown, encoding="utf-8")
    return path


def supports_show_document(ls: ModelrouteServer) -> bool:
    window = ls.client_capabilities.window
    return bool(window and window.show_document and window.show_document.support)


__all__ = ["LspEditor", "clear_review", "editor_buffer", "supports_show_document", "write_markdown"]
