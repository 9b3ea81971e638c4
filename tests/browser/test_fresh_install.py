"""`pip install .` on a clean copy of the checkout is enough to serve every page.

The slow install test (marker ``fresh_install``): it catches a missing runtime
dependency or a file missing from the wheel, which the test venv (installed with
the test extras, editable) hides. It copies the files git knows about (never
``.venv`` or artifacts) to a temporary folder, makes a new venv there, installs
without extras, runs ``connect-kit init`` and ``connect-kit serve`` from that venv
in a folder outside the checkout with its own HOME, Jupyter folders and data
folder (no kernelspec, package or setting of this machine's user or of the outer
venv can help), and opens each page in Chromium: each shows its first control and
no request is answered with a 5xx. It prints how long each stage took.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, CHROMIUM, wait_until_ready
from tests.browser.first_screens import FIRST_CONTROLS
from tests.conftest import FAST_ARGON2
from tests.servers import free_port, require_program, stop_process

pytestmark = [pytest.mark.browser, pytest.mark.fresh_install]

CHECKOUT = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT = 900


def _copy_checkout(target: Path) -> int:
    """Copy the tracked and untracked-but-not-ignored files; return how many."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=CHECKOUT, capture_output=True, check=True
        )
        .stdout.decode()
        .split("\0")
    )
    copied = 0
    for name in filter(None, listed):
        source = CHECKOUT / name
        if not source.is_file():  # deleted in the work tree but still tracked
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
        copied += 1
    return copied


def _outside_env() -> dict[str, str]:
    """This environment without anything that points into the outer venv or configures the kit."""
    blocked = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PYTHONUSERBASE"}
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in blocked and not k.startswith(("CONNECT_", "JUPYTER", "IPYTHON", "VOILA_"))
    }
    outer_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and p != outer_bin)
    return env


def _isolated_env(root: Path, venv: Path) -> dict[str, str]:
    """A new HOME, Jupyter folders and data folder under ``root``; the fresh venv first on PATH."""
    env = _outside_env()
    home = root / "home"
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_RUNTIME_DIR=str(home / "run"),
        JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
        JUPYTER_DATA_DIR=str(home / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
        IPYTHONDIR=str(home / "ipython"),
        PYTHONNOUSERSITE="1",
        VIRTUAL_ENV=str(venv),
        PATH=os.pathsep.join([str(venv / "bin"), env["PATH"]]),
        CONNECT_DATA_DIR=str(root / "data"),
        CONNECT_TRAINER_ENABLED="true",
        **{f"CONNECT_{k.upper()}": str(v) for k, v in FAST_ARGON2.items()},
    )
    for folder in ("HOME", "XDG_RUNTIME_DIR"):
        Path(env[folder]).mkdir(parents=True, exist_ok=True, mode=0o700)
    return env


def _pip_cache() -> str:
    """The outer pip cache, reused so the install takes what it downloaded before."""
    answer = subprocess.run([sys.executable, "-m", "pip", "cache", "dir"], capture_output=True, text=True)
    return answer.stdout.strip() if answer.returncode == 0 and answer.stdout.strip() else ""


def test_a_plain_pip_install_serves_every_page(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    require_program(CHROMIUM, "chromium")  # `browser` already did; said here for the reader: CI fails without it
    timings: dict[str, float] = {}
    started = time.monotonic()

    checkout, venv, workdir = tmp_path / "checkout", tmp_path / "venv", tmp_path / "elsewhere"
    checkout.mkdir()
    workdir.mkdir()
    assert _copy_checkout(checkout) > 10
    assert not (checkout / ".venv").exists() and not (checkout / "test-artifacts").exists()
    timings["copy the checkout"] = time.monotonic() - started

    mark = time.monotonic()
    pip_env = _outside_env()  # the real HOME: pip's configured mirrors stay reachable
    if cache := _pip_cache():
        pip_env["PIP_CACHE_DIR"] = cache
    python3 = sys._base_executable  # type: ignore[attr-defined]  # the python3 the outer venv was made from
    # No pip inside the new venv (installing it there took 50 s under load): this
    # venv's pip installs into it with --python, which is the same `pip install .`.
    subprocess.run([python3, "-m", "venv", "--without-pip", str(venv)], check=True, env=pip_env)
    timings["python3 -m venv"] = time.monotonic() - mark
    mark = time.monotonic()
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
            str(checkout),
        ],
        env=pip_env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    )
    assert install.returncode == 0, f"pip install . failed:\n{install.stdout}\n{install.stderr}"
    timings["pip install . (no extras)"] = time.monotonic() - mark

    env = _isolated_env(tmp_path, venv)
    where = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import connect_widgets, sys; from connect_widgets.serving import JUPYTER_DATA; "
            "print(connect_widgets.__file__); print(JUPYTER_DATA / 'voila/templates/connect/index.html.j2')",
        ],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert where[0].startswith(str(venv)), f"connect_widgets came from {where[0]}, not the fresh venv"
    assert Path(where[1]).is_file(), "the page template is missing from the wheel"

    kit = str(venv / "bin" / "connect-kit")
    mark = time.monotonic()
    init = subprocess.run([kit, "init"], env=env, cwd=workdir, capture_output=True, text=True, timeout=300)
    assert init.returncode == 0, init.stderr
    timings["connect-kit init"] = time.monotonic() - mark

    port = free_port()
    mark = time.monotonic()
    server = subprocess.Popen(
        [kit, "serve", "--port", str(port)],
        env=env,
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_ready(server)
        timings["connect-kit serve until ready"] = time.monotonic() - mark
        failures: list[str] = []
        context = browser.new_context(viewport={"width": 1024, "height": 800})
        for notebook, first_control in FIRST_CONTROLS.items():
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.on(
                "response", lambda answer: answer.status >= 500 and failures.append(f"{answer.status} {answer.url}")
            )
            mark = time.monotonic()
            page.goto(f"http://127.0.0.1:{port}/voila/render/{notebook}")
            expect(first_control(page)).to_be_visible(timeout=60_000)
            timings[f"first screen of {notebook}"] = time.monotonic() - mark
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=str(ARTIFACTS / f"fresh-install-{notebook.removesuffix('.ipynb')}.png"), full_page=True
            )
            page.goto("about:blank")
            page.close()
        context.close()
        assert failures == []
    finally:
        stop_process(server, timeout=30)

    timings["total"] = time.monotonic() - started
    report = "\n".join(f"{stage:<40}{seconds:7.1f} s" for stage, seconds in timings.items())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "fresh-install-timings.txt").write_text(report + "\n")
    print("\nfresh install timings:\n" + report)
