"""The ACP agent: sessions, config options, prompts, cancel. A thin adapter: each prompt is gathered,
classified and routed by the engine (as `modelroute route` does), shown with its price, and run by
the run core (`run.flow.run_action`) with an `AcpEditor`; nothing here decides or runs a model.

A turn: read the prompt (instruction, files) -> re-read the settings (broken ones stop the turn
with file, line and key: nothing runs on settings the user did not mean) -> decide -> the model
option now lists the routed model first and the alternatives priced -> the route in the chat and
as the first plan entry -> in mode "choose", the priced buttons (`session/request_permission`) ->
the run core -> a usage update with the session's cost -> the turn's stop reason with its tokens.

Bad input (an unknown session, an invalid option value, a folder that is not one) is a JSON-RPC
error that says what is wrong; a failure inside a turn is told in the chat and the agent serves on.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acp import PROTOCOL_VERSION, RequestError, start_tool_call, text_block, tool_content, update_tool_call
from acp.schema import (
    AgentCapabilities,
    AuthenticateResponse,
    ClientCapabilities,
    ConfigOptionUpdate,
    Cost,
    Implementation,
    InitializeResponse,
    ListSessionsResponse,
    NewSessionResponse,
    PromptCapabilities,
    PromptResponse,
    SessionConfigOptionSelect,
    SessionInfo,
    SetSessionConfigOptionResponse,
    SetSessionModeResponse,
    ToolCallUpdate,
    Usage,
    UsageUpdate,
)

from modelroute.acp import choices as offer
from modelroute.acp.choices import chat_safe
from modelroute.acp.editor import AcpEditor, Turn, next_id
from modelroute.acp.prompt import Ask, Mention, read_prompt
from modelroute.route.format import money

if TYPE_CHECKING:
    from acp.interfaces import Client

    from modelroute.pipeline import Engine, Routed
    from modelroute.run.flow import RunReport, RunSession
    from modelroute.strategy.model import StrategyPlan

log = logging.getLogger(__name__)

CHAT_DOCUMENT = "(chat)"  # the action's document when a prompt names no file
CHAT_BRIEF = ("This request comes from a chat and names no file: the empty document above stands for the chat. "
              "Read workspace files with read_file when the request needs them.")
NOTHING_ASKED = ("Say what you want done: modelroute routes it to the best-fit model and shows the estimated cost "
                 "before it runs. Mention a file (or attach a notebook) to work on it; a file's `AI!` or `AI?` "
                 "comment says what to do when the message holds only the file.")
CHOICE_TIMEOUT_S = 24 * 3600.0  # the priced choice waits for the user; cancelling the turn ends the wait


@dataclass(frozen=True)
class Picked:
    """What a turn runs: one model, or the session's strategy as it was priced (its own models)."""

    model: str | None
    strategy: StrategyPlan | None = None


@dataclass
class Session:
    id: str
    root: Path
    engine: Engine
    mode: offer.Mode = "choose"
    pinned: str | None = None
    strategy: str = offer.AUTO  # the policy's choice, as the language server's default action
    decision: Any = None  # the last request's Decision
    cost_usd: float = 0.0  # what this session's runs cost, actual
    tokens: dict[str, int] = field(default_factory=lambda: {"input": 0, "output": 0, "reasoning": 0,
                                                            "cache_read": 0, "cache_write": 0})
    turn: Turn | None = None


