"""What one Connect kernel costs, beside Voilà's floor, in one run: import time and kernel memory.

Issue 13's first goal is lean kernels: a Connect kernel's memory decides how many
admins one server holds. This measures, in ONE run on one kit ``serve()`` (the kit's
configuration, a temporary data folder) serving a folder with the kit's notebooks and
copies of the baselines ``one_button.ipynb`` and ``toy_wizard.ipynb`` from
``/work/shared/bench``:

1. **import wall time** in fresh interpreters, ROUNDS times interleaved (median):
   ``import ipywidgets, sqlmodel, pyotp`` (what the toy wizard imports) against
   ``import connect_widgets.pages.connect`` (what ``connect.ipynb`` imports before it
   draws the Email screen), and, for the whole picture, that plus the login's core
   (the flow, the services, SQLModel and the tables: what the page loads once the
   Email screen is drawn, while the admin types, or before a pre-heated kernel's
   visitor arrives). Each child times only its import statement (``time.perf_counter``
   around it), so interpreter start-up is left out of all;
2. **kernel RSS** with each page open in the system Chromium: one_button (its "Go"
   button on screen), toy_wizard ("Next"), connect (the Email field), and connect
   again after a new admin's first login all the way to "Welcome to Connect" (email,
   Cloud, temporary password, phone enrolment, the SMS passcode read from the outbox
   as the browser tests do, Log In, password change).

How a page's kernel is found: Voilà writes the id of the kernel that serves the page
into the page's ``<script id="jupyter-config-data">`` (``kernelId``); the benchmark
reads it from the page, finds the process whose command line names the connection
file ``kernel-<id>.json`` (``/proc/*/cmdline``) and reads its ``VmRSS`` from
``/proc/<pid>/status``. A pre-heated kernel is the one the page got, so the figure is
that kernel after it ran the notebook and rendered the first screen for this page.
The RSS is sampled from the moment the page's control is on screen, every
``SAMPLE_EVERY`` seconds for ``SETTLE_SECONDS``: the figure reported is the last
sample, the kernel settled with the page open (what it holds while the admin reads
the page, which is what decides how many admins a server holds); the largest sample
is printed beside it (a kernel still sending the page's widgets, or, in Connect,
before it gives memory back a second after a screen shows: ``pages/memory.py``).

Prints a table (figure | one-button | toy wizard | Connect | Connect/floor; each RSS
as "settled (peak)"), the
ratios the issue sets goals for (kernel RSS ≤ 1.2× the toy wizard's with the Email
page, ≤ 1.4× at Welcome; import ≤ 1.15×). Asserts nothing. Absolute figures move with
the machine's load: compare the ratios of one run.

Run: ``.venv/bin/python benchmarks/kernel_footprint.py``
(``ROUNDS`` import rounds, default 5; ``BENCH_DIR`` for the baselines;
``LOGIN=0`` leaves out the login to Welcome.)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))  # kit_server, beside this file

from kit_server import KERNEL_ID_SCRIPT, KitServer, kernel_pid, page_kernel_id, prepare_folder, rss_mib

from connect_widgets.core.services import build_services
from connect_widgets.settings import load_settings
from connect_widgets.store.schema import upgrade_schema
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, RunningServer
from tests.browser.journeys import latest_code, new_account
from tests.conftest import FAST_ARGON2, GB_MOBILE, NEW_PASSWORD

ROUNDS = int(os.environ.get("ROUNDS", "5"))
LOGIN = os.environ.get("LOGIN", "1") != "0"
BASELINES = ("one_button.ipynb", "toy_wizard.ipynb")
FLOOR_IMPORT = "import ipywidgets, sqlmodel, pyotp"
CONNECT_IMPORT = "import connect_widgets.pages.connect"
CORE_IMPORT = "import connect_widgets.pages.connect, connect_widgets.core.auth.flow, connect_widgets.core.services"
TIMEOUT_MS = 120_000
SETTLE_SECONDS = float(os.environ.get("SETTLE_SECONDS", "3"))
SAMPLE_EVERY = 0.25

FIRST_CONTROL: dict[str, Callable[[Page], Locator]] = {
    "one_button.ipynb": lambda page: page.get_by_role("button", name="Go"),
    "toy_wizard.ipynb": lambda page: page.get_by_role("button", name="Next"),
    "connect.ipynb": lambda page: page.get_by_label("Email address", exact=True),
}


def import_seconds(statement: str) -> float:
    """The wall time of ``statement`` in a fresh interpreter (start-up excluded)."""
    program = f"import time\nstarted = time.perf_counter()\n{statement}\nprint(time.perf_counter() - started)"
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


class Rss(NamedTuple):
    settled: float  # MiB, the last sample
    peak: float  # MiB, the largest

    def __str__(self) -> str:
        return f"{self.settled:.1f} MiB ({self.peak:.1f})"


def page_kernel_rss(page: Page) -> Rss:
    """The RSS of the kernel serving ``page``, settled and at its peak: see the module docstring."""
    kernel_id = page_kernel_id(page.evaluate(KERNEL_ID_SCRIPT))
    pid = kernel_pid(kernel_id)
    if pid is None:
        raise RuntimeError(f"no process runs kernel {kernel_id}")
    samples = [rss_mib(pid)]
    for _ in range(round(SETTLE_SECONDS / SAMPLE_EVERY)):
        time.sleep(SAMPLE_EVERY)  # not waiting for the UI: samples of the memory over time
        samples.append(rss_mib(pid))
    return Rss(settled=samples[-1], peak=max(samples))


def open_page(browser: Browser, url: str, control: Callable[[Page], Locator]) -> Page:
    page = browser.new_page(viewport={"width": 1100, "height": 860})
    page.set_default_timeout(60_000)
    page.goto(url, timeout=TIMEOUT_MS)
    control(page).wait_for(timeout=TIMEOUT_MS)
    return page


def close_page(page: Page) -> None:
    page.goto("about:blank")  # Voilà's unload handler shuts the page's kernel down
    page.close()


def first_login_to_welcome(page: Page, server: RunningServer) -> None:
    """A new admin's first login on an open Connect page, to "Welcome to Connect"."""
    account = new_account(server, "BENCH")
    page.get_by_label("Email address", exact=True).fill(account.admin_email)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Choose how to authenticate")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Next").click()  # Cloud
    page.get_by_label("Password", exact=True).fill(account.temporary_password)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Mobile number", exact=True).fill(GB_MOBILE)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Passcode", exact=True).fill(latest_code(server, account.admin_email))
    page.get_by_role("button", name="Verify").click()
    page.get_by_role("button", name="Log In").click()
    page.get_by_label("Current password", exact=True).fill(account.temporary_password)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Welcome to Connect")).to_be_visible(timeout=60_000)


