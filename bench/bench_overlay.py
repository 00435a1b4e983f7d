"""What the copy-on-write workspace costs on a 50,000-file workspace (issue 11).

    .venv/bin/python bench/bench_overlay.py [--files 50000] [--runs 7]

Every figure is a median over --runs, measured round-robin with its baseline in the same run, and
reported as a ratio against the same command in the plain sandbox (the workspace mounted read-only, no
overlay; the edits there go to a scratch folder in its private /tmp, the same work minus the overlay):
- `overlay run`: a new attempt's overlay (folders made, bwrap with `--overlay`), the command, close;
- `overlay run + change set`: the same with a command that edits 20 files and creates 20, then
  `change_set()` (the upper layer compared with the workspace) and close;
- `change set only`: `change_set()` after that command, alone;
- `stage 20 edits`: `Overlay.write` of 20 files (host-side, no process).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from modelroute.sandbox import Overlay, SandboxSpec, run_sandboxed

EDIT = "for i in $(seq 0 19); do echo changed >> d$i/f0.txt; echo new > d$i/new.txt; done"
EDIT_IN_TMP = "mkdir -p /tmp/w && cd /tmp/w && for i in $(seq 0 19); do mkdir d$i; echo changed >> d$i/f0.txt; " \
    "echo new > d$i/new.txt; done"


def generate(root: Path, files: int, per_dir: int = 100) -> None:
    """A git repository of `files` small source files, `per_dir` per folder."""
    for i in range(files):
        folder = root / f"d{i // per_dir}"
        if i % per_dir == 0:
            folder.mkdir(parents=True)
        (folder / f"f{i % per_dir}.txt").write_text(f"line {i}\n")
    (root / ".gitignore").write_text("build/\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)


def medians(cases: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Each case `runs` times, round-robin (so load on a shared machine hits all of them alike)."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        root = Path(tmp) / "ws"
        start = time.perf_counter()
        generate(root, args.files)
        print(f"workspace: {args.files} files in {time.perf_counter() - start:.1f} s")
        spec = SandboxSpec(workspace=root, timeout_s=120)
        plain = SandboxSpec(workspace=root, timeout_s=120, mode="read-only")

        def overlay_run(command: str, collect: bool) -> None:
            with Overlay(root, spec) as attempt:
                attempt.run(command)
                if collect:
                    attempt.change_set()


        with Overlay(root, spec) as edited:
            edited.run(EDIT)
            assert len(edited.change_set().changes) == 40
            with Overlay(root, spec) as staging:
                times = medians(
                    {
                        "plain: true": lambda: run_sandboxed("true", plain),
                        "overlay: true": lambda: overlay_run("true", False),
                        "plain: edit": lambda: run_sandboxed(EDIT_IN_TMP, plain),
                        "overlay: edit + change set": lambda: overlay_run(EDIT, True),
                        "change set": edited.change_set,
                        "stage": lambda: [staging.write(f"d{i}/f1.txt", "staged\n") for i in range(20)],
                    },
                    args.runs,
                )
        rows = [
            ("plain sandbox: `true`", "plain: true", None),
            ("overlay (set up, run, close): `true`", "overlay: true", "plain: true"),
            ("plain sandbox: edit 20 files, create 20", "plain: edit", None),
            ("overlay + change set: edit 20 files, create 20", "overlay: edit + change set", "plain: edit"),
            ("change set only (40 changes)", "change set", None),
            ("stage 20 edits (Overlay.write)", "stage", None),
        ]
        print(f"\n| {args.files} files, median of {args.runs} | time | vs plain sandbox |")
        print("| --- | ---: | ---: |")
        for label, key, against in rows:
            ratio = f"{times[key] / times[against]:.2f}x" if against else ""
            print(f"| {label} | {times[key] * 1000:.1f} ms | {ratio} |")


if __name__ == "__main__":
    main()
