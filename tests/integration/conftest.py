"""Real servers on loopback for the integration tests: dnsmasq, and a dnslib server
for the answers dnsmasq will not give on demand (a slow one, SERVFAIL)."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator

import dns.resolver
import pytest
from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSServer

from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.tasks.user_authentication import UserAuthenticationTask
from tests.core.task_setup import connect_directory
from tests.servers import free_port, require_program, wait_until

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"

# The test zone, as a DNS operator would publish it.
ZONE = {
    "txt": [
        ("_connect.acme.example", "connect-verify=token-acme-123"),
        ("_connect.near.example", "connect-verify=token-old-999"),
        ("_connect.other.example", "google-site-verification=abc"),
        ("spf.example", "v=spf1 include:_spf.service.example ~all"),
        ("nospf.example", "just a note"),
        ("twospf.example", "v=spf1 include:_spf.service.example ~all"),
        ("twospf.example", "v=spf1 a mx ~all"),
        ("wrongspf.example", "v=spf1 include:_spf.elsewhere.example -all"),
    ],
    "mx": [
        ("mx.example", "mx1.service.example", 10),
        ("mx.example", "mx2.service.example", 20),
        ("oldmx.example", "mail.oldhost.example", 10),
        ("mixedmx.example", "mx1.service.example", 10),
        ("mixedmx.example", "mail.oldhost.example", 20),
    ],
}


def answers(port: int) -> bool:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port, resolver.lifetime = ["127.0.0.1"], port, 0.5
    try:
        resolver.resolve("_connect.acme.example", "TXT")
        return True
    except Exception:  # noqa: BLE001 - not up yet
        return False


@pytest.fixture(scope="session")
def dnsmasq() -> Iterator[int]:
    """dnsmasq from the distribution serving ZONE on a free loopback port."""
    require_program(DNSMASQ, "dnsmasq-base")
    port = free_port()
    args = [
        DNSMASQ,
        "--keep-in-foreground",
        f"--port={port}",
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--no-resolv",
        "--no-hosts",
        "--conf-file=/dev/null",
        "--local=/example/",
        "--user=root",
        "--pid-file=",
    ]
    args += [f"--txt-record={name},{text}" for name, text in ZONE["txt"]]  # no shell: no quotes
    args += [f"--mx-host={name},{host},{pref}" for name, host, pref in ZONE["mx"]]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        if not wait_until(lambda: answers(port) or process.poll() is not None, timeout=15) or process.poll():
            raise RuntimeError(f"dnsmasq did not start: {process.stdout.read() if process.stdout else ''}")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


class _Troublesome(BaseResolver):
    """slow.example answers after 3 s; broken.example answers SERVFAIL."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def resolve(self, request, handler):  # type: ignore[no-untyped-def]
        reply = request.reply()
        name = str(request.q.qname).rstrip(".")
        if name.endswith("slow.example"):
            self.release.wait(3)  # the server is slow; the test itself never sleeps
            reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT("late"), ttl=60))
        elif name.endswith("broken.example"):
            reply.header.rcode = RCODE.SERVFAIL
        return reply


@pytest.fixture(scope="session")
def troublesome_dns() -> Iterator[int]:
    port = free_port()
    resolver = _Troublesome()
    server = DNSServer(resolver, port=port, address="127.0.0.1")
    server.start_thread()
    try:
        yield port
    finally:
        resolver.release.set()
        server.stop()


@pytest.fixture
def ready(zone, services, flow, account):
    """An admin whose details are confirmed and whose primary domain is verified (against live DNS)."""
    from connect_widgets.core.adapters.dns import DnsChecker
    from connect_widgets.core.adapters.service_values import load_service_values
    from connect_widgets.core.tasks.board import TaskBoard
    from connect_widgets.core.tasks.confirm_details import ConfirmDetailsTask
    from connect_widgets.core.tasks.validate_domains import ValidateDomainsTask
    from tests.conftest import first_login

    records, port = zone
    first_login(flow, services, account)
    board = TaskBoard(flow)
    ConfirmDetailsTask(board).confirm(version=board.start("confirm_details").version)
    checker = DnsChecker(services.settings.model_copy(update={"dns_nameservers": f"127.0.0.1:{port}"}))
    book = ValidateDomainsTask(board, checker=checker, service=load_service_values())
    records.txt["acme.example"] = [book.add("acme.example").record_value]
    assert book.check("acme.example").ok
    book.finish(version=board.start("validate_domains").version, primary_domain="acme.example")
    return board, checker, records, book


# The Domain login, set up as an admin would (shared by the Domain tests).
def enable_domain(board, slapd, logon: str = "jane"):
    connect_directory(board, slapd)
    task = UserAuthenticationTask(board)
    status = task.choose_mode(version=board.start("user_authentication").version, mode="domain")
    status = task.test_login(version=status.version, logon=logon, password=slapd.users[logon])
    return task.enable(version=status.version)


@pytest.fixture
def domain_enabled(ready, slapd, flow, services, account, clock):
    board, *_ = ready
    enable_domain(board, slapd)
    flow.log_out()
    clock.advance(minutes=2)
    return account


def domain_password_page(services, email: str) -> LoginFlow:
    flow = LoginFlow(services)
    flow.submit_email(email)
    flow.choose_method("domain")
    assert flow.step is LoginStep.PASSWORD
    return flow
