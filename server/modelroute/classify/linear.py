"""The shipped linear model: load the artifact, score features, and say which features carried it.

The artifact (data/model.npz, written by `python -m modelroute.classify train`) holds the feature
names, a weight per feature and label, a bias per label, the calibration temperature and metadata
(format, corpus hash, held-out figures). Loading it is a few milliseconds, done once on first use.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from modelroute.categories import Category

FORMAT = 1
LABELS: tuple[Category, ...] = tuple(Category)

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Contribution:
    feature: str
    value: float  # how much it moved the winner's logit above the runner-up's


class LinearModel:
    def __init__(self, features: list[str], weights: FloatArray, bias: FloatArray, meta: dict[str, Any]) -> None:
        if weights.shape != (len(features), len(LABELS)) or bias.shape != (len(LABELS),):
            raise ValueError(f"artifact shapes do not match: {weights.shape}, {bias.shape}")
        if meta.get("format") != FORMAT or meta.get("labels") != [c.value for c in LABELS]:
            raise ValueError("artifact format or labels do not match this version of modelroute")
        self.index = {name: i for i, name in enumerate(features)}
        self.weights = weights
        self.bias = bias
        self.meta = meta
        self.temperature = float(meta.get("temperature", 1.0))
        self.temperatures: dict[str, float] = {k: float(v) for k, v in meta.get("temperatures", {}).items()}

    def temperature_for(self, values: dict[str, float]) -> float:
        """The calibration temperature for a text with these features (its length bucket's, if fitted)."""
        bucket = next((name for name in values if name.startswith("len:")), "")
        return self.temperatures.get(bucket, self.temperature)

    def logits(self, values: dict[str, float]) -> tuple[FloatArray, list[int], FloatArray]:
        """Raw (uncalibrated) logits per label, with the known features' rows and values."""
        rows = [self.index[f] for f in values if f in self.index]
        vals = np.fromiter((values[f] for f in values if f in self.index), dtype=np.float32, count=len(rows))
        out = self.bias + (vals @ self.weights[rows] if rows else 0.0)
        return out.astype(np.float32), rows, vals

    def contributions(self, rows: list[int], vals: FloatArray, label: int, against: int) -> list[Contribution]:
        """Features ordered by how much they favour `label` over `against`, strongest first."""
        if not rows:
            return []
        w = self.weights[rows]
        margin = vals * (w[:, label] - w[:, against])
        names = list(self.index)
        order = np.argsort(-margin)
        return [Contribution(names[rows[i]], float(margin[i])) for i in order if margin[i] > 0]


def softmax(logits: FloatArray | list[float]) -> list[float]:
    top = max(logits)
    exp = [math.exp(float(v) - float(top)) for v in logits]
    total = sum(exp)
    return [v / total for v in exp]


def artifact_path() -> Path:
    return Path(str(resources.files("modelroute.classify") / "data" / "model.npz"))


def read_artifact(path: Path) -> LinearModel:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        features = [str(f) for f in data["features"].tolist()]
        return LinearModel(features, data["weights"].astype(np.float32), data["bias"].astype(np.float32), meta)


def write_artifact(path: Path, features: list[str], weights: FloatArray, bias: FloatArray,
                   meta: dict[str, Any]) -> None:
    meta = {"format": FORMAT, "labels": [c.value for c in LABELS], **meta}
    with path.open("wb") as fh:
        np.savez_compressed(fh, features=np.array(features, dtype=str), weights=weights.astype(np.float32),
                            bias=bias.astype(np.float32), meta=np.array(json.dumps(meta, sort_keys=True)))


@cache
def shipped() -> LinearModel:
    """The model in the package, loaded once."""
    return read_artifact(artifact_path())
