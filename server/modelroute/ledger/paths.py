"""Where the ledger lives."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "MODELROUTE_DATA_DIR"
LEDGER_FILE = "ledger.sqlite3"


def data_dir() -> Path:
    """$MODELROUTE_DATA_DIR when set (tests, portable set-ups), else the platform's user data dir."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir("modelroute", appauthor=False))


def default_ledger_path() -> Path:
    return data_dir() / LEDGER_FILE
