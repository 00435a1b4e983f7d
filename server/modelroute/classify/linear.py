"""The shipped linear model: load the artifact, score features, and say which features carried it.

The artifact (data/model.zip, written by `python -m modelroute.classify train`) holds `meta.json`
(format, labels, corpus hash, calibration temperatures, held-out figures), `features.txt` (one feature
name a line), `weights.f32` (little-endian float32, one row of len(LABELS) per feature) and `bias.f32`.
It is read with the standard library only: classifying needs no numpy, so importing the classifier
and loading the model stay cheap (a few milliseconds), and it is loaded once, on first use.
"""

from __future__ import annotations

import json
import math
import sys
import zipfile
from array import array
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from modelroute.categories import Category

FORMAT = 2
LABELS: tuple[Category, ...] = tuple(Category)
_N = len(LABELS)


@dataclass(frozen=True)
class Contribution:
    feature: str
    value: float  # how much it moved the winner's logit above the runner-up's


class LinearModel:
    def __init__(self, features: list[str], weights: array[float], bias: list[float], meta: dict[str, Any]) -> None:
        if len(weights) != len(features) * _N or len(bias) != _N:
            raise ValueError(f"artifact shapes do not match: {len(weights)} weights, {len(bias)} biases")
        if meta.get("format") != FORMAT or meta.get("labels") != [c.value for c in LABELS]:
            raise ValueError("artifact format or labels do not match this version of modelroute")
        self.features = features
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

    def logits(self, values: dict[str, float]) -> tuple[list[float], list[tuple[int, float]]]:
        """Raw (uncalibrated) logits per label, and the known features as (row, value)."""
        rows = [(self.index[f], v) for f, v in values.items() if f in self.index]
        out = list(self.bias)
        w = self.weights
        for row, value in rows:
            base = row * _N
            for k in range(_N):
                out[k] += value * w[base + k]
        return out, rows

    def contributions(self, rows: list[tuple[int, float]], label: int, against: int) -> list[Contribution]:
        """Features ordered by how much they favour `label` over `against`, strongest first."""
        w = self.weights
        scored = [(value * (w[row * _N + label] - w[row * _N + against]), row) for row, value in rows]
        return [Contribution(self.features[row], margin) for margin, row in sorted(scored, reverse=True)
                if margin > 0]


def softmax(logits: list[float]) -> list[float]:
    top = max(logits)
    exp = [math.exp(v - top) for v in logits]
    total = sum(exp)
    return [v / total for v in exp]


def artifact_path() -> Path:
    return Path(str(resources.files("modelroute.classify") / "data" / "model.zip"))


def _floats(data: bytes) -> array[float]:
    out = array("f")
    out.frombytes(data)
    if sys.byteorder != "little":  # pragma: no cover - the artifact is little-endian everywhere
        out.byteswap()
    return out


def read_artifact(path: Path) -> LinearModel:
    with zipfile.ZipFile(path) as zf:
        meta = json.loads(zf.read("meta.json"))
        features = zf.read("features.txt").decode("utf-8").split("\n")
        weights = _floats(zf.read("weights.f32"))
        bias = list(_floats(zf.read("bias.f32")))
    return LinearModel(features, weights, bias, meta)


def write_artifact(path: Path, features: list[str], weights: list[list[float]], bias: list[float],
                   meta: dict[str, Any]) -> None:
    """Write the artifact deterministically (fixed entry times), so the same corpus gives the same bytes."""
    if any("\n" in f for f in features):
        raise ValueError("feature names cannot contain a newline")
    flat = array("f", (v for row in weights for v in row))
    head = array("f", bias)
    if sys.byteorder != "little":  # pragma: no cover
        flat.byteswap()
        head.byteswap()
    meta = {"format": FORMAT, "labels": [c.value for c in LABELS], **meta}
    entries = {"meta.json": json.dumps(meta, sort_keys=True, indent=1).encode(),
               "features.txt": "\n".join(features).encode("utf-8"),
               "weights.f32": flat.tobytes(), "bias.f32": head.tobytes()}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data,
                        compress_type=zipfile.ZIP_DEFLATED)


@cache
def shipped() -> LinearModel:
    """The model in the package, loaded once."""
    return read_artifact(artifact_path())
