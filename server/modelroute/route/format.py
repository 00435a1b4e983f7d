"""Readable numbers for titles, tables and reasons."""

from __future__ import annotations


def money(usd: float) -> str:
    """`~$0.42`, `~$12.30`, `~$0.012`, `~$0.0042`: cents from a dime up, else two significant digits,
    never a misleading `$0.00`. Code action titles, inlay hints, tables and reasons all use this."""
    if usd <= 0:
        return "$0"
    if usd >= 0.1:
        return f"~${usd:,.2f}"
    return f"~${usd:.2g}" if usd >= 1e-4 else "<$0.0001"


def tokens(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 10_000:
        return f"{n / 1000:.0f}K"
    if n >= 1000:
        return f"{n / 1000:.1f}K"
    return str(n)
