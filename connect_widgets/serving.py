"""``connect-kit serve``: Voila over ``notebooks/`` with a safe configuration.

- loopback by default; a port already in use is an error, never a silent move;
- sources stripped and tracebacks hidden, so a page shows widgets and words only;
- kernels do not leak: Voila's page asks for its kernel's shutdown when it is
  closed, but that request needs the ``_xsrf`` cookie, which Voila never sets. The
  render handler here sets it; idle kernels whose page went away without saying
  so are culled as a backstop;
- one kernel per notebook (``--pool-size`` for Connect) is started ahead of requests (pre-heated), which took
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
- kernels are bounded (issue 13): every page gets a kernel of its own, so ``--max-kernels``
  (default: what ``MemAvailable`` holds at :data:`KERNEL_MIB` a kernel) caps every kernel
  the server holds or is starting, pre-heated ones included (:class:`KernelCap`, mixed
  over Voila's kernel manager). The pools fill only up to the cap, ``connect.ipynb``
  first, and refill when a kernel shuts down; after start, :data:`REFILLS_AT_ONCE` kernels
  are pre-heated at a time, so a room taking every pre-heated kernel at once is not
  competing with as many new kernels for the same cores. Beyond the cap a render URL starts no
  kernel and answers 503 with ``Retry-After`` and ``share/connect/busy.html`` ("Connect
  is busy"); a page that can take a waiting pre-heated kernel adds none and is served,
  and another page's waiting pre-heated kernel gives its slot up to a visitor.
  One client address may open :data:`KERNEL_STARTS_PER_MINUTE` pages a minute (429
  beyond, :class:`StartsPerClient`); ``X-Forwarded-For`` counts only from a
  ``--trusted-proxy`` (:func:`client_address`);
- ``/connect/health`` answers ``{"status": "ok", "kernels": N, ...}`` only when a page's
  kernel can start (kernelspec present, database reachable, schema current) and the
  data folder can be written, else 503 with ``{"status": "unavailable", "reason": ...}``
  for operators; both also carry ``kernels`` (what the cap counts), ``preheated``,
  ``max_kernels`` and ``memory_available_mib``; ``serve`` refuses to start on a data
  folder it cannot write;
- the served root (``/``) and the contents API list only the pages a visitor should
  open (:data:`LISTED_PAGES`); the trainer's and the team's pages stay reachable by
  their URL but are never listed.
"""

from __future__ import annotations

import asyncio
import contextvars
import errno
import html
import ipaddress
import json
import math
import os
import shutil
import socket
import string
import sys
import tempfile
import time
import types
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
from tornado.ioloop import IOLoop, PeriodicCallback
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.utils import ENV_VARIABLE

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

# --- Capacity: how many kernels at once, and how fast one address may start them ----------------

