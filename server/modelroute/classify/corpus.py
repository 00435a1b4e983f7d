"""The labelled corpus (data/corpus.jsonl): loading, validation and its hash.

One JSON object per line: `text`, `label` (a DESIGN 2.1 label), `source` (where the text was found:
a URL or repository, path and id; or, for texts the project wrote, which file), `family` (the source
family: texts from one family are held out together, so near copies never sit on both sides of a
split), and an optional `note`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from modelroute.categories import Category

PROJECT_FAMILY = "project-written"
_FIELDS = ("text", "label", "source", "family")


@dataclass(frozen=True)
class Example:
    text: str
    label: Category
    source: str
    family: str
    note: str = ""

    @property
    def group(self) -> str:
        """The unit held out together: the family, or for project-written texts the file they came from
        (each was written apart, round by round)."""
        if self.family != PROJECT_FAMILY:
            return self.family
        return f"{PROJECT_FAMILY}:{self.source.split()[1]}"


class CorpusError(ValueError):
    """A corpus line is not a valid example; the message names the file and line."""


def text_key(text: str) -> str:
    """What two texts must share to be the same text: case and whitespace do not count."""
    return " ".join(text.lower().split())


def corpus_path() -> Path:
    return Path(str(resources.files("modelroute.classify") / "data" / "corpus.jsonl"))


def corpus_bytes(path: Path | None = None) -> bytes:
    return (path or corpus_path()).read_bytes()


def corpus_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_record(line: str) -> Example:
    """One corpus line as an example, validated (known label, every field a non-empty string, a string
    note if any); CorpusError says what is wrong. The corpus and `import` share it."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"not JSON ({exc.msg})") from exc
    if not isinstance(record, dict):
        raise CorpusError("not a JSON object")
    missing = [f for f in _FIELDS if not isinstance(record.get(f), str) or not record[f].strip()]
    if missing:
        raise CorpusError(f"missing or empty {', '.join(missing)}")
    try:
        label = Category(record["label"])
    except ValueError as exc:
        raise CorpusError(f"unknown label {record['label']!r}") from exc
    note = record.get("note", "")
    if not isinstance(note, str):
        raise CorpusError("note is not a string")
    return Example(record["text"], label, record["source"], record["family"], note)


def parse_corpus(data: bytes, name: str = "corpus.jsonl") -> list[Example]:
    """Every example, validated: known label, all fields present, no duplicate text."""
    out: list[Example] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            example = parse_record(line)
        except CorpusError as exc:
            raise CorpusError(f"{name}:{number}: {exc}") from exc
        key = text_key(example.text)
        if key in seen:
            raise CorpusError(f"{name}:{number}: same text as line {seen[key]}")
        seen[key] = number
        out.append(example)
    return out


def load_corpus(path: Path | None = None) -> list[Example]:
    return parse_corpus(corpus_bytes(path), (path or corpus_path()).name)
