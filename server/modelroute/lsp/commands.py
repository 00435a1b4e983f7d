"""`workspace/executeCommand` handlers: route, explainRoute, setObjective (DESIGN 2.3); run is lsp/run.py.

Each takes one JSON object, structured by pygls from the annotation: a wrong shape answers
InvalidParams before the handler runs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import platformdirs
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from modelroute.lsp.documents import build_request
from modelroute.lsp.server import ModelrouteServer, Target

if TYPE_CHECKING:
    from modelroute.pipeline import Routed

INVALID_PARAMS = -32602
REQUEST_FAILED = -32803


@attrs.define
class ActionArgs:
    uri: str
    range: types.Range
    instruction: str = ""
    model: str | None = None


@attrs.define
class ObjectiveArgs:
    objective: str


OBJECTIVES = ("quality", "balanced", "cost")


def register(server: ModelrouteServer) -> None:
    @server.command("modelroute.route")
    async def route(ls: ModelrouteServer, args: ActionArgs) -> dict[str, Any]:
        routed = await _route(ls, args)
        return routed.decision.to_json()

    @server.command("modelroute.explainRoute")
    async def explain_route(ls: ModelrouteServer, args: ActionArgs) -> dict[str, Any]:
        target = _target(ls, args)
        routed = await _routed(ls, target, args)
        markdown = await target.state.explain_markdown(routed)
        path = write_markdown(markdown, f"{target.doc.uri}|{args.instruction}")
        uri = path.as_uri()
        shown = False
        if _supports_show_document(ls):
            result = await ls.window_show_document_async(
                types.ShowDocumentParams(uri=uri, external=False, take_focus=True)
            )
            shown = bool(result and result.success)
        if not shown:
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=markdown))
        return {"markdown": markdown, "uri": uri, "shown_document": shown}

    @server.command("modelroute.setObjective")
    async def set_objective(ls: ModelrouteServer, args: ObjectiveArgs) -> dict[str, Any]:
        """Switch quality | balanced | cost for this session, over every settings source."""
        if args.objective not in OBJECTIVES:
            raise JsonRpcException(message=f"objective must be one of {', '.join(OBJECTIVES)}", code=INVALID_PARAMS)
        ls.config.overrides["objective"] = args.objective
        for state in ls.registry.all():
            await ls.config.apply(ls, state)
        return {"objective": args.objective}

    @server.command("modelroute.idle")
    async def idle(ls: ModelrouteServer) -> dict[str, Any]:
        """Wait until start-up work (settings, index) is done; for tests, benchmarks and scripts."""
        await ls.idle()
        return {
            "workspaces": [str(s.root) for s in ls.registry.all()],
            "decisions": sum(s.decisions for s in ls.registry.all()),
        }


def _target(ls: ModelrouteServer, args: ActionArgs) -> Target:
    target = ls.target(args.uri)
    if target is None:
        raise JsonRpcException(message=f"not a readable file: {args.uri}", code=INVALID_PARAMS)
    return target


async def _route(ls: ModelrouteServer, args: ActionArgs) -> Routed:
    return await _routed(ls, _target(ls, args), args)


async def _routed(ls: ModelrouteServer, target: Target, args: ActionArgs) -> Routed:
    doc = target.doc
    start = doc.to_server(args.range.start)
    end = doc.to_server(args.range.end)
    directive = ls.directives.on_line(doc, start.line)
    if directive is not None and directive.instruction != args.instruction:
        directive = None  # a typed instruction on a directive line is not that directive
    key, request = build_request(
        doc, target.rel, start=start, end=end, instruction=args.instruction, directive=directive
    )
    from modelroute.route.model import Unroutable

    try:
        return await target.state.routed(key, request)
    except Unroutable as exc:
        raise JsonRpcException(message=f"no model fits: {exc}", code=REQUEST_FAILED) from exc
    except JsonRpcException:
        raise
    except Exception as exc:  # ContextError: a missing file or workspace, said plainly
        raise JsonRpcException(message=str(exc), code=REQUEST_FAILED) from exc


def write_markdown(markdown: str, identity: str) -> Path:
    """A stable file per (document, instruction) under the user cache directory."""
    folder = platformdirs.user_cache_path("modelroute") / "explain"
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.blake2b(identity.encode(), digest_size=6).hexdigest()
    path = folder / f"route-{name}.md"
    path.write_text(markdown, encoding="utf-8")
    return path


def _supports_show_document(ls: ModelrouteServer) -> bool:
    window = ls.client_capabilities.window
    return bool(window and window.show_document and window.show_document.support)
