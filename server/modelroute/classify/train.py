"""Train the classifier from the corpus, measure it on held-out families, and write the artifact.

    python -m modelroute.classify train     # cross-validate by family, calibrate, fit, write data/model.zip
    python -m modelroute.classify check     # exit 1 unless the artifact was trained on this corpus

Training needs scikit-learn and scipy (the `train` extra); classifying needs only numpy.

Method: multinomial logistic regression (L2) over the features of features.py, each text weighted
(`text_weights`: no source family counts for more than FAMILY_CAP texts, and the labels are balanced by
weight). Held-out figures come from
grouped cross-validation: every source family (for texts the project wrote, every file) is held out
whole in exactly one fold, so near copies never sit on both sides. The out-of-fold logits fit one
temperature (calibration) and give the expected calibration error. The shipped model is then fitted
on the whole corpus.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from modelroute.categories import Category
from modelroute.classify.corpus import PROJECT_FAMILY, Example, corpus_bytes, corpus_hash, parse_corpus
from modelroute.classify.features import text_features
from modelroute.classify.importer import Exclusions
from modelroute.classify.linear import LABELS, artifact_path, softmax, write_artifact
from modelroute.classify.metrics import Scores, calibration_error, score_pairs

C = 4.0  # inverse L2 strength; 1 to 16 gave the same held-out figures within noise (docs/classify.md)
MIN_COUNT = 2  # a feature seen in one text only says nothing general
# A family (one source; for project-written texts, one file of hundreds) weighs at most as much as this
# many texts: the guide's per-family cap (labels.md), so one large source's style cannot dominate.
FAMILY_CAP = 12
FOLDS = 10
MIN_BUCKET = 100  # texts a length bucket needs for a temperature of its own
ECE_BINS = 10

Matrix = Any  # scipy.sparse.csr_matrix; scipy is a training-time dependency only
FloatArray = npt.NDArray[np.float64]


@dataclass
class Fitted:
    features: list[str]
    weights: FloatArray  # (features, labels)
    bias: FloatArray


def vectorize(rows: Sequence[dict[str, float]], vocab: dict[str, int]) -> Matrix:
    from scipy.sparse import csr_matrix

    data: list[float] = []
    cols: list[int] = []
    ptr = [0]
    for values in rows:
        for name, value in values.items():
            col = vocab.get(name)
            if col is not None:
                cols.append(col)
                data.append(value)
        ptr.append(len(cols))
    return csr_matrix((data, cols, ptr), shape=(len(rows), len(vocab)), dtype=np.float64)


def text_weights(examples: Sequence[Example]) -> FloatArray:
    """Each text's weight in the fit, with mean 1.

    What generalises to texts from unseen sources is many sources, not many texts of one: a family of
    n texts counts as min(n, FAMILY_CAP) texts. A file of project-written texts (hundreds, written in
    the project's style) is one family. The labels are then balanced by total weight, as
    `class_weight="balanced"` would by count."""
    sizes = Counter(e.group for e in examples)
    weight = np.array([min(1.0, FAMILY_CAP / sizes[e.group]) for e in examples])
    per_label: dict[Category, float] = defaultdict(float)
    for e, w in zip(examples, weight, strict=True):
        per_label[e.label] += float(w)
    total = sum(per_label.values())
    weight *= np.array([total / (len(per_label) * per_label[e.label]) for e in examples])
    return np.asarray(weight * len(weight) / weight.sum(), dtype=np.float64)


def fit(rows: Sequence[dict[str, float]], examples: Sequence[Example]) -> Fitted:
    from sklearn.linear_model import LogisticRegression

    counts = Counter(name for values in rows for name in values)
    features = sorted(name for name, n in counts.items() if n >= MIN_COUNT)
    vocab = {name: i for i, name in enumerate(features)}
    y = np.array([LABELS.index(e.label) for e in examples])
    model = LogisticRegression(C=C, max_iter=3000, tol=1e-6)
    model.fit(vectorize(rows, vocab), y, sample_weight=text_weights(examples))
    weights = np.zeros((len(features), len(LABELS)))
    weights[:, model.classes_] = model.coef_.T
    bias = np.full(len(LABELS), -30.0)
    bias[model.classes_] = model.intercept_
    return Fitted(features, weights, bias)


def predict_logits(fitted: Fitted, rows: Sequence[dict[str, float]]) -> FloatArray:
    vocab = {name: i for i, name in enumerate(fitted.features)}
    return np.asarray(vectorize(rows, vocab) @ fitted.weights) + fitted.bias


def folds(examples: Sequence[Example]) -> list[int]:
    """A fold per example: whole groups, assigned largest first to the smallest fold (deterministic)."""
    sizes = Counter(e.group for e in examples)
    load = [0] * FOLDS
    fold_of: dict[str, int] = {}
    for group, size in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        target = min(range(FOLDS), key=lambda f: (load[f], f))
        fold_of[group] = target
        load[target] += size
    return [fold_of[e.group] for e in examples]


def out_of_fold(examples: Sequence[Example], rows: Sequence[dict[str, float]]) -> FloatArray:
    assignment = folds(examples)
    logits = np.zeros((len(examples), len(LABELS)))
    for fold in range(FOLDS):
        test = [i for i, f in enumerate(assignment) if f == fold]
        train = [i for i, f in enumerate(assignment) if f != fold]
        if not test:
            continue
        fitted = fit([rows[i] for i in train], [examples[i] for i in train])
        logits[test] = predict_logits(fitted, [rows[i] for i in test])
    return logits


def fit_temperature(logits: FloatArray, gold: Sequence[int]) -> float:
    """The temperature that minimises the negative log-likelihood (golden-section search)."""
    def nll(t: float) -> float:
        return -sum(math.log(max(softmax(list(row / t))[g], 1e-12)) for row, g in zip(logits, gold, strict=True))

    lo, hi = 0.2, 10.0
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(40):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if nll(a) < nll(b):
            hi = b
        else:
            lo = a
    return round((lo + hi) / 2, 4)


def fit_temperatures(logits: FloatArray, gold: Sequence[int], buckets: Sequence[str]) -> dict[str, float]:
    """One temperature overall ("*") and one per length bucket with enough texts: a three-word request
    and a pasted issue are not equally reliable, and one scale would make one of them overconfident."""
    out = {"*": fit_temperature(logits, gold)}
    for bucket in sorted(set(buckets)):
        idx = [i for i, b in enumerate(buckets) if b == bucket]
        if len(idx) >= MIN_BUCKET:
            out[bucket] = fit_temperature(logits[idx], [gold[i] for i in idx])
    return out


def _bucket(values: dict[str, float]) -> str:
    return next((name for name in values if name.startswith("len:")), "*")


def spent_blind_families() -> Exclusions:
    """The families of earlier blind sets (data/spent_blind_families.txt), now training data."""
    path = Path(str(resources.files("modelroute.classify") / "data" / "spent_blind_families.txt"))
    return Exclusions.parse(path.read_text(encoding="utf-8"))


def report(examples: Sequence[Example], logits: FloatArray, temperatures: Sequence[float]) -> dict[str, Any]:
    """Held-out figures for the real families, the earlier blind sets' families among them, the
    project-written ones and all together."""
    probs = [softmax(list(row / t)) for row, t in zip(logits, temperatures, strict=True)]
    got = [LABELS[int(np.argmax(p))] for p in probs]
    summary: dict[str, Any] = {}
    spent = spent_blind_families()
    parts = {"real": [i for i, e in enumerate(examples) if e.family != PROJECT_FAMILY],
             "spent_blind": [i for i, e in enumerate(examples) if spent.excludes(e.family, e.source)],
             "project": [i for i, e in enumerate(examples) if e.family == PROJECT_FAMILY],
             "all": list(range(len(examples)))}
    for name, idx in parts.items():
        if not idx:
            continue
        scores = score_pairs([(examples[i].label, got[i]) for i in idx])
        raw = calibration_error([softmax(list(logits[i])) for i in idx], [examples[i].label for i in idx],
                                ECE_BINS)
        ece = calibration_error([probs[i] for i in idx], [examples[i].label for i in idx], ECE_BINS)
        summary[name] = {"n": len(idx), "accuracy": round(scores.accuracy, 4), "macro_f1": round(scores.macro_f1, 4),
                         "ece_uncalibrated": round(raw, 4), "ece": round(ece, 4)}
        print(f"\n== held-out {name} texts: {scores.summary()}, ECE {raw:.3f} before and {ece:.3f} after "
              "calibration")
        print(scores.confusion_table())
    by_family: dict[str, list[bool]] = defaultdict(list)
    for i, e in enumerate(examples):
        by_family[e.family if e.family != PROJECT_FAMILY else e.group].append(got[i] == e.label)
    print("\n== per held-out family (accuracy, n)")
    for family, hits in sorted(by_family.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print(f"  {sum(hits) / len(hits):6.3f} {len(hits):5d}  {family}")
    summary["families"] = {f: [round(sum(h) / len(h), 4), len(h)] for f, h in by_family.items()}
    return summary


def train(corpus: Path | None = None, out: Path | None = None, *, evaluate: bool = True) -> dict[str, Any]:
    data = corpus_bytes(corpus)
    examples = parse_corpus(data)
    rows = [text_features(e.text).values for e in examples]
    gold = [LABELS.index(e.label) for e in examples]
    meta: dict[str, Any] = {"corpus_sha256": corpus_hash(data), "examples": len(examples), "C": C,
                            "min_count": MIN_COUNT, "family_cap": FAMILY_CAP,
                            "labels_count": dict(Counter(e.label.value for e in examples))}
    temperatures = {"*": 1.0}
    if evaluate:
        logits = out_of_fold(examples, rows)
        buckets = [_bucket(r) for r in rows]
        temperatures = fit_temperatures(logits, gold, buckets)
        print(f"temperatures: {temperatures}")
        meta["heldout"] = report(examples, logits, [temperatures.get(b, temperatures["*"]) for b in buckets])
    meta["temperature"] = temperatures["*"]
    meta["temperatures"] = temperatures
    fitted = fit(rows, examples)
    keep = np.flatnonzero(np.abs(fitted.weights).max(axis=1) >= 1e-3)
    features = [fitted.features[i] for i in keep]
    write_artifact(out or artifact_path(), features, fitted.weights[keep].tolist(), fitted.bias.tolist(), meta)
    print(f"\nwrote {out or artifact_path()}: {len(features)} features, {len(examples)} examples, "
          f"corpus {meta['corpus_sha256'][:12]}")
    return meta


__all__ = ["Scores", "fit", "fit_temperature", "folds", "train"]
