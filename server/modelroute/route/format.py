"""Readable numbers for titles, tables and reasons."""

from __future__ import annotations


def money(usd: float) -> str:
    """`~$0.42`, `~$0.0042`, `~$12`: two significant figures, never a misleading `$0.00`."""
    if usd <= 0:
        return "$0"
    if usd >= 10:
        return f"~${usd:,.0f}"
    if usd >= 0.1:
        return f"~${usd:.2f}"
    digits = 1
    while usd * 10**digits < 10 and digits < 8:
        digits += 1
    return f"~${usd:.{digits}f}"


def tokens(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 10_000:
        return f"{n / 1000:.0f}K"
    if n >= 1000:
        return f"{n / 1000:.1f}K"
    return str(n)
