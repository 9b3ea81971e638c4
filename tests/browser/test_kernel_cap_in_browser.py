"""The kernel cap in a real browser: with `--max-kernels 2` a third page is told Connect is busy.

The server serves only ``connect.ipynb`` (a copy, in a folder of its own) with its
default pre-heated pool of one kernel, so every count is exact:

- ready: 1 kernel (connect's pre-heated one);
- page A opens: it takes the pre-heated kernel (no kernel added) and the pool refills: 2;
- page B opens: it takes that refilled kernel; a refill would be a third kernel, so none: 2;
- page C opens: no pre-heated kernel and no room for a new one: 503 and the busy page, still 2;
- page A closes properly (navigating away runs the page's unload handler, which asks for its
  kernel's shutdown): A's kernel goes, and the freed slot is pre-heated again at once, so the
  count stays 2 while the kernels serving pages (``kernels - preheated``) drop to 1;
- page C reloads: it takes the pre-heated kernel and shows the Email screen: 2.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from connect_widgets.paths import project_path
from connect_widgets.settings import load_settings
from connect_widgets.store.engine import make_engine
from connect_widgets.store.schema import upgrade_schema
from tests.browser.conftest import shoot, start_server
from tests.servers import stop_process, wait_until

pytestmark = pytest.mark.browser

BUSY_WORDS = "Connect is busy — try again in a minute."


def health(root: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{root}/connect/health", timeout=10) as answer:
        figures: dict[str, Any] = json.load(answer)
        return figures


def kernels(root: str) -> tuple[int, int]:
    """(kernels held, of which pre-heated and not serving a page)."""
    figures = health(root)
    return figures["kernels"], figures["preheated"]


def open_connect(browser: Browser, url: str) -> Page:
    page = browser.new_context(viewport={"width": 1100, "height": 860}).new_page()
    page.set_default_navigation_timeout(90_000)
    page.goto(url)
    expect(page.get_by_label("Email address", exact=True)).to_be_visible(timeout=60_000)
    return page


def close_properly(page: Page) -> None:
    page.goto("about:blank")  # runs the unload handler: the page asks for its kernel's shutdown
    page.context.close()


def test_a_third_page_is_busy_until_one_closes(browser: Browser, tmp_path: Path) -> None:
    upgrade_schema(make_engine(load_settings(data_dir=tmp_path)))
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(project_path("notebooks") / "connect.ipynb", notebooks / "connect.ipynb")
    process, port = start_server(tmp_path, "--max-kernels", "2", "--notebooks", str(notebooks))
    root = f"http://127.0.0.1:{port}"
    url = f"{root}/voila/render/connect.ipynb"
    opened: list[Page] = []
    try:
        assert health(root)["max_kernels"] == 2
        assert wait_until(lambda: kernels(root) == (1, 1), timeout=30), kernels(root)

        first = open_connect(browser, url)
        opened.append(first)
        assert wait_until(lambda: kernels(root) == (2, 1), timeout=30), kernels(root)  # A + the refill
        second = open_connect(browser, url)
        opened.append(second)
        assert kernels(root) == (2, 0)  # A + B; no refill beyond the cap

        third = browser.new_context(viewport={"width": 1100, "height": 860}).new_page()
        opened.append(third)
        answer = third.goto(url)
        assert answer is not None and answer.status == 503
        assert int(answer.headers["retry-after"]) >= 1
        expect(third.get_by_role("heading", name="Connect is busy")).to_be_visible()
        expect(third.get_by_text(BUSY_WORDS)).to_be_visible()
        expect(third.get_by_text("Nothing was lost")).to_be_visible()
        shoot(third, "kernel-cap-busy")
        assert kernels(root) == (2, 0)  # no third kernel

        close_properly(first)
        opened.remove(first)
        # A's kernel is shut down and its slot pre-heated again: one page's kernel + one pre-heated.
        assert wait_until(lambda: kernels(root) == (2, 1), timeout=60), kernels(root)

        answer = third.reload()
        assert answer is not None and answer.status == 200
        expect(third.get_by_label("Email address", exact=True)).to_be_visible(timeout=60_000)
        third.get_by_label("Email address", exact=True).fill("someone@example.com")  # it answers
        assert kernels(root) == (2, 0)  # B + C
        expect(second.get_by_label("Email address", exact=True)).to_be_visible()  # B still works
    finally:
        for page in opened:
            close_properly(page)
        stop_process(process)
