"""The token count cache: counts stay exact, a warm process does not load the tokenizer, and a stale,
damaged, hostile or contended cache file costs at most a wrong estimate, never a crash.

Processes that must start without a loaded tokenizer are real subprocesses; the tokenizer is the real
quicktok one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from array import array
from pathlib import Path

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelroute.cost import token_cache
from modelroute.cost.token_cache import MAGIC, PieceCounts, TokenCache, piece_hash, split_pieces
from modelroute.cost.tokens import _quicktok_counter, _vocabulary

KEY = "o200k_base test counter"
COUNT_IN_CHILD = """
import json, sys
from pathlib import Path
from modelroute.cost import tokens
from modelroute.cost.token_cache import TokenCache
tokens.use_token_cache(TokenCache(Path(sys.argv[1]), sys.argv[2]))
counts = [tokens.count_tokens(text) for text in json.loads(sys.stdin.read())]
print(json.dumps({"counts": counts, "loaded": tokens._counter_loaded()}))
"""


def exact(text: str) -> int:
    return _quicktok_counter()(text)


def count_in_child(path: Path, texts: list[str], key: str = KEY) -> tuple[list[int], bool]:
    """Counts from a fresh process using the cache at `path`, and whether it loaded the tokenizer."""
    done = subprocess.run([sys.executable, "-c", COUNT_IN_CHILD, str(path), key], input=json.dumps(texts),
                          capture_output=True, text=True, check=True, timeout=120)  # fmt: skip
    out = json.loads(done.stdout)
    return out["counts"], out["loaded"]


def real_texts(limit: int = 12) -> list[str]:
    folder = Path(pydantic.__file__).parent
    return [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.py"))[:limit]]


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    folder = tmp_path / "tokens"
    folder.mkdir(mode=0o700)
    return folder / "o200k_base.bin"


# --- the split is the tokenizer's: piece counts add up to the whole text's -------------------------


def test_pieces_add_up_to_the_tokenizer_count_on_real_files() -> None:
    for text in real_texts(40):
        pieces = split_pieces(text)
        assert "".join(pieces) == text
        assert sum(exact(p) for p in pieces) == exact(text)


TRICKY = " \t\n\r/'.:_-(){}0123456789sStTmMdDlLvVeErRxyzÉé\u0301ß中文ж\u00a0\u2028😀"  # the pattern's edges


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(TRICKY)) | st.characters(), max_size=120))
def test_pieces_add_up_on_any_text(text: str) -> None:
    pieces = split_pieces(text)
    assert "".join(pieces) == text
    assert sum(exact(p) for p in pieces) == exact(text)


# --- warm processes --------------------------------------------------------------------------------


def test_a_warm_process_counts_known_text_exactly_without_loading_the_tokenizer(cache_path: Path) -> None:
    texts = real_texts(4)
    counts, loaded = count_in_child(cache_path, texts)
    assert counts == [exact(t) for t in texts] and loaded
    counts, loaded = count_in_child(cache_path, texts)
    assert counts == [exact(t) for t in texts] and not loaded


def test_new_text_made_of_known_pieces_needs_no_tokenizer(cache_path: Path) -> None:
    count_in_child(cache_path, ["please move this function into its own module and update every caller"])
    new = "please update every caller and move this module into its own function"
    counts, loaded = count_in_child(cache_path, [new])
    assert counts == [exact(new)] and not loaded


def test_new_pieces_are_counted_from_the_saved_vocabulary_without_the_tokenizer(cache_path: Path) -> None:
    assert count_in_child(cache_path, ["def route(): pass"]) == ([exact("def route(): pass")], True)
    new = "port the zebrafish_quux module to Rust, antidisestablishmentarianism included"
    assert count_in_child(cache_path, [new]) == ([exact(new)], False)
    assert count_in_child(cache_path, real_texts(3)) == ([exact(t) for t in real_texts(3)], False)


def test_a_large_new_text_loads_the_tokenizer(cache_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Encoding many multi-token pieces in Python takes longer than loading the tokenizer."""
    count_in_child(cache_path, ["hello world"])
    cache = TokenCache(cache_path, KEY)
    text = real_texts(1)[0]
    monkeypatch.setattr(token_cache, "MAX_ENCODED", 3)
    assert cache.count_pieces(split_pieces(text)) is None
    monkeypatch.setattr(token_cache, "MAX_ENCODED", 100_000)
    assert cache.count_pieces(split_pieces(text)) == exact(text)


def test_a_file_for_another_counter_is_not_used(cache_path: Path) -> None:
    count_in_child(cache_path, ["hello world"])
    counts, loaded = count_in_child(cache_path, ["hello world"], key="o200k_base another counter 9.9")
    assert counts == [2] and loaded


# --- damaged, stale and hostile files --------------------------------------------------------------


