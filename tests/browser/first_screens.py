"""Each served notebook and the first control it shows, for tests that open every page."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Locator, Page

FIRST_CONTROLS: dict[str, Callable[[Page], Locator]] = {
    "connect.ipynb": lambda page: page.get_by_label("Email address", exact=True),
    "trainer.ipynb": lambda page: page.get_by_role("combobox").first,  # the demo account picker
    "admin_console.ipynb": lambda page: page.get_by_label("Email address", exact=True),
    "connect_team.ipynb": lambda page: page.get_by_label("Staff name", exact=True),
}
