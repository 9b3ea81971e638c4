"""Small real servers and waiting helpers shared by the test layers."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dnslib import MX, QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSServer


def wait_until(condition: Callable[[], bool], *, timeout: float, interval: float = 0.2) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; True if it held."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        if condition():
            return True
        pause.wait(interval)
    return condition()


def require_program(path: str, package: str) -> None:
    """Skip when a system program a test drives is missing; under CI, fail instead.

    CI must never pass by skipping what it was meant to run (.ci/run installs these).
    """
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        message = f"{path} is missing (apt-get install {package})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Zone(BaseResolver):
    """An authoritative zone the test edits while it runs (the admin 'publishes' records)."""

    def __init__(self) -> None:
        self.txt: dict[str, list[str]] = {}
        self.mx: dict[str, list[tuple[int, str]]] = {}

    def resolve(self, request, handler):  # type: ignore[no-untyped-def]
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        if name not in self.txt and name not in self.mx:
            reply.header.rcode = RCODE.NXDOMAIN
        elif request.q.qtype == QTYPE.TXT:
            for text in self.txt.get(name, []):
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(text), ttl=1))
        elif request.q.qtype == QTYPE.MX:
            for preference, host in self.mx.get(name, []):
                reply.add_answer(RR(request.q.qname, QTYPE.MX, rdata=MX(host, preference), ttl=1))
        return reply


@contextlib.contextmanager
def serving_zone() -> Iterator[tuple[_Zone, int]]:
    """A live DNS server on loopback whose TXT and MX records the caller can change."""
    port = free_port()
    records = _Zone()
    server = DNSServer(records, port=port, address="127.0.0.1")
    server.start_thread()
    try:
        yield records, port
    finally:
        server.stop()


@pytest.fixture
def zone() -> Iterator[tuple[_Zone, int]]:
    """A live DNS server on loopback for one test."""
    with serving_zone() as running:
        yield running
