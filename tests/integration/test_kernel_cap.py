"""The kernel cap and the per-client limit, against a real `connect-kit serve` over HTTP (no browser).

A refused page must start no kernel: the server's own count (``/connect/health``, which
counts running, starting and pre-heated kernels) is read before and after each refusal.
A render GET reads the whole page, i.e. until the notebook has run in its kernel.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connect_widgets.settings import load_settings
from connect_widgets.store.engine import make_engine
from connect_widgets.store.schema import upgrade_schema
from tests.browser.conftest import start_server
from tests.servers import stop_process

pytestmark = pytest.mark.integration

PAGE_TIMEOUT = 180  # a page without a pre-heated kernel starts one and runs the notebook (2 busy cores)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


def get(url: str) -> Answer:
    try:
        with urllib.request.urlopen(url, timeout=PAGE_TIMEOUT) as answer:
            return Answer(answer.status, dict(answer.headers), answer.read().decode())
    except urllib.error.HTTPError as refused:
        return Answer(refused.code, dict(refused.headers), refused.read().decode())


class Served:
    def __init__(self, port: int) -> None:
        self.root = f"http://127.0.0.1:{port}"

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.root}/connect/health", timeout=30) as answer:
            figures: dict[str, Any] = json.load(answer)
            return figures

    def kernels(self) -> int:
        return int(self.health()["kernels"])

    def open_page(self) -> Answer:
        return get(f"{self.root}/voila/render/connect.ipynb")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    upgrade_schema(make_engine(load_settings(data_dir=tmp_path)))
    return tmp_path


@pytest.fixture
def serving(data_dir: Path, request: pytest.FixtureRequest) -> Iterator[Served]:
    args, settings = request.param
    process, port = start_server(data_dir, *args, settings=settings)
    try:
        yield Served(port)
    finally:
        stop_process(process)


def assert_refused(answer: Answer, status: int, words: str) -> None:
    assert answer.status == status, answer.body[:500]
    assert int(answer.headers["Retry-After"]) >= 1
    assert answer.headers["Content-Type"].startswith("text/html")
    assert words in answer.body
    assert "Nothing was lost" in answer.body


@pytest.mark.parametrize("serving", [(["--no-preheat"], {"CONNECT_KERNEL_STARTS_PER_MINUTE": "2"})], indirect=True)
def test_the_third_page_a_minute_from_one_address_gets_429_and_starts_no_kernel(serving: Served) -> None:
    """A limit of 2 starts a minute; no pre-heating, so each page starts exactly one kernel."""
    assert serving.kernels() == 0
    for opened in (1, 2):
        assert serving.open_page().status == 200
        assert serving.kernels() == opened
    refused = serving.open_page()
    assert_refused(refused, 429, "Too many pages opened from your address — try again in a minute.")
    assert serving.kernels() == 2  # nothing started for the refused page
    # The window is per address and per minute, not a cap: the health check still answers.
    assert serving.health()["status"] == "ok"


@pytest.mark.parametrize("serving", [(["--no-preheat", "--max-kernels", "2"], {})], indirect=True)
def test_with_two_kernels_at_most_the_third_page_is_busy_and_starts_no_kernel(serving: Served) -> None:
    """No pre-heating: two pages hold the two kernels, the third gets 503 and the busy page."""
    health = serving.health()
    assert (health["kernels"], health["max_kernels"]) == (0, 2)
    assert health["memory_available_mib"] > 0
    for opened in (1, 2):
        assert serving.open_page().status == 200
        assert serving.kernels() == opened
    busy = serving.open_page()
    assert_refused(busy, 503, "Connect is busy — try again in a minute.")
    assert "<title>Connect is busy</title>" in busy.body
    assert serving.kernels() == 2
    # Busy is about pages, not the server: the health check stays ok.
    assert serving.health()["status"] == "ok"


@pytest.mark.parametrize("serving", [(["--max-kernels", "2"], {})], indirect=True)
def test_pre_heated_kernels_count_fill_only_up_to_the_cap_and_give_way_to_visitors(serving: Served) -> None:
    """Four notebooks would pre-heat one kernel each; the cap of 2 pre-heats connect.ipynb first, then
    trainer.ipynb (the next page in `serve`'s list), and the server still says it is ready.

    The first visitor takes connect's pre-heated kernel (no kernel is added); its pool is not
    refilled (that would be a third kernel). The next visitor needs a kernel of its own: the
    trainer's waiting spare is shut down to make room, so two admins use Connect. A third
    visitor finds no room and no spare: 503.
    """
    health = serving.health()
    assert (health["kernels"], health["preheated"], health["max_kernels"]) == (2, 2, 2)
    assert serving.open_page().status == 200
    health = serving.health()
    assert (health["kernels"], health["preheated"]) == (2, 1)  # connect's page + trainer's pre-heated kernel
    assert serving.open_page().status == 200  # the trainer's spare gave its slot up
    health = serving.health()
    assert (health["kernels"], health["preheated"]) == (2, 0)
    assert_refused(serving.open_page(), 503, "Connect is busy — try again in a minute.")
    assert serving.kernels() == 2


@pytest.mark.parametrize("serving", [(["--no-preheat", "--max-kernels", "2"], {})], indirect=True)
def test_five_pages_at_the_same_moment_get_exactly_two_kernels(serving: Served) -> None:
    """The check and the slot's reservation are one step: simultaneous requests cannot share the last slot."""
    with ThreadPoolExecutor(max_workers=5) as pool:
        statuses = sorted(answer.status for answer in pool.map(lambda _: serving.open_page(), range(5)))
    assert statuses == [200, 200, 503, 503, 503]
    assert serving.kernels() == 2
