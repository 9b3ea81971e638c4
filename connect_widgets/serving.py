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
- ``/connect/health`` answers ``{"status": "ok", "kernels": N}`` for operators
  (and for the kernel-hygiene test).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
from pathlib import Path

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from pydantic import SecretStr

from connect_widgets.settings import ENV_PREFIX, Settings

READY_LINE = "Voilà is running at"  # what Voila logs once it listens (tests wait for it)


class PortInUse(Exception):
    """The chosen address and port are taken."""


class XsrfCookieVoilaHandler(TornadoVoilaHandler):
    """The notebook page, plus the ``_xsrf`` cookie its shutdown-on-close request needs."""

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        self.xsrf_token  # noqa: B018 - reading it sets the cookie (tornado)


class HealthHandler(JupyterHandler):
    """Liveness and the number of running kernels."""

    @web.authenticated
    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"status": "ok", "kernels": len(self.kernel_manager.list_kernel_ids())}))


class ConnectVoila(Voila):
    """Voila with the kit's handlers swapped in."""

    def init_handlers(self) -> list:  # type: ignore[override]
        handlers = []
        for handler in super().init_handlers():
            if len(handler) >= 2 and handler[1] is TornadoVoilaHandler:
                handler = (handler[0], XsrfCookieVoilaHandler, *handler[2:])
            handlers.append(handler)
        health = (url_path_join(self.server_url or "/", "/connect/health"), HealthHandler)
        return [health, *handlers]


def check_port_free(ip: str, port: int, *, udp: bool = False) -> None:
    """Raise :class:`PortInUse` if ``ip:port`` (TCP, or UDP) cannot be bound right now."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((ip, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                what = "UDP port" if udp else "port"
                raise PortInUse(f"{what} {port} on {ip} is already in use; choose another") from None
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
        ["--VoilaConfiguration.preheat_kernel=True", "--VoilaConfiguration.default_pool_size=1"]
        if preheat else []
    )
    return [*preheating,
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
    """
    check_port_free(ip, port)
    if settings.demo_dns_port:
        from connect_widgets.core.services import build_services
        from connect_widgets.demo_dns import start_demo_dns

        check_port_free("127.0.0.1", settings.demo_dns_port, udp=True)
        start_demo_dns(build_services(settings), port=settings.demo_dns_port)
        print(f"Demo DNS zone served at 127.0.0.1:{settings.demo_dns_port} (UDP)", file=sys.stderr)
    os.environ.update(kernel_environment(settings))
    app = ConnectVoila()
    app.initialize(voila_arguments(settings, notebooks=notebooks, ip=ip, port=port,
                                   cull_after_seconds=cull_after_seconds, preheat=preheat))
    print(f"Connect is being served at http://{ip}:{port}/voila/render/connect.ipynb", file=sys.stderr)
    app.start()
