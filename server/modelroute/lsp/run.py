"""`modelroute.run`: run the picked model on an action and hand the result to the editor.

Order of a run: route -> plan (the picked model's prompt and estimate) -> ask when the estimate is
above `per_request_usd` -> reserve in the ledger (a refused run never reaches a provider) ->
cancellable progress with streamed text and the running cost -> the agent loop -> by result:
one versioned WorkspaceEdit (all or nothing), review diagnostics, or an answer document ->
settle the ledger and refresh the Engine's spend and calibration.

Nothing touches a file here: edits go through `workspace/applyEdit`, so a failed, cancelled or
stale run leaves every file as it was.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import from_fs_path

from modelroute.execute.outcome import (
    Outcome,
    answer_markdown,
    failure_outcome,
    fallback_for,
    fallback_offer,
    fallback_question,
    notes_suffix,
    output_cap,
    progress_text,
    run_summary,
    running_usd,
)
from modelroute.lsp.commands import (
    REQUEST_FAILED,
    ActionArgs,
    _routed,
    _supports_show_document,
    _target,
    write_markdown,
)
from modelroute.lsp.format import format_usd
from modelroute.lsp.progress import ProgressHandle, work_done
from modelroute.lsp.server import ModelrouteServer, Target
from modelroute.lsp.state import WorkspaceState

if TYPE_CHECKING:
    from modelroute.execute.agent import Finding, RunCommand, RunResult
    from modelroute.execute.edits import FileChange, TextChange
    from modelroute.ledger import LedgerStore, Reservation
    from modelroute.pipeline import Engine, Routed, RunPlan
    from modelroute.policy.schema import PrivacySettings
    from modelroute.prompt.model import PromptRequest
    from modelroute.providers import ProviderError

log = logging.getLogger(__name__)

REVIEW_SOURCE = "modelroute review"
STALE = "the file changed while the model was working; nothing was applied"
PROGRESS_EVERY_S = 0.25  # at most four $/progress reports a second
CANCEL_POLL_S = 0.05
MAX_READ_BYTES = 2_000_000
ANNOTATION_ID = "modelroute"
SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}


# -- per-server session: the ledger, runs in progress, published reviews ------------------------
@dataclass
class Session:
    ledger: LedgerStore | None = None
    active: dict[int, asyncio.Event] = field(default_factory=dict)  # run serial -> its cancel event
    reviews: dict[str, list[types.Diagnostic]] = field(default_factory=dict)  # uri -> review diagnostics
    serial: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


_SESSIONS: weakref.WeakKeyDictionary[ModelrouteServer, Session] = weakref.WeakKeyDictionary()


def session(ls: ModelrouteServer) -> Session:
    found = _SESSIONS.get(ls)
    if found is None:
        found = _SESSIONS[ls] = Session()
    return found


async def open_ledger(ls: ModelrouteServer) -> LedgerStore:
    """The server's ledger, opened once (off the event loop: opening may migrate the schema): the
    one `[ledger] url` names (user file or client; a workspace file cannot set it), else SQLite."""
    s = session(ls)
    async with s.lock:
        if s.ledger is None:
            from modelroute.ledger import open_ledger as open_store

            engines = [state.engine for state in ls.registry.all() if state.engine is not None]
            settings = engines[0].settings if engines else None
            s.ledger = await asyncio.to_thread(open_store, settings)
        return s.ledger


async def refresh_spend(ls: ModelrouteServer) -> None:
    """Feed every Engine today's and this month's spend and the ledger's calibration (one ledger
    for all workspaces); cached decisions are dropped since both move estimates and eligibility."""
    from modelroute.ledger import LedgerError
    from modelroute.route import Spend

    def read() -> tuple[float, float, Any]:
        return ledger.spent("day"), ledger.spent("month"), ledger.calibration()

    try:
        ledger = await open_ledger(ls)
        today, month, calibration = await asyncio.to_thread(read)
    except LedgerError as exc:  # the shared database is away: keep the last known figures
        log.warning("ledger unreadable, spend not refreshed: %s", exc)
        return
    for state in ls.registry.all():
        engine = state.engine
        if engine is not None:
            engine.spend = Spend(today_usd=today, month_usd=month)
            engine.calibration = calibration
            state.invalidate()


# -- reading files for the model -----------------------------------------------------------
class WorkspaceReader:
    """The agent's `read`: the editor's buffer when open, else the disk. Symlinks are resolved and
    the resolved path must stay in the workspace and out of privacy.exclude (and local_only for a
    remote model), so a link cannot smuggle a withheld file out. Records the document version each
    file was read at, for the stale check before applying."""

    def __init__(self, ls: ModelrouteServer, root: Path, privacy: PrivacySettings, model_is_local: bool) -> None:
        self.ls = ls
        self.root = root.resolve()
        self.privacy = privacy
        self.model_is_local = model_is_local
        self.versions: dict[str, int | None] = {}  # rel -> version when first read (None: from disk)
        self.uris: dict[str, str] = {}  # rel -> the URI the editor knows it by

    def pin(self, rel: str, uri: str, version: int | None) -> None:
        """The target document: its version is the one captured when the command started."""
        self.versions[rel] = version
        self.uris[rel] = uri

    def resolve(self, rel: str) -> Path:
        from modelroute.execute.edits import EditRejected
        from modelroute.prompt.privacy import matches

        path = (self.root / rel).resolve()
        try:
            inside = path.relative_to(self.root).as_posix()
        except ValueError:
            raise EditRejected(f"{rel} resolves outside the workspace") from None
        if matches(inside, self.privacy.exclude) or matches(rel, self.privacy.exclude):
            raise EditRejected(f"{rel} is withheld by the user's privacy settings (privacy.exclude)")
        if not self.model_is_local and matches(inside, self.privacy.local_only):
            raise EditRejected(f"{rel} may only be sent to local models (privacy.local_only)")
        return path

    def uri(self, rel: str) -> str:
        if rel in self.uris:
            return self.uris[rel]
        path = self.root / rel
        names: list[str | None] = [from_fs_path(str(path)), from_fs_path(str(path.resolve()))]
        for name in names:
            if name and name in self.ls.workspace.text_documents:
                return name
        return names[0] or path.as_uri()

    def __call__(self, rel: str) -> str | None:
        from modelroute.execute.edits import EditRejected

        path = self.resolve(rel)
        uri = self.uri(rel)
        doc = self.ls.workspace.text_documents.get(uri)
        self.uris.setdefault(rel, uri)
        if doc is not None:
            self.versions.setdefault(rel, doc.version)
            source: str = doc.source
            return source
        self.versions.setdefault(rel, None)
        if not path.exists():
            return None
        if not path.is_file():
            raise EditRejected(f"{rel} is not a file")
        if path.stat().st_size > MAX_READ_BYTES:
            raise EditRejected(f"{rel} is larger than {MAX_READ_BYTES // 1_000_000} MB")
        return path.read_text(encoding="utf-8", errors="replace")

    def stale(self, changes: list[FileChange]) -> str | None:
        """Why applying `changes` now would be wrong (a file moved on since it was read), or None."""
        for change in changes:
            uri = self.uri(change.path)
            doc = self.ls.workspace.text_documents.get(uri)
            seen = self.versions.get(change.path)
            now = doc.version if doc is not None else None
            if seen != now:
                return f"{change.path}: {STALE}"
            if doc is None:
                path = self.root / change.path
                on_disk = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
                if on_disk != change.original:
                    return f"{change.path}: {STALE}"
        return None

    def lines(self, rel: str) -> list[str]:
        try:
            text = self(rel)
        except Exception:  # a finding on a withheld or missing file keeps its line numbers
            return []
        return (text or "").splitlines()


# -- building the results ----------------------------------------------------------------------
def edit_caps(ls: ModelrouteServer) -> tuple[bool, bool, bool]:
    """(documentChanges, CreateFile, change annotations) as the client advertises them."""
    ws = ls.client_capabilities.workspace
    we = ws.workspace_edit if ws else None
    versioned = bool(we and we.document_changes)
    operations = (we.resource_operations if we else None) or ()
    creates = versioned and types.ResourceOperationKind.Create in operations
    annotated = versioned and bool(we and we.change_annotation_support is not None)
    return versioned, creates, annotated


def build_workspace_edit(
    ls: ModelrouteServer, reader: WorkspaceReader, changes: list[FileChange], label: str, description: str
) -> types.WorkspaceEdit:
    """One WorkspaceEdit for every change: versioned documentChanges (with CreateFile and change
    annotations where supported), else plain `changes`. Raises ValueError when the client cannot
    take a change (a new file without resourceOperations.create)."""
    versioned, creates, annotated = edit_caps(ls)
    annotation = ANNOTATION_ID if annotated else None
    if not versioned:
        plain: dict[str, list[types.TextEdit]] = {}
        for change in changes:
            if change.original is None:
                raise ValueError(f"this editor cannot create files through LSP ({change.path}); nothing was applied")
            plain[reader.uri(change.path)] = [_plain_edit(c) for c in change.text_changes()]
        return types.WorkspaceEdit(changes=plain)
    ops: list[types.TextDocumentEdit | types.CreateFile | types.RenameFile | types.DeleteFile] = []
    for change in changes:
        uri = reader.uri(change.path)
        if change.original is None:
            if not creates:
                raise ValueError(f"this editor cannot create files through LSP ({change.path}); nothing was applied")
            ops.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True),
                                        annotation_id=annotation))
            version = None
        else:
            version = reader.versions.get(change.path)
        ops.append(types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
            edits=[_text_edit(c, annotation) for c in change.text_changes()],
        ))
    annotations = (
        {ANNOTATION_ID: types.ChangeAnnotation(label=label, needs_confirmation=True, description=description)}
        if annotated else None
    )
    return types.WorkspaceEdit(document_changes=ops, change_annotations=annotations)


def _range(change: TextChange) -> types.Range:
    return types.Range(
        start=types.Position(line=change.start_line, character=change.start_character),
        end=types.Position(line=change.end_line, character=change.end_character),
    )


def _plain_edit(change: TextChange) -> types.TextEdit:
    return types.TextEdit(range=_range(change), new_text=change.text)


def _text_edit(change: TextChange, annotation: str | None) -> types.TextEdit | types.AnnotatedTextEdit:
    if annotation is not None:
        return types.AnnotatedTextEdit(range=_range(change), new_text=change.text, annotation_id=annotation)
    return _plain_edit(change)


def review_diagnostics(
    findings: list[Finding], reader: WorkspaceReader, model_id: str
) -> dict[str, list[types.Diagnostic]]:
    """Findings as diagnostics per URI, on the reviewed lines (UTF-16 line ends)."""
    out: dict[str, list[types.Diagnostic]] = {}
    lines_of: dict[str, list[str]] = {}
    for f in findings:
        lines = lines_of.setdefault(f.path, reader.lines(f.path))
        last = max(len(lines) - 1, 0)
        start = min(f.line - 1, last)
        end = min(max(f.end_line - 1, start), last)
        width = len(lines[end].encode("utf-16-le")) // 2 if lines else 0
        out.setdefault(reader.uri(f.path), []).append(types.Diagnostic(
            range=types.Range(start=types.Position(line=start, character=0),
                              end=types.Position(line=end, character=width)),
            message=f.message or "(no message)",
            severity=SEVERITY[f.severity],
            source=REVIEW_SOURCE,
            code=model_id,
        ))
    return out


def publish_review(ls: ModelrouteServer, by_uri: dict[str, list[types.Diagnostic]], target_uri: str) -> None:
    """Replace the previous review of each file touched (the target always: an empty review clears)."""
    reviews = session(ls).reviews
    by_uri.setdefault(target_uri, [])
    for uri, diagnostics in by_uri.items():
        reviews[uri] = diagnostics
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))


def clear_review(ls: ModelrouteServer, uri: str) -> int:
    cleared = len(session(ls).reviews.pop(uri, []))
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
    return cleared


# -- what a run works on ------------------------------------------------------------------------
class RunSubject(Protocol):
    """The document-specific part of a run: where the model reads the action's document, how its
    findings and edits go back to the editor. The flow (plan, budget, progress, agent, ledger,
    faults, answers) is the same for every subject; notebooks bring their own (lsp/notebooks.py)."""

    @property
    def state(self) -> WorkspaceState: ...

    @property
    def rel(self) -> str: ...  # workspace-relative path of the action's document

    @property
    def uri(self) -> str: ...  # the URI the action named: its review is replaced, its answer keyed

    def reader(self, ls: ModelrouteServer, root: Path, privacy: PrivacySettings, model_is_local: bool
               ) -> WorkspaceReader: ...

    def prompt(self, prompt: PromptRequest) -> PromptRequest: ...

    def review(self, findings: list[Finding], reader: WorkspaceReader, model_id: str
               ) -> dict[str, list[types.Diagnostic]]: ...

    def edit(self, ls: ModelrouteServer, reader: WorkspaceReader, changes: list[FileChange], label: str,
             description: str) -> types.WorkspaceEdit: ...  # ValueError: cannot be applied (the message says why)


@dataclass(frozen=True)
class FileSubject:
    """A text document (open or on disk), at the version it had when the command arrived."""

    target: Target
    version: int | None

    @property
    def state(self) -> WorkspaceState:
        return self.target.state

    @property
    def rel(self) -> str:
        return self.target.rel

    @property
    def uri(self) -> str:
        return self.target.doc.uri

    def reader(self, ls: ModelrouteServer, root: Path, privacy: PrivacySettings, model_is_local: bool
               ) -> WorkspaceReader:
        reader = WorkspaceReader(ls, root, privacy, model_is_local)
        reader.pin(self.rel, self.uri, self.version)
        return reader

    def prompt(self, prompt: PromptRequest) -> PromptRequest:
        return prompt

    def review(self, findings: list[Finding], reader: WorkspaceReader, model_id: str
               ) -> dict[str, list[types.Diagnostic]]:
        return review_diagnostics(findings, reader, model_id)

    def edit(self, ls: ModelrouteServer, reader: WorkspaceReader, changes: list[FileChange], label: str,
             description: str) -> types.WorkspaceEdit:
        return build_workspace_edit(ls, reader, changes, label, description)


# -- the run ----------------------------------------------------------------------------------
class RunTicker:
    """Streams text deltas and the running cost into $/progress, throttled."""

    def __init__(self, bar: ProgressHandle, plan: RunPlan) -> None:
        self.bar = bar
        self.plan = plan
        self.chars = 0
        self.tail = ""
        self.last = 0.0

    def __call__(self, delta: str) -> None:
        self.chars += len(delta)
        self.tail = (self.tail + delta)[-60:]
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY_S:
            self.last = now
            self.bar.report(self.message())

    def message(self) -> str:
        tier = self.plan.model.price.tier_for(self.plan.estimate.tokens.input)
        return progress_text(running_usd(self.plan.estimate.input_usd, tier.output_mtok, self.chars), self.tail)


async def _ask(ls: ModelrouteServer, kind: types.MessageType, message: str, yes: str, timeout_s: float) -> bool:
    from modelroute.lsp.asking import ask

    picked = await ask(ls, types.ShowMessageRequestParams(
        type=kind, message=message,
        actions=[types.MessageActionItem(title=yes), types.MessageActionItem(title="Cancel")],
    ), timeout_s)
    return picked == yes  # no answer, a failure or Cancel: do not spend money on a guess


def _say(ls: ModelrouteServer, kind: types.MessageType, message: str) -> None:
    ls.window_show_message(types.ShowMessageParams(type=kind, message=message))


def _command_runner(ls: ModelrouteServer, engine: Engine, display: str) -> RunCommand | None:
    """The approval layer's runner when it is installed; without it the agent declines commands."""
    try:
        from modelroute.lsp.approval import command_runner
    except ImportError:
        return None
    try:
        runner: RunCommand = command_runner(ls, engine.root, engine.settings, display)
    except Exception as exc:  # a broken approval layer must not take runs down with it
        log.error("command runner unavailable: %s", exc)
        return None
    return runner


