"""`/connect/health`: ok only when a page's kernel can start, find its database and write its data folder.

The checks run against a real kernelspec manager (kernel folders on disk) and real
SQLite files; the last test asks a real `connect-kit serve` over HTTP.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from connect_widgets.paths import project_path
from connect_widgets.serving import ServingHealth, check_serving_health, data_folder_problem
from connect_widgets.settings import load_settings
from connect_widgets.store.engine import make_engine
from connect_widgets.store.schema import head_revision, upgrade_schema
from tests.browser.conftest import start_server
from tests.servers import free_port, stop_process


def _current_db(folder: Path) -> Engine:
    engine = make_engine(load_settings(data_dir=folder))
    upgrade_schema(engine)
    return engine


def _health(kernels: KernelSpecManager, engine: Engine) -> ServingHealth:
    return check_serving_health(
        kernel_spec_manager=kernels, engine=engine, database="the test database", head=head_revision()
    )


def _set_revision(database: Path, revision: str) -> None:
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    connection.close()


def test_ok_with_the_installed_python_kernel_and_a_current_schema(tmp_path: Path) -> None:
    assert _health(KernelSpecManager(), _current_db(tmp_path)) == ServingHealth(True)


def test_unavailable_without_a_python_kernel_says_to_install_ipykernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in a fresh `pip install` without ipykernel: no kernel folder, and no ipykernel to fall back on."""
    monkeypatch.setitem(sys.modules, "ipykernel.kernelspec", None)  # `import` now raises ImportError
    (tmp_path / "kernels").mkdir()
    no_kernels = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    health = _health(no_kernels, _current_db(tmp_path))
    assert not health.ok
    assert "kernelspec 'python3' not found" in health.reason
    assert health.reason.endswith("pip install ipykernel")


def test_unavailable_when_the_kernel_program_is_gone(tmp_path: Path) -> None:
    spec = tmp_path / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    str(tmp_path / "removed-venv" / "bin" / "python"),
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                ],
                "display_name": "Python 3",
                "language": "python",
            }
        )
    )
    kernels = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")], ensure_native_kernel=False)
    health = _health(kernels, _current_db(tmp_path))
    assert not health.ok
    assert "removed-venv/bin/python" in health.reason
    assert "python -m ipykernel install --sys-prefix" in health.reason


