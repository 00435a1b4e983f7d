"""The replay bench: its figures in the docs are what it prints, and the replay agrees with a direct count."""

from __future__ import annotations

import argparse
import importlib.util
import re
import shlex
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from modelroute.strategy.choose import DEFAULT_RULE
from modelroute.strategy.model import CheckRates
from modelroute.strategy.replay import OutcomeFile

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "strategy" / "fixtures" / "outcomes-subset.json"
BLOCK = re.compile(r"<!-- BEGIN bench_outcomes\.py(?P<args>[^>]*?) -->\n(?P<body>.*?)<!-- END bench_outcomes\.py -->",
                   re.DOTALL)


@cache
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_outcomes", ROOT / "bench" / "bench_outcomes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_outcomes"] = module
    spec.loader.exec_module(module)
    return module


@cache
def _computed(file: Path, swap: bool, slack: float, fp: float, ff: float, judge: float, compare: str) -> dict[str, Any]:
    args = argparse.Namespace(file=file, swap_halves=swap, slack=slack, false_pass=fp, false_fail=ff,
                              judge_accuracy=judge, compare=compare)
    result: dict[str, Any] = bench().compute(args)
    return result


def render(argv: list[str]) -> str:
    args = bench().parse_args(argv)
    file = args.file if args.file.is_absolute() else ROOT / args.file
    if not file.exists():
        pytest.skip(f"{file} is not on this machine")
    result = _computed(file, args.swap_halves, args.slack, args.false_pass, args.false_fail, args.judge_accuracy,
                       args.compare)
    result = {**result, "file": Path(args.file).name + (" (halves swapped)" if args.swap_halves else "")}
    text: str = bench().output(args, result)
    return text


def blocks(doc: str) -> list[tuple[str, str]]:
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    return [(m.group("args").strip(), m.group("body")) for m in BLOCK.finditer(text)]


def test_the_docs_hold_the_fixture_and_the_shared_file_blocks() -> None:
    args = [a for a, _ in blocks("strategies.md")]
    assert "tests/strategy/fixtures/outcomes-subset.json" in args and "" in args
    assert [a for a, _ in blocks("benchmarks.md")] == ["--summary"]


def test_the_fixture_block_is_what_the_bench_prints() -> None:
    (body,) = [b for a, b in blocks("strategies.md") if a == "tests/strategy/fixtures/outcomes-subset.json"]
    assert render(["tests/strategy/fixtures/outcomes-subset.json"]) == body


@pytest.mark.parametrize(("doc", "index"), [("strategies.md", i) for i in range(4)] + [("benchmarks.md", 0)])
def test_the_shared_file_blocks_are_what_the_bench_prints(doc: str, index: int) -> None:
    found = [(a, b) for a, b in blocks(doc) if "fixtures" not in a]
    args, body = found[index]
    assert render(shlex.split(args)) == body


def test_the_products_rule_is_the_one_fitted_on_the_shared_tune_half() -> None:
    if not bench().DEFAULT_FILE.exists():
        pytest.skip("the shared outcomes file is not on this machine")
    result = _computed(bench().DEFAULT_FILE, False, 0.0, 0.2, 0.1, 0.5, "")
    population = result["population"]
    assert round(population["spread"], 2) == DEFAULT_RULE.population.spread
    assert round(population["cost_elasticity"], 2) == DEFAULT_RULE.population.cost_elasticity
    assert result["margin"] == DEFAULT_RULE.margin
    assert result["target"]["met"]


def _direct_cascade(tasks: list[Any], names: list[str], check: CheckRates) -> tuple[float, float]:
    """The cascade counted directly (the issue's formula), independently of the state machine."""
    resolved = cost = 0.0
    for task in tasks:
        reach = 1.0
        for k, name in enumerate(names):
            run = task.runs[name]
            cost += reach * run.cost_usd
            passes = (1 - check.false_fail) if run.resolved else check.false_pass
            last = k == len(names) - 1
            resolved += reach * run.resolved * (1.0 if last else passes)
            reach *= 1 - passes
    return resolved, cost


def test_the_replay_agrees_with_a_direct_count_on_the_fixture() -> None:
    result = _computed(FIXTURE, False, 0.0, 0.2, 0.1, 0.5, "")
    row = next(r for r in result["rows"] if r["strategy"].startswith("default cascade: "))
    names = row["strategy"].removeprefix("default cascade: ").split(" -> ")
    report = OutcomeFile.model_validate_json(FIXTURE.read_text(encoding="utf-8")).half("report")
    resolved, cost = _direct_cascade(report, names, CheckRates())
    assert row["resolved"] == pytest.approx(resolved) and row["cost_usd"] == pytest.approx(cost)
    oracle = result["rows"][-1]
    assert oracle["strategy"].startswith("oracle") and oracle["resolved"] == sum(
        any(r.resolved for r in t.runs.values()) for t in report)


def test_the_bench_runs_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench().main([str(FIXTURE), "--summary", "--false-pass", "0.3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| strategy (report half) |") and "Target (resolve at least" in out