def register(server: ModelrouteServer) -> None:
    @server.command("modelroute.run")
    async def run(ls: ModelrouteServer, args: ActionArgs) -> dict[str, Any]:
        target = _target(ls, args)
        opened = ls.workspace.text_documents.get(target.doc.uri)
        version = opened.version if opened is not None else None  # before anything awaits
        try:
            routed = await _routed(ls, target, args)
        except JsonRpcException as exc:  # no model fits (a budget, a privacy rule): say so, call nobody
            _say(ls, types.MessageType.Error, f"modelroute: cannot run: {exc.message}")
            raise
        subject = FileSubject(target, version)
        return await run_routed(ls, subject, routed, args, args.model or routed.decision.model, set())


async def run_routed(
    ls: ModelrouteServer, subject: RunSubject, routed: Routed, args: ActionArgs, model_id: str, tried: set[str],
) -> dict[str, Any]:
    """Run `model_id` on a routed action; on a transient provider failure offer the next model."""
    from modelroute.pipeline import RunUnavailable

    engine = await subject.state.ready()
    try:
        plan = await asyncio.to_thread(engine.prepare_run, routed, model_id)
    except RunUnavailable as exc:
        _say(ls, types.MessageType.Error, f"modelroute: {exc}")
        raise JsonRpcException(message=str(exc), code=REQUEST_FAILED) from exc
    tried.add(plan.model.id)
    summary, error = await _execute(ls, subject, engine, plan, args)
    if error is None or not error.transient:
        return summary
    alternative = fallback_for(routed.decision.candidates, tried)
    if alternative is None:
        return summary
    offer = fallback_offer(alternative)
    question = fallback_question(plan.model.display_name, error.provider or plan.model.provider, error.kind, offer)
    if not await _ask(ls, types.MessageType.Warning, question, offer, engine.settings.approval.timeout_s):
        return summary
    retried = await run_routed(ls, subject, routed, args, alternative.model, tried)
    retried["fallback_from"] = summary
    return retried


