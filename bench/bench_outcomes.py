"""Replay per-task outcomes of real models through modelroute's strategy code; choose the default
cascade on the tune half, report it on the report half.

    .venv/bin/python bench/bench_outcomes.py [FILE] [--false-pass 0.2] [--false-fail 0.1]
        [--judge-accuracy 0.5] [--compare "MODEL A,MODEL B"] [--json]

FILE is any file in the shared outcomes format (default: ../shared/outcomes/
swe-bench-verified-bash-only.json). Everything runs through `modelroute.strategy`: the joint model is
fitted on the tune half (`strategy.fit`), each model's pass rate and mean cost on the tune half are its
`Option`, single-by-kind is the strongest option per kind (`choose.strongest`), the cascade is the
product's own rule (`choose.choose_cascade`), and every strategy is replayed by driving the product's
state machine (`strategy.replay` over `machine.advance`), with the check's verdicts weighed exactly
(no random draws: the output is deterministic). The margin of the rule is tuned on the tune half: the
smallest (on a 0.0025 grid) whose picks, replayed on the tune half, resolve as many tasks as single by
kind does there. The printed Markdown is what docs/strategies.md and docs/benchmarks.md hold.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from modelroute.strategy.choose import (
    DEFAULT_RULE,
    CascadeRule,
    best_of_n_attempts,
    choose_cascade,
    strongest,
)
from modelroute.strategy.fit import fit_population
from modelroute.strategy.joint import Population
from modelroute.strategy.model import PERFECT_CHECK, CheckRates, Option, StrategyPlan
from modelroute.strategy.replay import OutcomeFile, Tally, TaskOutcome, by_kind, options_from, oracle, replay, total

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "shared" / "outcomes" / "swe-bench-verified-bash-only.json"
MARGINS = tuple(round(i * 0.0025, 4) for i in range(41))  # 0 .. 0.10
JUDGE_ACCURACIES = (0.0, 0.5, 1.0)
SENSITIVITY = ((0.0, 0.0), (0.1, 0.05), (0.2, 0.1), (0.3, 0.15), (0.4, 0.2))
BEST_OF = 3


def plan_of(kind: str, options: Sequence[Option], synthesiser: Option | None = None) -> StrategyPlan:
    """A strategy over outcome-file models (costs are the file's; the plan's own prices are unused)."""
    return StrategyPlan(kind=kind, attempts=tuple(options), synthesiser=synthesiser,  # type: ignore[arg-type]
                        expected_cost_usd=0.0, max_cost_usd=0.0)


class Kind:
    """One task kind: its tune and report tasks and the options learned on its tune tasks."""

    def __init__(self, name: str, tune: list[TaskOutcome], report: list[TaskOutcome], models: Sequence[str]):
        self.name, self.tune, self.report = name, tune, report
        self.options = options_from(tune, models)
        self.reference = strongest(self.options)

    def cascade(self, rule: CascadeRule) -> tuple[StrategyPlan, float, float]:
        """The rule's pick, with its predicted resolve rate and cost per task (the reference alone if none)."""
        pick = choose_cascade(self.options, self.reference, rule)
        if pick is None:
            return plan_of("cascade", (self.reference,)), self.reference.pass_rate, self.reference.cost_usd
        return plan_of("cascade", pick.steps), pick.expectation.right, pick.expectation.cost_usd


def _kinds(data: OutcomeFile) -> list[Kind]:
    tune, report = by_kind(data.half("tune")), by_kind(data.half("report"))
    return [Kind(name, tune[name], report.get(name, []), data.models) for name in sorted(tune)]


def _replay(plans: dict[str, StrategyPlan], kinds: Sequence[Kind], half: str, check: CheckRates,
            judge: float) -> Tally:
    return total(replay(plans[k.name], getattr(k, half), check, judge) for k in kinds)


def tune_margin(
    kinds: Sequence[Kind], population: Population, check: CheckRates, slack: float = 0.0
) -> tuple[float, list[dict[str, Any]]]:
    """The smallest margin whose picks resolve, on the tune half, as many tasks as single by kind
    (plus `slack` x the number of tune tasks)."""
    singles = {k.name: plan_of("single", (k.reference,)) for k in kinds}
    goal = _replay(singles, kinds, "tune", check, 0.0).resolved + slack * sum(len(k.tune) for k in kinds)
    rows: list[dict[str, Any]] = []
    chosen: float | None = None
    for margin in MARGINS:
        rule = CascadeRule(margin=margin, population=population, check=check)
        picked = {k.name: k.cascade(rule) for k in kinds}
        plans = {name: plan for name, (plan, _, _) in picked.items()}
        tally = _replay(plans, kinds, "tune", check, 0.0)
        picks = " / ".join(" -> ".join(o.name for o in p.attempts) for p in plans.values())
        predicted = sum(right * len(k.tune) for k, (_, right, _) in zip(kinds, picked.values(), strict=True))
        predicted_cost = sum(cost * len(k.tune) for k, (_, _, cost) in zip(kinds, picked.values(), strict=True))
        if not rows or rows[-1]["pick"] != picks:
            rows.append({"margin": margin, "pick": picks, "predicted_resolved": predicted,
                         "predicted_cost_usd": predicted_cost, "tune_resolved": tally.resolved,
                         "tune_cost_usd": tally.cost_usd, "meets": tally.resolved >= goal - 1e-9})
        if chosen is None and tally.resolved >= goal - 1e-9:
            chosen = margin
    if chosen is None:  # nothing matches single by kind: the margin that resolves the most
        chosen = max(rows, key=lambda r: (r["tune_resolved"], -r["margin"]))["margin"]
    return chosen, rows