def main() -> None:
    imports: dict[str, list[float]] = {FLOOR_IMPORT: [], CONNECT_IMPORT: [], CORE_IMPORT: []}
    for _ in range(ROUNDS):
        for statement, values in imports.items():
            values.append(import_seconds(statement))

    rss: dict[str, Rss] = {}
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        folder = prepare_folder(root / "pages", BASELINES)
        data_dir = root / "data"
        data_dir.mkdir()
        services = build_services(load_settings(data_dir=data_dir, **FAST_ARGON2))
        upgrade_schema(services.engine)
        kit = KitServer(folder, data_dir)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for notebook, control in FIRST_CONTROL.items():
                    page = open_page(browser, kit.url(notebook), control)
                    rss[notebook] = page_kernel_rss(page)
                    if notebook == "connect.ipynb" and LOGIN:
                        served = RunningServer(kit.base, data_dir, services, kit.process)
                        first_login_to_welcome(page, served)
                        rss["connect at Welcome"] = page_kernel_rss(page)
                    close_page(page)
                browser.close()
        finally:
            kit.stop()
            services.engine.dispose()

    floor_import = statistics.median(imports[FLOOR_IMPORT])
    connect_import = statistics.median(imports[CONNECT_IMPORT])
    core_import = statistics.median(imports[CORE_IMPORT])
    one, toy, connect = rss["one_button.ipynb"], rss["toy_wizard.ipynb"], rss["connect.ipynb"]
    print(f"machine load (1/5/15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    print(f"kit serve() ready in {kit.ready_seconds:.1f} s; {kit.options_line or 'serve options: defaults'}")
    print(f"kernel RSS: settled ({SETTLE_SECONDS:g} s after the page's control showed), the peak in brackets")
    print("| figure | one-button | toy wizard | Connect | Connect/floor |")
    print("|---|---|---|---|---|")
    print(
        f"| kernel RSS, first screen open | {one} | {toy} | {connect} | "
        f"{connect.settled / one.settled:.2f}x one-button, {connect.settled / toy.settled:.2f}x wizard "
        f"(goal <= 1.2x wizard) |"
    )
    if "connect at Welcome" in rss:
        welcome = rss["connect at Welcome"]
        print(
            f"| kernel RSS, Connect after a first login to Welcome | — | {toy} | {welcome} | "
            f"{welcome.settled / toy.settled:.2f}x wizard (goal <= 1.4x); peak {welcome.peak / toy.peak:.2f}x |"
        )
    print(
        f"| import wall time, fresh interpreter, median of {ROUNDS} | — | {floor_import:.2f} s "
        f"(ipywidgets+sqlmodel+pyotp) | {connect_import:.2f} s (connect_widgets.pages.connect) | "
        f"{connect_import / floor_import:.2f}x (goal <= 1.15x) |"
    )
    print(
        f"| import wall time, with the login's core (loaded once the first screen is drawn) | — | "
        f"{floor_import:.2f} s | {core_import:.2f} s | {core_import / floor_import:.2f}x |"
    )


if __name__ == "__main__":
    main()