async def _execute(
    ls: ModelrouteServer, subject: RunSubject, engine: Engine, plan: RunPlan, args: ActionArgs
) -> tuple[dict[str, Any], ProviderError | None]:
    from modelroute.ledger import BudgetExceeded, LedgerError, RunStart, needs_confirmation
    from modelroute.providers import ProviderError, client_for

    settings = engine.settings
    model = plan.model
    base: dict[str, Any] = {"model": model.id, "category": plan.category.value,
                            "estimated_usd": round(plan.estimate.usd, 6)}
    question = needs_confirmation(plan.estimate, settings.budget)
    if question is not None and not await _ask(
        ls, types.MessageType.Warning, f"{model.display_name}: {question}", f"Run ({format_usd(plan.estimate.usd)})",
        settings.approval.timeout_s,
    ):
        return {**base, "outcome": "declined", "message": "not run: the user declined the estimate"}, None
    try:
        client = client_for(model, plan.provider, engine.env)
    except ProviderError as exc:
        _say(ls, types.MessageType.Error, f"modelroute: {exc}")
        return {**base, "outcome": "error", "message": str(exc), "error_kind": exc.kind}, None
    try:
        ledger = await open_ledger(ls)
    except LedgerError as exc:  # no run starts without a reservation
        _say(ls, types.MessageType.Error, f"modelroute: {exc}")
        return {**base, "outcome": "error", "message": str(exc), "error_kind": "ledger"}, None
    start = RunStart(workspace=str(engine.root), category=plan.category, model=model.id, provider=model.provider,
                     estimate=plan.estimate, prior_output_tokens=plan.prior_output_tokens)
    try:
        reservation = await asyncio.to_thread(ledger.reserve, start, settings.budget)
    except BudgetExceeded as exc:
        _say(ls, types.MessageType.Error, f"modelroute: {exc}")
        await refresh_spend(ls)
        return {**base, "outcome": "refused_budget", "message": str(exc), "run_id": exc.run_id}, None
    except LedgerError as exc:  # the database went away: no run starts without a reservation
        _say(ls, types.MessageType.Error, f"modelroute: {exc}")
        return {**base, "outcome": "error", "message": str(exc), "error_kind": "ledger"}, None
    base["run_id"] = reservation.run_id
    started = time.monotonic()
    s = session(ls)
    s.serial += 1
    serial = s.serial
    cancel = s.active[serial] = asyncio.Event()
    try:
        return await _supervised(ls, subject, engine, plan, args, client, ledger, reservation,
                                 cancel, base, started)
    finally:
        s.active.pop(serial, None)
        await refresh_spend(ls)


