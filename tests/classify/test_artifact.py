"""The shipped model matches the shipped corpus, and the corpus is well formed."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from modelroute.categories import Category
from modelroute.classify.__main__ import check
from modelroute.classify.corpus import (
    PROJECT_FAMILY,
    CorpusError,
    corpus_path,
    load_corpus,
    parse_corpus,
    text_key,
)
from modelroute.classify.features import text_features
from modelroute.classify.importer import Exclusions
from modelroute.classify.linear import artifact_path, shipped


def test_artifact_was_trained_on_this_corpus() -> None:
    assert check() is None, check()


def test_check_notices_a_changed_corpus(tmp_path: Path) -> None:
    changed = tmp_path / "corpus.jsonl"
    changed.write_bytes(corpus_path().read_bytes() + b'{"text": "x y", "label": "explain", "source": "s", '
                        b'"family": "f"}\n')
    problem = check(corpus=changed)
    assert problem is not None and "python -m modelroute.classify train" in problem


def test_corpus_is_valid_and_covers_every_label_with_real_texts() -> None:
    examples = load_corpus()
    labels = Counter(e.label for e in examples)
    assert set(labels) == set(Category) and min(labels.values()) >= 200
    real = [e for e in examples if e.family != PROJECT_FAMILY]
    assert len(real) >= 100 and len({e.family for e in real}) >= 10
    # every real text names where it was found: a URL, or a repository with a path (and commit)
    where = re.compile(r"^(?:https?://|github:|github\.com/[\w.-]+/[\w.-]+|[\w.-]+/[\w.-]+ \S)")
    assert all(where.match(e.source) for e in real), [e.source for e in real if not where.match(e.source)][:5]


def test_corpus_avoids_the_blind_set_families() -> None:
    """No text from a family of the current blind set (blind_families.txt, a copy of the list its collector
    publishes), by family or by a GitHub repository its family or source names."""
    listed = Exclusions.parse((Path(__file__).parent / "blind_families.txt").read_text(encoding="utf-8"))
    assert listed.families and listed.repos
    for e in load_corpus():
        assert not listed.excludes(e.family, e.source), (e.family, e.source)


def test_the_scored_blind_set_is_out_of_training() -> None:
    """The blind set kept beside its family list (scored once, docs/classify.md) is well formed, every
    family is listed, and none of its texts is in the corpus."""
    folder = Path(__file__).parent
    listed = Exclusions.parse((folder / "blind_families.txt").read_text(encoding="utf-8"))
    blind = parse_corpus((folder / "blind" / "2026-12-03.jsonl").read_bytes())
    assert Counter(e.label for e in blind) == dict.fromkeys(Category, 30)
    assert all(listed.excludes(e.family, e.source) for e in blind)
    trained = {text_key(e.text) for e in load_corpus()}
    assert not [e.text[:60] for e in blind if text_key(e.text) in trained]


@pytest.mark.parametrize(("line", "message"), [
    ("not json", "not JSON"),
    ('{"text": "x", "label": "refactoring", "source": "s", "family": "f"}', "unknown label"),
    ('{"text": "x", "label": "explain", "family": "f"}', "missing or empty source"),
])
def test_bad_corpus_lines_name_the_line(line: str, message: str) -> None:
    with pytest.raises(CorpusError, match=rf"corpus.jsonl:2: {message}"):
        parse_corpus(b'{"text": "ok", "label": "explain", "source": "s", "family": "f"}\n' + line.encode())


def test_duplicate_texts_are_refused() -> None:
    row = json.dumps({"text": "Same  text", "label": "explain", "source": "s", "family": "f"}).encode()
    with pytest.raises(CorpusError, match="same text as line 1"):
        parse_corpus(row + b"\n" + row.replace(b"Same  text", b"same text"))


def test_artifact_is_small_and_records_its_held_out_figures() -> None:
    assert artifact_path().stat().st_size < 1_500_000
    meta = shipped().meta
    assert meta["examples"] == len(load_corpus())
    held = meta["heldout"]
    assert held["all"]["accuracy"] >= 0.85 and held["real"]["n"] >= 100
    assert held["all"]["ece"] <= 0.05  # calibrated on held-out families


def test_retraining_reproduces_the_shipped_model(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from modelroute.classify.linear import read_artifact
    from modelroute.classify.train import train

    out = tmp_path / "model.zip"
    train(out=out, evaluate=False)
    fresh, ours = read_artifact(out), shipped()
    assert fresh.meta["corpus_sha256"] == ours.meta["corpus_sha256"]
    texts = [e.text for e in load_corpus()[::25]]
    for text in texts:
        values = text_features(text).values
        a, b = fresh.logits(values)[0], ours.logits(values)[0]
        assert a.index(max(a)) == b.index(max(b))
        assert all(abs(x - y) < 0.05 for x, y in zip(a, b, strict=True)), text[:60]
