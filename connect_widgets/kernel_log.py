"""A page's kernel logs to the server, never to the page.

Inside a Voila kernel, ipykernel forwards everything written to the standard error
stream to the browser as iopub ``stream`` messages: Python's last-resort log handler,
warnings, and (ipykernel >= 6 captures file descriptor 2) anything a library writes to
the descriptor itself. An exception escaping a widget callback is sent as an ``error``
message (ipywidgets calls the shell's ``showtraceback``). Either way source lines and
SQL reach the page. :func:`keep_kernel_log_on_server` (called by ``build_app``,
``build_console`` and ``build_trainer``) routes all of it to the server instead:

- every log record goes in full, tracebacks included, to ``<data_dir>/logs/connect.log``
  (folder 0700, file 0600);
- WARNING and above also go to the standard error the kernel inherited from
  ``connect-kit serve`` (ipykernel keeps a copy of that descriptor and reroutes its
  own log there for the same reason): one line naming the file for the details, or,
  while the file cannot be written (a read-only or full data folder), the whole
  record; so the server's terminal or service log always shows what failed;
- Python warnings become log records, and the shell's ``showtraceback`` logs instead
  of publishing while it handles what a page sends (widget messages); the notebook's
  own cells, run by Voila on the server (or by nbval, or in JupyterLab), still get
  their usual error output, so a broken notebook keeps failing loudly.

A logging error is never printed (it would reach the page).
Outside a kernel (tests, the CLI) nothing changes.
"""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

from connect_widgets.paths import private_file, private_folder
from connect_widgets.settings import Settings

LOG_FOLDER = "logs"
LOG_FILE = "connect.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s [kernel %(process)d]: %(message)s"
_INSTALLED = "_connect_kernel_log"  # marks the handlers this module added (it may run once per page build)
_ORIGINAL_SHOWTRACEBACK = "_connect_original_showtraceback"

log = logging.getLogger(__name__)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def log_path(settings: Settings) -> Path:
    """``<data_dir>/logs/connect.log``: where a page's kernel writes its log."""
    return settings.data_dir / LOG_FOLDER / LOG_FILE


class _Quiet:
    """A handler that never reports its own failures (the report would reach the page)."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


class OwnerOnlyFileHandler(_Quiet, logging.FileHandler):
    """The full log, in a file only the server's user can read; opened (and retried) when needed."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8", delay=True)
        self.writing = True  # whether the last record reached the file

    def _open(self) -> io.TextIOWrapper:
        path = Path(self.baseFilename)
        private_folder(path.parent)
        private_file(path)
        return open(path, "a", encoding="utf-8")

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.stream is None:
                self.stream = self._open()
            self.stream.write(self.format(record) + self.terminator)
            self.stream.flush()
            self.writing = True
        except Exception:  # noqa: BLE001 - e.g. a read-only or full data folder
            self.writing = False
            self._drop_stream()

    def _drop_stream(self) -> None:
        """Forget the file after a failed write; the next record opens it again."""
        stream, self.stream = self.stream, None
        if stream is not None:
            try:
                stream.close()
            except Exception:  # noqa: BLE001, S110 - a full disk may refuse the flush as well
                pass


class ServerStderrHandler(_Quiet, logging.StreamHandler[Any]):
    """WARNING and above on the standard error ``connect-kit serve`` gave the kernel.

    One line pointing at the log file for the details while that file is written;
    the whole record, traceback included, while it cannot be.
    """

    def __init__(self, stream: Any, *, file: OwnerOnlyFileHandler) -> None:
        super().__init__(stream)
        self.file = file
        self.setLevel(logging.WARNING)
        self.setFormatter(logging.Formatter(_FORMAT))

    def format(self, record: logging.LogRecord) -> str:
        if not self.file.writing:
            return super().format(record)
        assert self.formatter is not None  # set in __init__
        text = f"{self.formatter.formatTime(record)} {record.levelname} {record.name} [kernel {record.process}]: "
        text += record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            first = (str(exc).strip().splitlines() or [""])[0]
            text += f" ({type(exc).__name__}: {first})"
        return " ".join(text.split()) + f" — details in {self.file.baseFilename}"


def server_stderr() -> Any | None:
    """A stream on the kernel's inherited standard error that ipykernel does not forward, or None.

    With descriptor capture on, ipykernel points descriptor 2 at a pipe it forwards to
    the page and keeps the original as ``_original_stdstream_copy``. Without capture,
    descriptor 2 is the original and ``sys.__stderr__`` writes to it directly.
    """
    copy = getattr(sys.stderr, "_original_stdstream_copy", None)
    if isinstance(copy, int):
        return io.TextIOWrapper(io.FileIO(copy, "w", closefd=False), encoding="utf-8", line_buffering=True)
    if hasattr(sys.stderr, "_original_stdstream_fd"):
        return None  # captured, yet the copy is missing: write nothing rather than to the page
    return sys.__stderr__


def in_kernel() -> Any | None:
    """The IPython kernel shell this code runs in, or None (tests, the CLI)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def keep_kernel_log_on_server(settings: Settings) -> bool:
    """In a kernel, send its log and any traceback to the server (see the module's docstring).

    Returns:
        True when it ran in a kernel and installed the handlers (again, replacing its own).
    """
    shell = in_kernel()
    if shell is None:
        return False
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _INSTALLED, False) or _writes_to_page(handler):
            root.removeHandler(handler)
    file = OwnerOnlyFileHandler(log_path(settings))
    file.setFormatter(logging.Formatter(_FORMAT))
    handlers: list[logging.Handler] = [file]  # first: the server's line depends on whether the file took it
    stream = server_stderr()
    if stream is not None:
        handlers.append(ServerStderrHandler(stream, file=file))
    for handler in handlers:
        setattr(handler, _INSTALLED, True)
        root.addHandler(handler)
    logging.getLogger("connect_widgets").setLevel(logging.INFO)  # ignored forged events are worth a line
    logging.captureWarnings(True)
    _log_widget_event_tracebacks(shell)
    return True


def _writes_to_page(handler: logging.Handler) -> bool:
    """A stream handler on ipykernel's forwarded stdout/stderr (e.g. from ``logging.basicConfig``)."""
    stream = getattr(handler, "stream", None)
    return isinstance(handler, logging.StreamHandler) and stream is not None and hasattr(stream, "pub_thread")


def _log_widget_event_tracebacks(shell: Any) -> None:
    """Replace ``shell.showtraceback`` (once): outside a cell's execution it logs instead of publishing."""
    shown = getattr(shell, _ORIGINAL_SHOWTRACEBACK, None) or shell.showtraceback
    setattr(shell, _ORIGINAL_SHOWTRACEBACK, shown)

    def showtraceback(exc_tuple: ExcInfo | None = None, *args: Any, **kwargs: Any) -> None:
        if _request_type(shell) == "execute_request":  # the notebook's own code: the server runs it
            shown(exc_tuple, *args, **kwargs)
            return
        exc_info = exc_tuple or sys.exc_info()
        log.error(
            "an unexpected error while handling a page's event (nothing was sent to the page)",
            exc_info=exc_info if exc_info[1] is not None else None,
        )

    shell.showtraceback = showtraceback


def _request_type(shell: Any) -> str:
    """The type of the message the kernel is handling (``execute_request``, ``comm_msg``...)."""
    try:
        parent = shell.kernel.get_parent()
    except Exception:  # noqa: BLE001 - an older kernel: treat it as a page's event
        return ""
    return str(((parent or {}).get("header") or {}).get("msg_type", ""))
