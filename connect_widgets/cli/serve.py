"""For whoever runs the kit: ``serve``, the Connect notebooks over Voila.

Voila is imported only when ``serve`` runs (through :mod:`connect_widgets.serving`):
the other commands start without it.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from connect_widgets.cli.context import CommandError, kit_services, kit_settings
from connect_widgets.paths import project_path


def serve_command(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8866,
    ip: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    notebooks: Annotated[
        Path | None, typer.Option(help="Folder of notebooks to serve (default: the kit's notebooks/).")
    ] = None,
    cull_after: Annotated[
        int, typer.Option(min=30, help="Seconds before an idle kernel whose page is gone is shut down.")
    ] = 300,
    preheat: Annotated[
        bool,
        typer.Option(
            "--preheat/--no-preheat", help="Keep a kernel per notebook started ahead of requests (faster first screen)."
        ),
    ] = True,
    max_kernels: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Most kernels at once, pre-heated ones included; beyond it a page answers 'Connect is busy' "
            "(default: CONNECT_MAX_KERNELS, else what the free memory holds).",
        ),
    ] = None,
    pool_size: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=64,
            help="Pre-heated kernels kept ready for connect.ipynb (default: CONNECT_POOL_SIZE, else 1; "
            "other pages keep 1).",
        ),
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            help="Address (or network) of a reverse proxy whose X-Forwarded-For names the client; "
            "repeat for several (default: CONNECT_TRUSTED_PROXIES).",
        ),
    ] = None,
) -> None:
    """Serve the Connect notebooks with Voila (sources hidden, kernels culled and capped)."""
    from connect_widgets.serving import PagesFailed, PortInUse, refuse_unwritable_data_folder, serve

    try:  # before the database is opened: on a read-only folder SQLite would only say "unable to open"
        refuse_unwritable_data_folder(kit_settings())
    except PagesFailed as exc:
        raise CommandError(str(exc)) from None
    services = kit_services()  # refuses an uninitialised database up front
    folder = notebooks or project_path("notebooks")
    if not (folder / "connect.ipynb").is_file():
        raise CommandError(f"{folder} has no connect.ipynb")
    settings = services.settings
    proxies = list(trusted_proxy or [])
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise CommandError(
                f"--trusted-proxy {proxy!r} is not an IP address or network such as 10.0.0.5 or 10.0.0.0/24"
            ) from None
    try:
        serve(
            settings,
            notebooks=folder,
            ip=ip,
            port=port,
            cull_after_seconds=cull_after,
            preheat=preheat,
            pool_sizes={"connect.ipynb": pool_size if pool_size is not None else settings.pool_size},
            max_kernels=max_kernels,
            trusted_proxies=proxies,
        )
    except (PortInUse, PagesFailed) as exc:
        raise CommandError(str(exc)) from None