async def _supervised(
    ls: ModelrouteServer, subject: RunSubject, engine: Engine, plan: RunPlan, args: ActionArgs,
    client: Any, ledger: LedgerStore, reservation: Reservation, cancel: asyncio.Event, base: dict[str, Any],
    started: float,
) -> tuple[dict[str, Any], ProviderError | None]:
    from modelroute.execute.agent import RunLimits, run_agent
    from modelroute.ledger import output_token_limit
    from modelroute.providers import ProviderError

    model = plan.model
    settings = engine.settings
    reader = subject.reader(ls, engine.root, settings.privacy, model.local)
    tier = model.price.tier_for(plan.estimate.tokens.input)
    limit = output_token_limit(reservation.reserved_usd, plan.estimate.input_usd, tier.output_mtok)
    limits = RunLimits(max_turns=settings.run.max_turns, budget_usd=reservation.reserved_usd,
                       max_output_tokens=output_cap(model.max_output_tokens, limit))

    def latency() -> int:
        return int((time.monotonic() - started) * 1000)

    title = f"modelroute: {plan.category.verb} with {model.display_name}"
    async with work_done(ls, title, cancellable=True, message=f"estimated {format_usd(plan.estimate.usd)}") as bar:
        watcher = asyncio.ensure_future(_watch(bar, cancel))
        ticker = RunTicker(bar, plan)
        try:
            result = await run_agent(client, subject.prompt(plan.prompt), model, privacy=settings.privacy, read=reader,
                                     limits=limits, run_command=_command_runner(ls, engine, model.display_name),
                                     on_text=ticker, cancel=cancel)
        except ProviderError as exc:
            outcome = failure_outcome(exc.kind, cancel.is_set())
            await _record(ls, ledger.abandon, reservation, outcome, str(exc), latency_ms=latency(),
                                    usage=exc.spent_usage, actual_usd=exc.spent_usd)
            if outcome == "cancelled":
                _say(ls, types.MessageType.Info, f"modelroute: run cancelled; nothing was changed ({model.id})")
                return {**base, "outcome": "cancelled", "message": "cancelled; nothing was changed"}, None
            kind = f"{exc.provider or model.provider}: {exc.kind}"
            _say(ls, types.MessageType.Error, f"modelroute: {model.display_name} failed ({kind}); nothing was "
                 f"applied. {exc}")
            return {**base, "outcome": "error", "message": str(exc), "error_kind": exc.kind}, exc
        except asyncio.CancelledError:  # the client cancelled the executeCommand request itself
            await _record(ls, ledger.abandon, reservation, "cancelled", "request cancelled", latency_ms=latency())
            raise
        except Exception as exc:  # a bug must not leave a reservation pending or kill the server
            log.exception("run failed")
            await _record(ls, ledger.abandon, reservation, "error", f"internal: {exc}", latency_ms=latency())
            _say(ls, types.MessageType.Error, f"modelroute: the run failed: {exc}; nothing was applied")
            return {**base, "outcome": "error", "message": str(exc), "error_kind": "internal"}, None
        finally:
            watcher.cancel()
        if cancel.is_set():
            done = Outcome("cancelled", "cancelled; nothing was changed")
            _say(ls, types.MessageType.Info, f"modelroute: run cancelled; nothing was changed ({model.display_name})")
        else:
            bar.report(f"{format_usd(result.cost_usd)} · applying")
            done = await _deliver(ls, subject, plan, args, reader, result)
    await _record(ls, ledger.settle, reservation, result.usage, result.cost_usd, done.outcome, latency())
    return run_summary(base, done, result, latency()), None


