"""The command-line arguments that name an editor action, shared by `modelroute route` and
`modelroute run`, so both read a location the same way (0-based, as in LSP)."""

from __future__ import annotations

import argparse
from pathlib import Path


def position(text: str) -> int:
    """A line or character number: 0-based as in LSP, so 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more (positions are 0-based, as in LSP), got {value}")
    return value


def add_action_arguments(p: argparse.ArgumentParser) -> None:
    """--workspace, --file, the cursor, the selection's end and --instruction."""
    p.add_argument("--workspace", required=True, type=Path, help="workspace root folder")
    p.add_argument("--file", required=True, help="file path relative to the workspace")
    p.add_argument("--line", type=position, default=0, help="0-based cursor line")
    p.add_argument("--character", type=position, default=0, help="0-based cursor character")
    p.add_argument("--end-line", type=position, help="0-based selection end line")
    p.add_argument("--end-character", type=position, help="0-based selection end character")
    p.add_argument("--instruction", default="", help="what the user asks for")
