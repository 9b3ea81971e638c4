"""``connect-kit serve``: Voila over ``notebooks/`` with a safe configuration.

- loopback by default; a port already in use is an error, never a silent move;
- sources stripped and tracebacks hidden, so a page shows widgets and words only;
- kernels do not leak: Voila's page asks for its kernel's shutdown when it is
  closed, but that request needs the ``_xsrf`` cookie, which Voila never sets. The
  render handler here sets it; idle kernels whose page went away without saying
  so are culled as a backstop;
- one kernel per notebook is started ahead of requests (pre-heated), which took
  the median time to first screen from 2.2 s to 1.3 s here
  (``benchmarks/first_screen.py``); the notebook waits for the request before
  reading the URL's pre-fill;
- kernels are reached over Unix sockets, not loopback TCP;
- the page URLs are printed only once every pre-heated kernel has run its
  notebook (or is waiting for its request): before that, a first visitor would
  wait for a kernel to start (17-29 s on a busy 2-core machine);
- pages are rendered with the kit's ``connect`` template (``share/jupyter`` in the
  package): Voila's ``lab`` template without its CDN stylesheets, so a page loads
  nothing from outside the server;
- ``/connect/health`` answers ``{"status": "ok", "kernels": N}`` only when a page's
  kernel can start (kernelspec present, database reachable, schema current) and the
  data folder can be written, else 503 with ``{"status": "unavailable", "reason": ...}``
  for operators; ``serve`` refuses to start on a data folder it cannot write;
- the served root (``/``) and the contents API list only the pages a visitor should
  open (:data:`LISTED_PAGES`); the trainer's and the team's pages stay reachable by
  their URL but are never listed.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.services.contents.largefilemanager import LargeFileManager
from jupyter_server.utils import url_path_join
from pydantic import SecretStr
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from tornado import web
from tornado.ioloop import IOLoop
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.tornado.handler import TornadoVoilaHandler

from connect_widgets.paths import PACKAGE_DIR
from connect_widgets.settings import ENV_PREFIX, Settings
from connect_widgets.store.engine import make_engine
from connect_widgets.store.schema import current_revision, head_revision

READY_LINE = "Connect is ready"  # printed once every page's kernel is ready (tests wait for it)
STARTING_LINE = "Starting Connect"
KERNEL_NAME = "python3"  # every notebook's kernelspec
TEMPLATE = "connect"  # share/jupyter/voila/templates/connect: lab without CDN links
JUPYTER_DATA = PACKAGE_DIR / "share" / "jupyter"
STILL_STARTING_AFTER_SECONDS = 120

# The pages `serve` announces, in the order a trainer opens them: notebook, label, hint.
PAGES = (
    ("trainer.ipynb", "trainer", "reset accounts, demo phone, notes"),
    ("admin_console.ipynb", "console", "Application Switcher"),
    ("connect.ipynb", "connect", ""),
    ("connect_team.ipynb", "team", "after: connect-kit add-staff NAME"),
)
# What the served root and the contents API list: the pages a visitor opens. The trainer's
# and the team's pages are opened from the URLs `serve` prints, never found by browsing.
LISTED_PAGES = frozenset({"connect.ipynb", "admin_console.ipynb"})


class PortInUse(Exception):
    """The chosen address and port are taken."""


class PagesFailed(Exception):
    """The pages cannot be served (e.g. a pre-heated page's kernel could not start); the message says why."""


class DataFolderNotWritable(PagesFailed):
    """The data folder (or the database file in it) cannot be written; nothing was started."""


class ListedPagesContentsManager(LargeFileManager):
    """Voila's contents manager, listing only :data:`LISTED_PAGES` in any folder.

    Only listings change: a page left out still renders from its URL (the render
    handler reads the notebook by its path, which is not a listing).
    """

    def should_list(self, name: str) -> bool:
        return name in LISTED_PAGES and bool(super().should_list(name))  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class ServingHealth:
    """Whether a page's kernel can start now; ``reason`` says what to fix when not."""

    ok: bool
    reason: str = ""


def describe_kernel_failure(exc: BaseException) -> str:
    """Plain words for why a kernel did not start."""
    install = "install ipykernel into the environment that runs connect-kit: pip install ipykernel"
    if isinstance(exc, NoSuchKernel):
        return f"no Python kernel is installed for the notebooks (kernelspec {KERNEL_NAME!r} not found); {install}"
    if isinstance(exc, web.HTTPError) and "No Jupyter kernel" in (exc.log_message or ""):  # how Voila says it
        return f"{exc.log_message}; {install}"
    return f"{type(exc).__name__}: {exc}"


def data_folder_problem(data_dir: Path, database_file: Path | None = None) -> str | None:
    """Why the kit cannot write its files, or ``None`` when it can.

    A probe file is created and removed in each folder, which catches a read-only
    mount, a folder of another user and a missing folder alike (``os.access`` alone
    says yes to root on a read-only mount of a folder with write bits). The SQLite
    file itself must be writable too, and its folder (SQLite writes ``-wal`` and
    ``-shm`` files beside it).

    Args:
        data_dir: ``CONNECT_DATA_DIR`` (the secret key and, by default, the database).
        database_file: the SQLite database file, if the database is one.
    """
    fix = "let the user running connect-kit write there, or set CONNECT_DATA_DIR to a folder it can write"
    folders = dict.fromkeys([data_dir, *([database_file.parent] if database_file is not None else [])])
    for folder in folders:
        try:
            handle, probe = tempfile.mkstemp(prefix=".connect-write-probe-", dir=folder)
        except OSError as exc:
            return f"data folder not writable: {folder} ({exc.strerror or exc}); {fix}"
        os.close(handle)
        os.unlink(probe)
    if database_file is not None and database_file.exists() and not os.access(database_file, os.W_OK):
        return f"data folder not writable: the database file {database_file} is read-only; {fix}"
    return None


def refuse_unwritable_data_folder(settings: Settings) -> None:
    """Raise :class:`DataFolderNotWritable` unless the kit can write its data folder and database file.

    Run it before the database is first opened: on a read-only folder SQLite only
    says "unable to open database file" (it cannot create the ``-shm`` file).
    """
    engine = make_engine(settings)
    try:
        problem = data_folder_problem(settings.data_dir, sqlite_file(engine))
    finally:
        engine.dispose()
    if problem:
        raise DataFolderNotWritable(problem)


def sqlite_file(engine: Engine) -> Path | None:
    """The engine's SQLite database file, or ``None`` for another database (or an in-memory one)."""
    if engine.url.get_backend_name() != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    return Path(engine.url.database)


def check_serving_health(
    *,
    kernel_spec_manager: KernelSpecManager,
    engine: Engine,
    database: str,
    head: str,
    data_dir: Path | None = None,
) -> ServingHealth:
    """Can a page's kernel start, will its notebook find the database it needs, and can it save?

    Cheap enough for every health request: a kernelspec lookup, one query, and a
    probe file created and removed in the data folder.

    Args:
        kernel_spec_manager: the server's (it is what starts the kernels).
        engine: the database the notebooks use.
        database: the database's address with any password hidden, for the reason.
        head: the schema revision this version of the kit needs.
        data_dir: the kit's data folder, checked for writing (not checked when ``None``).
    """
    try:
        spec = kernel_spec_manager.get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel as exc:
        return ServingHealth(False, describe_kernel_failure(exc))
    program = spec.argv[0] if spec.argv else ""
    if not program or shutil.which(program) is None:
        return ServingHealth(
            False,
            f"the {KERNEL_NAME!r} kernel would run {program or 'nothing'!r}, "
            f"which is not installed; reinstall the kernel: "
            f"python -m ipykernel install --sys-prefix",
        )
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        return ServingHealth(
            False,
            f"the database at {database} cannot be reached ({cause}); "
            "check CONNECT_DATABASE_URL / CONNECT_DATA_DIR and that the database is up",
        )
    if revision is None:
        return ServingHealth(False, f"the database at {database} has no tables; run: connect-kit init")
    if revision != head:
        return ServingHealth(
            False,
            f"the database at {database} is at schema revision {revision}, this "
            f"version of the kit needs {head}; run: connect-kit init",
        )
    if data_dir is not None:
        problem = data_folder_problem(data_dir, sqlite_file(engine))
        if problem:
            return ServingHealth(False, problem)
    return ServingHealth(True)


class XsrfCookieVoilaHandler(TornadoVoilaHandler):  # type: ignore[misc]  # Voila ships no types
    """The notebook page, plus the ``_xsrf`` cookie its shutdown-on-close request needs."""

    async def prepare(self) -> None:
        await super().prepare()
        self.xsrf_token  # noqa: B018 - reading it sets the cookie (tornado)


class HealthHandler(JupyterHandler):
    """Whether pages can be served (200 with the number of kernels, else 503 and why)."""

    @web.authenticated
    async def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        connect: ConnectVoila = self.settings["connect_voila"]
        # The database query runs off the event loop: an unreachable server may take its timeout.
        health = await IOLoop.current().run_in_executor(None, connect.health)
        if health.ok:
            self.finish(json.dumps({"status": "ok", "kernels": len(self.kernel_manager.list_kernel_ids())}))
        else:
            self.set_status(503)
            self.finish(json.dumps({"status": "unavailable", "reason": health.reason}))


def preheat_progress(kernel_manager: Any) -> tuple[list[str], dict[str, str]]:
    """Which pre-heated notebooks are still starting, and which failed (with why).

    A pooled kernel is ready once its notebook has run to the end, or is paused
    in ``voila.utils.wait_for_request`` (it has then connected to Voila's
    ``/voila/query/<kernel id>`` socket): the next request for the page is then
    answered by a kernel that has done all its work up front.
    """
    pending: list[str] = []
    failed: dict[str, str] = {}
    pools: dict[str, list[asyncio.Future[Any]]] = getattr(kernel_manager, "_pools", {})  # Voila 0.5's pool
    for notebook, pool in pools.items():
        for future in pool:
            if not future.done():
                pending.append(notebook)
                break
            if future.cancelled():  # the server is shutting down
                pending.append(notebook)
                break
            failure = future.exception()
            if failure is not None:
                failed[notebook] = describe_kernel_failure(failure)
                break
            content = future.result()
            render = content["task"]
            if render.done():
                if not render.cancelled() and render.exception() is not None:
                    failed[notebook] = describe_kernel_failure(render.exception())
                    break
            elif content["kernel_id"] not in RequestInfoSocketHandler._waiters:
                pending.append(notebook)
                break
    return pending, failed


class ConnectVoila(Voila):  # type: ignore[misc]  # Voila ships no types
    """Voila with the kit's handlers swapped in, which says when its pages are ready."""

    settings_for_kit: Settings | None = None
    started_at: float = 0.0
    pages_failed: dict[str, str] = {}
    _engine: Engine | None = None
    _head: str = ""

    def init_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = super().init_settings()
        settings["connect_voila"] = self
        # Voila builds a LargeFileManager here, with no option to pick another class.
        self.contents_manager = ListedPagesContentsManager(parent=self)
        settings["contents_manager"] = self.contents_manager
        return settings

    def health(self) -> ServingHealth:
        """See :func:`check_serving_health`."""
        assert self.settings_for_kit is not None and self._engine is not None
        database = make_url(self.settings_for_kit.sqlalchemy_url).render_as_string(hide_password=True)
        return check_serving_health(
            kernel_spec_manager=self.kernel_spec_manager,
            engine=self._engine,
            database=database,
            head=self._head,
            data_dir=self.settings_for_kit.data_dir,
        )

    def page_urls(self) -> list[str]:
        """The lines that tell the operator where each page is."""
        host = f"[{self.ip}]" if ":" in self.ip else self.ip
        root = f"http://{host}:{self.port}{self.base_url.rstrip('/')}/voila/render/"
        trainer_on = bool(self.settings_for_kit and self.settings_for_kit.trainer_enabled)
        lines = []
        for notebook, label, hint in PAGES:
            if notebook == "trainer.ipynb" and not trainer_on:
                continue
            if not (Path(self.root_dir) / notebook).is_file():
                continue
            lines.append(f"  {label + ':':<9}{root}{notebook}" + (f"   ({hint})" if hint else ""))
        return lines

    async def announce_when_ready(self) -> None:
        """Print the URLs once every pre-heated kernel is ready; stop the server if one failed."""
        warned = False
        while True:
            pending, failed = preheat_progress(self.kernel_manager)
            if failed:
                self.pages_failed = failed
                for why in dict.fromkeys(failed.values()):  # one line per reason, naming its pages
                    pages = ", ".join(sorted(nb for nb, reason in failed.items() if reason == why))
                    print(f"error: cannot start the kernel of {pages}: {why}", file=sys.stderr)
                IOLoop.current().stop()
                return
            if not pending:
                break
            if not warned and time.monotonic() - self.started_at > STILL_STARTING_AFTER_SECONDS:
                warned = True
                print(
                    f"still starting: {', '.join(sorted(pending))} (the machine may be busy); "
                    "the first visit to those pages will be slow:",
                    *self.page_urls(),
                    sep="\n",
                    file=sys.stderr,
                    flush=True,
                )
            await asyncio.sleep(0.1)
        elapsed = time.monotonic() - self.started_at
        print(f"{READY_LINE} ({elapsed:.1f} s to pre-heat every page):", *self.page_urls(), sep="\n", file=sys.stderr)
        if self.settings_for_kit and self.settings_for_kit.trainer_enabled:
            print("Open the trainer page in one tab and Connect in another.", file=sys.stderr)
        print("Stop the server with Ctrl+C.", file=sys.stderr, flush=True)

    def start(self) -> None:
        assert self.settings_for_kit is not None
        self._engine = make_engine(self.settings_for_kit)  # for the health checks
        self._head = head_revision()
        # Runs as soon as the event loop does, i.e. once Voila listens.
        IOLoop.current().add_callback(self.announce_when_ready)
        super().start()

    def init_handlers(self) -> list[Any]:
        handlers = []
        for handler in super().init_handlers():
            if len(handler) >= 2 and handler[1] is TornadoVoilaHandler:
                handler = (handler[0], XsrfCookieVoilaHandler, *handler[2:])
            handlers.append(handler)
        health = (url_path_join(self.server_url or "/", "/connect/health"), HealthHandler)
        return [health, *handlers]


WEB_PORT_CHOICE = "choose another with --port N (make demo: PORT=N make demo)"
DEMO_DNS_PORT_CHOICE = "choose another with DEMO_DNS_PORT=N make demo (or CONNECT_DEMO_DNS_PORT=N connect-kit serve)"


def check_port_free(ip: str, port: int, *, udp: bool = False, purpose: str = "", choice: str = WEB_PORT_CHOICE) -> None:
    """Raise :class:`PortInUse` if ``ip:port`` (TCP, or UDP) cannot be bound right now.

    Args:
        purpose: what the port is for, said in the message (e.g. "the demo DNS zone").
        choice: how the operator picks another port (the option or variable to change).
    """
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((ip, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                what = "UDP port" if udp else "port"
                why = "already in use" if exc.errno == errno.EADDRINUSE else "not available to this user"
                for_what = f" ({purpose})" if purpose else ""
                raise PortInUse(f"{what} {port} on {ip} is {why}{for_what}; {choice}") from None
            raise


def kernel_environment(settings: Settings) -> dict[str, str]:
    """``CONNECT_*`` values for the kernels, so every page uses the server's settings."""
    env = {f"{ENV_PREFIX}DATA_DIR": str(settings.data_dir)}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None or name == "data_dir":
            continue
        if isinstance(value, SecretStr):  # model_dump() would hand the kernels "**********"
            value = value.get_secret_value()
        env[f"{ENV_PREFIX}{name.upper()}"] = str(value)
    return env


def voila_arguments(
    settings: Settings, *, notebooks: Path, ip: str, port: int, cull_after_seconds: int, preheat: bool
) -> list[str]:
    preheating = (
        # A kernel per notebook starts and runs it before anyone asks for the page;
        # the Connect notebook then waits for the request (see app.page_query_string).
        ["--VoilaConfiguration.preheat_kernel=True", "--VoilaConfiguration.default_pool_size=1"] if preheat else []
    )
    return [
        *preheating,
        str(notebooks),
        f"--Voila.ip={ip}",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--Voila.open_browser=False",
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.show_tracebacks=False",
        # A page closed without its shutdown request leaves an idle, disconnected
        # kernel; connected kernels (open pages) are never culled.
        f"--MappingKernelManager.cull_idle_timeout={cull_after_seconds}",
        f"--MappingKernelManager.cull_interval={max(10, cull_after_seconds // 4)}",
        "--MappingKernelManager.cull_connected=False",
        # Kernels talk to the server over Unix sockets in Voila's private (0700)
        # connection folder instead of loopback TCP ports any local user can reach.
        "--KernelManager.transport=ipc",
        # The kit's template (no CDN links); a page's URL may not pick another one.
        f"--VoilaConfiguration.template={TEMPLATE}",
        "--VoilaConfiguration.allow_template_override=NO",
    ]


def serve(
    settings: Settings,
    *,
    notebooks: Path,
    ip: str = "127.0.0.1",
    port: int = 8866,
    cull_after_seconds: int = 300,
    preheat: bool = True,
) -> None:
    """Run Voila in this process until interrupted.

    Raises:
        PortInUse: the port is taken (nothing is started).
        DataFolderNotWritable: the data folder or database file cannot be written (nothing is started).
        PagesFailed: a page's kernel could not start (the server stopped).
    """
    started = time.monotonic()
    check_port_free(ip, port, purpose="the Connect web pages")
    refuse_unwritable_data_folder(settings)
    if settings.demo_dns_port:
        from connect_widgets.core.services import build_services
        from connect_widgets.demo.dns import start_demo_dns

        check_port_free(
            "127.0.0.1", settings.demo_dns_port, udp=True, purpose="the demo DNS zone", choice=DEMO_DNS_PORT_CHOICE
        )
        start_demo_dns(build_services(settings), port=settings.demo_dns_port)
        print(f"Demo DNS zone served at 127.0.0.1:{settings.demo_dns_port} (UDP)", file=sys.stderr)
    os.environ.update(kernel_environment(settings))
    # Voila finds templates (HTML and their static files) under each Jupyter data
    # folder; the kit's own comes first.
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(JUPYTER_DATA), *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))]
    )
    print(
        f"{STARTING_LINE} on http://{ip}:{port} ... (this takes a few seconds: each page's kernel "
        "starts before the first visitor arrives)"
        if preheat
        else f"{STARTING_LINE} on http://{ip}:{port} ...",
        file=sys.stderr,
        flush=True,
    )
    app = ConnectVoila()
    app.settings_for_kit = settings
    app.started_at = started
    app.initialize(
        voila_arguments(
            settings, notebooks=notebooks, ip=ip, port=port, cull_after_seconds=cull_after_seconds, preheat=preheat
        )
    )
    app.start()
    if app.pages_failed:
        raise PagesFailed("the pages cannot be served (see above); fix that and run connect-kit serve again")
