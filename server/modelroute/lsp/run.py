"""`modelroute.run`: the run core (run/flow.py) on the action a client names, with the language
server as its editor (lsp/editor.py). No run logic here: route the action on the document as it is
now, hand it to the core (with the strategy and models a code action carries), answer with the
core's summary, its conclusion and every attempt's verdict and cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from modelroute.lsp.commands import INVALID_PARAMS, REQUEST_FAILED, ActionArgs, document, routed_for
from modelroute.lsp.server import ModelrouteServer

if TYPE_CHECKING:
    from modelroute.run.flow import RunStrategy

STRATEGIES = ("single", "cascade", "best-of-n", "plan", "split")


def register(server: ModelrouteServer) -> None:
    @server.command("modelroute.run")
    async def run(ls: ModelrouteServer, args: ActionArgs) -> dict[str, Any]:
        from modelroute.lsp.editor import LspEditor, editor_buffer
        from modelroute.run.flow import Action, RunRefused, run_action

        if args.strategy is not None and args.strategy not in STRATEGIES:
            raise JsonRpcException(message=f"unknown strategy {args.strategy!r}; one of {', '.join(STRATEGIES)}",
                                   code=INVALID_PARAMS)
        query = document(ls, args)
        pinned = editor_buffer(query)  # the version the user asked on, before anything awaits
        try:
            routed = await routed_for(ls, query, args)
        except JsonRpcException as exc:  # no model fits (a budget, a privacy rule): say so, call nobody
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error,
                                                           message=f"modelroute: cannot run: {exc.message}"))
            raise
        engine = await query.state.ready()
        action = Action(engine=engine, routed=routed, document=query.rel, instruction=args.instruction,
                        pinned=pinned, brief=query.brief, loose=query.state.loose)
        try:
            report = await run_action(ls.session.runs, LspEditor(ls, query), action, args.model,
                                      strategy=cast("RunStrategy | None", args.strategy), models=args.models or ())
        except RunRefused as exc:  # already told to the user
            raise JsonRpcException(message=str(exc), code=REQUEST_FAILED) from exc
        return {**report.summary, "conclusion": report.conclusion, "strategy": report.strategy,
                "attempts": [a.contract() for a in report.attempts]}