def _write_table(path: Path, entries: dict[str, int], key: str = KEY) -> None:
    table = PieceCounts().merged({piece_hash(p): c for p, c in entries.items()})
    path.write_bytes(table.encode(key))


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage", MAGIC, MAGIC + b"1 little 5 " + KEY.encode() + b"\n" + b"\0" * 7,
     MAGIC + b"1 little 999999999999 " + KEY.encode() + b"\n", MAGIC + b"\xff\xfe\n" + b"\0" * 12,
     MAGIC + b"1 little -1 " + KEY.encode() + b"\n", os.urandom(4096)],
)  # fmt: skip
def test_a_damaged_file_is_ignored_and_replaced(cache_path: Path, content: bytes) -> None:
    cache_path.write_bytes(content)
    text = "a damaged cache costs one tokenizer load"
    assert count_in_child(cache_path, [text]) == ([exact(text)], True)
    assert PieceCounts.decode(cache_path.read_bytes(), KEY).total(split_pieces(text)) == exact(text)


def test_impossible_counts_are_unknown_pieces(cache_path: Path) -> None:
    """A hostile file can only move a piece's count within what is possible (1 to its UTF-8 bytes)."""
    text = "hello world"
    _write_table(cache_path, {"hello": 0, " world": 10_000_000})
    assert count_in_child(cache_path, [text]) == ([2], True)


def test_a_stale_plausible_entry_is_corrected_when_the_text_is_counted_again(cache_path: Path) -> None:
    """A wrong but possible count (another tokenizer's, a hostile one) gives a wrong estimate until a text
    with an unknown piece is counted: the sums then disagree, every piece is recounted and stored."""
    _write_table(cache_path, {"hello": 1, " world": 2})  # " world" is one token
    assert count_in_child(cache_path, ["hello world"]) == ([3], False)  # the bounded lie
    assert count_in_child(cache_path, ["hello world zebra_quux"])[0] == [exact("hello world zebra_quux")]
    assert count_in_child(cache_path, ["hello world"]) == ([2], False)


def test_a_symlinked_cache_file_is_not_followed(tmp_path: Path, cache_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.bin"
    _write_table(elsewhere, {"hello": 1, " world": 5})
    cache_path.symlink_to(elsewhere)
    assert count_in_child(cache_path, ["hello world"]) == ([2], True)


def test_a_folder_others_can_write_is_not_used(cache_path: Path) -> None:
    _write_table(cache_path, {"hello": 1, " world": 5})
    cache_path.parent.chmod(0o777)
    assert count_in_child(cache_path, ["hello world"]) == ([2], True)
    assert count_in_child(cache_path, ["hello world"]) == ([2], True)  # nothing was written there either


def test_an_unwritable_cache_still_counts(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    assert count_in_child(blocker / "o200k_base.bin", ["hello world"]) == ([2], True)


# --- the vocabulary ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vocab_cache(tmp_path_factory: pytest.TempPathFactory) -> TokenCache:
    folder = tmp_path_factory.mktemp("vocab")
    folder.chmod(0o700)
    cache = TokenCache(folder / "o200k_base.bin", KEY)
    assert cache.learn_vocab(_vocabulary(), split_pieces("hello world"), 2)
    return TokenCache(cache.path, KEY)  # read back from disk


def test_vocabulary_counts_are_the_tokenizers_on_real_files(vocab_cache: TokenCache) -> None:
    vocab = vocab_cache.vocab()
    assert vocab is not None and vocab.complete()
    for text in real_texts(40):
        assert sum(vocab.count(p) or 0 for p in split_pieces(text)) == exact(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(TRICKY)) | st.characters(), max_size=120))
def test_vocabulary_counts_are_the_tokenizers_on_any_text(vocab_cache: TokenCache, text: str) -> None:
    vocab = vocab_cache.vocab()
    assert vocab is not None
    assert sum(vocab.count(p) or 0 for p in split_pieces(text)) == exact(text)


def test_a_vocabulary_that_does_not_check_out_is_not_saved(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "o200k_base.bin", KEY)
    assert not cache.learn_vocab(_vocabulary(), split_pieces("hello world"), 3)  # not the tokenizer's count
    assert not cache.learn_vocab(((b, r) for b, r in _vocabulary() if b != b"\x00"), ["hello"], 1)  # a byte lost
    assert not cache.vocab_path.exists() and cache.vocab() is None