def test_unavailable_when_the_database_cannot_be_opened(tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("")
    unreachable = create_engine(f"sqlite:///{tmp_path / 'not-a-folder' / 'connect.db'}")
    health = _health(KernelSpecManager(), unreachable)
    assert not health.ok
    assert health.reason.startswith("the database at the test database cannot be reached (unable to open")


def test_unavailable_before_init_says_to_run_it(tmp_path: Path) -> None:
    empty = create_engine(f"sqlite:///{tmp_path / 'connect.db'}")
    health = _health(KernelSpecManager(), empty)
    assert health == ServingHealth(False, "the database at the test database has no tables; run: connect-kit init")


def test_unavailable_with_an_old_schema_names_both_revisions(tmp_path: Path) -> None:
    engine = _current_db(tmp_path)
    _set_revision(tmp_path / "connect.db", "0001")
    health = _health(KernelSpecManager(), engine)
    assert health == ServingHealth(
        False,
        "the database at the test database is at schema revision 0001, this "
        f"version of the kit needs {head_revision()}; run: connect-kit init",
    )


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as refused:
        return refused.code, json.load(refused)


def _ok_without_kernels(answer: tuple[int, dict[str, Any]]) -> bool:
    """200, ok, no kernel (with the cap and the free memory also reported)."""
    status, body = answer
    capacity = {key: body.pop(key, None) for key in ("preheated", "max_kernels", "memory_available_mib")}
    return (
        (status, body) == (200, {"status": "ok", "kernels": 0})
        and isinstance(capacity["max_kernels"], int)
        and capacity["preheated"] == 0
    )


def test_a_served_health_check_answers_503_with_the_reason_once_the_schema_is_behind(tmp_path: Path) -> None:
    _current_db(tmp_path)
    process, port = start_server(tmp_path, "--no-preheat", "--max-kernels", "7")
    try:
        status, body = _get(f"http://127.0.0.1:{port}/connect/health")
        assert (status, body["status"], body["kernels"], body["max_kernels"]) == (200, "ok", 0, 7)
        assert isinstance(body["memory_available_mib"], int)
        assert _ok_without_kernels((status, body))
        _set_revision(tmp_path / "connect.db", "0001")
        status, body = _get(f"http://127.0.0.1:{port}/connect/health")
        assert status == 503
        assert body["status"] == "unavailable"
        # The capacity figures are there for operators in a 503 too.
        assert (body["kernels"], body["max_kernels"]) == (0, 7)
        assert isinstance(body["memory_available_mib"], int)
        assert body["reason"] == (
            f"the database at sqlite:///{tmp_path / 'connect.db'} is at schema revision "
            f"0001, this version of the kit needs {head_revision()}; run: connect-kit init"
        )
    finally:
        stop_process(process)


def test_serve_stops_with_one_line_saying_why_when_a_page_cannot_start_its_kernel(tmp_path: Path) -> None:
    """As in a fresh install without ipykernel: no URL is printed, and exit status 1."""
    _current_db(tmp_path)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    page = json.loads(Path(project_path("notebooks") / "connect.ipynb").read_text())
    page["metadata"]["kernelspec"] = {"name": "no-such-kernel", "language": "cobol", "display_name": "none"}
    (notebooks / "connect.ipynb").write_text(json.dumps(page))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECT_")}
    env["CONNECT_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "connect_widgets.cli",
            "serve",
            "--port",
            str(free_port()),
            "--notebooks",
            str(notebooks),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert (
        "error: cannot start the kernel of connect.ipynb: No Jupyter kernel for language 'cobol' found; "
        "install ipykernel into the environment that runs connect-kit: pip install ipykernel" in result.stderr
    )
    assert "Connect is ready" not in result.stderr
    assert result.stderr.rstrip().endswith(
        "error: the pages cannot be served (see above); fix that and run connect-kit serve again"
    )


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` (or a file) read-only for this process and the servers it starts.

    Root writes through permission bits, so as root it is bind-mounted read-only
    onto itself (a read-only file system, as a full or remounted disk); otherwise
    its write bits are taken away.
    """
    if os.geteuid() != 0:
        mode = folder.stat().st_mode
        folder.chmod(0o555 if folder.is_dir() else 0o444)
        try:
            yield
        finally:
            folder.chmod(mode)
        return
    mount = shutil.which("mount")
    if (
        mount is None
        or subprocess.run([mount, "--bind", str(folder), str(folder)], capture_output=True, check=False).returncode
    ):
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            "running as root without permission to mount: cannot make a folder or file read-only"
        )
    try:
        subprocess.run([mount, "-o", "remount,bind,ro", str(folder)], check=True, capture_output=True)
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True, capture_output=True)


def test_a_read_only_data_folder_is_unavailable_with_the_reason(tmp_path: Path) -> None:
    data = tmp_path / "data"
    engine = _current_db(data)
    assert data_folder_problem(data, data / "connect.db") is None
    with read_only(data):
        health = check_serving_health(
            kernel_spec_manager=KernelSpecManager(),
            engine=engine,
            database="the test database",
            head=head_revision(),
            data_dir=data,
        )
    assert not health.ok
    assert health.reason.startswith(f"data folder not writable: {data} (")
    assert health.reason.endswith(
        "let the user running connect-kit write there, or set CONNECT_DATA_DIR to a folder it can write"
    )
    assert list(data.glob(".connect-write-probe-*")) == []  # the probe leaves nothing behind


def test_a_read_only_database_file_is_unavailable_with_the_reason(tmp_path: Path) -> None:
    _current_db(tmp_path)
    with read_only(tmp_path / "connect.db"):
        problem = data_folder_problem(tmp_path, tmp_path / "connect.db")
    assert problem == (
        f"data folder not writable: the database file {tmp_path / 'connect.db'} is read-only; let the user "
        "running connect-kit write there, or set CONNECT_DATA_DIR to a folder it can write"
    )


def test_a_served_health_check_answers_503_once_the_data_folder_is_read_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _current_db(data)
    process, port = start_server(data, "--no-preheat")
    try:
        assert _ok_without_kernels(_get(f"http://127.0.0.1:{port}/connect/health"))
        with read_only(data):
            status, body = _get(f"http://127.0.0.1:{port}/connect/health")
        assert status == 503
        assert body["status"] == "unavailable"
        assert body["reason"].startswith(f"data folder not writable: {data} (")
        assert _ok_without_kernels(_get(f"http://127.0.0.1:{port}/connect/health"))
    finally:
        stop_process(process)


def test_serve_refuses_to_start_on_a_read_only_data_folder_with_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _current_db(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECT_")}
    env["CONNECT_DATA_DIR"] = str(data)
    with read_only(data):
        result = subprocess.run(
            [sys.executable, "-m", "connect_widgets.cli", "serve", "--port", str(free_port()), "--no-preheat"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: data folder not writable: {data} (")
    assert "Starting Connect" not in result.stderr
