"""A page object for the VS Code workbench (code-server in Chromium), driven as a user would: the
keyboard shortcuts and the visible widgets, nothing internal. Every step can leave a screenshot."""

from __future__ import annotations

import re

from playwright.sync_api import Locator

from tests.clients.browser import BrowserPage

ACTION_ROWS = ".action-widget:not(.action-list-submenu-panel) .monaco-list-row.action"


class Workbench(BrowserPage):
    def open_folder(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_selector(".monaco-workbench", timeout=90_000)
        # The explorer shows the folder once the remote file system answers.
        self.page.wait_for_selector(".explorer-folders-view .monaco-list-row", timeout=90_000)

    # -- editor ---------------------------------------------------------------------------------
    def open_file(self, name: str) -> None:
        """Quick Open (Ctrl+P), the file name, Enter; waits for its editor tab."""
        self.page.keyboard.press("Control+P")
        self.page.wait_for_selector(".quick-input-widget input", state="visible")
        self.page.keyboard.type(name)
        self.wait_until(f"Quick Open to list {name}", lambda: self._quick_open_lists(name))
        self.page.keyboard.press("Enter")
        tab = self.page.locator(f'.tabs-container .tab[aria-label^="{name}"]')
        tab.first.wait_for(state="visible", timeout=30_000)
        self.page.locator(".monaco-editor .view-lines").first.wait_for(state="visible", timeout=30_000)

    def _quick_open_lists(self, name: str) -> bool:
        rows = self.page.locator(".quick-input-list .monaco-list-row")
        return rows.count() > 0 and name in rows.first.inner_text()

    def go_to_line(self, line: int) -> None:
        """Ctrl+G, the 1-based line number, Enter."""
        self.page.keyboard.press("Control+G")
        self.page.wait_for_selector(".quick-input-widget input", state="visible")
        self.page.keyboard.type(str(line))
        self.page.keyboard.press("Enter")
        self.wait_until(
            f"the cursor on line {line}",
            lambda: f"Ln {line}," in self.status_bar_text(),
            timeout=15,
        )

    def click_cell_line(self, text: str) -> None:
        """Put the cursor at the end of the notebook cell line that contains `text`."""
        line = self.page.locator(".notebook-editor .cell-editor-container .view-line", has_text=text)
        self.wait_until(f"a notebook cell line with {text!r}", lambda: line.count() > 0, timeout=60)
        line.first.click()  # a click on a cell's text edits it (the status bar says "Cell N of M")
        self.page.keyboard.press("End")

    def status_bar_text(self) -> str:
        return self.page.locator("#workbench\\.parts\\.statusbar").inner_text()

    def save(self) -> None:
        self.page.keyboard.press("Control+S")

    def editor_text(self) -> str:
        """The visible lines of the first text editor, spaces as typed (Monaco renders U+00A0)."""
        return str(self.page.locator(".monaco-editor .view-lines").first.inner_text()).replace("\xa0", " ")

    def editor_tab_count(self) -> int:
        return self.page.locator(".tabs-container .tab").count()

    def visible_text(self) -> str:
        """The text of the active editor group: an editor's lines, or a markdown preview's body."""
        group = self.page.locator(".editor-group-container.active")
        text = group.inner_text()
        for frame in self.page.frames:  # a markdown preview renders inside webview iframes
            if frame != self.page.main_frame:
                try:
                    text += "\n" + frame.locator("body").inner_text(timeout=2000)
                except Exception:  # a webview frame still loading or gone: its text is not needed
                    continue
        return str(text).replace("\xa0", " ")  # the editor renders spaces as no-break spaces

    def dirty_tabs(self) -> int:
        return self.page.locator(".tabs-container .tab.dirty").count()

    # -- code actions ---------------------------------------------------------------------------
    def action_rows(self) -> Locator:
        return self.page.locator(ACTION_ROWS)

    def open_code_actions(self, expect: str = r"\$|Why this model\?", timeout: float = 60.0) -> list[str]:
        """Ctrl+. (Quick Fix: the lightbulb's menu) until the menu lists an entry matching `expect`
        (the server indexes the workspace first); returns the entries' titles in order."""

        def listed() -> bool:
            rows = self.action_rows()
            if rows.count() and any(re.search(expect, t) for t in rows.all_inner_texts()):
                return True
            if self.page.locator(".action-widget").first.is_visible():
                self.page.keyboard.press("Escape")  # only then: in a notebook it would leave the cell
            self.page.keyboard.press("Control+.")
            self.page.wait_for_timeout(1500)
            return False

        self.wait_until("code actions in the lightbulb menu", listed, timeout=timeout)
        return [t.strip() for t in self.action_rows().all_inner_texts()]

    def pick_action(self, title: str) -> None:
        """Choose the menu entry with exactly this title (keyboard: arrows to it, Enter)."""
        titles = [t.strip() for t in self.action_rows().all_inner_texts()]
        index = titles.index(title)
        self.action_rows().nth(index).click()

    # -- notifications, dialogs, the refactor preview --------------------------------------------
    def notifications(self) -> list[str]:
        messages = self.page.locator(".notification-toast .notification-list-item-message")
        return [t.strip() for t in messages.all_inner_texts()]

    def dialog(self) -> Locator:
        """VS Code's modal dialog (a server question with buttons: showMessageRequest, modal)."""
        return self.page.locator(".monaco-dialog-box")

    def press_dialog_button(self, name: str) -> None:
        self.dialog().get_by_role("button", name=name, exact=True).first.click()

    def refactor_preview(self) -> Locator:
        return self.page.locator(".bulk-edit-panel, .refactor-preview")

    def press_preview_apply(self) -> None:
        """The Refactor Preview's Apply button (panel title bar) as a user presses it."""
        button = self.page.get_by_role("button", name=re.compile(r"^Apply"))
        button.first.click()
