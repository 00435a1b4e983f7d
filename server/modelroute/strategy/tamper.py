"""The test-tamper guard: flag changes that modify, delete or skip tests. Pure.

A model asked to make failing tests pass can edit the tests instead of the code. With
`[verify] protect_tests = true` (the default) every change set is read against the test conventions
of each language (conventions.toml): test files (deleted, or existing lines changed: removed or
changed assertions, removed tests, added skip markers), a Rust file's own `#[cfg(test)]` module,
test-runner configuration (pytest.ini, the pytest sections of pyproject.toml, package.json's test
script, the Makefile's test target, ...), the script the check itself runs, and code that checks
whether it is running under a test runner. New tests added beside a fix are fine, unless tests were
deleted in the same change set (they may replace them). Formatting-only changes to a test file are
not flagged. A flagged attempt is shown apart, never counts as verified, and a cascade escalates.
"""

from __future__ import annotations

import difflib
import json
import re
import shlex
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

import pathspec
from pydantic import BaseModel, ConfigDict

from modelroute.changeset import Change, ChangeSet, Flag

MAX_QUOTE = 60  # characters of a flagged line quoted in a reason
_SCRIPT_SUFFIXES = (".sh", ".bash", ".py", ".js", ".mjs", ".cjs", ".ts", ".rb", ".pl", ".ps1", ".bat", ".cmd")


