"""The kernel's log handlers: the full record in an owner-only file, one line on the server's stderr,
and the whole record there instead while the file cannot be written. (The kernel itself is
exercised in tests/notebooks/test_storage_failure_kernel.py.)"""

from __future__ import annotations

import io
import logging
import stat
from pathlib import Path

import pytest

from connect_widgets.kernel_log import OwnerOnlyFileHandler, ServerStderrHandler, keep_kernel_log_on_server
from connect_widgets.settings import load_settings


def failure_record() -> logging.LogRecord:
    try:
        raise RuntimeError("first line of the cause\n[SQL: INSERT INTO audit_events ...]")
    except RuntimeError as exc:
        return logging.LogRecord(
            "connect_widgets.pages.connect",
            logging.ERROR,
            __file__,
            1,
            "unexpected error in %s",
            ("EmailScreen",),
            (type(exc), exc, exc.__traceback__),
        )


def handlers(path: Path) -> tuple[OwnerOnlyFileHandler, ServerStderrHandler, io.StringIO]:
    file = OwnerOnlyFileHandler(path)
    file.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    stderr = io.StringIO()
    return file, ServerStderrHandler(stderr, file=file), stderr


def test_the_file_holds_the_traceback_and_the_server_line_points_at_it(tmp_path):
    path = tmp_path / "logs" / "connect.log"
    file, server, stderr = handlers(path)
    record = failure_record()
    file.handle(record)
    server.handle(record)
    file.close()
    assert "Traceback" in path.read_text() and "[SQL:" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    [line] = stderr.getvalue().splitlines()
    assert "unexpected error in EmailScreen (RuntimeError: first line of the cause)" in line
    assert line.endswith(f"details in {path}")


def test_while_the_file_cannot_be_written_the_server_gets_the_whole_record(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    file, server, stderr = handlers(blocked / "logs" / "connect.log")
    record = failure_record()
    file.handle(record)  # raises nothing, prints nothing
    server.handle(record)
    assert file.writing is False
    assert "Traceback" in stderr.getvalue() and "first line of the cause" in stderr.getvalue()


def test_outside_a_kernel_nothing_is_rerouted(tmp_path):
    before = list(logging.getLogger().handlers)
    assert keep_kernel_log_on_server(load_settings(data_dir=tmp_path)) is False
    assert logging.getLogger().handlers == before


@pytest.mark.parametrize("level", [logging.INFO, logging.DEBUG])
def test_the_server_gets_warnings_and_errors_only(tmp_path, level):
    _file, server, stderr = handlers(tmp_path / "connect.log")
    logger = logging.getLogger(f"connect_widgets.test_kernel_log.{level}")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(server)
    try:
        logger.log(level, "ignored an event")
        logger.warning("a warning")
    finally:
        logger.removeHandler(server)
    [line] = stderr.getvalue().splitlines()
    assert "a warning" in line
