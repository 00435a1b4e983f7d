"""o200k token counts remembered across processes, so that a `modelroute route` whose prompt is made
of text seen before does not load the tokenizer's vocabulary (0.4 s on an idle machine, seconds on a
loaded one; the compiled loader holds the GIL, so nothing can overlap it).

What is remembered is the count of each *pre-token*: the pieces o200k's regular expression splits a
text into before byte-pair encoding (a word with its leading space, up to three digits, a run of
punctuation, whitespace). Byte-pair encoding never merges across pieces, so a text's count is the sum
of its pieces' counts, the same number the tokenizer gives. Pieces repeat across prompts (the role
text, the task texts, the words of instructions, the code of the files), so after a few runs a new
instruction is usually made of known pieces too. The split is puretiktoken's pure-Python
re-implementation of the pattern (already a dependency, pinned; tests check it against quicktok).

Where: one file in the user cache folder, `$XDG_CACHE_HOME/modelroute/tokens/`, named for the
encoding and a fingerprint of the installed splitter and counter packages, so an upgrade starts a new
file. Format:
MAGIC, a header line, then two flat arrays, sorted 64-bit BLAKE2b hashes of the pieces' UTF-8 and
their counts. No text is stored, only hashes. At most MAX_PIECES entries (3 MB); a file that would
grow past that starts over from the pieces of the text being counted (a file of 1,500 Python files'
pieces holds about 80,000).

Trust: what is learned is checked before it is stored (the pieces' counts must add up to the
tokenizer's count of the whole text, else nothing is stored). What is read is data from disk: a
damaged file is ignored, and a count is only used when it is possible for its piece (at least one
token, at most one per UTF-8 byte), so a hostile file can skew an estimate within those bounds but
cannot crash the tool. Concurrent writers each merge into what is on disk and rename into place; the
last one wins and the other's new entries are learned again next time.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from pathlib import Path

from modelroute.usercache import cache_folder, code_fingerprint, read_private, write_atomic

log = logging.getLogger(__name__)

FORMAT = 1
MAGIC = b"modelroute-token-counts\n"
MAX_PIECES = 1 << 18
_HASH_ITEM = array("Q").itemsize
_COUNT_ITEM = array("I").itemsize


def piece_hash(piece: str) -> int:
    return int.from_bytes(hashlib.blake2b(piece.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def _plausible(piece: str, count: int) -> bool:
    """A piece of n UTF-8 bytes is between 1 and n tokens (every byte is a token of its own)."""
    return 1 <= count <= len(piece.encode("utf-8", "surrogatepass"))


class PieceCounts:
    """Piece hash -> token count: two parallel arrays sorted by hash."""

    def __init__(self, hashes: array[int] | None = None, counts: array[int] | None = None) -> None:
        self.hashes: array[int] = hashes if hashes is not None else array("Q")
        self.counts: array[int] = counts if counts is not None else array("I")

    def __len__(self) -> int:
        return len(self.hashes)

    def get(self, key: int) -> int | None:
        i = bisect_left(self.hashes, key)
        if i < len(self.hashes) and self.hashes[i] == key:
            return int(self.counts[i])
        return None

    def total(self, pieces: Iterable[str]) -> int | None:
        """The sum of the pieces' counts, or None when a piece is unknown (or its count impossible)."""
        seen: dict[str, int] = {}
        total = 0
        for piece in pieces:
            count = seen.get(piece)
            if count is None:
                count = self.get(piece_hash(piece))
                if count is None or not _plausible(piece, count):
                    return None
                seen[piece] = count
            total += count
        return total

    def merged(self, learned: dict[int, int]) -> PieceCounts:
        """A new table with `learned` added (replacing equal hashes)."""
        pairs = dict(zip(self.hashes, self.counts, strict=True))
        pairs.update(learned)
        if len(pairs) > MAX_PIECES:  # start over rather than grow without bound
            pairs = dict(list(learned.items())[:MAX_PIECES])
        keys = sorted(pairs)
        return PieceCounts(array("Q", keys), array("I", (pairs[k] for k in keys)))

    def encode(self, key: str) -> bytes:
        header = f"{FORMAT} {sys.byteorder} {len(self)} {key}\n".encode()
        return MAGIC + header + self.hashes.tobytes() + self.counts.tobytes()

    @classmethod
    def decode(cls, data: bytes, key: str) -> PieceCounts:
        """The table in `data`; ValueError when it is not one written for `key` on this machine."""
        if not data.startswith(MAGIC):
            raise ValueError("not a token count file")
        end = data.find(b"\n", len(MAGIC))
        fields = data[len(MAGIC) : end].decode("ascii").split(" ", 3) if end > 0 else []
        if len(fields) != 4 or fields[0] != str(FORMAT) or fields[1] != sys.byteorder or fields[3] != key:
            raise ValueError("written by another version or for another tokenizer")
        n = int(fields[2])
        body = data[end + 1 :]
        if not 0 <= n <= MAX_PIECES or len(body) != n * (_HASH_ITEM + _COUNT_ITEM):
            raise ValueError("truncated or oversized")
        hashes, counts = array("Q"), array("I")
        hashes.frombytes(body[: n * _HASH_ITEM])
        counts.frombytes(body[n * _HASH_ITEM :])
        return cls(hashes, counts)


class TokenCache:
    """The token count file of one encoding and counter, loaded on first use."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self.key = key
        self._table: PieceCounts | None = None

    @classmethod
    def default(cls, encoding: str) -> TokenCache:
        """The cache in the user cache folder for `encoding`, split by puretiktoken and counted by quicktok
        (or puretiktoken) as installed now (another install: another file)."""
        key = f"{encoding} {code_fingerprint(folders=[], packages=['puretiktoken', 'quicktok'])}"
        return cls(cache_folder("tokens") / f"{encoding}-{key.split()[-1][:24]}.bin", key)

    def table(self) -> PieceCounts:
        if self._table is None:
            self._table = self._read()
        return self._table

    def _read(self) -> PieceCounts:
        data = read_private(self.path)
        if data is None:
            return PieceCounts()
        try:
            return PieceCounts.decode(data, self.key)
        except (ValueError, UnicodeError) as exc:
            log.info("ignoring token count file %s: %s", self.path, exc)
            return PieceCounts()

    def known_total(self, pieces: list[str]) -> int | None:
        return self.table().total(pieces)

    def learn(self, pieces: list[str], total: int, count: Callable[[str], int]) -> bool:
        """Store the counts of `pieces` (a text split by `split_pieces`) after checking that they add up
        to `total`, the tokenizer's count of the whole text. False when they do not or the write fails."""
        table = self.table()
        fresh: dict[str, int] = {}
        for piece in dict.fromkeys(pieces):
            known = table.get(piece_hash(piece))
            fresh[piece] = known if known is not None and _plausible(piece, known) else count(piece)
        if sum(fresh[p] for p in pieces) != total:
            fresh = {piece: count(piece) for piece in fresh}  # an entry on disk may be wrong: recount all
            if sum(fresh[p] for p in pieces) != total:
                log.info("token counts of the pieces do not add up to the text's; not cached")
                return False
        learned = {piece_hash(p): c for p, c in fresh.items()}
        self._table = self._read().merged(learned)  # merge into what other processes wrote meanwhile
        return write_atomic(self.path, self._table.encode(self.key))


def split_pieces(text: str) -> list[str]:
    """The o200k pre-tokens of `text`, in order (they concatenate to `text`)."""
    from puretiktoken._pretokenize import pretokenize_o200k  # pinned; tests hold it to quicktok's split

    return list(pretokenize_o200k(text))
