"""An inverted index from identifier to the files that mention it.

Compact by design: keys are ASCII `bytes`, each posting list is an `array('I')` of file ids in
increasing order. Removing a file only marks its id dead; posting lists are cleaned lazily when
queried, and all of them once dead ids pile up. Not thread-safe on its own: the workspace index
holds the lock.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Callable

IDENT_BYTES = re.compile(rb"(?<![A-Za-z0-9_])[A-Za-z_][A-Za-z0-9_]{1,63}(?![A-Za-z0-9_])")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Keywords and near-universal names: indexing them costs memory and answers nothing useful.
_COMMON = (
    "if else elif for while do return def class import from as in is not and or pass break continue "
    "try except finally raise with yield lambda None True False self cls async await global nonlocal "
    "function const let var new this typeof instanceof void null undefined true false export default "
    "extends implements interface public private protected static final abstract package switch case "
    "throw throws catch struct enum impl pub fn mut use mod match where crate super func go defer chan "
    "map type range select fallthrough int char long short float double bool boolean string str byte "
    "unsigned signed sizeof typedef extern include define ifdef ifndef endif auto register volatile "
    "then end local nil elseif begin module require echo fi esac done select from where to of the on"
)
STOPWORDS: frozenset[str] = frozenset(_COMMON.split())
_STOP_BYTES: frozenset[bytes] = frozenset(w.encode() for w in STOPWORDS)


def identifiers_in(data: bytes) -> set[bytes]:
    """The distinct identifiers (2 to 64 ASCII characters) in a file's bytes, minus stopwords."""
    found = set(IDENT_BYTES.findall(data))
    found.difference_update(_STOP_BYTES)
    return found


class SymbolIndex:
    def __init__(self) -> None:
        self._postings: dict[bytes, array[int]] = {}
        self._clean_at: dict[bytes, int] = {}  # symbol -> tombstone count when last cleaned
        self._tombstones = 0  # ever-growing count of dead ids
        self._dead_now = 0  # dead ids that may still sit in posting lists

    @property
    def symbol_count(self) -> int:
        return len(self._postings)

    def add(self, file_id: int, idents: set[bytes]) -> None:
        """Record a file's identifiers; ids must be added in increasing order."""
        postings = self._postings
        for ident in idents:
            posting = postings.get(ident)
            if posting is None:
                postings[ident] = array("I", (file_id,))
            else:
                posting.append(file_id)

    def mark_dead(self, is_live: Callable[[int], bool], live_count: int) -> None:
        """A file id died (the caller's liveness test already says so)."""
        self._tombstones += 1
        self._dead_now += 1
        if self._dead_now > max(1024, live_count // 4):
            self._compact(is_live)

    def file_ids(self, symbol: str, is_live: Callable[[int], bool]) -> array[int]:
        key = _key(symbol)
        if key is None:
            return array("I")
        posting = self._postings.get(key)
        if posting is None:
            return array("I")
        if self._dead_now and self._clean_at.get(key) != self._tombstones:
            posting = array("I", (i for i in posting if is_live(i)))
            if posting:
                self._postings[key] = posting
                self._clean_at[key] = self._tombstones
            else:
                del self._postings[key]
                self._clean_at.pop(key, None)
        return posting

    def _compact(self, is_live: Callable[[int], bool]) -> None:
        fresh: dict[bytes, array[int]] = {}
        for key, posting in self._postings.items():
            kept = array("I", (i for i in posting if is_live(i)))
            if kept:
                fresh[key] = kept
        self._postings = fresh
        self._clean_at.clear()
        self._dead_now = 0


def _key(symbol: str) -> bytes | None:
    if symbol in STOPWORDS or not symbol.isascii():
        return None
    return symbol.encode("ascii")


def contains_id(posting: array[int], file_id: int) -> bool:
    at = bisect_left(posting, file_id)
    return at < len(posting) and posting[at] == file_id
