"""Every canary kind, in the file syntax it lives in, becomes a marker; ordinary code stays."""

from __future__ import annotations

import pytest

from modelroute.prompt.redact import redact
from modelroute_testing.canaries import CANARIES, KINDS, ORDINARY, Canary, file_with_secrets, leaked, leaks


def test_there_are_many_kinds() -> None:
    assert len(KINDS) >= 50


@pytest.mark.parametrize("canary", CANARIES, ids=[c.kind for c in CANARIES])
def test_canary_becomes_a_marker(canary: Canary) -> None:
    text = f"x = 1\n{canary.text}\ny = compute(x)\n"
    out, n = redact(text)
    assert not leaks(canary.secret, out), out
    assert n >= 1 and "[REDACTED:" in out
    assert out.startswith("x = 1\n") and out.endswith("\ny = compute(x)\n")
    assert redact(out) == (out, 0)




@pytest.mark.parametrize("code", ORDINARY)
def test_ordinary_code_is_kept(code: str) -> None:
    assert redact(code) == (code, 0)


def test_ten_thousand_lines_with_fifty_secrets() -> None:
    """At file scale every secret becomes a marker and ordinary lines stay; speed: bench/bench_redact.py."""
    text, planted = file_with_secrets(10_000, every=200)
    out, n = redact(text)
    assert planted == 50 and n >= planted
    assert leaked(out) == []
    kept = [line for line in out.splitlines() if line in ORDINARY]
    assert len(kept) == sum(1 for line in text.splitlines() if line in ORDINARY)
