"""Classifier start-up and decision latency, against a baseline revision in the same run.

Run from the repository root:

    .venv/bin/python bench/bench_classify.py [--baseline REV] [--runs 5]

The baseline's `server/` tree is taken from git (`git archive REV`, default `main`) into a temporary
folder, and both trees are measured the same way in fresh interpreters, alternating, so machine load
affects both alike. Reported: start-up (import plus the first decision, which loads the model) and
per-decision latency on short requests, long pasted issues and a 150 KB paste; each with the
ratio ours/baseline. The texts come from the corpus of *this* tree, so both classify the same texts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKER = r"""
import json, statistics, sys, time
t0 = time.perf_counter()
from modelroute.classify import classify_text
classify_text("warm up the model")
startup = time.perf_counter() - t0
texts = json.load(open(sys.argv[1]))
out = {"startup_ms": startup * 1e3}
for name, group in texts.items():
    samples = []
    for _ in range(3 if name != "huge" else 10):
        for text in group:
            s = time.perf_counter(); classify_text(text); samples.append((time.perf_counter() - s) * 1e6)
    samples.sort()
    out[name] = {"median_us": statistics.median(samples), "p95_us": samples[int(len(samples) * 0.95) - 1]}
print(json.dumps(out))
"""


def _texts() -> dict[str, list[str]]:
    corpus = ROOT / "server/modelroute/classify/data/corpus.jsonl"
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    texts = [r["text"] for r in rows]
    short = [t for t in texts if len(t) < 200][::4][:300]
    long = [t for t in texts if len(t) > 800][:150]
    huge = ["Traceback (most recent call last)\n  File \"a.py\", line 1\n" * 3000]
    return {"short": short, "long": long, "huge": huge}


def _baseline_tree(rev: str, into: Path) -> Path:
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "server"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into / "server"


def _measure(server: Path, texts_file: Path) -> dict[str, dict[str, float] | float]:
    proc = subprocess.run([sys.executable, "-c", WORKER, str(texts_file)], capture_output=True, text=True,
                          check=True, env={"PYTHONPATH": str(server), "PATH": "/usr/bin:/bin"})
    result: dict[str, dict[str, float] | float] = json.loads(proc.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="main", help="git revision to compare against (default main)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(_texts()))
        trees = {"baseline": _baseline_tree(args.baseline, Path(tmp) / "base"), "ours": ROOT / "server"}
        runs: dict[str, list[dict[str, dict[str, float] | float]]] = {k: [] for k in trees}
        started = time.perf_counter()
        for _ in range(args.runs):
            for name, tree in trees.items():
                runs[name].append(_measure(tree, texts_file))
    print(f"{args.runs} runs each, alternating, {time.perf_counter() - started:.0f} s; medians over runs\n")
    print(f"{'':<22}{'baseline (' + args.baseline + ')':>20}{'ours':>12}{'ratio':>8}")
    rows = [("start-up (ms)", "startup_ms", None)] + [
        (f"{group} {stat[:-3]} (us)", group, stat) for group in ("short", "long", "huge")
        for stat in ("median_us", "p95_us")]
    for label, key, stat in rows:
        vals = {}
        for name in trees:
            samples = [r[key] if stat is None else r[key][stat] for r in runs[name]]  # type: ignore[index]
            vals[name] = statistics.median(samples)
        print(f"{label:<22}{vals['baseline']:>20.1f}{vals['ours']:>12.1f}{vals['ours'] / vals['baseline']:>8.2f}")


if __name__ == "__main__":
    main()
