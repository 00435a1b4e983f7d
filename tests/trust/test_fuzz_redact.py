"""The redactor never raises, is idempotent, leaves ordinary code alone and never lengthens it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from modelroute.prompt.redact import redact
from modelroute_testing.canaries import CANARIES, Canary, leaks

FAST = settings(max_examples=300, deadline=None)
# Fragments that sit near the edges of the rules: prefixes, operators, quotes, markers, key blocks.
FRAGMENTS = st.sampled_from([
    "sk-", "sk-ant-", "ghp_", "AKIA", "xoxb-", "eyJ", "SG.", "npm_", "pypi-AgE", "glpat-", "AIza", "://",
    "user:", "@", ":", "=", " = ", ": ", ":=", "=>", '"', "'", "`", "\n", " ", "\t", "[", "]", "(", ")",
    "password", "SECRET_KEY", "api_key", "token", "Bearer ", "AccountKey=", "sig=", "_authToken=",
    "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "[REDACTED:jwt]", "[REDACTED:",
    "aws_secret_access_key", "a8F3kQ9zLmN2pR7t", "0123456789abcdef", "x", "é", "😀", "\\n",
])
NOISY = st.lists(st.one_of(FRAGMENTS, st.text(max_size=12)), max_size=40).map("".join)

WORDS = st.sampled_from(["total", "count", "name", "items", "user", "order", "price", "value", "result",
                         "config", "path", "index", "data", "key", "token", "max_tokens", "sort_key"])
NUMBERS = st.integers(0, 10_000).map(str)
LITERALS = st.one_of(NUMBERS, WORDS.map(lambda w: f'"{w}"'), WORDS.map(lambda w: f"'{w}s list'"))


@st.composite
def ordinary_line(draw: st.DrawFn) -> str:
    """Typical code: assignments of names, numbers and words; calls; defs; comments."""
    a, b = draw(WORDS), draw(WORDS)
    return draw(st.sampled_from([
        f"{a} = {draw(LITERALS)}",
        f"{a} = {b}.{draw(WORDS)}({draw(LITERALS)})",
        f"def {a}_{b}({b}: int = {draw(NUMBERS)}) -> str:",
        f"    return {a}[{b}] + {draw(NUMBERS)}",
        f"# compute the {a} of each {b}",
        f"{a}: {b}",
        f'{{"{a}": {draw(LITERALS)}, "{b}": {draw(NUMBERS)}}}',
        f"export {a.upper()}={b}",
        f"const {a} = process.env.{b.upper()};",
    ]))


@FAST
@given(NOISY)
def test_never_raises_and_is_idempotent(text: str) -> None:
    once, n = redact(text)
    twice, m = redact(once)
    assert twice == once and m == 0
    assert (n == 0) == (once == text)


@FAST
@given(st.lists(ordinary_line(), min_size=1, max_size=30).map("\n".join))
def test_ordinary_code_is_unchanged(text: str) -> None:
    out, n = redact(text)
    assert n == 0 and out == text and len(out) <= len(text)


@settings(max_examples=150, deadline=None)
@given(st.lists(ordinary_line(), max_size=10).map("\n".join), st.sampled_from(CANARIES),
       st.lists(ordinary_line(), max_size=10).map("\n".join))
def test_a_canary_amid_code_is_redacted_and_the_code_kept(before: str, canary: Canary, after: str) -> None:
    text = f"{before}\n{canary.text}\n{after}"
    out, n = redact(text)
    assert not leaks(canary.secret, out) and n >= 1
    assert out.startswith(before) and out.endswith(after)
