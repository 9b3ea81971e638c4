"""A classroom burst: N admins open Connect at the same moment, beside the one-button floor.

Issue 13's third goal: in a training room every admin opens the Connect URL when
the trainer says so. This starts ONE kit ``serve()`` (the kit's configuration, a
temporary data folder) over the kit's notebooks plus a copy of
``/work/shared/bench/one_button.ipynb``, launches the system Chromium once (async
Playwright), and runs two bursts against that same server process:

1. **Connect**: N pages, each in its own browser context, are made ready, then all
   ``goto`` the Connect URL at the same moment (one release). Each page then does
   Email → Next: fills the address of an existing admin, clicks Next and waits for
   "Choose how to authenticate".
2. **one-button**: the same burst against ``one_button.ipynb``; its Next is a click
   on "Go" (the page is usable when the button is on screen and the click succeeds).

Per page it prints the time from the release to the page's load event (its HTML and
scripts: the browser's and the server's share, before any widget), to the first screen
(Connect's Email field; the "Go" button), whether it became usable within TIMEOUT seconds (first
screen on screen, the round trip done, no page error), and the round trip; then
worst/median and the server's total memory (the RSS of the serve process and all its
descendants, i.e. every kernel) at its peak during the burst and once the burst is
over, and the ratio the issue sets a goal for: Connect's worst time to first screen
≤ 1.5× the one-button's worst, with all N usable.

Between the bursts the pages are closed properly (``about:blank`` first, so Voilà's
unload handler shuts each kernel down), and the benchmark waits until the server is
back to its idle number of kernels (pools refilled) and its processes are quiet.

The serve configuration is a parameter: POOL pre-heated kernels for each measured
page (``pool_sizes={"connect.ipynb": POOL, "one_button.ipynb": POOL}``) and a
``max_kernels`` large enough for the burst, passed when ``serve()`` accepts them
(else a pool is set through Voilà's own per-notebook setting and ``max_kernels`` is
left out: the first output line says which). The N pages stand for N admins on N
machines, but all come from 127.0.0.1 here: the per-client limit on kernel starts
(``CONNECT_KERNEL_STARTS_PER_MINUTE``) is raised to 4N for this server. Asserts nothing. Two shared cores make
absolute times noisy: compare the ratios of one run.

Run: ``.venv/bin/python benchmarks/classroom.py [N]``
(env: ``N`` pages, default 20; ``POOL`` pre-heated kernels per measured page,
default N; ``TIMEOUT`` seconds for a page to become usable, default 120.)
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Error, Page, async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))  # kit_server, beside this file

from kit_server import KitServer, prepare_folder

from connect_widgets.core.accounts.create import create_account
from connect_widgets.core.services import build_services
from connect_widgets.settings import load_settings
from connect_widgets.store.schema import upgrade_schema
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import FAST_ARGON2

N = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("N", "20"))
POOL = int(os.environ.get("POOL", str(N)))
TIMEOUT = float(os.environ.get("TIMEOUT", "120"))
CONNECT, ONE_BUTTON = "connect.ipynb", "one_button.ipynb"
MEMORY_SAMPLE_SECONDS = 0.5


@dataclass
class PageResult:
    loaded: float | None = None  # seconds from the release to the page's load event (HTML, scripts)
    first_screen: float | None = None  # seconds from the release to the first control on screen
    round_trip: float | None = None
    error: str = ""

    @property
    def usable(self) -> bool:
        return self.first_screen is not None and self.round_trip is not None and not self.error

    def stage(self) -> str:
        """How far the page got, for a page that timed out."""
        if self.loaded is None:
            return "the page did not load"
        if self.first_screen is None:
            return "loaded, no first screen"
        return "first screen, no round trip"


@dataclass
class Burst:
    notebook: str
    pages: list[PageResult] = field(default_factory=list)
    peak_mib: float = 0.0
    after_mib: float = 0.0
    idle_mib: float = 0.0

    def worst(self) -> float | None:
        times = [p.first_screen for p in self.pages if p.first_screen is not None]
        return max(times) if len(times) == len(self.pages) and times else None


async def connect_visit(page: Page, url: str, release: float, email: str, result: PageResult) -> None:
    await page.goto(url)
    result.loaded = time.perf_counter() - release
    field_ = page.get_by_label("Email address", exact=True)
    await field_.wait_for()
    result.first_screen = time.perf_counter() - release
    await field_.fill(email)
    started = time.perf_counter()
    await page.get_by_role("button", name="Next").click()
    await page.get_by_role("heading", name="Choose how to authenticate").wait_for()
    result.round_trip = time.perf_counter() - started


async def one_button_visit(page: Page, url: str, release: float, email: str, result: PageResult) -> None:
    await page.goto(url)
    result.loaded = time.perf_counter() - release
    button = page.get_by_role("button", name="Go")
    await button.wait_for()
    result.first_screen = time.perf_counter() - release
    started = time.perf_counter()
    await button.click()
    result.round_trip = time.perf_counter() - started


def collector(seen: list[str]) -> Callable[[Error], None]:
    """A ``pageerror`` listener that keeps the page's uncaught errors in ``seen``."""

    def collect(error: Error) -> None:
        seen.append(str(error))

    return collect


