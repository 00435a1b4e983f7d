"""An inverted index from identifier to the files that mention it.

Two layers. The frozen base holds every posting list in three flat arrays (sorted identifiers, their
offsets, the file ids), which is compact (no object per identifier) and is what the persisted index
stores and loads without rebuilding anything. Files added since the base was frozen go into a small
dictionary of `array('I')` posting lists. A file's ids only grow, so a posting list is the base
slice followed by the added ids, in increasing order.

Removing a file only marks its id dead (the caller's liveness test says so); dead ids are filtered
when a list is read, and the whole index is refrozen once they pile up. Not thread-safe on its own:
the workspace index holds the lock.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable

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

IsLive = Callable[[int], bool]


def identifiers_in(data: bytes) -> set[bytes]:
    """The distinct identifiers (2 to 64 ASCII characters) in a file's bytes, minus stopwords."""
    found = set(IDENT_BYTES.findall(data))
    found.difference_update(_STOP_BYTES)
    return found


class Frozen:
    """Posting lists as three flat arrays: `keys` sorted, `ids[offsets[i]:offsets[i + 1]]` for key i."""

    __slots__ = ("ids", "keys", "offsets")

    def __init__(self, keys: list[bytes], offsets: array[int], ids: array[int]) -> None:
        self.keys = keys
        self.offsets = offsets
        self.ids = ids

    @classmethod
    def empty(cls) -> Frozen:
        return cls([], array("I", (0,)), array("I"))

    def get(self, key: bytes) -> array[int]:
        at = bisect_left(self.keys, key)
        if at == len(self.keys) or self.keys[at] != key:
            return array("I")
        return self.ids[self.offsets[at] : self.offsets[at + 1]]

    def __contains__(self, key: bytes) -> bool:
        at = bisect_left(self.keys, key)
        return at < len(self.keys) and self.keys[at] == key


class SymbolIndex:
    def __init__(self, base: Frozen | None = None) -> None:
        self._base = base or Frozen.empty()
        self._added: dict[bytes, array[int]] = {}  # postings of files added since the base
        self._clean: dict[bytes, tuple[int, array[int]]] = {}  # key -> (version, list without dead ids)
        self._version = 0  # changes with every death, revival and added file: cleaned lists expire
        self._dead_now = 0  # dead ids that may still sit in posting lists
        self.hold = False  # while set (a refresh that may revive ids), dead ids are not dropped

    @property
    def symbol_count(self) -> int:
        return len(self._base.keys) + sum(1 for k in self._added if k not in self._base)

    @property
    def dead_ids(self) -> int:
        return self._dead_now

    def add(self, file_id: int, idents: Iterable[bytes]) -> None:
        """Record a file's identifiers; ids must be added in increasing order."""
        added = self._added
        for ident in idents:
            posting = added.get(ident)
            if posting is None:
                added[ident] = array("I", (file_id,))
            else:
                posting.append(file_id)
        self._version += 1

    def mark_dead(self, renumber: Callable[[], array[int]], live_count: int) -> None:
        """A file id died (the caller's liveness test already says so). `renumber` gives, when the
        dead pile up, each id's number in the refrozen index (-1 for dead ids)."""
        self._version += 1
        self._dead_now += 1
        if not self.hold and self._dead_now > max(1024, live_count // 4):
            self.refreeze(renumber())

    def revived(self) -> None:
        """A dead id came back to life (a refresh found its file unchanged): cached lists are stale."""
        self._version += 1
        self._dead_now = max(0, self._dead_now - 1)
        self._clean.clear()

    def file_ids(self, symbol: str, is_live: IsLive) -> array[int]:
        key = _key(symbol)
        if key is None:
            return array("I")
        if not self._dead_now:
            return self._raw(key)
        cached = self._clean.get(key)
        if cached is not None and cached[0] == self._version:
            return cached[1]
        posting = array("I", (i for i in self._raw(key) if is_live(i)))
        self._clean[key] = (self._version, posting)
        return posting

    def _raw(self, key: bytes) -> array[int]:
        base = self._base.get(key)
        added = self._added.get(key)
        if added is None:
            return base
        return base + added if base else added

    def refreeze(self, renumber: array[int] | None = None) -> None:
        """Fold the added lists into the base; with `renumber`, drop dead ids (mapped to -1).
        Ids keep their numbers here: `renumber` must map each live id to itself."""
        self._base = self.frozen(renumber)
        self._added.clear()
        self._clean.clear()
        if renumber is not None:
            self._dead_now = 0

    def frozen(self, renumber: array[int] | None = None) -> Frozen:
        """The whole index as flat arrays. `renumber` maps every id to its new number, or to -1 for
        a dead id, which is left out (with any identifier no live file has)."""
        if not self._added:
            keys, offsets, ids = list(self._base.keys), self._base.offsets, self._base.ids
        else:
            merge = self._raw if self._base.keys else self._added.__getitem__
            keys = sorted(set(self._base.keys).union(self._added)) if self._base.keys else sorted(self._added)
            offsets, ids = array("I", (0,)), array("I")
            for key in keys:
                ids.extend(merge(key))
                offsets.append(len(ids))
        if renumber is None:
            return Frozen(keys, offsets, ids)
        return _renumbered(keys, offsets, ids, renumber)


def _renumbered(keys: list[bytes], offsets: array[int], ids: array[int], renumber: array[int]) -> Frozen:
    """Map every id through `renumber` in one vectorised pass (2M ids in tens of ms, where a Python
    loop takes most of a second), dropping -1s and the identifiers left with no file."""
    import numpy as np

    mapped = np.frombuffer(renumber, dtype=np.int64)[np.frombuffer(ids, dtype=np.uint32)]
    keep = mapped >= 0
    counts = np.diff(np.frombuffer(offsets, dtype=np.uint32)).astype(np.int64)
    owner = np.repeat(np.arange(len(keys), dtype=np.int64), counts)
    kept_counts = np.bincount(owner[keep], minlength=len(keys))
    nonempty = np.flatnonzero(kept_counts)
    new_offsets = np.concatenate(([0], np.cumsum(kept_counts[nonempty]))).astype(np.uint32)
    return Frozen(
        [keys[i] for i in nonempty.tolist()],
        array("I", new_offsets.tobytes()),
        array("I", mapped[keep].astype(np.uint32).tobytes()),
    )


def _key(symbol: str) -> bytes | None:
    if symbol in STOPWORDS or not symbol.isascii():
        return None
    return symbol.encode("ascii")


def contains_id(posting: array[int], file_id: int) -> bool:
    at = bisect_left(posting, file_id)
    return at < len(posting) and posting[at] == file_id
