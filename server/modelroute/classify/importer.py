"""Import labelled texts from JSONL files into the corpus (`python -m modelroute.classify import`).

Each input line is one object with `text`, `label`, `source`, `family` and an optional `note`
(docs/classify.md, "To add texts"). A record is added when it is valid (one of the seven labels,
non-empty strings), new (its normalised text is neither in the corpus nor earlier in this import) and
not excluded (its family, or a GitHub repository its family or source names, is not listed in the
exclude file). Everything else is dropped with a reason, per file and label, and nothing is lost from
the corpus: records are only ever appended.

Input files may still be growing while they are read (collectors append to them): a last line that is
cut off (no newline and not yet valid JSON) is left for the next import, not reported as broken.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from modelroute.classify.corpus import CorpusError, corpus_path, parse_corpus, parse_record, text_key

_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_RUN = re.compile(r"\n{3,}")
# "github:owner/repo" in a family; in a source, a github.com/owner/repo URL, or "github:owner/repo ..." or
# "owner/repo path ..." at its start (the guide allows a repository, path and commit for a source)
_FAMILY_REPO = re.compile(r"^github:([\w.-]+/[\w.-]+)", re.IGNORECASE)
_SOURCE_REPO = re.compile(r"(?:github\.com/|^github:|^)([\w.-]+/[\w.-]+)", re.IGNORECASE)


def normalize_text(text: str) -> str:
    """Whitespace normalised and nothing else: line ends as \\n, runs of spaces and tabs as one space, no
    trailing spaces, at most one blank line in a row, no blank edges. Line breaks stay: the first line of
    an issue is its title, and a code block's lines are what masks it."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    joined = "\n".join(_SPACES.sub(" ", line).rstrip() for line in lines)
    return _BLANK_RUN.sub("\n\n", joined).strip()


@dataclass(frozen=True)
class Exclusions:
    """Families (whole lines of the exclude file) and GitHub repositories (owner/name) kept out of the corpus."""

    families: frozenset[str] = frozenset()
    repos: frozenset[str] = frozenset()  # lower-case owner/name

    @classmethod
    def parse(cls, text: str) -> Exclusions:
        families: set[str] = set()
        repos: set[str] = set()
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            families.add(line.casefold())
            if match := _FAMILY_REPO.match(line):
                repos.add(_repo(match.group(1)))
        return cls(frozenset(families), frozenset(repos))

    def excludes(self, family: str, source: str) -> bool:
        """Whether a record with this family and source is kept out: its family is listed, or its family or
        source names a listed repository."""
        if family.strip().casefold() in self.families:
            return True
        named = (_FAMILY_REPO.match(family.strip()), *_SOURCE_REPO.finditer(source))
        return any(_repo(m.group(1)) in self.repos for m in named if m is not None)


def _repo(name: str) -> str:
    return name.lower().removesuffix(".git")


@dataclass
class FileReport:
    """What one input file gave: records added per label, and records dropped per reason."""

    path: Path
    added: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)  # reason -> count
    dropped_by_label: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)  # invalid lines, with their line number
    pending: bool = False  # the file ended in an incomplete line (still being written)

    def lines(self) -> list[str]:
        total = sum(self.added.values())
        out = [f"{self.path}: added {total}, dropped {sum(self.dropped.values())}"
               + (" (last line incomplete: left for the next import)" if self.pending else "")]
        if self.added:
            out.append("  added by label: " + _counts(self.added))
        if self.dropped:
            out.append("  dropped: " + _counts(self.dropped))
            out.append("  dropped by label: " + _counts(self.dropped_by_label))
        out.extend(f"  {problem}" for problem in self.problems)
        return out


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(counter.items()))


@dataclass
class ImportResult:
    files: list[FileReport]
    records: list[dict[str, str]]  # added, in the order they were appended

    def lines(self) -> list[str]:
        out = [line for report in self.files for line in report.lines()]
        added: Counter[str] = Counter(r["label"] for r in self.records)
        out.append(f"total: added {len(self.records)} ({_counts(added) or 'none'}), dropped "
                   f"{sum(sum(f.dropped.values()) for f in self.files)}")
        return out


def _record(line: str) -> tuple[dict[str, str] | None, str]:
    """A valid, normalised record, or None and why not (the corpus's own line check)."""
    try:
        example = parse_record(line)
    except CorpusError as exc:
        return None, str(exc)
    record = {"text": normalize_text(example.text), "label": example.label.value,
              "source": " ".join(example.source.split()), "family": " ".join(example.family.split())}
    if example.note.strip():
        record["note"] = " ".join(example.note.split())
    return record, ""


def read_records(path: Path, seen: set[str], exclusions: Exclusions) -> tuple[FileReport, list[dict[str, str]]]:
    """The new records of one file; `seen` (normalised texts already taken) grows with them."""
    report = FileReport(path)
    data = path.read_text(encoding="utf-8")
    lines = data.split("\n")
    if lines[-1].strip() and _record(lines[-1])[0] is None:  # a last line cut off while it is being written
        report.pending = True
        lines.pop()
    kept: list[dict[str, str]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        record, problem = _record(line)
        if record is None:
            report.dropped["invalid"] += 1
            report.dropped_by_label["?"] += 1
            report.problems.append(f"line {number}: {problem}")
            continue
        reason = _drop_reason(record, seen, exclusions)
        if reason:
            report.dropped[reason] += 1
            report.dropped_by_label[record["label"]] += 1
            continue
        seen.add(text_key(record["text"]))
        report.added[record["label"]] += 1
        kept.append(record)
    return report, kept


def _drop_reason(record: dict[str, str], seen: set[str], exclusions: Exclusions) -> str:
    if exclusions.excludes(record["family"], record["source"]):
        return "excluded"
    if text_key(record["text"]) in seen:
        return "duplicate"
    return ""


def import_files(paths: Sequence[Path], *, corpus: Path | None = None, exclude: Path | None = None,
                 dry_run: bool = False) -> ImportResult:
    """Append the valid, new, not excluded records of `paths` to the corpus (unless `dry_run`).

    Added records are appended sorted by family, label and text, so the corpus does not depend on the
    order of the files or of the lines inside them (collectors append concurrently)."""
    target = corpus or corpus_path()
    existing = target.read_bytes() if target.exists() else b""
    seen = {text_key(e.text) for e in parse_corpus(existing, target.name)}
    exclusions = Exclusions.parse(exclude.read_text(encoding="utf-8")) if exclude else Exclusions()
    reports: list[FileReport] = []
    records: list[dict[str, str]] = []
    for path in paths:
        report, kept = read_records(path, seen, exclusions)
        reports.append(report)
        records.extend(kept)
    records.sort(key=lambda r: (r["family"], r["label"], text_key(r["text"])))
    if records and not dry_run:
        _append(target, existing, records)
    return ImportResult(reports, records)


def _append(target: Path, existing: bytes, records: Iterable[dict[str, str]]) -> None:
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    prefix = b"" if not existing or existing.endswith(b"\n") else b"\n"
    with target.open("ab") as out:
        out.write(prefix + lines)