Visit = Callable[[Page, str, float, str, PageResult], Awaitable[None]]


async def burst(browser: Browser, kit: KitServer, notebook: str, visit: Visit, email: str) -> Burst:
    """N pages made ready, then released onto ``notebook`` together; closed properly afterwards."""
    measured = Burst(notebook, idle_mib=kit.total_rss_mib())
    contexts: list[BrowserContext] = []
    pages: list[Page] = []
    errors: list[list[str]] = []
    for _ in range(N):
        context = await browser.new_context(viewport={"width": 1100, "height": 860})
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT * 1000)
        page.set_default_navigation_timeout(TIMEOUT * 1000)
        seen: list[str] = []
        page.on("pageerror", collector(seen))
        contexts.append(context)
        pages.append(page)
        errors.append(seen)

    done = asyncio.Event()

    async def sample_memory() -> None:
        while not done.is_set():
            measured.peak_mib = max(measured.peak_mib, await asyncio.to_thread(kit.total_rss_mib))
            try:
                await asyncio.wait_for(done.wait(), MEMORY_SAMPLE_SECONDS)
            except TimeoutError:
                pass

    async def one(page: Page) -> PageResult:
        result = PageResult()
        try:
            await asyncio.wait_for(visit(page, kit.url(notebook), release, email, result), TIMEOUT)
        except TimeoutError:
            result.error = f"not usable within {TIMEOUT:.0f} s ({result.stage()})"
            try:  # what the page said instead, if anything (e.g. a storage message)
                said = await page.locator(".connect-message").first.inner_text(timeout=2_000)
            except Exception:  # noqa: BLE001 - a figure, not the end of the run
                said = ""
            if said.strip():
                result.error += f"; the page said: {said.strip()[:120]}"
        except Exception as exc:  # a page that failed is a figure, not the end of the run
            message = str(exc).splitlines()[0] if str(exc) else ""
            result.error = f"{type(exc).__name__}: {message} ({result.stage()})"
        return result

    sampler = asyncio.create_task(sample_memory())
    release = time.perf_counter()
    results = await asyncio.gather(*(one(page) for page in pages))
    for result, seen in zip(results, errors, strict=True):
        if seen and not result.error:
            result.error = f"page error: {seen[0]}"
    measured.pages = list(results)
    measured.after_mib = await asyncio.to_thread(kit.total_rss_mib)
    done.set()
    await sampler
    measured.peak_mib = max(measured.peak_mib, measured.after_mib)
    for page, context in zip(pages, contexts, strict=True):
        await page.goto("about:blank")  # Voilà's unload handler shuts the page's kernel down
        await context.close()
    return measured


def seconds(value: float | None) -> str:
    return f"{value:6.2f} s" if value is not None else "     —  "


