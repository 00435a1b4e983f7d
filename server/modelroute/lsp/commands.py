"""`workspace/executeCommand` handlers: route, explainRoute, setObjective, idle (DESIGN 2.3); run is
lsp/run.py, the spend commands lsp/spend.py.

Each takes one JSON object, structured by pygls from the annotation: a wrong shape answers
InvalidParams before the handler runs. Text files and notebooks alike, through the document query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from modelroute.lsp.documents import DocumentQuery
from modelroute.lsp.server import ModelrouteServer

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
    strategy: str | None = None  # modelroute.run: single | cascade | best-of-n | plan | split
    models: list[str] | None = None  # modelroute.run: the strategy's models


@attrs.define
class ObjectiveArgs:
    objective: str


OBJECTIVES = ("quality", "balanced", "cost")


def register(server: ModelrouteServer) -> None:
    @server.command("modelroute.route")
    async def route(ls: ModelrouteServer, args: ActionArgs) -> dict[str, Any]:
        query = document(ls, args)
        routed = await routed_for(ls, query, args)
        result = routed.decision.to_json()
        nb = routed.context.notebook
        if nb is not None:  # extra keys only: the decision contract is unchanged
            result["notebook"] = {"file": query.rel, "active_cell": nb.active_cell, "cells": len(nb.cells)}
        return result

    @server.command("modelroute.explainRoute")
    async def explain_route(ls: ModelrouteServer, args: ActionArgs) -> dict[str, Any]:
        from modelroute.lsp.editor import LspEditor
        from modelroute.run.editor import Markdown

        query = document(ls, args)
        routed = await routed_for(ls, query, args)
        markdown = await query.state.explain_markdown(routed)
        why = Markdown("Why this model?", markdown, f"{query.uri}|{args.instruction}")
        shown = await LspEditor(ls, query).show(why)
        return {"markdown": markdown, "uri": shown.location, "shown_document": shown.shown}

    @server.command("modelroute.setObjective")
    async def set_objective(ls: ModelrouteServer, args: ObjectiveArgs) -> dict[str, Any]:
        """Switch quality | balanced | cost for this session, over every settings source."""
        if args.objective not in OBJECTIVES:
            raise JsonRpcException(message=f"objective must be one of {', '.join(OBJECTIVES)}", code=INVALID_PARAMS)
        ls.session.config.overrides["objective"] = args.objective
        for state in ls.session.registry.all():
            await ls.session.config.apply(ls, state)
        return {"objective": args.objective}

    @server.command("modelroute.idle")
    async def idle(ls: ModelrouteServer) -> dict[str, Any]:
        """Wait until background work (settings, index, decisions) is done; for tests, benchmarks
        and scripts."""
        await ls.idle()
        states = ls.session.registry.all()
        return {"workspaces": [str(s.root) for s in states], "decisions": ls.session.decisions.count}


def document(ls: ModelrouteServer, args: ActionArgs) -> DocumentQuery:
    query = ls.session.query(args.uri)
    if query is None:
        raise JsonRpcException(message=f"not a readable file: {args.uri}", code=INVALID_PARAMS)
    return query


async def routed_for(ls: ModelrouteServer, query: DocumentQuery, args: ActionArgs) -> Routed:
    """The decision for a command on the document's current version (never an earlier one's)."""
    start = query.to_server(args.range.start)
    end = query.to_server(args.range.end)
    directive = query.directive_on(start.line)
    if directive is not None and directive.instruction != args.instruction:
        directive = None  # a typed instruction on a directive line is not that directive
    key, make = query.request(start=start, end=end, instruction=args.instruction, directive=directive)
    from modelroute.route.model import Unroutable

    try:
        entry = await ls.session.decisions.get(query, key, make)
    except Unroutable as exc:
        raise JsonRpcException(message=f"no model fits: {exc}", code=REQUEST_FAILED) from exc
    except JsonRpcException:
        raise
    except Exception as exc:  # ContextError: a missing file or workspace, said plainly
        raise JsonRpcException(message=str(exc), code=REQUEST_FAILED) from exc
    assert entry.routed is not None
    return entry.routed
