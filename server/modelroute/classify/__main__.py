"""The classifier's command line.

    python -m modelroute.classify score FILE.jsonl [--misses]   accuracy, macro-F1, confusion, calibration
    python -m modelroute.classify train                          retrain from the corpus, print held-out figures
    python -m modelroute.classify check                          exit 1 unless the artifact matches the corpus
    python -m modelroute.classify import FILE.jsonl... [--exclude FAMILIES.txt] [--dry-run]
                                                                 add new labelled texts to the corpus

For `score`, FILE.jsonl holds one object per line with `text` and `label` (and optionally `file`,
`language`); for `import`, `text`, `label`, `source`, `family` and optionally `note`. FAMILIES.txt lists
one source family a line; a line starting `github:owner/repo` also excludes every text from that
repository. `import` never retrains: run `train` after it.
`train` needs the `train` extra (scikit-learn, scipy); the others need only the package.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from modelroute.categories import Category
from modelroute.classify.classifier import classify
from modelroute.classify.corpus import corpus_bytes, corpus_hash
from modelroute.classify.linear import artifact_path, read_artifact
from modelroute.classify.metrics import calibration_error, score_pairs
from modelroute.context.model import ActionContext


def score_file(path: Path, *, misses: bool = False) -> int:
    pairs: list[tuple[Category, Category]] = []
    probs: list[list[float]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            want = Category.parse(str(record["label"]))
            text = str(record["text"])
        except (ValueError, KeyError, TypeError) as exc:
            print(f"{path}:{number}: not a labelled record ({exc})", file=sys.stderr)
            return 2
        ctx = ActionContext(workspace="/", file=str(record.get("file", "")), language=str(record.get("language", "")),
                            instruction=text)
        got = classify(ctx)
        pairs.append((want, got.label))
        probs.append([got.scores.get(c, 0.0) for c in Category])
        if misses and got.label is not want:
            print(f"MISS {path.name}:{number} want {want.value} got {got.label.value} ({got.confidence:.2f}): "
                  f"{' '.join(text.split())[:100]!r}")
    if not pairs:
        print(f"{path}: no records", file=sys.stderr)
        return 2
    scores = score_pairs(pairs)
    print(f"{path.name}: {scores.summary()}, expected calibration error "
          f"{calibration_error(probs, [w for w, _ in pairs]):.3f}")
    print(scores.confusion_table())
    return 0


def check(artifact: Path | None = None, corpus: Path | None = None) -> str | None:
    """None when the artifact was trained on this corpus, else what is wrong."""
    model = read_artifact(artifact or artifact_path())
    want = corpus_hash(corpus_bytes(corpus))
    got = model.meta.get("corpus_sha256")
    if got != want:
        return (f"the classifier artifact was trained on corpus {str(got)[:12]}, but the corpus is {want[:12]}: "
                "run `python -m modelroute.classify train` and commit data/model.zip")
    return None


def import_command(files: list[Path], exclude: Path | None, *, corpus: Path | None = None,
                   dry_run: bool = False) -> int:
    from modelroute.classify.corpus import CorpusError
    from modelroute.classify.importer import import_files

    try:
        result = import_files(files, corpus=corpus, exclude=exclude, dry_run=dry_run)
    except (OSError, UnicodeDecodeError, CorpusError) as exc:
        print(f"import: {exc}", file=sys.stderr)
        return 2
    print("\n".join(result.lines()))
    if dry_run:
        print("dry run: the corpus is unchanged")
    elif result.records:
        print("the corpus changed: run `python -m modelroute.classify train` and commit data/model.zip with it")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m modelroute.classify", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    score = sub.add_parser("score", help="score a labelled JSONL file")
    score.add_argument("file", type=Path)
    score.add_argument("--misses", action="store_true", help="print every miss")
    sub.add_parser("train", help="retrain from the corpus and write the artifact")
    sub.add_parser("check", help="exit 1 unless the artifact matches the corpus")
    imp = sub.add_parser("import", help="append new labelled texts to the corpus")
    imp.add_argument("files", type=Path, nargs="+")
    imp.add_argument("--exclude", type=Path, help="families (and github:owner/repo repositories) to keep out")
    imp.add_argument("--dry-run", action="store_true", help="report what would be added, change nothing")
    imp.add_argument("--corpus", type=Path, help="the corpus to add to (default: the package's data/corpus.jsonl)")
    args = parser.parse_args(argv)
    if args.command == "import":
        return import_command(args.files, args.exclude, corpus=args.corpus, dry_run=args.dry_run)
    if args.command == "score":
        return score_file(args.file, misses=args.misses)
    if args.command == "check":
        problem = check()
        print(problem or "artifact matches the corpus")
        return 1 if problem else 0
    from modelroute.classify.train import train

    train()
    return 0


if __name__ == "__main__":
    sys.exit(main())