def _row(name: str, tally: Tally, baseline: Tally) -> dict[str, Any]:
    return {"strategy": name, "resolved": tally.resolved, "rate": tally.rate, "cost_usd": tally.cost_usd,
            "cost_share": tally.cost_usd / baseline.cost_usd if baseline.cost_usd else 0.0,
            "verified": tally.verified, "calls_per_task": tally.attempts / tally.tasks if tally.tasks else 0.0}


def _best_single_on(tasks: Sequence[TaskOutcome], models: Sequence[str], check: CheckRates) -> tuple[str, Tally]:
    scored = []
    for name in models:
        tally = replay(plan_of("single", (Option(name=name, label=name, pass_rate=0.5, cost_usd=0.0,
                                                 max_cost_usd=0.0),)), tasks, check, 0.0)
        scored.append((-tally.resolved, tally.cost_usd, name, tally))
    _, _, name, tally = min(scored)
    return name, tally


def swap_halves(data: OutcomeFile) -> OutcomeFile:
    """Tune on the report half and report on the tune half: does the choice generalise?"""
    flipped = {"tune": "report", "report": "tune"}
    tasks = {name: task.model_copy(update={"half": flipped[task.half]}) for name, task in data.tasks.items()}
    return data.model_copy(update={"tasks": tasks})


