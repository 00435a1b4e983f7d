"""`python -m modelroute.classify import`: new labelled texts join the corpus, checked, once, never excluded ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelroute.classify.__main__ import main
from modelroute.classify.corpus import parse_corpus
from modelroute.classify.importer import Exclusions, import_files, normalize_text


def _rec(text: str, label: str = "explain", family: str = "github:acme/widgets",
         source: str = "https://github.com/acme/widgets/issues/1", **extra: str) -> dict[str, str]:
    return {"text": text, "label": label, "source": source, "family": family, **extra}


def _jsonl(path: Path, rows: list[dict[str, str] | str], *, newline_at_end: bool = True) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + ("\n" if newline_at_end else ""), encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return _jsonl(tmp_path / "corpus.jsonl", [_rec("What does the walrus operator do?", family="qa:python",
                                                   source="https://example.org/q/1")])


def test_new_records_are_appended_normalised_and_the_corpus_stays_valid(tmp_path: Path, corpus: Path) -> None:
    before = corpus.read_bytes()
    new = _jsonl(tmp_path / "new.jsonl", [
        _rec("Crash on start\r\n\r\n\r\n\r\nIt   crashes\twhen run.  ", label="debugging", note="  a  note "),
        _rec("Rename Foo to Bar everywhere", label="multi_file_refactor"),
    ])
    result = import_files([new], corpus=corpus)
    data = corpus.read_bytes()
    assert data.startswith(before)  # appended, nothing rewritten
    examples = parse_corpus(data)
    assert len(examples) == 3 and len(result.records) == 2
    crash = next(e for e in examples if e.label.value == "debugging")
    assert crash.text == "Crash on start\n\nIt crashes when run." and crash.note == "a note"
    assert result.files[0].added == {"debugging": 1, "multi_file_refactor": 1}


def test_duplicates_against_the_corpus_and_each_other_are_dropped(tmp_path: Path, corpus: Path) -> None:
    a = _jsonl(tmp_path / "a.jsonl", [_rec("WHAT does the  walrus operator do?"),  # in the corpus already
                                      _rec("Add a dark mode", label="ui_greenfield"),
                                      _rec("add a dark   mode", label="ui_greenfield")])  # same text again
    b = _jsonl(tmp_path / "b.jsonl", [_rec("Add a Dark Mode", label="ui_greenfield", family="github:x/y")])
    result = import_files([a, b], corpus=corpus)
    assert [r["text"] for r in result.records] == ["Add a dark mode"]
    assert result.files[0].dropped == {"duplicate": 2} and result.files[1].dropped == {"duplicate": 1}
    assert result.files[0].dropped_by_label == {"explain": 1, "ui_greenfield": 1}


@pytest.mark.parametrize(("line", "problem"), [
    ("{not json", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    (json.dumps(_rec("x", label="refactoring")), "unknown label 'refactoring'"),
    (json.dumps(_rec("   ")), "missing or empty text"),
    (json.dumps({"text": "x", "label": "explain", "source": "s"}), "missing or empty family"),
    (json.dumps(_rec("x", note=3)), "note is not a string"),  # type: ignore[arg-type]
])
def test_invalid_records_are_dropped_with_their_line(tmp_path: Path, corpus: Path, line: str, problem: str) -> None:
    new = _jsonl(tmp_path / "new.jsonl", [_rec("A valid one about caching"), line])
    result = import_files([new], corpus=corpus)
    assert len(result.records) == 1
    assert result.files[0].dropped == {"invalid": 1}
    assert len(result.files[0].problems) == 1 and result.files[0].problems[0].startswith(f"line 2: {problem}")


def test_excluded_families_and_repositories_are_kept_out(tmp_path: Path, corpus: Path) -> None:
    exclude = tmp_path / "blind.txt"
    exclude.write_text("# the blind set's sources\ngithub:Acme/Widgets issues and pull requests\n"
                       "benchmark:secret-bench\n", encoding="utf-8")
    new = _jsonl(tmp_path / "new.jsonl", [
        _rec("family names the repository"),
        _rec("source names the repository", family="github-issues:some-theme",
             source="https://github.com/acme/widgets/pull/7"),
        _rec("family listed whole", family="benchmark:secret-bench", source="https://example.org/t/1"),
        _rec("a repository and path as the source", family="benchmark:tasks",
             source="acme/widgets tasks/one/instruction.md @ 0123abcd"),
        _rec("an acme fork is another repository", family="github:acme/widgets-fork",
             source="https://github.com/acme/widgets-fork/issues/2"),
    ])
    result = import_files([new], corpus=corpus, exclude=exclude)
    assert [r["text"] for r in result.records] == ["an acme fork is another repository"]
    assert result.files[0].dropped == {"excluded": 4}


def test_exclusions_parse_families_and_repositories() -> None:
    ex = Exclusions.parse("github:zed-industries/zed issues and pull requests\n\n"
                          "github .claude/commands/*.md slash-command files (any repository)\n")
    assert ex.repos == {"zed-industries/zed"}
    assert ex.excludes("github:zed-industries/zed", "https://example.org")
    assert ex.excludes("something", "https://github.com/Zed-Industries/zed/issues/3")
    assert ex.excludes("github .claude/commands/*.md slash-command files (any repository)", "github:a/b x.md")
    assert not ex.excludes("github:zed-industries/zed-extensions", "https://github.com/zed-industries/zedx/1")


def test_the_order_added_does_not_depend_on_the_order_of_files_or_lines(tmp_path: Path) -> None:
    rows = [_rec("Zebra stripes in the table", label="ui_greenfield", family="github:b/b"),
            _rec("Alpha release notes wording", label="quick_edit", family="github:a/a"),
            _rec("Beta flag default", label="quick_edit", family="github:a/a")]
    out = []
    for name, order in (("one", rows), ("two", rows[::-1])):
        target = _jsonl(tmp_path / f"{name}-corpus.jsonl", [])
        import_files([_jsonl(tmp_path / f"{name}.jsonl", list(order))], corpus=target)
        out.append(target.read_bytes())
    assert out[0] == out[1]
    assert [e.text for e in parse_corpus(out[0])] == ["Alpha release notes wording", "Beta flag default",
                                                        "Zebra stripes in the table"]


def test_a_line_still_being_written_is_left_for_next_time(tmp_path: Path, corpus: Path) -> None:
    new = tmp_path / "growing.jsonl"
    new.write_text(json.dumps(_rec("Complete record here")) + '\n{"text": "half a rec', encoding="utf-8")
    result = import_files([new], corpus=corpus)
    assert len(result.records) == 1 and result.files[0].pending and not result.files[0].problems
    # a complete last record without a newline is taken
    done = _jsonl(tmp_path / "done.jsonl", [_rec("Last one, no newline")], newline_at_end=False)
    assert len(import_files([done], corpus=corpus).records) == 1


def test_dry_run_changes_nothing(tmp_path: Path, corpus: Path) -> None:
    before = corpus.read_bytes()
    result = import_files([_jsonl(tmp_path / "n.jsonl", [_rec("How do generators work?")])], corpus=corpus,
                          dry_run=True)
    assert len(result.records) == 1 and corpus.read_bytes() == before


def test_normalize_text_keeps_lines_and_collapses_spaces() -> None:
    assert normalize_text("  Title \u00a0here \n\n\n\n  body\tline  \r\n") == "Title here\n\n body line"


def test_the_command_prints_per_file_and_label(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               corpus: Path) -> None:
    new = _jsonl(tmp_path / "n.jsonl", [_rec("Why is my cron job not running?", label="shell_automation"),
                                        _rec("What does the walrus operator do?")])
    assert main(["import", str(new), "--corpus", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "n.jsonl: added 1, dropped 1" in out and "added by label: shell_automation 1" in out
    assert "dropped: duplicate 1" in out and "run `python -m modelroute.classify train`" in out
    assert main(["import", str(tmp_path / "missing.jsonl"), "--corpus", str(corpus)]) == 2
    assert "missing.jsonl" in capsys.readouterr().err
