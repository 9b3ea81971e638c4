"""What the service asks admins to publish or trust, from ``data/service.toml``."""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass
from pathlib import Path

from connect_widgets.core.tasks.catalogue import CatalogueError, data_file


@dataclass(frozen=True)
class ServiceValues:
    spf_include: str
    mx_hosts: tuple[str, ...]
    inbound_ip_ranges: tuple[str, ...]
    verification_prefix: str
    outbound_smarthost: str
    inbound_settings: tuple[str, ...]


def load_service_values(path: Path | None = None) -> ServiceValues:
    """Read and check the service values (CIDR ranges must parse)."""
    path = path or data_file("service.toml")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        values = ServiceValues(
            spf_include=str(raw["spf_include"]),
            mx_hosts=tuple(str(h) for h in raw["mx_hosts"]),
            inbound_ip_ranges=tuple(str(r) for r in raw["inbound_ip_ranges"]),
            verification_prefix=str(raw["verification_prefix"]),
            outbound_smarthost=str(raw["outbound_smarthost"]),
            inbound_settings=tuple(str(s) for s in raw["inbound_settings"]),
        )
        for cidr in values.inbound_ip_ranges:
            ipaddress.ip_network(cidr)
    except (OSError, tomllib.TOMLDecodeError, KeyError, ValueError) as exc:
        raise CatalogueError(f"{path}: {exc}") from None
    return values
