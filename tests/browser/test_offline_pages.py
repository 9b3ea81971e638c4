"""Every page loads from the server alone: no CDN, no font or script from elsewhere.

A trainer's laptop without the internet, or a locked-down network, must show the
same pages; and a page should not tell a third party that someone opened it.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import RunningServer, shoot
from tests.browser.first_screens import FIRST_CONTROLS

pytestmark = pytest.mark.browser


def _elsewhere(url: str, origin: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return False
    same_host = f"{parts.hostname}:{parts.port}" == origin
    return not (same_host and parts.scheme in ("http", "https", "ws", "wss"))


@pytest.mark.parametrize("notebook", sorted(FIRST_CONTROLS))
def test_the_page_requests_nothing_outside_the_server(
    browser,
    server: RunningServer,  # type: ignore[no-untyped-def]
    notebook: str,
) -> None:
    origin = urlsplit(server.url)
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(60_000)  # four pages in a row on 2 cores shared with other tests
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("websocket", lambda socket: requested.append(socket.url))
    try:
        page.goto(server.page_url(notebook=notebook))
        expect(FIRST_CONTROLS[notebook](page)).to_be_visible(timeout=60_000)
        page.wait_for_load_state("networkidle")  # stylesheets' fonts and lazy scripts too
        shoot(page, f"offline-{notebook.removesuffix('.ipynb')}")
        assert any("/voila/static/" in url or "/voila/templates/" in url for url in requested)  # it did record
        outside = [url for url in requested if _elsewhere(url, f"{origin.hostname}:{origin.port}")]
        assert outside == [], f"{notebook} asked for {outside}"
    finally:
        page.goto("about:blank")
        context.close()


@pytest.mark.parametrize(
    ("path", "shows"),
    [
        # The notebook listing Voila prints as its own address: its file browser is drawn
        # (its entries come later from the contents API, once slow in a full CI run).
        ("/", lambda page: page.get_by_role("toolbar", name="file browser")),
        ("/voila/render/no_such_page.ipynb", lambda page: page.get_by_text("404").first),  # Voila's error page
    ],
    ids=["listing", "error-page"],
)
def test_the_listing_and_error_pages_request_nothing_outside_the_server(  # type: ignore[no-untyped-def]
    browser, server: RunningServer, path: str, shows: Callable[[Page], Locator]
) -> None:
    origin = urlsplit(server.url)
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(60_000)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(server.url + path)
        expect(shows(page)).to_be_visible(timeout=60_000)
        page.wait_for_load_state("networkidle")
        shoot(page, f"offline-{path.strip('/').replace('/', '-') or 'listing'}")
        assert any("/voila/static/" in url or "/voila/templates/" in url for url in requested)
        outside = [url for url in requested if _elsewhere(url, f"{origin.hostname}:{origin.port}")]
        assert outside == [], f"{path} asked for {outside}"
    finally:
        context.close()