class ModelrouteAgent:
    """The `acp.Agent` of `modelroute acp`."""

    def __init__(self, runs: RunSession | None = None) -> None:
        self.client: Client | None = None
        self.client_caps = ClientCapabilities()
        self.sessions: dict[str, Session] = {}
        self._engines: dict[Path, Engine] = {}
        self._runs = runs

    def on_connect(self, conn: Client) -> None:
        self.client = conn

    @property
    def runs(self) -> RunSession:
        if self._runs is None:
            from modelroute.run.flow import RunSession

            self._runs = RunSession()
        return self._runs

    # -- lifecycle ----------------------------------------------------------------------
    async def initialize(self, protocol_version: int, client_capabilities: ClientCapabilities | None = None,
                         client_info: Implementation | None = None, **kwargs: Any) -> InitializeResponse:
        from modelroute import __version__

        self.client_caps = client_capabilities or ClientCapabilities()
        return InitializeResponse(
            protocol_version=PROTOCOL_VERSION,
            agent_capabilities=AgentCapabilities(
                load_session=False, prompt_capabilities=PromptCapabilities(embedded_context=True, image=False,
                                                                           audio=False)),
            agent_info=Implementation(name="modelroute", title="modelroute", version=__version__),
            auth_methods=[],
        )

    async def authenticate(self, method_id: str, **kwargs: Any) -> AuthenticateResponse:
        return AuthenticateResponse()  # keys come from the environment; nothing to sign in to

    async def new_session(self, cwd: str, mcp_servers: list[Any] | None = None, **kwargs: Any) -> NewSessionResponse:
        root = Path(cwd)
        if not root.is_absolute() or not root.is_dir():
            raise RequestError.invalid_params({"cwd": f"not an existing folder given by an absolute path: {cwd}"})
        engine = await self._engine(root.resolve())
        session = Session(id=uuid.uuid4().hex, root=engine.root, engine=engine)
        self.sessions[session.id] = session
        if mcp_servers:
            log.info("session %s: %d MCP server(s) offered; modelroute uses none", session.id, len(mcp_servers))
        return NewSessionResponse(session_id=session.id, config_options=self.options(session))

    async def list_sessions(self, cwd: str | None = None, cursor: str | None = None, **kwargs: Any
                            ) -> ListSessionsResponse:
        found = [SessionInfo(session_id=s.id, cwd=str(s.root)) for s in self.sessions.values()
                 if cwd is None or Path(cwd).resolve() == s.root]
        return ListSessionsResponse(sessions=found)

    async def _engine(self, root: Path) -> Engine:
        engine = self._engines.get(root)
        if engine is None:
            from modelroute.pipeline import Engine

            engine = Engine(root)
            await asyncio.to_thread(engine.build_index)
            self._engines[root] = engine
        return engine

    def session(self, session_id: str) -> Session:
        found = self.sessions.get(session_id)
        if found is None:
            raise RequestError.invalid_params({"sessionId": f"no such session: {session_id}"})
        return found

    # -- config options -------------------------------------------------------------------
    def options(self, session: Session) -> list[SessionConfigOptionSelect]:
        from modelroute.run.flow import BUILT_STRATEGIES

        found = [offer.model_option(session.decision, session.pinned, self._pinned_name(session)),
                 offer.mode_option(session.mode)]
        strategy = offer.strategy_option((offer.AUTO, *BUILT_STRATEGIES), session.strategy)
        return [*found, strategy] if strategy is not None else found

    def _pinned_name(self, session: Session) -> list[tuple[str, str]]:
        if session.pinned is None:
            return []
        entry = session.engine.catalog.get(session.pinned)
        return [(session.pinned, entry.display_name if entry is not None else session.pinned)]

    async def set_config_option(self, config_id: str, session_id: str, value: str | bool, **kwargs: Any
                                ) -> SetSessionConfigOptionResponse:
        session = self.session(session_id)
        if not isinstance(value, str):
            raise RequestError.invalid_params({"value": f"{config_id} takes one of its listed values, not {value!r}"})
        if config_id == offer.MODEL_ID:
            session.pinned = None if value == offer.AUTO else self._model(session, value)
        elif config_id == offer.MODE_ID:
            session.mode = _one_of(value, tuple(offer.MODES), config_id)  # type: ignore[assignment]
        elif config_id == offer.STRATEGY_ID:
            from modelroute.run.flow import BUILT_STRATEGIES

            session.strategy = _one_of(value, (offer.AUTO, *BUILT_STRATEGIES), config_id)
        else:
            known = ", ".join(o.id for o in self.options(session))
            raise RequestError.invalid_params({"configId": f"no option {config_id!r}; options: {known}"})
        return SetSessionConfigOptionResponse(config_options=self.options(session))

    async def set_session_mode(self, mode_id: str, session_id: str, **kwargs: Any) -> SetSessionModeResponse:
        """The mode option by the older session-mode method, for clients that use it."""
        session = self.session(session_id)
        session.mode = _one_of(mode_id, tuple(offer.MODES), "modeId")  # type: ignore[assignment]
        return SetSessionModeResponse()

    def _model(self, session: Session, value: str) -> str:
        if session.engine.catalog.get(value) is None:
            raise RequestError.invalid_params({"value": f"{value!r} is not a model in this workspace's catalog"})
        return value

    # -- a turn ---------------------------------------------------------------------------
    async def cancel(self, session_id: str, **kwargs: Any) -> None:
        session = self.sessions.get(session_id)
        if session is not None and session.turn is not None:
            session.turn.cancel.set()

    async def prompt(self, prompt: list[Any], session_id: str, **kwargs: Any) -> PromptResponse:
        session = self.session(session_id)
        if session.turn is not None:
            raise RequestError.invalid_request({"sessionId": "a prompt is already running in this session; "
                                                             "cancel it or wait for it to end"})
        assert self.client is not None, "on_connect gives the agent its client"
        turn = session.turn = Turn(root=session.root, writes_files=bool(self.client_caps.fs and
                                                                          self.client_caps.fs.write_text_file))
        editor = AcpEditor(self.client, session.id, turn)
        try:
            await self._turn(session, editor, read_prompt(prompt, session.root))
        except Exception as exc:  # told in the chat; the agent keeps serving
            log.exception("prompt failed")
            editor.tell("error", f"modelroute: this request failed inside the agent: {exc}; nothing was applied")
        finally:
            session.turn = None
            await editor.flush()
        return PromptResponse(stop_reason="cancelled" if turn.cancelled else "end_turn", usage=_usage(session))

    async def _turn(self, session: Session, editor: AcpEditor, ask: Ask) -> None:
        for note in ask.ignored:
            editor.tell("info", f"not read: {note}")
        if not ask.instruction and ask.document is None:
            editor.say(NOTHING_ASKED)
            return
        engine = session.engine
        resolved = await asyncio.to_thread(engine.reload_settings)
        if resolved.errors:
            errors = "\n".join(e.format() for e in resolved.errors)
            editor.say(f"Your modelroute settings have errors, so nothing runs until they are fixed:\n\n"
                       f"```\n{errors}\n```\n")
            return
        routed = await self._decide(session, editor, ask)
        if routed is None:
            return
        if not routed.context.instruction.strip():  # a file named, no text, no directive comment in it
            editor.say(NOTHING_ASKED)
            return
        session.decision = routed.decision
        await editor.send(ConfigOptionUpdate(session_update="config_option_update",
                                             config_options=self.options(session)))
        decision = routed.decision
        editor.say(offer.route_summary(decision))
        editor.set_plan([])
        editor.add_step(f"Route: {decision.category.words} → {decision.display_name} "
                        f"({money(decision.cost.usd)})", status="completed")
        strategy = await self._strategy(session, editor, routed)
        picked = await self._pick(session, editor, strategy)
        if picked is None:
            return
        report = await self._run(session, editor, routed, picked)
        if report is not None:
            await self._settle(session, editor, report)

    async def _decide(self, session: Session, editor: AcpEditor, ask: Ask) -> Routed | None:
        from modelroute.context.gather import ContextError
        from modelroute.route.model import Unroutable

        await self._refresh_spend(session.engine)
        try:
            request = self._request(session, editor, ask)
            return await asyncio.to_thread(session.engine.decide, request)
        except (ContextError, Unroutable, ValueError, OSError) as exc:
            editor.tell("error", f"modelroute: cannot route this request: {exc}")
            return None

    def _request(self, session: Session, editor: AcpEditor, ask: Ask) -> Any:
        from modelroute.acp import notebook
        from modelroute.context.gather import ActionRequest
        from modelroute.context.languages import language_for

        document = ask.document
        if document is None:
            return ActionRequest(file=CHAT_DOCUMENT, instruction=ask.instruction, document_text="",
                                 language="markdown")
        turn = editor.turn
        for mention in ask.mentions:
            if mention.text is not None:
                turn.buffers[mention.path] = mention.text
        if notebook.is_notebook(document.path):
            book = notebook.load(session.root, document.path, turn.buffers.pop(document.path, None))
            turn.notebooks[document.path] = book
            start, end = _selection(document, book.text, session.root, book.kernel_language)
            return ActionRequest(file=document.path, cursor=start, selection_end=end, instruction=ask.instruction,
                                 document_text=book.text, language=book.kernel_language,
                                 notebook=book.context(book.cell_at_line(start.line)))
        start, end = _selection(document, turn.buffers.get(document.path), session.root,
                                language_for(document.path, None))
        return ActionRequest(file=document.path, cursor=start, selection_end=end, instruction=ask.instruction,
                             document_text=turn.buffers.get(document.path))

    async def _refresh_spend(self, engine: Engine) -> None:
        """Budgets and calibration hold as in the server: routing sees today's and this month's spend."""
        from modelroute.route import Spend

        try:
            ledger = await self.runs.ledger()
            day, month, calibration = await asyncio.to_thread(
                lambda: (ledger.spent("day"), ledger.spent("month"), ledger.calibration()))
        except Exception as exc:  # an unreadable ledger: the run's reservation says so clearly
            log.warning("ledger unreadable, routing without spend: %s", exc)
            return
        engine.spend = Spend(today_usd=day, month_usd=month)
        engine.calibration = calibration

    async def _strategy(self, session: Session, editor: AcpEditor, routed: Routed) -> StrategyPlan | None:
        """The strategy the session asks for, priced for this request as the language server offers it
        (the check detected, pass rates from the ledger); None when the request runs with one model:
        `single`; `auto` when the policy's default is one model or a model is pinned; a strategy asked
        for by name and not offered here (an answer, no check, one model set up), said in the chat."""
        from modelroute.run.calibrate import rates_from_ledger
        from modelroute.run.check import check_plan
        from modelroute.strategy.offers import propose

        wanted, decision, engine = session.strategy, routed.decision, session.engine
        if wanted == "single" or (wanted == offer.AUTO and (session.pinned or not decision.category.edits_code)):
            return None
        name = offer.STRATEGY_NAMES.get(wanted, (wanted, ""))[0]
        if not decision.category.edits_code:
            editor.tell("info", f"{name}: {decision.category.words} answers have nothing to check or merge, "
                                "so this one runs with one model.")
            return None
        rates = await rates_from_ledger(self.runs, engine.settings)
        checks = await asyncio.to_thread(check_plan, engine.root, engine.settings, routed.context.language)
        choice = propose(decision, rates, objective=engine.settings.objective, verify_command=checks.text)
        if wanted == offer.AUTO:
            return choice.default if choice.default.kind != "single" else None
        found = choice.offer(wanted)  # type: ignore[arg-type]
        if found is None:
            why = "; ".join(choice.notes) or "the policy does not offer it for this kind of request"
            editor.tell("info", f"{name} is not offered for this request ({why}), so it runs with one model.")
        return found

    async def _pick(self, session: Session, editor: AcpEditor, strategy: StrategyPlan | None) -> Picked | None:
        """What to run: the session's strategy or the pinned or routed model at once, or, in mode
        "choose", the button picked."""
        decision = session.decision
        if session.mode == "run":
            return Picked(session.pinned or decision.model, strategy)
        buttons = offer.run_buttons(decision, session.pinned, strategy)
        if len(buttons) == 1:  # only "Don't run": nothing here has a key
            hints = sorted({c.setup_hint for c in decision.candidates if c.eligible and c.setup_hint})
            editor.tell("warning", "no model that can take this request is set up: " + "; ".join(hints))
            return None
        call_id = next_id("choice")
        title = "Run it with which model?" if strategy is None else "Run it how?"
        summary = offer.route_summary(decision)
        if strategy is not None:
            summary += f"{strategy.title()}:\n" + "".join(f"- {r}\n" for r in strategy.reasons)
        body = [tool_content(text_block(chat_safe(summary)))]
        key = editor.add_step("Pick the model")
        await editor.send(start_tool_call(call_id, title, kind="think", status="pending", content=body))
        answer = await editor.permission(
            ToolCallUpdate(tool_call_id=call_id, title=title, kind="think", status="pending", content=body),
            buttons, CHOICE_TIMEOUT_S)
        model = offer.picked_model(answer)
        picked = Picked(None, strategy) if strategy is not None and offer.picked_strategy(answer) else \
            Picked(model, None) if model is not None else None
        await editor.send(update_tool_call(call_id, status="completed" if picked else "failed"))
        what = "Not run" if picked is None else f"Picked {picked.strategy.title() if picked.strategy else model}"
        editor.step(key, status="completed", content=chat_safe(what))
        if picked is None:
            editor.say("\n\nNot run: nothing was sent to a model.\n")
        return picked

    async def _run(self, session: Session, editor: AcpEditor, routed: Routed, picked: Picked) -> RunReport | None:
        from modelroute.run.editor import Buffer
        from modelroute.run.flow import Action, RunRefused, run_action

        rel = routed.context.file
        turn = editor.turn
        book = turn.notebooks.get(rel)
        pinned = None
        if book is not None:
            pinned = Buffer(book.text, ("acp-notebook", book.raw))
        elif rel in turn.buffers:
            pinned = Buffer(turn.buffers[rel], ("acp", turn.buffers[rel]))
        elif rel == CHAT_DOCUMENT:
            pinned = Buffer("", "chat")
        brief = book.brief() if book is not None else (CHAT_BRIEF if rel == CHAT_DOCUMENT else None)
        action = Action(engine=session.engine, routed=routed, document=rel, instruction=routed.context.instruction,
                        pinned=pinned, brief=brief)
        plan = picked.strategy
        try:
            if plan is None:
                return await run_action(self.runs, editor, action, picked.model, strategy="single")
            return await run_action(self.runs, editor, action, strategy=plan.kind, models=offer.strategy_models(plan))
        except RunRefused as exc:
            editor.tell("error", f"modelroute: not run: {exc}")
            return None

    async def _settle(self, session: Session, editor: AcpEditor, report: RunReport) -> None:
        """Cost into the session's totals, a usage update with it, and a one-line ending in the chat."""
        contract = report.contract()
        spent = float(contract["cost_usd"])
        session.cost_usd += spent
        used, size = 0, 0
        for attempt in report.attempts:
            if attempt.result is not None:
                usage = attempt.result.usage
                session.tokens["input"] += usage.input_tokens
                session.tokens["output"] += usage.output_tokens
                session.tokens["cache_read"] += usage.cache_read_tokens
                session.tokens["cache_write"] += usage.cache_write_tokens
                session.tokens["reasoning"] += usage.reasoning_tokens
                used = usage.input_tokens + usage.output_tokens
            size = max(size, attempt.plan.model.context_window)
        await editor.send(UsageUpdate(session_update="usage_update", used=used, size=max(size, used),
                                      cost=Cost(amount=round(session.cost_usd, 6), currency="USD")))
        estimated = sum(a["estimated_cost_usd"] for a in contract["attempts"])
        models = ", ".join(dict.fromkeys(a["model"] for a in contract["attempts"])) or "no model"
        ending = f"**{_ENDINGS.get(report.outcome, report.outcome)}**"
        if report.outcome == "declined" and contract["message"]:  # told nowhere else (a plan cancelled, say)
            ending += f" ({chat_safe(str(contract['message']))})"
        editor.say(f"\n\n{ending} · {models} · cost {offer.usd(spent)} "
                   f"(estimated {offer.usd(estimated)}) · this session {offer.usd(session.cost_usd)}\n")


