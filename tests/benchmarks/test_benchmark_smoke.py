"""The capacity benchmarks still run: each once, with tiny sizes, as a subprocess.

Benchmarks print figures and assert nothing about them (timing goals are read from
their output, never asserted in tests). These smoke runs only keep them working: each
script runs with the smallest sizes its environment variables allow (2 pages, one
round, a pool of one), must exit 0 and print its figure lines. They launch the system
Chromium against a real kit ``serve()``, hence ``browser``; ``benchmark`` lets ``make test``
run them beside the other tests (they time nothing, so a busy machine only slows them).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM
from tests.servers import require_program

pytestmark = [pytest.mark.browser, pytest.mark.benchmark]

ROOT = Path(__file__).resolve().parents[2]
TINY = {"N": "2", "ROUNDS": "1", "POOL": "1", "GAP_SECONDS": "0", "TIMEOUT": "120", "SETTLE_SECONDS": "1"}
RUN_TIMEOUT = 600  # seconds; a few tens on an idle machine, far more on 2 cores shared with other tests


def run_benchmark(script: str) -> str:
    require_program(CHROMIUM, "chromium")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECT_")}
    env.update(TINY)
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{script} exited {done.returncode}:\n{output[-4000:]}"
    return done.stdout


def test_kernel_footprint_prints_its_table() -> None:
    out = run_benchmark("kernel_footprint.py")
    assert "| figure | one-button | toy wizard | Connect | Connect/floor |" in out
    assert "| kernel RSS, first screen open |" in out
    assert "| kernel RSS, Connect after a first login to Welcome |" in out
    assert "| import wall time, fresh interpreter, median of 1 |" in out


def test_classroom_prints_both_bursts_and_the_ratio() -> None:
    out = run_benchmark("classroom.py")
    assert "connect.ipynb usable: " in out
    assert "one_button.ipynb usable: " in out
    assert "server memory (serve + kernels)" in out
    assert "ratio Connect worst first screen / one-button worst:" in out


def test_ready_and_first_screen_prints_its_medians() -> None:
    out = run_benchmark("ready_and_first_screen.py")
    assert "start to listening / to ready" in out
    assert "first screen, median of 1 loads each" in out
    assert "ratio connect / one_button:" in out
    assert "round trip (click Next to the next step on screen), median:" in out


def test_round_trip_prints_both_next_steps_and_the_ratio() -> None:
    out = run_benchmark("round_trip.py")
    assert "click Next to the next step on screen, 1 rounds interleaved" in out
    assert "ratio connect / toy_wizard:" in out
