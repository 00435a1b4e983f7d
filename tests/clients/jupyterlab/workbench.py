"""A page object for JupyterLab 4 with jupyterlab-lsp, driven as a user would: open a notebook,
click into a cell's line, hold Ctrl and hover (jupyterlab-lsp's hover gesture), read the tooltip."""

from __future__ import annotations

from tests.clients.browser import BrowserPage

HOVER = ".lsp-hover"
LSP_STATUS = ".lsp-statusbar-item"


class JupyterLab(BrowserPage):
    def open_notebook(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)

    def lsp_status(self) -> str:
        return " ".join(self.page.locator(LSP_STATUS).all_inner_texts())

    def wait_for_language_server(self) -> None:
        """jupyterlab-lsp's status bar item says "Fully initialized" once every server is up."""
        self.wait_until("jupyterlab-lsp to connect", lambda: "Fully initialized" in self.lsp_status(), 90)

    def hover_line(self, text: str) -> str:
        """Click into the cell line holding `text`, hold Ctrl over it, return the hover's text."""
        line = self.page.locator(".jp-Cell .cm-line", has_text=text).first
        line.click()
        box = line.bounding_box()
        assert box is not None, f"no visible cell line with {text!r}"
        hover = self.page.locator(HOVER)

        def shown() -> bool:
            self.page.keyboard.down("Control")
            self.page.mouse.move(box["x"] + 40, box["y"] + box["height"] / 2)
            self.page.wait_for_timeout(800)
            if hover.count() and hover.first.is_visible():
                return True
            self.page.keyboard.up("Control")
            self.page.mouse.move(box["x"] + 40, box["y"] + box["height"] * 4)  # away, then back
            return False

        self.wait_until("the hover on the directive", shown, timeout=60)
        text_shown = str(hover.first.inner_text())
        self.shot("hover")
        self.page.keyboard.up("Control")
        return text_shown
