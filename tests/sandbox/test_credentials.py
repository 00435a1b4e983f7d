"""Credential stores are hidden from commands by the shipped list (credentials.toml), each entry with the
public documentation of where its tool keeps secrets. Judged by what a command can read (its output is
what would go to the model) and by the host files staying untouched."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from modelroute.sandbox import SandboxSpec, run_sandboxed
from modelroute.sandbox.credentials import credential_paths, credential_stores
from tests.sandbox.conftest import host_tree, needs_bwrap

STORES = [
    ".config/git/credentials",
    ".git-credentials",
    ".cargo/credentials.toml",
    ".cargo/credentials",
    ".cache/huggingface/token",
    ".huggingface/token",
    ".npmrc",
    ".pypirc",
    ".docker/config.json",
    ".kube/config",
    ".config/gcloud/credentials.db",
    ".azure/msal_token_cache.json",
    ".aws/credentials",
    ".ssh/id_ed25519",
    ".gnupg/private-keys-v1.d/key.key",
    ".netrc",
    ".pgpass",
    ".config/gh/hosts.yml",
    ".password-store/bank.gpg",
    ".local/share/keyrings/login.keyring",
    ".config/modelroute/config.toml",
    ".vault-token",
]


def test_every_entry_names_its_tool_and_source() -> None:
    for store in credential_stores():
        assert store.tool and store.source, store
        assert store.source.startswith(("https://", "docs/")), store
        assert store.path.startswith(("~/", "$XDG_")), store


def test_the_list_covers_the_issues_stores(tmp_path: Path) -> None:
    paths = {str(p.relative_to(tmp_path)) for p in credential_paths(tmp_path, {}) if p.is_relative_to(tmp_path)}
    for rel in STORES:
        assert any(rel == p or rel.startswith(p + "/") for p in paths), rel


def test_tool_variables_move_the_store(tmp_path: Path) -> None:
    env = {"CARGO_HOME": "/opt/cargo", "DOCKER_CONFIG": "/opt/docker", "XDG_CONFIG_HOME": "/cfg"}
    paths = set(map(str, credential_paths(tmp_path, env)))
    assert {"/opt/cargo/credentials.toml", "/opt/docker/config.json", "/cfg/git/credentials"} <= paths


@needs_bwrap
@pytest.mark.parametrize("rel", STORES)
def test_store_is_hidden_from_commands(spec: SandboxSpec, home: Path, rel: str) -> None:
    canary = f"canary-{rel.replace('/', '-')}"
    (home / rel).parent.mkdir(parents=True, exist_ok=True)
    (home / rel).write_text(canary + "\n")
    before = host_tree(home)
    result = run_sandboxed(f"cat {home / rel}; grep -r canary {home} 2>/dev/null", dataclasses.replace(spec, home=home))
    assert canary not in result.stdout
    assert host_tree(home) == before
