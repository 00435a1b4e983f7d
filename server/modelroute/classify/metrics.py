"""Accuracy, macro-F1, confusion and expected calibration error: plain functions over labels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from modelroute.categories import Category


@dataclass(frozen=True)
class Scores:
    pairs: tuple[tuple[Category, Category], ...]  # (wanted, got)

    @property
    def accuracy(self) -> float:
        return sum(w == g for w, g in self.pairs) / len(self.pairs) if self.pairs else 0.0

    @property
    def macro_f1(self) -> float:
        f1s = []
        for c in {w for w, _ in self.pairs}:
            tp = sum(1 for w, g in self.pairs if w == c and g == c)
            fp = sum(1 for w, g in self.pairs if w != c and g == c)
            fn = sum(1 for w, g in self.pairs if w == c and g != c)
            f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        return sum(f1s) / len(f1s) if f1s else 0.0

    def summary(self) -> str:
        right = sum(w == g for w, g in self.pairs)
        return f"accuracy {self.accuracy:.3f} ({right}/{len(self.pairs)}), macro-F1 {self.macro_f1:.3f}"

    def confusion_table(self) -> str:
        """A markdown table: rows wanted, columns got."""
        counts = Counter(self.pairs)
        cats = list(Category)
        head = "| want \\ got | " + " | ".join(c.short for c in cats) + " |"
        lines = [head, "|" + " --- |" * (len(cats) + 1)]
        for want in cats:
            n = sum(v for (w, _), v in counts.items() if w == want)
            if not n:
                continue
            cells = [f"**{counts[(want, g)]}**" if g == want else str(counts[(want, g)] or "") for g in cats]
            lines.append(f"| {want.value} ({n}) | " + " | ".join(cells) + " |")
        return "\n".join(lines)


def score_pairs(pairs: Sequence[tuple[Category, Category]]) -> Scores:
    return Scores(tuple(pairs))


def calibration_error(probs: Sequence[Sequence[float]], gold: Sequence[Category], bins: int = 10) -> float:
    """Expected calibration error of the top label: |accuracy - confidence| averaged over equal-width bins,
    weighted by how many predictions fall in each."""
    labels = list(Category)
    total = len(probs)
    if not total:
        return 0.0
    sums: list[list[float]] = [[0.0, 0.0, 0.0] for _ in range(bins)]  # count, confidence, correct
    for p, want in zip(probs, gold, strict=True):
        top = max(range(len(p)), key=lambda i: p[i])
        b = min(int(p[top] * bins), bins - 1)
        sums[b][0] += 1
        sums[b][1] += p[top]
        sums[b][2] += labels[top] == want
    return sum(abs(c - k) for n, c, k in sums if n) / total
