"""Where the real-client tests leave screenshots and logs: `.ci/artifacts/<client>/<test>/` in the
checkout (git-ignored), emptied at the start of each test so a folder shows one run."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOT = REPO / ".ci" / "artifacts"


def artifact_dir(client: str, test_name: str) -> Path:
    folder = ROOT / client / re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name).strip("-")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