async def _record(ls: ModelrouteServer, finish: Any, reservation: Reservation, *args: Any, **kwargs: Any) -> None:
    """Settle or abandon a run in the ledger. If the ledger's database went away during the run,
    say so: the store keeps the settlement and writes it when the database is back."""
    from modelroute.ledger import LedgerError

    try:
        await asyncio.to_thread(finish, reservation, *args, **kwargs)
    except LedgerError as exc:
        _say(ls, types.MessageType.Warning, f"modelroute: the run's cost could not be recorded yet ({exc}); it "
             f"is written when the ledger is back, and counts at its reservation of "
             f"{format_usd(reservation.reserved_usd)} until then")


async def _watch(bar: ProgressHandle, cancel: asyncio.Event) -> None:
    """Turn the progress bar's Cancel button into the run's cancel event."""
    while not cancel.is_set():
        if bar.cancelled:
            cancel.set()
            return
        await asyncio.sleep(CANCEL_POLL_S)


async def _deliver(
    ls: ModelrouteServer, subject: RunSubject, plan: RunPlan, args: ActionArgs, reader: WorkspaceReader,
    result: RunResult,
) -> Outcome:
    notes = notes_suffix(result.notes)
    if result.changes:
        return await _apply(ls, subject, plan, args, reader, result.changes, result, notes)
    if result.findings or plan.category.value == "code_review":
        diagnostics = subject.review(result.findings, reader, plan.model.id)
        publish_review(ls, diagnostics, subject.uri)
        count = len(result.findings)
        _say(ls, types.MessageType.Info, f"modelroute: {plan.model.display_name} reviewed {subject.rel}: "
             f"{count} finding(s), {format_usd(result.cost_usd)}{notes}")
        return Outcome("reviewed", f"{count} finding(s)", findings=count)
    markdown = answer_markdown(plan, args.instruction, result)
    uri = write_markdown(markdown, f"run|{subject.uri}|{args.instruction}|{plan.model.id}").as_uri()
    shown = False
    if _supports_show_document(ls):
        try:
            answer = await ls.window_show_document_async(types.ShowDocumentParams(uri=uri, take_focus=True))
            shown = bool(answer and answer.success)
        except Exception as exc:
            log.info("showDocument failed: %s", exc)
    if not shown:
        _say(ls, types.MessageType.Info, markdown)
    return Outcome("answered", "answer shown" if shown else "answer sent as a message", shown_document=uri)