# What one Connect kernel costs, for the default cap: a signed-in admin's kernel measured
# 132 MiB at Welcome (90 MiB with the Email page open; benchmarks/kernel_footprint.py, see
# benchmarks/README.md), with room for the libraries a task page loads (ldap3, openpyxl, dnspython).
KERNEL_MIB = 160
SERVER_RESERVE_MIB = 512  # kept for the server itself, the database and the system
MIN_MAX_KERNELS = 2  # the default never goes below this, however little memory is free
FALLBACK_MAX_KERNELS = 8  # the default where /proc/meminfo is missing (not Linux)
MEMINFO = Path("/proc/meminfo")
KERNEL_STARTS_PER_MINUTE = 20  # per client address (CONNECT_KERNEL_STARTS_PER_MINUTE)
KERNEL_STARTS_WINDOW_SECONDS = 60.0
RETRY_AFTER_SECONDS = 60  # the Retry-After of a busy or too-many-pages answer
# Pre-heated kernels refilled at once after start: a page taken from a pool is replaced in
# the background, and a classroom taking 20 at once would otherwise start 20 kernels on the
# same cores its pages are loading on (benchmarks/classroom.py). The rest follow one by one.
REFILLS_AT_ONCE = max(1, (os.cpu_count() or 2) // 2)
REFILL_CHECK_SECONDS = 1.0  # how often pools short of their size (paced, or capped) are topped up
PREHEAT_FIRST = "connect.ipynb"  # filled first when the cap is smaller than every pool
BUSY_PAGE = PACKAGE_DIR / "share" / "connect" / "busy.html"
BUSY_MESSAGE = "Connect is busy \N{EM DASH} try again in a minute."
TOO_MANY_MESSAGE = "Too many pages opened from your address \N{EM DASH} try again in a minute."


def memory_available_mib(meminfo: str | None = None) -> int | None:
    """``MemAvailable`` in MiB from ``/proc/meminfo``'s text (read when not given); ``None`` if unknown."""
    if meminfo is None:
        try:
            meminfo = MEMINFO.read_text()
        except OSError:
            return None
    for line in meminfo.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "MemAvailable":
            fields = value.split()
            if fields and fields[0].isdigit():
                return int(fields[0]) // 1024  # the kernel writes kB (KiB)
    return None


def default_max_kernels(available_mib: int | None) -> int:
    """How many kernels fit in the free memory, after the server's own reserve (at least 2)."""
    if available_mib is None:
        return FALLBACK_MAX_KERNELS
    return max(MIN_MAX_KERNELS, (available_mib - SERVER_RESERVE_MIB) // KERNEL_MIB)


class StartsPerClient:
    """A sliding window of kernel starts per client address: at most ``limit`` in ``window`` seconds.

    Only admitted starts are remembered, so a client refused now gets in again as soon as its
    oldest start leaves the window. ``clock`` is injectable (tests step it instead of sleeping).
    """

    SWEEP_ABOVE = 1024  # forget idle addresses once this many are remembered

    def __init__(
        self,
        limit: int = KERNEL_STARTS_PER_MINUTE,
        window: float = KERNEL_STARTS_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._starts: dict[str, deque[float]] = {}

    def _recent(self, client: str, now: float) -> deque[float]:
        starts = self._starts.get(client, deque())
        while starts and starts[0] <= now - self.window:
            starts.popleft()
        return starts

    def allows(self, client: str) -> bool:
        """Whether ``client`` may start one more kernel now (nothing is recorded)."""
        return len(self._recent(client, self._clock())) < self.limit

    def record(self, client: str) -> None:
        """Remember one kernel start by ``client``, now."""
        now = self._clock()
        if len(self._starts) > self.SWEEP_ABOVE:
            for known in list(self._starts):
                if not self._recent(known, now):
                    del self._starts[known]
        starts = self._recent(client, now)
        starts.append(now)
        self._starts[client] = starts

    def admit(self, client: str) -> bool:
        """Record a start and say yes, or say no (and record nothing) when the window is full."""
        if not self.allows(client):
            return False
        self.record(client)
        return True

    def retry_after(self, client: str) -> int:
        """Whole seconds until ``client``'s oldest start leaves the window (at least 1)."""
        now = self._clock()
        starts = self._recent(client, now)
        if len(starts) < self.limit:
            return 1
        return max(1, math.ceil(starts[0] + self.window - now))


def _networks(entries: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def _within(address: str, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str | None, trusted_proxies: Sequence[str]) -> str:
    """The address a request's kernel start is counted against.

    The connection's own address, unless it comes from a proxy named in ``trusted_proxies``:
    then the right-most entry of ``X-Forwarded-For`` that is not a trusted proxy (entries
    further left were written by the client and prove nothing). A header from anyone else
    is ignored: it costs nothing to forge.
    """
    networks = _networks(trusted_proxies)
    if not networks or not _within(peer, networks):
        return peer
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _within(hop, networks):
            return hop
    return hops[0] if hops else peer  # every hop is a trusted proxy: the first one is all we know


def busy_page(status: int, message: str) -> str:
    """The small offline page answered instead of a notebook (503 busy, 429 too many pages)."""
    heading = "Connect is busy" if status == 503 else "Too many pages at once"
    return string.Template(BUSY_PAGE.read_text(encoding="utf-8")).substitute(
        title=html.escape(heading), heading=html.escape(heading), message=html.escape(message), status=status
    )


@dataclass(frozen=True)
class KernelLimits:
    """What ``serve`` allows: the cap, the pre-heated pools, and the per-client start rate."""

    max_kernels: int
    pool_sizes: Mapping[str, int] = field(default_factory=lambda: {PREHEAT_FIRST: 1})
    default_pool_size: int = 1  # a notebook not named in pool_sizes
    starts_per_minute: int = KERNEL_STARTS_PER_MINUTE
    trusted_proxies: tuple[str, ...] = ()

    def pool_size(self, notebook: str) -> int:
        return self.pool_sizes.get(notebook, self.pool_sizes.get(Path(notebook).name, self.default_pool_size))


# The id the next kernel started in this asyncio context must take: a request's reservation, or
# a pre-heated kernel's planned id. Read (and cleared) by KernelCap.new_kernel_id.
_PLANNED_KERNEL_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("connect_kernel_id", default=None)


async def _after(delay: float, kernel_id: str, start: Callable[[], Any]) -> Any:
    _PLANNED_KERNEL_ID.set(kernel_id)  # this task's own context: its kernel gets the planned id
    await asyncio.sleep(delay)
    return await start()


class KernelCap:
    """Mixed in over Voila's kernel manager: every kernel the server holds or starts counts.

    The count is a set of kernel ids, so nothing is counted twice: running and starting
    kernels, pre-heated kernels not yet started (each is given its id when its pool task is
    made) and requests admitted but whose kernel has not started yet (reservations). A page
    request reserves its slot synchronously (no await between the check and the
    reservation), so two requests cannot both take the last one.

    The pools are filled here instead of by Voila: only up to the cap, ``connect.ipynb``
    first, and again whenever a kernel shuts down.
    """

    limits: KernelLimits  # set on the class built by capped_kernel_manager_class
    # Given by the Voila kernel manager this is mixed over (annotations only: no value here).
    _kernels: dict[str, Any]
    _pools: dict[str, list[asyncio.Future[Any]]]
    fill_delay: float
    kernel_pools_config: dict[str, Any]
    notebook_data: dict[str, Any]
    parent: Any
    _initialize: Callable[..., Any]
    get_pool_size: Callable[[str], int]
    log: Any

    def __init__(self, **kwargs: Any) -> None:
        self._reserved: set[str] = set()
        self._leaving: set[str] = set()  # spares shutting down to make room (no longer counted)
        self._planned: dict[asyncio.Future[Any], str] = {}
        self._fill_arguments: dict[str, tuple[dict[str, str], dict[str, Any]]] = {}
        self._building = True
        self._first_fill = True
        self._closing = False
        super().__init__(**kwargs)
        self._building = False
        self.refill_pools(delay=0)  # at start nobody waits: every pool fills at once
        self._first_fill = False

    # -- the count --------------------------------------------------------------------------------

    def held_kernel_ids(self) -> set[str]:
        """Every kernel this server runs, is starting, or has promised (a pool slot, a reservation)."""
        held = (set(self._kernels) | set(getattr(self, "_pending_kernels", {})) | self._reserved) - self._leaving
        for task, kernel_id in list(self._planned.items()):
            if task.done():
                del self._planned[task]  # started (then it is in _kernels) or failed
            else:
                held.add(kernel_id)
        return held

    def kernels_held(self) -> int:
        return len(self.held_kernel_ids())

    def has_room(self) -> bool:
        return self.kernels_held() < self.limits.max_kernels

    def preheated(self) -> int:
        """Pre-heated kernels (starting or ready) not handed to a page yet."""
        count = 0
        for pool in getattr(self, "_pools", {}).values():
            for task in pool:
                if not task.done() or (not task.cancelled() and task.exception() is None):
                    count += 1
        return count

    def pools_short(self) -> list[str]:
        """Notebooks whose pre-heated pool the cap keeps below its size."""
        pools = getattr(self, "_pools", {})
        return [name for name in self.pool_order() if len(pools.get(name, [])) < self.limits.pool_size(name)]

    def reserve(self, notebook: str | None = None) -> str | None:
        """A slot for a kernel a request is about to start (its id), or ``None`` when the cap is reached.

        A visitor outranks a spare: when the cap is reached but another page's pre-heated
        kernel is waiting, that kernel gives its slot up (:meth:`give_up_spare`).
        """
        if not self.has_room() and not self.give_up_spare(keep=notebook):
            return None
        kernel_id = str(uuid.uuid4())
        self._reserved.add(kernel_id)
        _PLANNED_KERNEL_ID.set(kernel_id)  # the request's context: its kernel takes this id
        return kernel_id

    def give_up_spare(self, keep: str | None = None) -> bool:
        """Shut one waiting pre-heated kernel down to free its slot; ``False`` if none is waiting.

        The least-visited pages' spares go first (the reverse of :meth:`pool_order`), never
        one of ``keep`` (the notebook asking: it would have taken it). The kernel leaves the
        count at once (it is shutting down and serves nobody), and leaves its pool at once,
        so no other request can take it meanwhile.
        """
        for notebook in reversed(self.pool_order()):
            if notebook == keep:
                continue
            pool = self._pools.get(notebook, [])
            for task in pool:
                if task.done() and not task.cancelled() and task.exception() is None:
                    pool.remove(task)
                    content = task.result()
                    content["task"].cancel()  # its render, waiting for a request that will not come
                    kernel_id: str = content["kernel_id"]
                    self._leaving.add(kernel_id)
                    self.log.info("Pre-heated kernel of %s shut down to make room for a page", notebook)
                    asyncio.get_event_loop().create_task(self._shut_spare(kernel_id))
                    return True
        return False

    async def _shut_spare(self, kernel_id: str) -> None:
        try:
            await self.shutdown_kernel(kernel_id, now=True)
        finally:
            self._leaving.discard(kernel_id)

    def release(self, kernel_id: str) -> None:
        """The request is over: its kernel is running (counted as such) or never started."""
        if kernel_id in self._reserved:
            self._reserved.discard(kernel_id)
            self.refill_pools()

    def new_kernel_id(self, **kwargs: Any) -> str:
        planned = _PLANNED_KERNEL_ID.get()
        if planned is not None:
            _PLANNED_KERNEL_ID.set(None)  # one kernel per id, whatever this context starts next
            return planned
        return str(super().new_kernel_id(**kwargs))  # type: ignore[misc]  # Voila's class, untyped

    # -- the pools ----------------------------------------------------------------------------------

    def pool_order(self) -> list[str]:
        pages = [notebook for notebook, _, _ in PAGES]
        rank = {name: place for place, name in enumerate(dict.fromkeys([PREHEAT_FIRST, *pages]))}
        return sorted(self._fill_arguments, key=lambda name: (rank.get(name, len(rank)), name))

    def fill_if_needed(
        self,
        delay: float | None = None,
        notebook_name: str | None = None,
        extra_kernel_env_variables: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        """Voila's hook (at start, and after a page takes a pre-heated kernel): fill within the cap."""
        if notebook_name is None:
            return
        self._pools.setdefault(notebook_name, [])
        self._fill_arguments[notebook_name] = (dict(extra_kernel_env_variables or {}), kwargs)
        if not self._building:  # while building, refill_pools runs once every pool is known
            self._fill(notebook_name, self.fill_delay if delay is None else delay)

    def refill_pools(self, delay: float | None = None) -> None:
        """Top every pool up, ``connect.ipynb`` first, as far as the cap allows."""
        if self._building or self._closing:
            return
        for notebook in self.pool_order():
            self._fill(notebook, self.fill_delay if delay is None else delay)

    def _fill(self, notebook: str, delay: float) -> None:
        pool: list[asyncio.Future[Any]] = self._pools.setdefault(notebook, [])
        extra_env, arguments = self._fill_arguments[notebook]
        while (
            len(pool) < self.limits.pool_size(notebook)
            and self.has_room()
            and (self._first_fill or self.heating() < REFILLS_AT_ONCE)
        ):
            kernel_id = str(uuid.uuid4())
            start_arguments = self._start_arguments(notebook, extra_env, arguments)

            def start(notebook: str = notebook, start_arguments: dict[str, Any] = start_arguments) -> Any:
                return self._initialize(notebook, None, **start_arguments)

            # The task runs in a copy of this context, where _after sets its own id (a request's
            # reservation, if this runs inside one, stays the request's).
            task = asyncio.get_event_loop().create_task(_after(delay, kernel_id, start))
            self._planned[task] = kernel_id
            pool.append(task)

    def heating(self) -> int:
        """Pre-heated kernels still starting or running their notebook (not yet waiting for a page)."""
        count = 0
        for pool in self._pools.values():
            for task in pool:
                if not task.done():
                    count += 1
                elif not task.cancelled() and task.exception() is None and still_running_its_notebook(task.result()):
                    count += 1
        return count

    def _start_arguments(self, notebook: str, extra_env: dict[str, str], arguments: dict[str, Any]) -> dict[str, Any]:
        """What Voila's own fill_if_needed hands each pre-heated kernel (voila_kernel_manager.py)."""
        start_arguments = dict(arguments)
        start_arguments.setdefault("path", os.path.dirname(notebook))
        default_config: dict[str, Any] = self.kernel_pools_config.get("default", {})
        notebook_config: dict[str, Any] = self.kernel_pools_config.get(notebook, default_config)
        env = {**os.environ, **start_arguments.get("env", {})}
        for key, value in notebook_config.get(
            "kernel_env_variables", default_config.get("kernel_env_variables", {})
        ).items():
            env.setdefault(key, value)
        env.update(extra_env)
        env[ENV_VARIABLE.VOILA_BASE_URL] = self.parent.base_url
        env[ENV_VARIABLE.VOILA_SERVER_URL] = self.parent.server_url
        env[ENV_VARIABLE.VOILA_APP_PORT] = str(self.parent.port)
        env[ENV_VARIABLE.VOILA_PREHEAT] = "True"
        start_arguments["env"] = env
        return start_arguments

    async def shutdown_kernel(self, kernel_id: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().shutdown_kernel(kernel_id, *args, **kwargs)  # type: ignore[misc]
        finally:
            self.refill_pools()  # a slot is free: pre-heat again if a pool is short

    async def shutdown_all(self, *args: Any, **kwargs: Any) -> Any:
        self._closing = True
        return await super().shutdown_all(*args, **kwargs)  # type: ignore[misc]


def capped_kernel_manager_class(voila_class: type, limits: KernelLimits) -> type:
    """Voila's kernel manager class (pooled or not) with :class:`KernelCap` over it."""
    # new_class, not type(): it picks the traitlets metaclass of Voila's class.
    return types.new_class(
        "CappedKernelManager", (KernelCap, voila_class), exec_body=lambda ns: ns.update(limits=limits)
    )


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
    """The notebook page, plus the ``_xsrf`` cookie its shutdown-on-close request needs.

    Before Voila starts a kernel for the page, the request is admitted or refused: 429 when
    its client opened too many pages this minute, 503 when the server holds as many kernels
    as it may and no pre-heated kernel of this notebook is waiting. Admission and the slot's
    reservation happen with no await in between, and nothing awaits between here and
    Voila's choice of a pre-heated kernel in ``get`` (so the choice made here is the one
    Voila makes).
    """

    _reservation: str | None = None

    async def prepare(self) -> None:
        await super().prepare()
        self.xsrf_token  # noqa: B018 - reading it sets the cookie (tornado)
        if not self._finished:
            self._admit()

    def _admit(self) -> None:
        connect: ConnectVoila = self.settings["connect_voila"]
        kernels = self.kernel_manager
        notebook = self.notebook_path or (self.path_args[0] if self.path_args else None)
        if not notebook or not isinstance(kernels, KernelCap) or connect.kernel_starts is None:
            return
        starts_kernel = Path(notebook).suffix.lower() in [
            ".ipynb",
            *(x.lower() for x in self.voila_configuration.extension_language_mapping),
        ]
        if not starts_kernel:
            return  # Voila redirects to the file
        client = client_address(
            self.request.remote_ip or "", self.request.headers.get("X-Forwarded-For"), kernels.limits.trusted_proxies
        )
        if not connect.kernel_starts.allows(client):
            self.log.warning("Too many pages opened from %s this minute: answered 429, no kernel started", client)
            self._refuse(429, TOO_MANY_MESSAGE, connect.kernel_starts.retry_after(client))
            return
        pooled = self.should_use_rendered_notebook(
            kernels.notebook_data.get(notebook, {}),
            kernels.get_pool_size(notebook),
            self.get_argument("template", None),
            self.get_argument("theme", None),
            self.request.arguments,
        )
        if not pooled:  # this request would start a kernel of its own
            self._reservation = kernels.reserve(notebook)
            if self._reservation is None:
                self.log.warning(
                    "Connect is busy (%d of %d kernels): answered 503 to %s, no kernel started",
                    kernels.kernels_held(),
                    kernels.limits.max_kernels,
                    client,
                )
                self._refuse(503, BUSY_MESSAGE, RETRY_AFTER_SECONDS)
                return
        connect.kernel_starts.record(client)

    def _refuse(self, status: int, message: str, retry_after: int) -> None:
        self.set_status(status)
        self.set_header("Retry-After", str(max(retry_after, 1)))
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(busy_page(status, message))

    def _release(self) -> None:
        reservation, self._reservation = self._reservation, None
        if reservation is not None and isinstance(self.kernel_manager, KernelCap):
            self.kernel_manager.release(reservation)

    async def get(self, path: str | None = None) -> None:
        try:
            await super().get(path)
        finally:
            self._release()

    def on_finish(self) -> None:
        self._release()
        super().on_finish()


class HealthHandler(JupyterHandler):
    """Whether pages can be served (200, else 503 and why), with the kernels, the cap and free memory.

    ``kernels`` is what the cap counts: kernels running or starting, pre-heated ones
    included (``preheated`` of them not handed to a page yet).
    """

    @web.authenticated
    async def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        connect: ConnectVoila = self.settings["connect_voila"]
        # The database query runs off the event loop: an unreachable server may take its timeout.
        health = await IOLoop.current().run_in_executor(None, connect.health)
        capacity = connect.capacity()
        if health.ok:
            self.finish(json.dumps({"status": "ok", **capacity}))
        else:
            self.set_status(503)
            self.finish(json.dumps({"status": "unavailable", "reason": health.reason, **capacity}))


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
            if still_running_its_notebook(content):
                pending.append(notebook)
                break
            render = content["task"]
            if render.done() and not render.cancelled() and render.exception() is not None:
                failed[notebook] = describe_kernel_failure(render.exception())
                break
    return pending, failed


def still_running_its_notebook(pooled: dict[str, Any]) -> bool:
    """Whether a pre-heated kernel (a Voila 0.5 pool future's result) is still running its notebook.

    It is not once the notebook has run to the end, or once it waits for its page's
    request (connected to Voila's ``/voila/query/<kernel id>`` socket).
    """
    return not pooled["task"].done() and pooled["kernel_id"] not in RequestInfoSocketHandler._waiters


class ConnectVoila(Voila):  # type: ignore[misc]  # Voila ships no types
    """Voila with the kit's handlers swapped in, which says when its pages are ready."""

    settings_for_kit: Settings | None = None
    kernel_limits: KernelLimits | None = None
    kernel_starts: StartsPerClient | None = None
    started_at: float = 0.0
    pages_failed: dict[str, str] = {}
    _engine: Engine | None = None
    _head: str = ""

    def init_settings(self) -> dict[str, Any]:
        # Voila builds its kernel manager (and starts filling the pools) inside init_settings,
        # from a class made by voila.app.voila_kernel_manager_factory and no option to extend
        # it: the factory is wrapped for that one call, so the cap is there from the start.
        import voila.app

        make_class = voila.app.voila_kernel_manager_factory
        limits = self.kernel_limits or KernelLimits(max_kernels=default_max_kernels(memory_available_mib()))
        self.kernel_starts = StartsPerClient(limits.starts_per_minute)

        def capped_factory(*args: Any, **kwargs: Any) -> type:
            return capped_kernel_manager_class(make_class(*args, **kwargs), limits)

        voila.app.voila_kernel_manager_factory = capped_factory
        try:
            settings: dict[str, Any] = super().init_settings()
        finally:
            voila.app.voila_kernel_manager_factory = make_class
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

    def capacity(self) -> dict[str, int | None]:
        """The health answer's figures: kernels held (what the cap counts), the cap, free memory."""
        kernels = self.kernel_manager
        capped = isinstance(kernels, KernelCap)
        return {
            "kernels": kernels.kernels_held() if capped else len(kernels.list_kernel_ids()),
            "preheated": kernels.preheated() if capped else 0,
            "max_kernels": kernels.limits.max_kernels if capped else None,
            "memory_available_mib": memory_available_mib(),
        }

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
        kernels = self.kernel_manager  # built by Voila's start(), before the loop runs this
        if isinstance(kernels, KernelCap):  # paced refills: top the pools up as kernels become ready
            PeriodicCallback(kernels.refill_pools, REFILL_CHECK_SECONDS * 1000).start()
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
        short = self.kernel_manager.pools_short() if isinstance(self.kernel_manager, KernelCap) else []
        heated = (
            f"{elapsed:.1f} s to pre-heat every page"
            if not short
            else f"{elapsed:.1f} s to pre-heat; the kernel cap leaves {', '.join(short)} to start on request"
        )
        print(f"{READY_LINE} ({heated}):", *self.page_urls(), sep="\n", file=sys.stderr)
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


def capacity_line(max_kernels: int, available_mib: int | None, *, derived: bool) -> str:
    """The start-up line that says how many pages the server takes at once, and why."""
    memory = f"{available_mib / 1024:.1f} GiB available" if available_mib is not None else "free memory unknown"
    if derived:
        why = f"max kernels; about {KERNEL_MIB} MiB each, {memory}; set --max-kernels to change"
    else:
        why = f"max kernels as set; {memory}"
    return f"Up to {max_kernels} pages at once ({why})"


def serve(
    settings: Settings,
    *,
    notebooks: Path,
    ip: str = "127.0.0.1",
    port: int = 8866,
    cull_after_seconds: int = 300,
    preheat: bool = True,
    pool_sizes: Mapping[str, int] | None = None,
    max_kernels: int | None = None,
    trusted_proxies: Sequence[str] = (),
) -> None:
    """Run Voila in this process until interrupted.

    Args:
        pool_sizes: pre-heated kernels kept ready per notebook file name; ``None`` means
            ``{"connect.ipynb": settings.pool_size}``; a notebook not named keeps 1.
        max_kernels: the most kernels at once (pre-heated ones count); ``None`` means
            ``settings.max_kernels``, else derived from the free memory (:func:`default_max_kernels`).
        trusted_proxies: proxies whose ``X-Forwarded-For`` names the client; empty means
            ``settings.trusted_proxies``.

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
    available = memory_available_mib()
    chosen = max_kernels if max_kernels is not None else settings.max_kernels
    limits = KernelLimits(
        max_kernels=chosen if chosen is not None else default_max_kernels(available),
        pool_sizes=dict(pool_sizes) if pool_sizes is not None else {PREHEAT_FIRST: settings.pool_size},
        starts_per_minute=settings.kernel_starts_per_minute,
        trusted_proxies=tuple(trusted_proxies) or tuple(settings.trusted_proxy_list),
    )
    print(capacity_line(limits.max_kernels, available, derived=chosen is None), file=sys.stderr, flush=True)
    app = ConnectVoila()
    app.settings_for_kit = settings
    app.kernel_limits = limits
    app.started_at = started
    app.initialize(
        voila_arguments(
            settings, notebooks=notebooks, ip=ip, port=port, cull_after_seconds=cull_after_seconds, preheat=preheat
        )
    )
    app.start()
    if app.pages_failed:
        raise PagesFailed("the pages cannot be served (see above); fix that and run connect-kit serve again")