_ENDINGS = {"applied": "Applied", "answered": "Answered", "reviewed": "Reviewed", "rejected": "Not applied",
            "declined": "Not run", "refused_budget": "Refused by the budget", "cancelled": "Cancelled",
            "error": "Failed"}


def _one_of(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise RequestError.invalid_params({name: f"{value!r} is not one of: {', '.join(allowed)}"})
    return value


def _selection(mention: Mention, text: str | None, root: Path, language: str) -> tuple[Any, Any]:
    """(cursor, selection end) for a mention: the lines the URI named, whole; else the first directive
    comment (`AI!`, `AI?`), which is where an instruction in a file is written; else the file's start."""
    from modelroute.context.directives import find_directives
    from modelroute.context.model import Position

    if text is None:
        try:
            text = (root / mention.path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
    if mention.start_line is None:
        directives = find_directives(text, language)
        return Position(line=directives[0].line if directives else 0, character=0), None
    lines = text.split("\n")
    first = min(mention.start_line, len(lines) - 1)
    last = min(mention.end_line if mention.end_line is not None else first, len(lines) - 1)
    return Position(line=first, character=0), Position(line=last, character=len(lines[last].rstrip("\r")))


def _usage(session: Session) -> Usage | None:
    t = session.tokens
    if not any(t.values()):
        return None
    return Usage(input_tokens=t["input"], output_tokens=t["output"], total_tokens=t["input"] + t["output"],
                 thought_tokens=t["reasoning"] or None, cached_read_tokens=t["cache_read"] or None,
                 cached_write_tokens=t["cache_write"] or None)


__all__ = ["CHAT_DOCUMENT", "ModelrouteAgent", "Session"]
