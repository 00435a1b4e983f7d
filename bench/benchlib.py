"""Shared measuring for the bench scripts: a subject against a baseline, interleaved in one run.

Machines here are shared and loaded, so absolute times drift from minute to minute. Alternating the
subject and its baseline call by call lets the same load hit both; the ratio of their medians is the
figure a goal is set on. Nothing here asserts: benchmarks report, tests assert behaviour.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SUPPORT = Path(__file__).resolve().parents[1] / "tests" / "support"


def use_test_support() -> None:
    """Make `modelroute_testing` (tests/support) importable, as pytest does."""
    if str(SUPPORT) not in sys.path:
        sys.path.insert(0, str(SUPPORT))


@dataclass(frozen=True)
class Comparison:
    label: str
    subject_ms: list[float]
    baseline_ms: list[float]

    @property
    def subject_median(self) -> float:
        return statistics.median(self.subject_ms)

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline_ms)

    @property
    def ratio(self) -> float:
        return self.subject_median / max(self.baseline_median, 1e-9)

    def row(self) -> str:
        """A markdown table row: label | subject median | p95 | baseline median | ratio."""
        return (
            f"| {self.label} | {self.subject_median:.3f} | {p95(self.subject_ms):.3f} "
            f"| {self.baseline_median:.3f} | {self.ratio:.2f} |"
        )


HEADER = "| measurement | median ms | p95 ms | baseline median ms | ratio |\n| --- | ---: | ---: | ---: | ---: |"


def compare(label: str, subject: Callable[[], object], baseline: Callable[[], object], rounds: int) -> Comparison:
    """Call subject and baseline alternately `rounds` times each (after one warm-up call of each)."""
    subject()
    baseline()
    subject_ms: list[float] = []
    baseline_ms: list[float] = []
    for _ in range(rounds):
        subject_ms.append(timed_ms(subject))
        baseline_ms.append(timed_ms(baseline))
    return Comparison(label, subject_ms, baseline_ms)


def timed_ms(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
