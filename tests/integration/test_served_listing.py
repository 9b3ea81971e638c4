"""What a visitor can browse on a real `connect-kit serve`: Connect and the console, nothing else.

The trainer's page (reset accounts, read the demo phone) and the team's page are
opened from the URLs `serve` prints; they stay reachable there but are never listed.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from connect_widgets.settings import load_settings
from connect_widgets.store.engine import make_engine
from connect_widgets.store.schema import upgrade_schema
from tests.browser.conftest import start_server
from tests.servers import stop_process

LISTED = {"admin_console.ipynb", "connect.ipynb"}
UNLISTED = {"trainer.ipynb", "connect_team.ipynb"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("listing")
    upgrade_schema(make_engine(load_settings(data_dir=data)))
    process, port = start_server(data, "--no-preheat")  # the trainer is enabled (CONNECT_TRAINER_ENABLED)
    yield f"http://127.0.0.1:{port}"
    stop_process(process)


def _get(url: str, timeout: float = 30) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_the_served_notebook_folder_holds_every_page() -> None:
    """The premise: without the filter the listings below would name all four."""
    from connect_widgets.paths import project_path

    assert {p.name for p in Path(project_path("notebooks")).glob("*.ipynb")} >= LISTED | UNLISTED


def test_the_contents_api_lists_only_connect_and_the_console(served: str) -> None:
    status, body = _get(f"{served}/voila/api/contents")
    assert status == 200
    assert {item["name"] for item in json.loads(body)["content"]} == LISTED


@pytest.mark.parametrize("path", ["/", "/voila/tree", "/voila/tree/"])
def test_the_root_and_tree_pages_name_no_unlisted_page(served: str, path: str) -> None:
    """The JupyterLab-style tree (the default) draws its list from the contents API, tested above."""
    status, body = _get(served + path)
    assert status == 200
    for name in UNLISTED:
        assert name not in body


@pytest.mark.parametrize("path", ["/?classic-tree=true", "/voila/tree?classic-tree=true"])
def test_the_classic_tree_any_visitor_can_ask_for_lists_only_connect_and_the_console(served: str, path: str) -> None:
    """The classic tree writes the listing into the page itself."""
    status, body = _get(served + path)
    assert status == 200
    for name in LISTED:
        assert f"/voila/render/{name}" in body
    for name in UNLISTED:
        assert name not in body


def test_an_unlisted_page_still_renders_from_its_url(served: str) -> None:
    status, body = _get(f"{served}/voila/render/trainer.ipynb", timeout=240)  # a kernel starts for it
    assert status == 200
    assert "application/vnd.jupyter.widget-view+json" in body
