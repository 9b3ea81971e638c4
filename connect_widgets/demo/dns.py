"""A DNS zone for demo accounts only, so a live demo's DNS checks never depend on the internet.

``connect-kit serve`` runs it on loopback when ``CONNECT_DEMO_DNS_PORT`` is set
(``make demo`` does), and the setup checks then ask it. It answers only for the
domains of demo accounts, and only with the records a trainer has "published"
with one click in the trainer notebook: the domain's verification TXT record,
an SPF record including the service, and MX records pointing at the service.
Anything else is NXDOMAIN, so a trainer can show a failing check first.
Which accounts have published is kept in ``<data dir>/demo-dns.json``.

What a demo domain publishes is built in one place, :func:`demo_records`: this
zone serves it, and :class:`~connect_widgets.demo.stages.DemoDnsChecker` (which
builds a demo's stages without any server) answers with it.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dnslib import MX, QTYPE, RCODE, RR, TXT
from dnslib.server import DNSLogger, DNSServer
from sqlmodel import select

from connect_widgets.core.adapters.service_values import ServiceValues, load_service_values
from connect_widgets.core.services import ConnectServices
from connect_widgets.settings import Settings
from connect_widgets.store.models import Account, Domain

log = logging.getLogger(__name__)
PUBLISHED_FILE = "demo-dns.json"


def _published_path(settings: Settings) -> Path:
    return settings.data_dir / PUBLISHED_FILE


def published_accounts(settings: Settings) -> set[str]:
    """Codes of the demo accounts whose records are published."""
    try:
        return set(json.loads(_published_path(settings).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return set()


def set_published(settings: Settings, account_code: str, published: bool) -> None:
    """Publish (or withdraw) a demo account's records; written atomically."""
    codes = published_accounts(settings)
    (codes.add if published else codes.discard)(account_code.upper())
    path = _published_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(sorted(codes)), encoding="utf-8")
    os.replace(temporary, path)


@dataclass(frozen=True)
class DemoRecords:
    """The records a demo account publishes for one of its domains."""

    texts: tuple[str, ...]  # TXT: the verification record, then the SPF record
    mx: tuple[tuple[int, str], ...]  # MX: (preference, host), the service's hosts in order


def demo_records(verification_token: str, service: ServiceValues) -> DemoRecords:
    """Exactly what Connect asks the admin to publish for a domain with ``verification_token``.

    The verification TXT record, an SPF record including the service, and MX
    records at the service's hosts (preference 10, 20, ...).
    """
    return DemoRecords(
        texts=(
            f"{service.verification_prefix}{verification_token}",
            f"v=spf1 include:{service.spf_include} ~all",
        ),
        mx=tuple((10 * (i + 1), host.lower().rstrip(".")) for i, host in enumerate(service.mx_hosts)),
    )


class DemoZone:
    """Answers from the database: demo accounts' domains, published records only.

    A dnslib resolver: :class:`DNSServer` calls :meth:`resolve` for each request.
    """

    def __init__(self, services: ConnectServices, service: ServiceValues | None = None) -> None:
        self._services = services
        self._service = service or load_service_values()

    def _records(self, name: str) -> DemoRecords | None:
        """The records of ``name``, or None when it is not a published demo domain."""
        with self._services.transaction() as db:
            row = db.exec(select(Domain, Account).where(Domain.name == name, Domain.account_id == Account.id)).first()
        if row is None:
            return None
        domain, account = row
        if not getattr(account, "is_demo", False) or account.code not in published_accounts(self._services.settings):
            return None
        return demo_records(domain.verification_token, self._service)

    def resolve(self, request: Any, handler: Any) -> Any:  # dnslib's DNSRecord (dnslib ships no types)
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        try:
            records = self._records(name)
        except Exception:  # a database hiccup must not kill the server thread
            log.exception("demo DNS could not read the zone")
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        if records is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        if request.q.qtype == QTYPE.TXT:
            for text in records.texts:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(text), ttl=5))
        elif request.q.qtype == QTYPE.MX:
            for preference, host in records.mx:
                reply.add_answer(RR(request.q.qname, QTYPE.MX, rdata=MX(host, preference), ttl=5))
        return reply


def start_demo_dns(services: ConnectServices, *, port: int, address: str = "127.0.0.1") -> DNSServer:
    """Serve the demo zone over UDP on ``address:port`` in a daemon thread."""
    server = DNSServer(
        DemoZone(services),
        port=port,
        address=address,
        logger=DNSLogger(log="-request,-reply,-truncated,-data", prefix=False),
    )
    server.start_thread()
    return server
