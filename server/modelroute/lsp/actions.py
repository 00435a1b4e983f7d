"""Code actions: priced model choices on a directive line; Explain/Review on a selection.

One handler for text files and notebooks alike (the session's `DocumentQuery`). Kinds: actions that
edit code are `refactor.rewrite.modelroute`, answers (explain, review) `modelroute.answer`, the
reasons document `modelroute.why`. Each action carries its `command` up front (VS Code ignores a
command added in resolve; Neovim resolves only `edit`); `codeAction/resolve` only adds a cost
breakdown to `data`.

Every candidate is an enabled action, including models whose provider has no key yet: VS Code hides
disabled actions from the lightbulb, so those carry "— needs KEY" in their title and, when picked,
the run tells the user exactly which variable to set. Actions are built as JSON directly (no
cattrs walk per request) and kept with their decision, with their JSON text, for the document
version and range asked; a new decision's strategy offers are priced before it answers (`_prepare`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Hashable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias

from lsprotocol import types

from modelroute.categories import Category
from modelroute.lsp.format import action_title, candidate_title
from modelroute.lsp.protocol import Serialized, answers_at_once
from modelroute.lsp.server import ModelrouteServer

if TYPE_CHECKING:
    from modelroute.context.directives import Directive
    from modelroute.lsp.documents import DocumentQuery
    from modelroute.lsp.session import Entry
    from modelroute.pipeline import Routed
    from modelroute.route.model import Candidate

log = logging.getLogger(__name__)

KIND_EDIT = "refactor.rewrite.modelroute"
KIND_ANSWER = "modelroute.answer"
KIND_WHY = "modelroute.why"
MAX_ALTERNATIVES = 4  # the full table is one click away in "Why this model?"
SELECTION_ACTIONS = (("Explain this code", Category.EXPLAIN), ("Review this code", Category.CODE_REVIEW))
Answer: TypeAlias = "Serialized | None"


def register(server: ModelrouteServer) -> None:
    server.session.decisions.prepare = partial(_prepare, server)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[KIND_EDIT, KIND_ANSWER, KIND_WHY], resolve_provider=True),
    )
    @answers_at_once
    def code_action(ls: ModelrouteServer, params: types.CodeActionParams) -> Answer | Awaitable[Answer]:
        """Answered at once from the decision cache; a decision still to make is awaited."""
        query = ls.session.query(params.text_document.uri)
        if query is None:
            return None
        start = query.to_server(params.range.start)
        end = query.to_server(params.range.end)
        directive = query.directive_on(start.line)
        if directive is not None:
            key, make = query.request(start=directive.range.start, end=end, instruction=directive.instruction,
                                      directive=directive, diagnostics=params.context.diagnostics)
            entry = ls.session.decisions.cached(query, key, make, stale_ok=True)
            if entry is None:
                return _later(directive_actions(ls, query, directive, params, key, make), params)
            if entry.error is not None:
                _unroutable(ls, query, entry.error)
                return None
            return _answer(directive_json(ls, query, directive, params, entry), params)
        if (end.line, end.character) > (start.line, start.character):
            requests = [(fallback, instruction, *query.request(start=start, end=end, instruction=instruction,
                                                              directive=None, diagnostics=params.context.diagnostics))
                        for instruction, fallback in SELECTION_ACTIONS]
            entries = [ls.session.decisions.cached(query, key, make, stale_ok=True) for _, _, key, make in requests]
            if all(e is not None and e.routed is not None for e in entries):
                return _answer([selection_json(params, instruction, fallback, entry)  # type: ignore[arg-type]
                                for (fallback, instruction, _, _), entry in zip(requests, entries, strict=True)],
                               params)
            return _later(selection_actions(ls, query, requests, params), params)
        return None

    @server.feature(types.CODE_ACTION_RESOLVE)
    def resolve(ls: ModelrouteServer, action: types.CodeAction) -> types.CodeAction:
        data = action.data if isinstance(action.data, dict) else None
        if data is None or not isinstance(data.get("model"), str) or not isinstance(data.get("ref"), str):
            return action
        entry = ls.session.decisions.by_id(data["ref"])
        routed = entry.routed if entry is not None else None
        if routed is not None:
            cand = next((c for c in routed.decision.candidates if c.model == data["model"]), None)
            if cand is not None:
                action.data = {**data, "breakdown": breakdown(cand)}
        return action


async def _prepare(ls: ModelrouteServer, query: DocumentQuery, key: Hashable, entry: Entry) -> None:
    """A new directive decision's strategy offers, priced off the event loop before it answers."""
    anchor = key[0] if isinstance(key, tuple) and key else None  # ("directive", instruction, ...): documents.py
    if entry.routed is None or not (isinstance(anchor, tuple) and anchor and anchor[0] == "directive"):
        return
    from modelroute.lsp.offers import prepare

    await prepare(ls.session.runs, query.state.engine, entry.routed, str(anchor[1]), loose=query.state.loose,
                  ref=entry.id)