def test_no_vocabulary_is_built_where_it_cannot_be_saved(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    cache = TokenCache(shared / "o200k_base.bin", KEY)
    assert not cache.learn_vocab(_vocabulary(), split_pieces("hello world"), 2)
    assert not cache.vocab_path.exists()


@pytest.mark.parametrize("damage", ["truncate", "key", "lose a byte"])
def test_a_damaged_vocabulary_is_ignored_and_rebuilt(cache_path: Path, damage: str) -> None:
    count_in_child(cache_path, ["hello world"])
    vocab_path = TokenCache(cache_path, KEY).vocab_path
    data = vocab_path.read_bytes()
    if damage == "truncate":
        vocab_path.write_bytes(data[: len(data) // 2])
    elif damage == "key":
        vocab_path.write_bytes(data.replace(KEY.encode(), b"o200k_base something else", 1))
    else:
        table = PieceCounts.decode(data, f"{KEY} vocab", token_cache.MAX_VOCAB)
        keep = [i for i, h in enumerate(table.hashes) if h != piece_hash("\x00")]
        lost = PieceCounts(array("Q", (table.hashes[i] for i in keep)), array("I", (table.counts[i] for i in keep)))
        vocab_path.write_bytes(lost.encode(f"{KEY} vocab"))
    new = "an unseen word: zebrafish_quux"
    assert count_in_child(cache_path, [new]) == ([exact(new)], True)
    assert count_in_child(cache_path, ["another unseen one: okapi_flux"]) == ([exact("another unseen one: okapi_flux")],
                                                                             False)  # fmt: skip


def test_any_ranks_give_a_bounded_count(tmp_path: Path) -> None:
    """A hostile vocabulary (every byte, then made-up merges and ranks) cannot crash the count or make
    a piece more tokens than bytes."""
    merges = {bytes([b]): 1000 + b for b in range(256)}
    merges.update({b"ze": 3, b"zeb": 1, b"ra": 2, b"\xc3\xa9": 5})
    cache = TokenCache(tmp_path / "o200k_base.bin", KEY)
    table = PieceCounts().merged({token_cache.bytes_hash(b): r for b, r in merges.items()}, token_cache.MAX_VOCAB)
    vocab = token_cache.VocabRanks(table)
    assert vocab.complete()
    for piece in split_pieces("zebra café, naïve 中文 😀 " + real_texts(1)[0][:3000]):
        count = vocab.count(piece)
        assert count is not None and 1 <= count <= len(piece.encode())
    assert cache.vocab() is None


# --- bounds and concurrency ------------------------------------------------------------------------


def test_the_file_is_bounded(cache_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the bound the file starts over from the text being counted; a text with more pieces than
    the bound keeps what fits."""
    monkeypatch.setattr(token_cache, "MAX_PIECES", 40)
    cache = TokenCache(cache_path, KEY)
    sentences = [f"sentence {i}: the quick brown fox number {i * 7919} jumps over lazy dog {i}" for i in range(12)]
    for text in sentences:
        assert cache.learn(split_pieces(text), exact(text), exact)
        assert len(PieceCounts.decode(cache_path.read_bytes(), KEY)) <= 40
        assert cache.table().total(split_pieces(text)) == exact(text)
    long = real_texts(1)[0]
    assert cache.learn(split_pieces(long), exact(long), exact)
    assert len(PieceCounts.decode(cache_path.read_bytes(), KEY)) == 40


def test_concurrent_writers_leave_a_valid_file_with_only_true_counts(cache_path: Path) -> None:
    texts = [t[:3000] for t in real_texts(8)]
    children = [
        subprocess.Popen([sys.executable, "-c", COUNT_IN_CHILD, str(cache_path), KEY], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
        for _ in texts
    ]  # fmt: skip
    for child, text in zip(children, texts, strict=True):
        assert child.stdin is not None
        child.stdin.write(json.dumps([text]))
        child.stdin.close()
    for child, text in zip(children, texts, strict=True):
        assert child.stdout is not None
        assert json.loads(child.stdout.read())["counts"] == [exact(text)]
        assert child.wait(timeout=120) == 0
    table = PieceCounts.decode(cache_path.read_bytes(), KEY)
    assert len(table) > 0
    assert list(table.hashes) == sorted(table.hashes)
    for text in texts:
        for piece in split_pieces(text):
            stored = table.get(piece_hash(piece))
            assert stored is None or stored == exact(piece)
    assert not [p for p in cache_path.parent.iterdir() if p.name.startswith(".tmp-")]


def test_the_file_holds_hashes_not_text(cache_path: Path) -> None:
    count_in_child(cache_path, ["the password is hunter2-correct-horse"])
    data = cache_path.read_bytes()
    assert b"hunter2" not in data and b"horse" not in data
    assert cache_path.stat().st_mode & 0o077 == 0


def test_the_table_round_trips(cache_path: Path) -> None:
    table = PieceCounts(array("Q", [1, 5, 9]), array("I", [1, 2, 3]))
    assert PieceCounts.decode(table.encode(KEY), KEY).get(5) == 2
    assert PieceCounts.decode(table.encode(KEY), KEY).get(4) is None
    with pytest.raises(ValueError):
        PieceCounts.decode(table.encode(KEY), "another key")
