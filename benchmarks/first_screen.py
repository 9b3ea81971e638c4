"""Time to first screen: from opening the Connect URL to the Email field on screen.

Starts a real `connect-kit serve` (extra arguments are passed on, e.g. to compare
settings), opens the page ROUNDS times in the system Chromium, and prints the
median and worst times. Prints figures; asserts nothing.

Run: ``.venv/bin/python benchmarks/first_screen.py [serve args...]``
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from connect_widgets.settings import load_settings
from connect_widgets.store.engine import make_engine
from connect_widgets.store.schema import upgrade_schema
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, start_server

ROUNDS = 8
GAP_SECONDS = float(os.environ.get("GAP_SECONDS", "4"))  # admins arrive apart, not back to back


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        upgrade_schema(make_engine(load_settings(data_dir=Path(folder))))
        process, port = start_server(Path(folder), *sys.argv[1:])
        url = f"http://127.0.0.1:{port}/voila/render/connect.ipynb?account=ACME"
        timings = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for _ in range(ROUNDS):
                    page = browser.new_page()
                    started = time.perf_counter()
                    page.goto(url)
                    field = page.get_by_label("Email address", exact=True)
                    field.wait_for(timeout=60_000)
                    timings.append(time.perf_counter() - started)
                    prefilled = field.input_value() == "@acme.mimecast.connect"
                    page.goto("about:blank")
                    page.close()
                    time.sleep(GAP_SECONDS)
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=20)
    print(f"serve args: {' '.join(sys.argv[1:]) or '(defaults)'}")
    print(f"pre-fill from the URL worked on the last load: {prefilled}; {GAP_SECONDS} s between loads")
    print(
        f"first screen over {ROUNDS} loads: median {statistics.median(timings):.2f} s, "
        f"best {min(timings):.2f} s, worst {max(timings):.2f} s"
    )


if __name__ == "__main__":
    main()
