"""Code actions: priced model choices on a directive line; Explain/Review on a selection.

Kinds: actions that edit code are `refactor.rewrite.modelroute`, answers (explain, review)
`modelroute.answer`, the reasons document `modelroute.why`. Each action carries its
`command` up front (VS Code ignores a command added in resolve; Neovim resolves only `edit`);
`codeAction/resolve` only adds a cost breakdown to `data`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from lsprotocol import types
from lsprotocol.converters import get_converter

from modelroute.categories import Category
from modelroute.lsp.documents import build_request, to_diagnostics
from modelroute.lsp.format import action_title, candidate_title
from modelroute.lsp.protocol import Serialized
from modelroute.lsp.server import ModelrouteServer, Target
from modelroute.lsp.state import WorkspaceState

if TYPE_CHECKING:
    from modelroute.context.directives import Directive
    from modelroute.context.gather import ActionRequest
    from modelroute.pipeline import Routed
    from modelroute.route.model import Candidate

log = logging.getLogger(__name__)
_CONVERTER = get_converter()

KIND_EDIT = "refactor.rewrite.modelroute"
KIND_ANSWER = "modelroute.answer"
KIND_WHY = "modelroute.why"
MAX_ALTERNATIVES = 4  # the full table is one click away in "Why this model?"
Request: TypeAlias = "ActionRequest | Callable[[], ActionRequest]"  # a request, or its maker (built on a cache miss)
SELECTION_ACTIONS = (("Explain this code", Category.EXPLAIN), ("Review this code", Category.CODE_REVIEW))


def register(server: ModelrouteServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[KIND_EDIT, KIND_ANSWER, KIND_WHY], resolve_provider=True),
    )
    def code_action(ls: ModelrouteServer, params: types.CodeActionParams) -> Generator[Any, Any, Any]:
        # A generator handler (pygls runs what it yields, then resumes it): a cached answer goes
        # out synchronously, without the cost of a task; a miss yields to the async computation.
        target = ls.target(params.text_document.uri)
        if target is None:
            return None
        start = target.doc.to_server(params.range.start)
        end = target.doc.to_server(params.range.end)
        directive = ls.directives.on_line(target.doc, start.line)
        if directive is None and (end.line, end.character) <= (start.line, start.character):
            return None
        cache_key = (
            target.state.generation,
            target.doc.uri,
            target.doc.version,
            start.line if directive is not None else (start.line, start.character),
            None if directive is not None and end.line == start.line else (end.line, end.character),
            tuple((_range_key(d.range), d.message, d.source) for d in params.context.diagnostics),
        )
        cached = ls.action_cache.get(cache_key)
        if cached is None:
            cached = yield _compute, (ls, target, directive, end, params, cache_key), None
        picked = [a for a in cached if wanted(a.get("kind"), params.context.only)]
        return Serialized(picked) if picked else None

    @server.feature(types.CODE_ACTION_RESOLVE)
    def resolve(ls: ModelrouteServer, action: types.CodeAction) -> types.CodeAction:
        data = action.data if isinstance(action.data, dict) else None
        if data is None or not isinstance(data.get("model"), str):
            return action
        ref = data.get("ref")
        entry = ls.refs.get(ref) if isinstance(ref, str) else None
        if entry is None and "key" in data:  # {root, key} as the notebook feature writes it
            state = next((s for s in ls.registry.all() if str(s.root) == data.get("root")), None)
            entry = (state, _tupled(data["key"])) if state is not None else None
        routed = entry[0].peek(entry[1]) if entry is not None else None
        if routed is not None:
            cand = next((c for c in routed.decision.candidates if c.model == data["model"]), None)
            if cand is not None:
                action.data = {**data, "breakdown": breakdown(cand)}
        return action


async def _compute(
    ls: ModelrouteServer,
    target: Target,
    directive: Directive | None,
    end: Any,
    params: types.CodeActionParams,
    cache_key: Hashable,
) -> list[dict[str, Any]]:
    diagnostics = to_diagnostics(params.context.diagnostics)
    if directive is not None:
        actions = await _directive_actions(ls, target, directive, end, diagnostics, params.range)
    else:
        actions = await _selection_actions(ls, target, params.range, diagnostics)
    # Serialized once: the cursor moving along a directive line asks again and again.
    result = [_CONVERTER.unstructure(a) for a in actions]
    ls.action_cache.put(cache_key, result)
    return result


async def _directive_actions(
    ls: ModelrouteServer,
    target: Target,
    directive: Directive,
    end: Any,
    diagnostics: Any,
    lsp_range: types.Range,
) -> list[types.CodeAction]:
    key, request = build_request(
        target.doc,
        target.rel,
        start=directive.range.start,
        end=end,
        instruction=directive.instruction,
        directive=directive,
        diagnostics=diagnostics,
    )
    routed = await routed_or_none(ls, target.state, target.rel, key, request)
    if routed is None:
        return []
    line_range = types.Range(
        start=types.Position(line=directive.line, character=0), end=target.doc.line_end(directive.line)
    )
    run_range = lsp_range if lsp_range.start.line != lsp_range.end.line else line_range
    args = {"uri": target.doc.uri, "range": range_json(run_range), "instruction": directive.instruction}
    ref = ls.remember((target.state, key))  # resolve finds the decision again by this short id
    return candidate_actions(ls, routed, args, {"ref": ref})


def candidate_actions(
    ls: ModelrouteServer, routed: Routed, args: dict[str, Any], data: dict[str, Any]
) -> list[types.CodeAction]:
    """Priced `modelroute.run` actions (routed model first), then "Why this model?".

    `args` (uri, range, instruction) go to the commands as the client should send them back;
    `data` is how `codeAction/resolve` finds the decision again ({ref} or {root, key})."""
    decision = routed.decision
    kind = KIND_EDIT if decision.category.edits_code else KIND_ANSWER
    caps = _code_action_caps(ls)
    supports_disabled = bool(caps and caps.disabled_support)
    supports_preferred = bool(caps and caps.is_preferred_support)
    actions: list[types.CodeAction] = []
    for cand in ordered(routed):
        action = types.CodeAction(
            title=candidate_title(decision, cand),
            kind=kind,
            is_preferred=(cand.model == decision.model and supports_preferred) or None,
            command=types.Command(
                title="Run with modelroute",
                command="modelroute.run",
                arguments=[{**args, "model": cand.model}],
            ),
            data={**data, "model": cand.model},
        )
        if not cand.available and supports_disabled:
            action.disabled = types.CodeActionDisabled(reason=cand.setup_hint or "provider not configured")
        actions.append(action)
    actions.append(
        types.CodeAction(
            title="Why this model?",
            kind=KIND_WHY,
            command=types.Command(title="Why this model?", command="modelroute.explainRoute", arguments=[args]),
        )
    )
    return actions


async def _selection_actions(
    ls: ModelrouteServer, target: Target, lsp_range: types.Range, diagnostics: Any
) -> list[types.CodeAction]:
    start = target.doc.to_server(lsp_range.start)
    end = target.doc.to_server(lsp_range.end)

    def request_for(instruction: str) -> tuple[Hashable, Request]:
        return build_request(
            target.doc,
            target.rel,
            start=start,
            end=end,
            instruction=instruction,
            directive=None,
            diagnostics=diagnostics,
        )

    return await selection_actions(
        ls,
        target.state,
        target.rel,
        {"uri": target.doc.uri, "range": range_json(lsp_range)},
        request_for,
        lambda key: {"ref": ls.remember((target.state, key))},
    )


async def selection_actions(
    ls: ModelrouteServer,
    state: WorkspaceState,
    rel: str,
    args: dict[str, Any],
    request_for: Callable[[str], tuple[Hashable, Request]],
    data_for: Callable[[Hashable], dict[str, Any]],
) -> list[types.CodeAction]:
    """Explain/Review on a selection, each titled by the action and priced by its routed model.

    `args` (uri, range) target the commands; `request_for(instruction)` builds the Engine request
    and its cache key; `data_for(key)` is how `codeAction/resolve` finds the decision again."""
    actions = []
    for instruction, fallback in SELECTION_ACTIONS:
        key, request = request_for(instruction)
        routed = await routed_or_none(ls, state, rel, key, request)
        if routed is None:
            continue
        d = routed.decision
        title = action_title(fallback, d.display_name, d.cost.usd)
        run_args = {**args, "instruction": instruction, "model": d.model}
        actions.append(
            types.CodeAction(
                title=title,
                kind=KIND_ANSWER,
                command=types.Command(title=title, command="modelroute.run", arguments=[run_args]),
                data={**data_for(key), "model": d.model},
            )
        )
    return actions


async def routed_or_none(
    ls: ModelrouteServer, state: WorkspaceState, rel: str, key: Hashable, request: Request
) -> Routed | None:
    """The decision, or None (logged) when no model fits or the action cannot be routed."""
    from modelroute.route.model import Unroutable

    try:
        return await state.routed(key, request)
    except Unroutable as exc:
        ls.log(f"modelroute: no model fits: {exc}", types.MessageType.Warning)
    except Exception as exc:  # ContextError and the like: no actions, never a crash
        ls.log(f"modelroute: cannot route {rel}: {exc}", types.MessageType.Warning)
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


def key_data(key: Any) -> Any:
    """A cache key as JSON (tuples become lists); the notebook feature puts these in `data`."""
    if isinstance(key, tuple):
        return [key_data(k) for k in key]
    return key


def _tupled(value: Any) -> Any:
    return tuple(_tupled(v) for v in value) if isinstance(value, list) else value
