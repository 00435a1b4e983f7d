"""Strategies offered as priced code actions beside the single-model ones (issue 12).

For an action that edits code: the strategies `strategy.offers.propose` prices for the routed
decision (cascade, best of N, plan), titled like "Cascade MiniMax M2.5 -> Opus 4.6 · ~$0.09, at most
$0.31", and, when the instruction holds several independent tasks, the same tasks run one at a time.
Each action carries the strategy and its models in `modelroute.run`'s arguments, so the run core
runs exactly what was offered (`run/strategies.py` prices it again against the ledger before any
call). No I/O beyond detecting the check from the workspace's own files; pass rates come from the
run session's cache (filled from the ledger by the first run), else the catalog's priors.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelroute.pipeline import Engine, Routed
    from modelroute.run.flow import RunSession
    from modelroute.strategy.calibration import PassRates
    from modelroute.strategy.model import StrategyPlan


# Offers per decision (its id), with the pass rates they were priced with: a new document version
# re-lays the same offers out with its own range, without detecting the check or pricing the
# strategies again. A new decision's offers are worked out in a worker thread before the decision
# answers (`prepare`): pricing best of N takes milliseconds, which the event loop must not wait for
# while the user types.
Offered = tuple[tuple[str, dict[str, Any]], ...]  # (title, the arguments a strategy adds)
_OFFERED: OrderedDict[str, tuple[PassRates, Offered]] = OrderedDict()
_KEEP = 256
RUN_TITLE = "Run with modelroute"


def strategy_actions(
    session: RunSession, engine: Engine | None, routed: Routed, args: dict[str, Any], kind: str, *, loose: bool,
    ref: str,
) -> list[dict[str, Any]]:
    """Priced strategy actions for a decided directive (none for answers, loose files, or before the
    workspace has started). `ref` names the decision: its offers are worked out once."""
    from modelroute.run.calibrate import cached_rates

    if engine is None or loose or not routed.decision.category.edits_code:
        return []
    rates = cached_rates(session)
    offered = _known(ref, rates)
    if offered is None:  # not prepared (the pass rates changed since): priced now
        offered = _keep(ref, rates, _offered(engine, routed, rates, str(args.get("instruction", ""))))
    return [_action(title, kind, {**args, **extra}) for title, extra in offered]


async def prepare(
    session: RunSession, engine: Engine | None, routed: Routed, instruction: str, *, loose: bool, ref: str
) -> None:
    """Work a new decision's offers out in a worker thread, so that its code actions lay them out at once."""
    from modelroute.run.calibrate import cached_rates

    if engine is None or loose or not routed.decision.category.edits_code:
        return
    rates = cached_rates(session)
    if _known(ref, rates) is None:
        _keep(ref, rates, await asyncio.to_thread(_offered, engine, routed, rates, instruction))


def _known(ref: str, rates: PassRates) -> Offered | None:
    found = _OFFERED.get(ref)
    if found is None or not (found[0] is rates or found[0] == rates):  # priors come as a new object each time
        return None
    _OFFERED.move_to_end(ref)
    return found[1]


def _keep(ref: str, rates: PassRates, offered: Offered) -> Offered:
    _OFFERED[ref] = (rates, offered)
    while len(_OFFERED) > _KEEP:
        _OFFERED.popitem(last=False)
    return offered


def _offered(engine: Engine, routed: Routed, rates: PassRates, instruction: str) -> Offered:
    from modelroute.run.check import check_plan
    from modelroute.strategy.offers import propose
    from modelroute.strategy.split import split_instruction

    check = check_plan(engine.root, engine.settings, routed.context.language).text
    choice = propose(routed.decision, rates, objective=engine.settings.objective, verify_command=check)
    found: list[tuple[str, dict[str, Any]]] = [(plan.title(), {"strategy": plan.kind, "models": list(_models(plan))})
             for plan in choice.offers if plan.kind != "single"]
    split = split_instruction(instruction)
    if split is not None:
        title = f"Split into {len(split.pieces)} steps, one at a time · each routed and priced before anything runs"
        found.append((title, {"strategy": "split"}))
    return tuple(found)


def _models(plan: StrategyPlan) -> tuple[str, ...]:
    """The models `--models` takes for this plan: a plan's planner, else the attempts in their order
    (best of N's synthesiser is the strongest of them, as the core chooses it again)."""
    if plan.kind == "plan" and plan.planner is not None:
        return (plan.planner.name,)
    return tuple(o.name for o in plan.attempts)


def _action(title: str, kind: str, arguments: dict[str, Any]) -> dict[str, Any]:
    # Editors show the action's title; the command's own title is not shown (it is short: every byte
    # of a code-action answer is parsed by the client on every cursor move).
    return {"title": title, "kind": kind,
            "command": {"title": RUN_TITLE, "command": "modelroute.run", "arguments": [arguments]}}


__all__ = ["prepare", "strategy_actions"]