def run(path: Path, check: CheckRates, judge: float, compare: Sequence[str] = (), swap: bool = False,
        slack: float = 0.0) -> dict[str, Any]:
    data = OutcomeFile.model_validate_json(path.read_text(encoding="utf-8"))
    data = swap_halves(data) if swap else data
    kinds = _kinds(data)
    tune_tasks = [t for k in kinds for t in k.tune]
    report_tasks = [t for k in kinds for t in k.report]
    population = fit_population(tune_tasks, data.models, f"fitted on the tune half of {path.name}")
    margin, tuning = tune_margin(kinds, population, check, slack)
    rule = CascadeRule(margin=margin, population=population, check=check)
    singles = {k.name: plan_of("single", (k.reference,)) for k in kinds}
    cascades = {k.name: k.cascade(rule)[0] for k in kinds}
    best_name, best = _best_single_on(report_tasks, data.models, check)
    single = _replay(singles, kinds, "report", check, judge)
    cascade = _replay(cascades, kinds, "report", check, judge)
    rows = [
        _row(f"best single model on this half (hindsight): {best_name}", best, best),
        _row("single by kind (strongest on tune): " + ", ".join(k.reference.name for k in kinds), single, best),
        _row("default cascade: " + " / ".join(" -> ".join(o.name for o in p.attempts) for p in cascades.values()),
             cascade, best),
        _row("default cascade with a perfect check", _replay(cascades, kinds, "report", PERFECT_CHECK, judge), best),
    ]
    for accuracy in sorted({*JUDGE_ACCURACIES, judge}):
        plans = {k.name: plan_of("best-of-n", best_of_n_attempts(k.options, BEST_OF), strongest(k.options))
                 for k in kinds}
        names = " / ".join(", ".join(o.name for o in p.attempts) for p in plans.values())
        rows.append(_row(f"best of {BEST_OF} ({names}), synthesiser accuracy {accuracy:g}",
                         _replay(plans, kinds, "report", check, accuracy), best))
    if compare:
        options = {o.name: o for o in options_from(tune_tasks, data.models)}
        given = plan_of("cascade", [options[name] for name in compare])
        rows.append(_row("given cascade: " + " -> ".join(compare), replay(given, report_tasks, check, judge), best))
    rows.append(_row("oracle (cheapest resolving model per task)", oracle(report_tasks), best))
    sensitivity = [
        {"false_pass": fp, "false_fail": ff,
         **_row("", _replay(cascades, kinds, "report", CheckRates(false_pass=fp, false_fail=ff), judge), best)}
        for fp, ff in SENSITIVITY
    ]
    return {
        "file": path.name + (" (halves swapped)" if swap else ""), "source": data.source,
        "tune_tasks": len(tune_tasks), "report_tasks": len(report_tasks), "slack": slack,
        "check": check.model_dump(), "judge_accuracy": judge,
        "population": {"spread": population.spread, "cost_elasticity": population.cost_elasticity},
        "margin": margin, "tuning": tuning, "rows": rows, "sensitivity": sensitivity,
        "target": {"resolved_at_least": best.resolved, "cost_at_most_usd": 0.6 * best.cost_usd,
                   "met": cascade.resolved >= best.resolved and cascade.cost_usd <= 0.6 * best.cost_usd},
        "product_rule": {"spread": DEFAULT_RULE.population.spread,
                         "cost_elasticity": DEFAULT_RULE.population.cost_elasticity, "margin": DEFAULT_RULE.margin},
    }


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def markdown(result: dict[str, Any]) -> str:
    check = result["check"]
    pop = result["population"]
    lines = [
        f"Replay of `{result['file']}`: tune half {result['tune_tasks']} tasks, report half "
        f"{result['report_tasks']} tasks. Check: passes {check['false_pass']:.0%} of wrong results, fails "
        f"{check['false_fail']:.0%} of right ones. Synthesiser accuracy {result['judge_accuracy']:g}.",
        "",
        f"Fitted on the tune half: difficulty spread {pop['spread']:.2f}, cost elasticity "
        f"{pop['cost_elasticity']:.2f}; tuned margin {result['margin']:.4f}"
        + (f" (slack {result['slack']:.1%} of tune tasks)." if result["slack"] else "."),
        "",
        "| strategy (report half) | resolved | rate | cost | cost vs best single | offered verified | calls/task |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in result["rows"]:
        lines.append(
            f"| {row['strategy']} | {row['resolved']:.1f} | {row['rate']:.1%} | {_usd(row['cost_usd'])} | "
            f"{row['cost_share']:.1%} | {row['verified']:.1f} | {row['calls_per_task']:.2f} |"
        )
    target = result["target"]
    lines += [
        "",
        f"Target (resolve at least {target['resolved_at_least']:.0f} for at most "
        f"{_usd(target['cost_at_most_usd'])}): {'met' if target['met'] else 'NOT met'}.",
        "",
        "| default cascade, check passes wrong / fails right | resolved | cost | cost vs best single |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in result["sensitivity"]:
        lines.append(f"| {row['false_pass']:.0%} / {row['false_fail']:.0%} | {row['resolved']:.1f} | "
                     f"{_usd(row['cost_usd'])} | {row['cost_share']:.1%} |")
    lines += [
        "",
        "| margin | pick (tune half) | predicted resolved | predicted cost | replayed resolved | replayed cost "
        "| matches single by kind |",
        "| ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in result["tuning"]:
        lines.append(f"| {row['margin']:.4f} | {row['pick']} | {row['predicted_resolved']:.1f} | "
                     f"{_usd(row['predicted_cost_usd'])} | {row['tune_resolved']:.1f} | "
                     f"{_usd(row['tune_cost_usd'])} | {'yes' if row['meets'] else 'no'} |")
    return "\n".join(lines) + "\n"


def summary(result: dict[str, Any]) -> str:
    """The few rows docs/benchmarks.md shows: baselines, the default cascade, best of N, the oracle."""
    rows = result["rows"]
    judged = f"synthesiser accuracy {result['judge_accuracy']:g}"
    keep = [rows[0], rows[1], rows[2], next(r for r in rows if r["strategy"].endswith(judged)), rows[-1]]
    lines = ["| strategy (report half) | resolved | cost | cost vs best single |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| {r['strategy']} | {r['resolved']:.1f} | {_usd(r['cost_usd'])} | {r['cost_share']:.1%} |"
              for r in keep]
    target = result["target"]
    lines += ["", f"Target (resolve at least {target['resolved_at_least']:.0f} for at most "
                  f"{_usd(target['cost_at_most_usd'])}): {'met' if target['met'] else 'NOT met'}."]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--false-pass", type=float, default=0.2)
    parser.add_argument("--false-fail", type=float, default=0.1)
    parser.add_argument("--judge-accuracy", type=float, default=0.5)
    parser.add_argument("--compare", default="", help="a cascade to report too: model names, comma-separated")
    parser.add_argument("--swap-halves", action="store_true", help="tune on the report half, report on the tune half")
    parser.add_argument("--slack", type=float, default=0.0,
                        help="the tuned cascade must beat single by kind on the tune half by this share of tasks")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--summary", action="store_true", help="only the rows docs/benchmarks.md shows")
    return parser.parse_args(argv)


def compute(args: argparse.Namespace) -> dict[str, Any]:
    check = CheckRates(false_pass=args.false_pass, false_fail=args.false_fail)
    compare = [name.strip() for name in args.compare.split(",") if name.strip()]
    return run(args.file, check, args.judge_accuracy, compare, args.swap_halves, args.slack)


def output(args: argparse.Namespace, result: dict[str, Any]) -> str:
    if args.json:
        return json.dumps(result, indent=2) + "\n"
    return summary(result) if args.summary else markdown(result)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    result = compute(args)
    sys.stdout.write(output(args, result))
    rule = result["product_rule"]
    fitted = (round(result["population"]["spread"], 2), round(result["population"]["cost_elasticity"], 2),
              result["margin"])
    default_run = not (args.swap_halves or args.slack) and args.file == DEFAULT_FILE
    if default_run and fitted != (rule["spread"], rule["cost_elasticity"], rule["margin"]):
        sys.stderr.write(f"note: the product's rule (spread, elasticity, margin) = "
                         f"{(rule['spread'], rule['cost_elasticity'], rule['margin'])}; this file gives {fitted}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
