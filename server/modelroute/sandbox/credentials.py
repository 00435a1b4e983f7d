"""Credential stores hidden from sandboxed commands, from the list in `credentials.toml` (each entry
with the public documentation that says where the tool keeps its secrets)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class CredentialStore:
    path: str
    tool: str
    source: str
    env: str | None = None
    env_suffix: str | None = None


@cache
def credential_stores() -> tuple[CredentialStore, ...]:
    raw = tomllib.loads(resources.files(__package__).joinpath("credentials.toml").read_text(encoding="utf-8"))
    return tuple(
        CredentialStore(e["path"], e["tool"], e["source"], e.get("env"), e.get("env_suffix")) for e in raw["entry"]
    )


_XDG = {
    "$XDG_CONFIG_HOME/": ("XDG_CONFIG_HOME", ".config"),
    "$XDG_DATA_HOME/": ("XDG_DATA_HOME", ".local/share"),
    "$XDG_CACHE_HOME/": ("XDG_CACHE_HOME", ".cache"),
}


def expand(store: CredentialStore, home: Path, environ: dict[str, str] | None = None) -> list[Path]:
    """Every place the store may be on this machine: the default under `home`, the XDG variable's
    location, and the tool's own environment variable."""
    env = os.environ if environ is None else environ
    out: list[Path] = []
    if store.path.startswith("~/"):
        out.append(home / store.path[2:])
    for prefix, (var, default) in _XDG.items():
        if store.path.startswith(prefix):
            rest = store.path[len(prefix) :]
            out.append(home / default / rest)
            if env.get(var):
                out.append(Path(env[var]) / rest)
    if store.env and env.get(store.env):
        base = Path(env[store.env])
        out.append(base / store.env_suffix if store.env_suffix else base)
    unique: list[Path] = []
    for p in out:
        if p.is_absolute() and p not in unique:
            unique.append(p)
    return unique


def credential_paths(home: Path, environ: dict[str, str] | None = None) -> list[Path]:
    return [p for store in credential_stores() for p in expand(store, home, environ)]
