"""What the browser-driven client tests share: Debian's Chromium as playwright launches it, and a
page object base with numbered screenshots and polling that fails with a screenshot."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page

# Debian's chromium as a headless browser on a machine without network: the background-networking
# flags stop it from reaching out at start (see the machine notes); no GPU, no sandbox as root.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Sized for an editor and a notification or tooltip visible in the screenshots.
VIEWPORT = {"width": 1400, "height": 900}


class BrowserPage:
    def __init__(self, page: Page, artifacts: Path) -> None:
        self.page = page
        self.artifacts = artifacts
        self._shots = 0

    def shot(self, name: str) -> Path:
        """A numbered screenshot in the test's artifact folder."""
        self._shots += 1
        path = self.artifacts / f"{self._shots:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def wait_until(self, what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
        """Poll `check` until it holds; on time-out, a screenshot and a clear failure. The bound
        only decides how long a broken step takes to fail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            self.page.wait_for_timeout(250)
        shot = self.shot(f"timeout-{re.sub(r'[^a-z0-9]+', '-', what.lower())[:40]}")
        raise AssertionError(f"timed out waiting for {what} (screenshot {shot})")
