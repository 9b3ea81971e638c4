"""A real `connect-kit serve` on a free loopback port, and the system Chromium.

No browser is downloaded: Playwright drives /usr/bin/chromium (Debian's package,
installed by .ci/run). Without it the browser tests skip on a developer machine
and fail under CI.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connect_widgets.core.services import ConnectServices, build_services
from connect_widgets.paths import project_path
from connect_widgets.serving import READY_LINE
from connect_widgets.settings import load_settings
from connect_widgets.store.schema import upgrade_schema
from tests.conftest import FAST_ARGON2
from tests.servers import free_port, require_program, serving_zone, stop_process

CHROMIUM = os.environ.get("CONNECT_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"  # emptied once a run: ../../conftest.py
SERVER_START_TIMEOUT = 180  # every page's kernel pre-heated, on 2 cores shared with other tests


@dataclass
class RunningServer:
    url: str
    data_dir: Path
    services: ConnectServices
    process: subprocess.Popen[str]
    dns: Any = None  # the loopback DNS zone the server resolves against (tests publish records in it)
    dns_nameservers: str = ""  # its address, as CONNECT_DNS_NAMESERVERS
    notebooks: Path = project_path("notebooks")

    def page_url(self, query: str = "", *, notebook: str = "connect.ipynb") -> str:
        return f"{self.url}/voila/render/{notebook}" + (f"?{query}" if query else "")

    def kernels(self) -> int:
        import json

        with urllib.request.urlopen(f"{self.url}/connect/health", timeout=5) as answer:
            return int(json.load(answer)["kernels"])


def start_server(
    data_dir: Path, *extra_args: str, dns_port: int | None = None, settings: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], int]:
    """Start `connect-kit serve` and return once it says its pages are ready (kernels pre-heated).

    ``settings`` are more ``CONNECT_*`` variables for this server (e.g. a short LDAP timeout);
    they override the defaults here.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECT_")}
    env.update(
        {
            "CONNECT_DATA_DIR": str(data_dir),
            "CONNECT_TRAINER_ENABLED": "true",
            # Every test's pages come from 127.0.0.1, one address: the per-address limit on page
            # opens (20 a minute) is for visitors, and the tests of that limit set their own.
            "CONNECT_KERNEL_STARTS_PER_MINUTE": "1000",
            **{f"CONNECT_{k.upper()}": str(v) for k, v in FAST_ARGON2.items()},
        }
    )
    if dns_port is not None:
        env["CONNECT_DNS_NAMESERVERS"] = f"127.0.0.1:{dns_port}"
    env.update(settings or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "connect_widgets.cli", "serve", "--port", str(port), *extra_args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=data_dir,
    )
    wait_until_ready(process)
    return process, port


def wait_until_ready(process: subprocess.Popen[str]) -> str:
    """Wait until `connect-kit serve` prints READY_LINE; return its output so far.

    Its output keeps being read afterwards, so the server never blocks on a full pipe.

    Raises:
        RuntimeError: it stopped or did not get ready in time (with its output).
    """
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        if READY_LINE in line:
            return "".join(seen)
        if line == "" and process.poll() is not None:
            break
    process.kill()
    raise RuntimeError("connect-kit serve did not start:\n" + "".join(seen))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("served")
    settings = load_settings(data_dir=data_dir, **FAST_ARGON2)
    services = build_services(settings)
    upgrade_schema(services.engine)
    with serving_zone() as (records, dns_port):
        process, port = start_server(data_dir, dns_port=dns_port)
        yield RunningServer(
            f"http://127.0.0.1:{port}",
            data_dir,
            services,
            process,
            dns=records,
            dns_nameservers=f"127.0.0.1:{dns_port}",
        )
        stop_process(process)
    services.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    require_program(CHROMIUM, "chromium")
    from playwright.sync_api import expect, sync_playwright

    # Two cores shared with a kernel per page: give each expectation room, not sleeps.
    expect.set_options(timeout=20_000)

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server: RunningServer) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1100, "height": 860})
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    # A load without a pre-heated kernel waiting starts one and runs the notebook first.
    opened.set_default_navigation_timeout(90_000)
    yield opened
    opened.goto("about:blank")  # runs the unload handler: the kernel is shut down
    context.close()


def shoot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a full-page screenshot under test-artifacts/browser/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