async def directive_actions(
    ls: ModelrouteServer, query: DocumentQuery, directive: Directive, params: types.CodeActionParams,
    key: Hashable, make: Any,
) -> list[dict[str, Any]]:
    entry = await decision_or_none(ls, query, key, make)
    if entry is None or entry.routed is None:
        return []
    return directive_json(ls, query, directive, params, entry)


def directive_json(
    ls: ModelrouteServer, query: DocumentQuery, directive: Directive, params: types.CodeActionParams, entry: Entry
) -> list[dict[str, Any]]:
    """The priced actions of a decided directive, for the line it is on now (kept with the decision)."""
    assert entry.routed is not None
    lsp_range = params.range
    across = lsp_range.start.line != lsp_range.end.line  # a selection over lines runs on it, else the line
    # The line's URI and range follow from the version and line: a warm request does not convert them.
    tag = (query.version, directive.line, (params.text_document.uri, _range_key(lsp_range)) if across else None)
    if entry.actions is not None and entry.actions[0] == tag:
        return entry.actions[1]
    uri, line_range = query.line_range(directive.line)
    args = {"uri": params.text_document.uri if across else uri,
            "range": range_json(lsp_range if across else line_range), "instruction": directive.instruction}
    actions = candidate_actions(ls, entry.routed, args, entry.id)
    if entry.routed.decision.category.edits_code:  # strategies beside the models, before "Why this model?"
        from modelroute.lsp.offers import strategy_actions

        offers = strategy_actions(ls.session.runs, query.state.engine, entry.routed, args, KIND_EDIT,
                                  loose=query.state.loose, ref=entry.id)
        actions = [*actions[:-1], *offers, actions[-1]]
    answer = Serialized(actions)  # kept: a warm request sends its JSON text again (protocol.py)
    entry.actions = (tag, answer)
    return answer


def _answer(actions: list[dict[str, Any]], params: types.CodeActionParams) -> Answer:
    if not params.context.only and isinstance(actions, Serialized):
        return actions or None
    picked = [a for a in actions if wanted(a.get("kind"), params.context.only)]
    return Serialized(picked) if picked else None


async def _later(actions: Awaitable[list[dict[str, Any]]], params: types.CodeActionParams) -> Answer:
    return _answer(await actions, params)


def _unroutable(ls: ModelrouteServer, query: DocumentQuery, exc: Exception) -> None:
    from modelroute.route.model import Unroutable

    if isinstance(exc, Unroutable):
        ls.log(f"modelroute: no model fits: {exc}", types.MessageType.Warning)
    else:  # ContextError and the like: no actions, never a crash
        ls.log(f"modelroute: cannot route {query.rel}: {exc}", types.MessageType.Warning)


