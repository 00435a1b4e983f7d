"""A provider's `models` list and the catalog: the documented local snippet works alone, and a
model the catalog does not know is named with the line to add (docs/providers.md, settings.md)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from modelroute.catalog import load_catalog
from modelroute.policy.schema import Settings

REPO = Path(__file__).resolve().parents[2]


def documented_ollama(doc: str) -> dict[str, object]:
    """The [providers.ollama] table of a doc's example, parsed as the user would paste it."""
    text = (REPO / "docs" / doc).read_text()
    block = re.search(r"(\[providers\.ollama\]\n(?:[ ]*\w+ = .+\n)+)", text)
    assert block, f"{doc} has an Ollama example"
    lines = "\n".join(line.strip() for line in block.group(1).splitlines())
    return tomllib.loads(lines)


def test_documented_ollama_snippets_add_a_local_free_model() -> None:
    for doc in ("providers.md", "settings.md"):
        settings = Settings.model_validate(documented_ollama(doc))
        catalog = load_catalog(settings)
        entry = catalog.get("qwen3-coder")
        assert entry is not None, f"{doc}: the Ollama model never appears"
        assert entry.provider == "ollama" and entry.local and entry.api == "openai-chat"
        assert entry.price.tiers[0].input_mtok == 0 and entry.price.tiers[0].output_mtok == 0
        assert "[providers.ollama]" in entry.limits_source
        assert all(s.prior for s in entry.strengths.values())
        assert catalog.warnings == ()


def test_a_remote_provider_listing_an_unknown_model_names_the_line_to_add() -> None:
    settings = Settings.model_validate({"providers": {"moonshot": {"models": ["kimi-k9"]}}})
    catalog = load_catalog(settings)
    assert catalog.get("kimi-k9") is None
    [warning] = catalog.warnings
    assert "[providers.moonshot] models: 'kimi-k9' is not in the catalog" in warning
    assert '[models.add.kimi-k9] table with provider = "moonshot"' in warning
    assert "local = true" in warning


def test_models_add_still_describes_a_local_model() -> None:
    settings = Settings.model_validate(
        {
            "providers": {
                "ollama": {"base_url": "http://127.0.0.1:11434/v1", "local": True, "models": ["qwen3-coder"]}
            },
            "models": {"add": {"qwen3-coder": {"provider": "ollama", "context_window": 32768}}},
        }
    )
    entry = load_catalog(settings).get("qwen3-coder")
    assert entry is not None and entry.context_window == 32768 and entry.local


def test_route_and_doctor_show_the_warning(tmp_path: Path) -> None:
    config = tmp_path / "config" / "modelroute"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('[providers.moonshot]\nmodels = ["kimi-k9"]\n')
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "a.py").write_text("x = 1  # rename x AI!\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "MODELROUTE_DATA_DIR": str(tmp_path / "data"),
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    cli = [sys.executable, "-m", "modelroute"]
    route = subprocess.run([*cli, "route", "--workspace", str(ws), "--file", "a.py", "--instruction", "rename x"],
                           env=env, capture_output=True, text=True, timeout=120)
    assert route.returncode == 0, route.stderr
    assert "[models.add.kimi-k9]" in route.stderr
    doctor = subprocess.run([*cli, "doctor", "--workspace", str(ws)], env=env, capture_output=True, text=True,
                            timeout=120)
    assert "[providers.moonshot] models: 'kimi-k9' is not in the catalog" in doctor.stdout, doctor.stdout
