"""Time to ready and time to first screen, beside Voilà's own floor in the same run.

Two servers, both started by the kit's ``serve()`` with the kit's configuration
(pre-heated kernels, stripped sources, the ``connect`` template):

1. the floor: only the baseline notebooks of ``/work/shared/bench`` (``one_button``,
   the cheapest page Voilà can serve, and ``toy_wizard``, a one-cell wizard that
   imports sqlmodel and pyotp);
2. the kit: Connect's notebooks plus the same two baselines, in one folder.

For each it prints the time from starting the process to "Voilà listens" and to
the kit's ready line (every pre-heated kernel ready). On the kit's server it then
opens connect, one_button and toy_wizard in turn, ROUNDS times, in the system
Chromium, timing from ``goto`` to the first control on screen, and one round trip
each (Connect: email, Next, the method page; toy wizard: two fields, Next, "step
2/5"). Prints medians and the Connect/floor ratios. Asserts nothing: absolute
times move with the machine's load; compare the ratios of one run.

Run: ``.venv/bin/python benchmarks/ready_and_first_screen.py``
(``BENCH_DIR`` points elsewhere for the baselines; ``ROUNDS``, ``GAP_SECONDS``.)
"""

from __future__ import annotations

import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, sync_playwright

from connect_widgets.paths import project_path
from connect_widgets.serving import READY_LINE
from connect_widgets.settings import load_settings
from connect_widgets.store.engine import make_engine
from connect_widgets.store.schema import upgrade_schema
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import FAST_ARGON2
from tests.servers import free_port

BENCH_DIR = Path(os.environ.get("BENCH_DIR", "/work/shared/bench"))
BASELINES = ("one_button.ipynb", "toy_wizard.ipynb")
ROUNDS = int(os.environ.get("ROUNDS", "5"))
GAP_SECONDS = float(os.environ.get("GAP_SECONDS", "3"))  # admins arrive apart, not back to back
LISTENING = "Voilà is running at"

FIRST_CONTROL: dict[str, Callable[[Page], Locator]] = {
    "connect.ipynb": lambda page: page.get_by_label("Email address", exact=True),
    "one_button.ipynb": lambda page: page.get_by_role("button", name="Go"),
    "toy_wizard.ipynb": lambda page: page.get_by_role("button", name="Next"),
}

SERVE = """
import sys
from pathlib import Path
from connect_widgets.serving import serve
from connect_widgets.settings import load_settings
serve(load_settings(), notebooks=Path(sys.argv[1]), port=int(sys.argv[2]))
"""


class Server:
    """``serve()`` in a subprocess, timed from its start to listening and to ready."""

    def __init__(self, folder: Path, data_dir: Path) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECT_")}
        env.update(
            {"CONNECT_DATA_DIR": str(data_dir), **{f"CONNECT_{k.upper()}": str(v) for k, v in FAST_ARGON2.items()}}
        )
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(folder), str(self.port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()

        def read_lines() -> None:
            for line in self.process.stdout or ():
                lines.put(line)

        threading.Thread(target=read_lines, daemon=True).start()
        self.listening = self.ready = 0.0
        seen: list[str] = []
        while not self.ready:
            try:
                line = lines.get(timeout=300)
            except queue.Empty:
                self.stop()
                raise RuntimeError("the server did not get ready:\n" + "".join(seen)) from None
            seen.append(line)
            if LISTENING in line and not self.listening:
                self.listening = time.perf_counter() - started
            if READY_LINE in line:
                self.ready = time.perf_counter() - started

    def url(self, notebook: str) -> str:
        return f"http://127.0.0.1:{self.port}/voila/render/{notebook}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def first_screen(
    browser: Browser,
    url: str,
    control: Callable[[Page], Locator],
) -> tuple[float, Page]:
    page = browser.new_page()
    started = time.perf_counter()
    page.goto(url)
    control(page).wait_for(timeout=120_000)
    return time.perf_counter() - started, page


def connect_round_trip(page: Page) -> float:
    page.get_by_label("Email address", exact=True).fill("someone@acme.mimecast.connect")
    started = time.perf_counter()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("heading", name="Choose how to authenticate").wait_for(timeout=60_000)
    return time.perf_counter() - started


def toy_round_trip(page: Page) -> float:
    page.get_by_placeholder("alice", exact=True).fill("alice")
    page.get_by_placeholder("alice@example.org", exact=True).fill("alice@example.org")
    started = time.perf_counter()
    page.get_by_role("button", name="Next").click()
    page.get_by_text("step 2/5").wait_for(timeout=60_000)
    return time.perf_counter() - started


def median(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s (best {min(values):.2f}, worst {max(values):.2f})"


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        floor_dir, kit_dir = root / "floor", root / "kit"
        floor_dir.mkdir()
        shutil.copytree(project_path("notebooks"), kit_dir)
        for name in BASELINES:
            shutil.copy(BENCH_DIR / name, floor_dir / name)
            shutil.copy(BENCH_DIR / name, kit_dir / name)
        data_dir = root / "data"
        upgrade_schema(make_engine(load_settings(data_dir=data_dir)))

        floor = Server(floor_dir, data_dir)
        floor.stop()
        kit = Server(kit_dir, data_dir)
        screens: dict[str, list[float]] = {name: [] for name in FIRST_CONTROL}
        trips: dict[str, list[float]] = {"connect.ipynb": [], "toy_wizard.ipynb": []}
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for _ in range(ROUNDS):
                    for notebook, control in FIRST_CONTROL.items():
                        seconds, page = first_screen(browser, kit.url(notebook), control)
                        screens[notebook].append(seconds)
                        if notebook == "connect.ipynb":
                            trips[notebook].append(connect_round_trip(page))
                        elif notebook == "toy_wizard.ipynb":
                            trips[notebook].append(toy_round_trip(page))
                        page.goto("about:blank")  # the page's kernel is shut down
                        page.close()
                        time.sleep(GAP_SECONDS)
                browser.close()
        finally:
            kit.stop()

    print(f"machine load (1/5/15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    print("start to listening / to ready (pages pre-heated):")
    print(f"  {'floor (2 baseline pages)':<34}{floor.listening:6.2f} s / {floor.ready:6.2f} s")
    print(
        f"  {'kit (4 Connect + 2 baseline pages)':<34}{kit.listening:6.2f} s / {kit.ready:6.2f} s"
        f"   ratio to floor {kit.ready / floor.ready:.2f}"
    )
    print(
        "first screen of the first visit after the ready line: "
        + ", ".join(f"{name} {values[0]:.2f} s" for name, values in screens.items())
    )
    print(f"first screen, median of {ROUNDS} loads each, interleaved, {GAP_SECONDS} s apart:")
    for notebook, values in screens.items():
        print(f"  {notebook:<18} {median(values)}")
    connect = statistics.median(screens["connect.ipynb"])
    for name in BASELINES:
        print(f"  ratio connect / {name.removesuffix('.ipynb')}: {connect / statistics.median(screens[name]):.2f}")
    print("round trip (click Next to the next step on screen), median:")
    for notebook, values in trips.items():
        print(f"  {notebook:<18} {median(values)}")
    print(
        f"  ratio connect / toy_wizard: "
        f"{statistics.median(trips['connect.ipynb']) / statistics.median(trips['toy_wizard.ipynb']):.2f}"
    )


if __name__ == "__main__":
    main()