def candidate_actions(ls: ModelrouteServer, routed: Routed, args: dict[str, Any], ref: str) -> list[dict[str, Any]]:
    """Priced `modelroute.run` actions (routed model first), then "Why this model?", as JSON.

    `args` (uri, range, instruction) go to the commands as the client should send them back;
    `ref` is how `codeAction/resolve` finds the decision again."""
    decision = routed.decision
    kind = KIND_EDIT if decision.category.edits_code else KIND_ANSWER
    caps = _code_action_caps(ls)
    preferred = bool(caps and caps.is_preferred_support)
    resolves = bool(caps and caps.resolve_support)  # `data` is only for codeAction/resolve
    actions: list[dict[str, Any]] = []
    for cand in ordered(routed):
        action: dict[str, Any] = {
            "title": candidate_title(decision, cand),
            "kind": kind,
            "command": {"title": "Run with modelroute", "command": "modelroute.run",
                        "arguments": [{**args, "model": cand.model}]},
        }
        if resolves:
            action["data"] = {"ref": ref, "model": cand.model}
        if preferred and cand.model == decision.model:
            action["isPreferred"] = True
        actions.append(action)
    actions.append({"title": "Why this model?", "kind": KIND_WHY,
                    "command": {"title": "Why this model?", "command": "modelroute.explainRoute", "arguments": [args]}})
    return actions


async def selection_actions(
    ls: ModelrouteServer, query: DocumentQuery, requests: list[tuple[Category, str, Hashable, Any]],
    params: types.CodeActionParams,
) -> list[dict[str, Any]]:
    """Explain/Review on a selection, each titled by the action and priced by its routed model."""
    actions = []
    for fallback, instruction, key, make in requests:
        entry = await decision_or_none(ls, query, key, make)
        if entry is not None and entry.routed is not None:
            actions.append(selection_json(params, instruction, fallback, entry))
    return actions


def selection_json(params: types.CodeActionParams, instruction: str, fallback: Category, entry: Entry
                   ) -> dict[str, Any]:
    assert entry.routed is not None
    d = entry.routed.decision
    title = action_title(fallback, d.display_name, d.cost.usd)
    run_args = {"uri": params.text_document.uri, "range": range_json(params.range), "instruction": instruction,
                "model": d.model}
    return {"title": title, "kind": KIND_ANSWER,
            "command": {"title": "Run with modelroute", "command": "modelroute.run", "arguments": [run_args]},
            "data": {"ref": entry.id, "model": d.model}}


async def decision_or_none(ls: ModelrouteServer, query: DocumentQuery, key: Hashable, make: Any) -> Entry | None:
    """The decision (the previous version's while the current one is computed), or None (logged)
    when no model fits or the action cannot be routed."""
    try:
        return await ls.session.decisions.get(query, key, make, stale_ok=True)
    except Exception as exc:
        _unroutable(ls, query, exc)
    return None


def ordered(routed: Routed) -> list[Candidate]:
    """Routed model first, then the best eligible alternatives; the ones missing a key go last."""
    d = routed.decision
    chosen = [c for c in d.candidates if c.model == d.model]
    others = [c for c in d.candidates if c.model != d.model and c.eligible]
    ranked = [c for c in others if c.available] + [c for c in others if not c.available]
    return chosen + ranked[:MAX_ALTERNATIVES]


def breakdown(cand: Candidate) -> dict[str, Any]:
    t = cand.cost.tokens
    return {
        "estimated_cost_usd": round(cand.cost.usd, 6),
        "range_usd": [round(cand.cost.low_usd, 6), round(cand.cost.high_usd, 6)],
        "input_tokens": t.input,
        "output_tokens": t.output,
        "reasoning_tokens": t.reasoning,
        "input_usd": round(cand.cost.input_usd, 6),
        "output_usd": round(cand.cost.output_usd, 6),
        "tier_note": cand.cost.tier_note,
        "quality": round(cand.quality, 1),
        "evidence": cand.evidence,
        "setup": cand.setup_hint if not cand.available else None,
    }


def wanted(kind: str | None, only: Sequence[str] | None) -> bool:
    if not only:
        return True
    return kind is not None and any(kind == o or kind.startswith(o + ".") for o in only)


def _code_action_caps(ls: ModelrouteServer) -> types.CodeActionClientCapabilities | None:
    text = ls.client_capabilities.text_document
    return text.code_action if text is not None else None


def _range_key(r: types.Range) -> tuple[int, int, int, int]:
    return (r.start.line, r.start.character, r.end.line, r.end.character)


def range_json(r: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": r.start.line, "character": r.start.character},
        "end": {"line": r.end.line, "character": r.end.character},
    }
