"""The macOS profile (generated from the same lists) and `sandbox_main` in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelroute.cli import sandbox_main
from modelroute.sandbox.seatbelt import generate_profile
from tests.sandbox.conftest import needs_bwrap


def test_seatbelt_profile(tmp_path: Path) -> None:
    profile = generate_profile(tmp_path, home=Path("/Users/u"), network=False)
    assert profile.startswith("(version 1)\n(deny default)")
    assert f'(allow file-write* (subpath "{tmp_path.resolve()}"))' in profile
    assert "\\.git(/.*)?$" in profile and '(subpath "/Users/u/.ssh")' in profile
    assert "network-outbound (remote ip)" not in profile and "(remote unix-socket)" in profile
    assert profile.index("(allow file-write* (subpath") < profile.index("(deny file-write* (regex")
    online = generate_profile(tmp_path, home=Path("/Users/u"), network=True, mode="read-only")
    assert "(allow network-outbound (remote ip))" in online and f'(subpath "{tmp_path.resolve()}"))' not in online


def test_seatbelt_profile_uses_the_shared_lists(tmp_path: Path) -> None:
    profile = generate_profile(tmp_path, home=Path("/Users/u"))
    for needle in ("\\.envrc", "\\.helix", "\\.pth$", '(subpath "/Users/u/.cargo/credentials.toml")',
                   '(subpath "/Users/u/.config/git/credentials")', '(subpath "/Users/u/.cache/huggingface/token")'):
        assert needle in profile, needle


@needs_bwrap
def test_sandbox_main(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    code = sandbox_main(["--workspace", str(ws), "--", "sh", "-c", "echo out; echo made > made.txt; exit 7"])
    assert code == 7 and capsys.readouterr().out == "out\n"
    assert (ws / "made.txt").read_text() == "made\n"  # applied through the guard
    monkeypatch.setenv("MODELROUTE_BWRAP", str(tmp_path / "nothing"))
    assert sandbox_main(["--workspace", str(ws), "--", "touch", "ran"]) == 125
    assert "no sandbox" in capsys.readouterr().err and not (ws / "ran").exists()