def report(measured: Burst) -> None:
    print(f"{measured.notebook}: {N} pages released together")
    print("  page  page loaded  first screen  usable  round trip  error")
    for number, page in enumerate(measured.pages, 1):
        print(
            f"  {number:>4}  {seconds(page.loaded):>11}  {seconds(page.first_screen):>12}  "
            f"{'yes' if page.usable else 'no':>6}  "
            f"{seconds(page.round_trip):>10}  {page.error}"
        )
    firsts = [p.first_screen for p in measured.pages if p.first_screen is not None]
    trips = [p.round_trip for p in measured.pages if p.round_trip is not None]
    usable = sum(p.usable for p in measured.pages)
    print(
        f"  {measured.notebook} usable: {usable}/{N}; first screen worst {seconds(max(firsts) if firsts else None)}, "
        f"median {seconds(statistics.median(firsts) if firsts else None)}; round trip worst "
        f"{seconds(max(trips) if trips else None)}, median {seconds(statistics.median(trips) if trips else None)}"
    )
    print(
        f"  {measured.notebook} server memory (serve + kernels): idle {measured.idle_mib:.0f} MiB, "
        f"peak {measured.peak_mib:.0f} MiB, after the burst {measured.after_mib:.0f} MiB"
    )


async def run(kit: KitServer, email: str) -> tuple[Burst, Burst, int, bool]:
    idle = await asyncio.to_thread(kit.kernels)
    await asyncio.to_thread(kit.wait_until_quiet)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        connect = await burst(browser, kit, CONNECT, connect_visit, email)
        settled = await asyncio.to_thread(kit.wait_for_kernels, idle)
        await asyncio.to_thread(kit.wait_until_quiet)
        one_button = await burst(browser, kit, ONE_BUTTON, one_button_visit, email)
        await browser.close()
    return connect, one_button, idle, settled


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        folder = prepare_folder(root / "pages", (ONE_BUTTON,))
        data_dir = root / "data"
        data_dir.mkdir()
        services = build_services(load_settings(data_dir=data_dir, **FAST_ARGON2))
        upgrade_schema(services.engine)
        admin = create_account(
            services, code="CLASS", company="Class Ltd", primary_domain="class.example", admin_name="jane"
        )
        services.engine.dispose()
        pools = {CONNECT: POOL, ONE_BUTTON: POOL}
        started = time.perf_counter()
        kit = KitServer(
            folder,
            data_dir,
            pool_sizes=pools,
            max_kernels=2 * N + 2 * POOL + 8,
            # N admins on N machines: here they all come from 127.0.0.1, one address.
            settings={"CONNECT_KERNEL_STARTS_PER_MINUTE": str(max(20, 4 * N))},
        )
        try:
            connect, one_button, idle, settled = asyncio.run(run(kit, admin.admin_email))
        finally:
            kit.stop()

    print(f"machine load (1/5/15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    print(
        f"N={N} pages, POOL={POOL} pre-heated kernels per measured page; kit serve() ready in "
        f"{kit.ready_seconds:.1f} s ({time.perf_counter() - started:.0f} s in all), {idle} kernels when idle"
    )
    print(kit.options_line or "serve options: (none reported)")
    report(connect)
    if not settled:
        print("  (the server was not back to its idle kernels before the one-button burst)")
    report(one_button)
    worst_connect, worst_floor = connect.worst(), one_button.worst()
    all_usable = all(p.usable for p in connect.pages)
    if worst_connect is not None and worst_floor is not None:
        print(
            f"ratio Connect worst first screen / one-button worst: {worst_connect / worst_floor:.2f} "
            f"(goal <= 1.5, all {N} usable: {'yes' if all_usable else 'no'})"
        )
    else:
        print("ratio Connect worst first screen / one-button worst: — (a page never showed its first screen)")
    print(f"ratio peak server memory Connect / one-button: {connect.peak_mib / max(one_button.peak_mib, 1):.2f}")


if __name__ == "__main__":
    main()