class Language(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    extensions: tuple[str, ...]
    test_files: tuple[str, ...]
    skip: tuple[str, ...] = ()
    assertions: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    inline_tests: str | None = None


class RunnerConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    files: tuple[str, ...]
    why: str
    sections: tuple[str, ...] = ()
    json_keys: tuple[str, ...] = ()
    make_targets: tuple[str, ...] = ()
    added: tuple[str, ...] = ()


class TestDetection(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    patterns: tuple[str, ...]
    why: str


class Conventions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    languages: tuple[Language, ...]
    runner_config: tuple[RunnerConfig, ...]
    test_detection: TestDetection


@lru_cache(maxsize=1)
def conventions() -> Conventions:
    """The conventions shipped with the package (strategy/conventions.toml)."""
    text = files("modelroute.strategy").joinpath("conventions.toml").read_text(encoding="utf-8")
    return Conventions.model_validate(tomllib.loads(text))


def _patterns(regexes: Iterable[str]) -> re.Pattern[str] | None:
    joined = "|".join(f"(?:{r})" for r in regexes)
    return re.compile(joined) if joined else None


@dataclass(frozen=True)
class _Lang:
    spec: Language
    skip: re.Pattern[str] | None
    assertions: re.Pattern[str] | None
    tests: re.Pattern[str] | None
    inline: re.Pattern[str] | None


@dataclass(frozen=True)
class _Compiled:
    languages: tuple[_Lang, ...]
    test_paths: pathspec.PathSpec[pathspec.Pattern]
    runners: tuple[tuple[RunnerConfig, pathspec.PathSpec[pathspec.Pattern], re.Pattern[str] | None], ...]
    detection: re.Pattern[str] | None
    detection_why: str


@lru_cache(maxsize=4)
def _compile(conv: Conventions) -> _Compiled:
    langs = tuple(
        _Lang(
            spec=lang, skip=_patterns(lang.skip), assertions=_patterns(lang.assertions),
            tests=_patterns(lang.tests), inline=re.compile(lang.inline_tests) if lang.inline_tests else None,
        )
        for lang in conv.languages
    )
    test_globs = [glob for lang in conv.languages for glob in lang.test_files]
    runners = tuple(
        (rc, pathspec.PathSpec.from_lines("gitignore", rc.files), _patterns(rc.added)) for rc in conv.runner_config
    )
    return _Compiled(
        languages=langs, test_paths=pathspec.PathSpec.from_lines("gitignore", test_globs), runners=runners,
        detection=_patterns(conv.test_detection.patterns), detection_why=conv.test_detection.why,
    )


def is_test_path(path: str, conv: Conventions | None = None) -> bool:
    """A test file (or test data) by any language's conventions."""
    return _compile(conv or conventions()).test_paths.match_file(path)


def _language(path: str, compiled: _Compiled) -> _Lang | None:
    lower = path.lower()
    return next((lang for lang in compiled.languages if lower.endswith(lang.spec.extensions)), None)


@dataclass(frozen=True)
class _Diff:
    """Line-level changes of one file: removed (from the original) and added (in the new text), with
    the original line numbers of what was removed."""

    before: list[str]
    after: list[str]
    removed: list[tuple[int, str]]
    added: list[tuple[int, str]]

    @property
    def only_formatting(self) -> bool:
        squash = re.compile(r"\s+")
        return Counter(squash.sub("", t) for _, t in self.removed) == Counter(squash.sub("", t) for _, t in self.added)


def _diff(change: Change) -> _Diff:
    before = (change.original or "").splitlines()
    after = (change.new or "").splitlines()
    removed: list[tuple[int, str]] = []
    added: list[tuple[int, str]] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed += [(i, before[i]) for i in range(i1, i2)]
        if tag in ("replace", "insert"):
            added += [(j, after[j]) for j in range(j1, j2)]
    return _Diff(before=before, after=after, removed=removed, added=added)


def _count(pattern: re.Pattern[str] | None, lines: Iterable[tuple[int, str]]) -> int:
    return 0 if pattern is None else sum(1 for _, text in lines if pattern.search(text))


def _first(pattern: re.Pattern[str] | None, lines: Iterable[tuple[int, str]]) -> str | None:
    if pattern is None:
        return None
    for _, text in lines:
        if pattern.search(text):
            quoted = text.strip()
            return quoted if len(quoted) <= MAX_QUOTE else quoted[: MAX_QUOTE - 1] + "…"
    return None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _skip_reasons(lang: _Lang | None, diff: _Diff) -> list[str]:
    if lang is None or lang.skip is None:
        return []
    if _count(lang.skip, diff.added) <= _count(lang.skip, diff.removed):
        return []
    return [f"adds a skip marker (`{_first(lang.skip, diff.added)}`)"]


def _code_reasons(lang: _Lang | None, diff: _Diff, what: str) -> list[str]:
    """Reasons for changed lines of existing test code (already known to be more than formatting)."""
    reasons = _skip_reasons(lang, diff)
    if lang is not None:
        removed_asserts = _count(lang.assertions, diff.removed) - _count(lang.assertions, diff.added)
        removed_tests = _count(lang.tests, diff.removed) - _count(lang.tests, diff.added)
        if removed_tests > 0:
            reasons.append(f"removes {_plural(removed_tests, 'test')}")
        if removed_asserts > 0:
            reasons.append(f"removes {_plural(removed_asserts, 'assertion')}")
        elif lang.assertions is not None:
            kept = {t.strip() for _, t in diff.added}
            changed = [(i, t) for i, t in diff.removed if lang.assertions.search(t) and t.strip() not in kept]
            if changed:
                reasons.append(f"changes {_plural(len(changed), 'assertion')} (`{_first(lang.assertions, changed)}`)")
    if not reasons and diff.removed:
        reasons.append(f"changes existing {what} (line {diff.removed[0][0] + 1})")
    return reasons


def _test_file_reasons(change: Change, lang: _Lang | None) -> list[str]:
    what = "test code" if lang is not None else "test data"
    if change.kind == "deleted":
        tests = _count(lang.tests if lang else None, enumerate((change.original or "").splitlines()))
        return [f"deletes a test file ({_plural(tests, 'test')})" if tests else f"deletes {what}"]
    if change.binary:
        return [] if change.kind == "created" else [f"changes {what} (binary)"]
    diff = _diff(change)
    if change.kind == "created" or not diff.removed or diff.only_formatting:
        return _skip_reasons(lang, diff)
    return _code_reasons(lang, diff, what)


def _inline_reasons(change: Change, lang: _Lang) -> list[str]:
    """A source file's own test module (Rust's #[cfg(test)] mod tests): lines after its start."""
    if lang.inline is None or change.binary or change.kind == "created":
        return []
    before = (change.original or "").splitlines()
    start = next((i for i, text in enumerate(before) if lang.inline.search(text)), None)
    if start is None:
        return []
    if change.kind == "deleted":
        return ["deletes a file with its own test module"]
    diff = _diff(change)
    region = _Diff(before=diff.before, after=diff.after, removed=[(i, t) for i, t in diff.removed if i >= start],
                   added=[(j, t) for j, t in diff.added if j >= _new_start(diff, lang, start)])
    if region.removed and not region.only_formatting:
        reasons = _code_reasons(lang, region, "test code")
    else:
        reasons = _skip_reasons(lang, region)
    return [f"in its test module: {r}" for r in reasons]


def _new_start(diff: _Diff, lang: _Lang, old_start: int) -> int:
    if lang.inline is None:
        return old_start
    return next((j for j, text in enumerate(diff.after) if lang.inline.search(text)), len(diff.after))


def _runner_reasons(change: Change, compiled: _Compiled) -> list[str]:
    reasons = []
    for config, spec, added in compiled.runners:
        if not spec.match_file(change.path):
            continue
        if change.binary or _config_changed(change, config, added):
            reasons.append(config.why)
    return reasons


def _config_changed(change: Change, config: RunnerConfig, added: re.Pattern[str] | None) -> bool:
    narrowed = bool(config.sections or config.json_keys or config.make_targets or config.added)
    if not narrowed:
        return True
    if config.json_keys and _json_keys_changed(change, config.json_keys):
        return True
    diff = _diff(change)
    if config.sections and _sections_changed(diff, config.sections):
        return True
    if config.make_targets and _targets_changed(diff, config.make_targets):
        return True
    return added is not None and _count(added, diff.added) > 0


_SECTION = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:[#;].*)?$")
_DOTTED_KEY = re.compile(r"^\s*([A-Za-z0-9_.:\-\"']+)\s*=")


def _section_of(lines: Sequence[str], index: int) -> str:
    for i in range(index, -1, -1):
        match = _SECTION.match(lines[i])
        if match:
            return match.group(1).replace('"', "").replace("'", "")
    return ""


def _sections_changed(diff: _Diff, sections: Sequence[str]) -> bool:
    def relevant(lines: Sequence[str], index: int, text: str) -> bool:
        names = [_section_of(lines, index)]
        key = _DOTTED_KEY.match(text)
        if key:  # a dotted key at the top level: tool.pytest.ini_options.addopts = ...
            names.append(f"{names[0]}.{key.group(1)}".strip(".").replace('"', "").replace("'", ""))
        header = _SECTION.match(text)
        if header:
            names.append(header.group(1))
        return any(name.startswith(prefix) for name in names for prefix in sections)

    return any(relevant(diff.before, i, t) for i, t in diff.removed) or any(
        relevant(diff.after, j, t) for j, t in diff.added
    )


def _json_value(text: str | None, dotted: str) -> Any:
    if text is None:
        return None
    try:
        node: Any = json.loads(text)
    except ValueError:
        return ("unparsable", text)  # a broken file differs from any parsed value
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _json_keys_changed(change: Change, keys: Sequence[str]) -> bool:
    return any(_json_value(change.original, key) != _json_value(change.new, key) for key in keys)


_TARGET = re.compile(r"^([^\s:=#][^:=#]*?)\s*::?(?![=])")


def _rules(lines: Sequence[str]) -> dict[str, list[str]]:
    """Make/just targets -> their rule (target line and recipe)."""
    rules: dict[str, list[str]] = {}
    current: list[str] | None = None
    for text in lines:
        match = _TARGET.match(text)
        if match and not text.startswith(("\t", " ")):
            current = [text]
            for name in match.group(1).split():
                rules[name] = current
        elif current is not None and text.startswith(("\t", " ")):
            current.append(text)
        elif text.strip():
            current = None
    return rules


def _targets_changed(diff: _Diff, targets: Sequence[str]) -> bool:
    before, after = _rules(diff.before), _rules(diff.after)
    return any(before.get(t) != after.get(t) for t in targets)


def _check_script_reasons(change: Change, verify_command: str | None) -> list[str]:
    if not verify_command:
        return []
    try:
        words = shlex.split(verify_command)
    except ValueError:
        words = verify_command.split()
    for word in words:
        path = word.removeprefix("./")
        if path == change.path and ("/" in word or path.endswith(_SCRIPT_SUFFIXES)):
            return [f"changes the script the check runs (`{verify_command}`)"]
    return []


def _detection_reasons(change: Change, compiled: _Compiled) -> list[str]:
    if change.binary or change.kind == "deleted" or compiled.detection is None:
        return []
    diff = _diff(change)
    quoted = _first(compiled.detection, diff.added)
    if quoted is None or _count(compiled.detection, diff.added) <= _count(compiled.detection, diff.removed):
        return []
    return [f"{compiled.detection_why} (`{quoted}`)"]


def tamper_flags(
    change_set: ChangeSet, verify_command: str | None = None, conv: Conventions | None = None
) -> tuple[Flag, ...]:
    """One flag per suspect path, its reasons joined, in the change set's order."""
    compiled = _compile(conv or conventions())
    by_path: dict[str, list[str]] = {}
    tests_gone = False
    for change in change_set.changes:
        lang = _language(change.path, compiled)
        test = compiled.test_paths.match_file(change.path)
        reasons = _runner_reasons(change, compiled) + _check_script_reasons(change, verify_command)
        if test:
            own = _test_file_reasons(change, lang)
            tests_gone |= change.kind == "deleted" or any(r.startswith("removes") and "test" in r for r in own)
            reasons += own
        else:
            reasons += _inline_reasons(change, lang) if lang is not None else []
            reasons += _detection_reasons(change, compiled)
        if reasons:
            by_path[change.path] = list(dict.fromkeys(reasons))
    if tests_gone:
        for change in change_set.changes:
            if change.kind == "created" and compiled.test_paths.match_file(change.path):
                by_path.setdefault(change.path, []).append("adds tests while others were deleted (may replace them)")
    return tuple(Flag(path=path, reason="; ".join(reasons)) for path, reasons in by_path.items())


def guard(change_set: ChangeSet, verify_command: str | None = None) -> ChangeSet:
    """The change set with the guard's flags added to any it already carries."""
    flags = tamper_flags(change_set, verify_command)
    if not flags:
        return change_set
    merged = tuple(dict.fromkeys((*change_set.flagged, *flags)))
    return change_set.model_copy(update={"flagged": merged})


__all__ = ["Conventions", "Language", "RunnerConfig", "conventions", "guard", "is_test_path", "tamper_flags"]