async def _apply(
    ls: ModelrouteServer, subject: RunSubject, plan: RunPlan, args: ActionArgs, reader: WorkspaceReader,
    changes: list[FileChange], result: RunResult, notes: str,
) -> Outcome:
    files = [c.path for c in changes]
    why = reader.stale(changes)
    if why is None:
        label = f"{plan.model.display_name}: {args.instruction or plan.category.words}"[:120]
        try:
            described = f"{len(changes)} file(s), {format_usd(result.cost_usd)}"
            edit = subject.edit(ls, reader, changes, label, described)
        except ValueError as exc:
            why = str(exc)
        else:
            try:
                applied = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label=label))
            except Exception as exc:  # the client failed the request: nothing was applied
                applied = types.ApplyWorkspaceEditResult(applied=False, failure_reason=str(exc))
            if applied.applied:
                _say(ls, types.MessageType.Info, f"modelroute: {plan.model.display_name} edited {', '.join(files)} "
                     f"({format_usd(result.cost_usd)}){notes}")
                return Outcome("applied", f"edited {len(files)} file(s)", files=files)
            why = reader.stale(changes) or (
                f"the editor did not apply the edit ({applied.failure_reason or 'rejected'}); nothing was applied"
            )
    _say(ls, types.MessageType.Warning, f"modelroute: {why}. The run cost {format_usd(result.cost_usd)}.")
    return Outcome("rejected", why, files=files)


# Handy for tests and the spend commands.
def active_runs(ls: ModelrouteServer) -> list[asyncio.Event]:
    return list(session(ls).active.values())


def cancel_all(ls: ModelrouteServer) -> int:
    events = active_runs(ls)
    for event in events:
        event.set()
    return len(events)


__all__: list[str] = [
    "ANNOTATION_ID",
    "REVIEW_SOURCE",
    "STALE",
    "FileSubject",
    "RunSubject",
    "WorkspaceReader",
    "build_workspace_edit",
    "cancel_all",
    "clear_review",
    "edit_caps",
    "open_ledger",
    "refresh_spend",
    "register",
    "review_diagnostics",
    "run_routed",
    "session",
]
