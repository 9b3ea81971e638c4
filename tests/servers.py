"""Small real servers and waiting helpers shared by the test layers."""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import subprocess
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


def stop_process(process: subprocess.Popen, *, timeout: float = 20) -> None:  # type: ignore[type-arg]
    """Ask a server a test started to stop, wait for it, and kill it if it will not."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


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


# --- OpenLDAP ------------------------------------------------------------------------

SLAPD = "/usr/sbin/slapd"
LDAPADD = "/usr/bin/ldapadd"
LDAPWHOAMI = "/usr/bin/ldapwhoami"

_SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {folder}/slapd.pid
argsfile {folder}/slapd.args
# ldaps:// with a self-signed certificate: a client that checks certificates must refuse it.
TLSCertificateFile {folder}/server-cert.pem
TLSCertificateKeyFile {folder}/server-key.pem

database mdb
suffix "{base_dn}"
rootdn "{root_dn}"
rootpw {root_password}
directory {folder}/db
# As a real directory is set up: only a bound account may read, nobody reads passwords.
access to attrs=userPassword
    by self write
    by anonymous auth
    by * none
access to *
    by users read
    by * none
# An account whose searches stop after 2 entries, as an administrator's size limit would.
limits dn.exact="{limited_dn}" size=2
"""

_PEOPLE_LDIF = """\
dn: {base_dn}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,{base_dn}
objectClass: organizationalUnit
ou: people

dn: ou=service,{base_dn}
objectClass: organizationalUnit
ou: service

dn: uid=jane,ou=people,{base_dn}
objectClass: inetOrgPerson
uid: jane
cn: Jane Doe
sn: Doe
mail: jane@acme.example
userPassword: {passwords[jane]}

dn: uid=sam,ou=people,{base_dn}
objectClass: inetOrgPerson
uid: sam
cn: Sam Smith
sn: Smith
mail: sam@acme.example
mail: team@acme.example
userPassword: {passwords[sam]}

dn: uid=o'brien,ou=people,{base_dn}
objectClass: inetOrgPerson
uid: o'brien
uid: ob*(legacy)
cn: Pat O'Brien (*)
sn: O'Brien
mail: pat.obrien@acme.example
mail: team@acme.example
userPassword:: {obrien_password}

dn: {bind_dn}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: connect-sync
userPassword: {bind_password}

dn: {limited_dn}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: limited-reader
userPassword: {limited_password}
"""


def _self_signed_certificate(cert_file: Path, key_file: Path) -> None:
    """A certificate for the address 127.0.0.1 (not the name localhost) that no authority signed."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)


class Slapd:
    """A throw-away OpenLDAP server on a loopback port, filled with a small directory.

    People under ``ou=people``: jane, sam and o'brien (whose second uid ``ob*(legacy)``
    holds filter characters); sam and o'brien share the address team@acme.example;
    ``users`` maps each uid to its password. Service
    accounts under ``ou=service``: ``bind_dn`` reads everything, ``limited_dn`` stops
    after 2 entries per search. ``stop()`` and ``start()`` take it away and bring it
    back on the same port with the same data. ``tls_url`` is an ldaps:// port whose
    certificate is self-signed for 127.0.0.1 (not for localhost); ``certificate`` is its
    PEM, for a client that trusts it as the CA.
    """

    base_dn = "dc=example,dc=com"
    root_dn = "cn=admin,dc=example,dc=com"
    root_password = "Root-Test-Secret-7"
    bind_dn = "cn=connect-sync,ou=service,dc=example,dc=com"
    bind_password = "Sync-Pass-1"
    limited_dn = "cn=limited-reader,ou=service,dc=example,dc=com"
    limited_password = "Limited-Pass-1"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.tls_port = free_port()
        self.tls_url = f"ldaps://127.0.0.1:{self.tls_port}"
        # o'brien's password is not NFKC-normal ("³" would become "3"): it must reach the server as typed.
        self.users: dict[str, str] = {"jane": "Directory-Pass-1", "sam": "Sam-Pass-2", "o'brien": "Brien Pass ³"}
        self._process: subprocess.Popen[bytes] | None = None
        (folder / "db").mkdir(parents=True, exist_ok=True)
        _self_signed_certificate(folder / "server-cert.pem", folder / "server-key.pem")
        self.conf = folder / "slapd.conf"
        self.conf.write_text(
            _SLAPD_CONF.format(
                folder=folder,
                base_dn=self.base_dn,
                root_dn=self.root_dn,
                root_password=self.root_password,
                limited_dn=self.limited_dn,
            )
        )
        self.log = folder / "slapd.log"

    @property
    def certificate(self) -> str:
        return (self.folder / "server-cert.pem").read_text()

    def user_dn(self, uid: str) -> str:
        return f"uid={uid},ou=people,{self.base_dn}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _answers(self) -> bool:
        """True once the root account can bind (``ldapwhoami`` succeeds)."""
        if not self.running:
            return True  # stop waiting; start() reports the exit
        whoami = subprocess.run(
            [LDAPWHOAMI, "-x", "-H", self.url, "-D", self.root_dn, "-w", self.root_password, "-o", "nettimeout=1"],
            capture_output=True,
            timeout=10,
        )
        return whoami.returncode == 0

    def start(self) -> None:
        """Run slapd in the foreground (``-d 0``) so this object owns the process; wait until it answers."""
        if self.running:
            return
        with self.log.open("ab") as log:
            # -d 0 keeps slapd from forking: the Popen handle is the server, and stop() cannot miss it.
            self._process = subprocess.Popen(
                [SLAPD, "-f", str(self.conf), "-h", f"{self.url}/ {self.tls_url}/", "-d", "0"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if not wait_until(self._answers, timeout=20) or not self.running:
            self.stop()
            raise RuntimeError(f"slapd did not start on {self.url}: {self.log.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        """Stop the server and wait for the process to end (the port then refuses connections)."""
        process, self._process = self._process, None
        if process is not None:
            stop_process(process, timeout=15)

    def load(self) -> None:
        """Add the people and service accounts with ldapadd, as an operator would."""
        ldif = self.folder / "people.ldif"
        ldif.write_text(
            _PEOPLE_LDIF.format(
                base_dn=self.base_dn,
                passwords=self.users,
                bind_dn=self.bind_dn,
                bind_password=self.bind_password,
                obrien_password=base64.b64encode(self.users["o'brien"].encode()).decode(),  # LDIF: non-ASCII as base64
                limited_dn=self.limited_dn,
                limited_password=self.limited_password,
            )
        )
        added = subprocess.run(
            [LDAPADD, "-x", "-H", self.url, "-D", self.root_dn, "-w", self.root_password, "-f", str(ldif)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if added.returncode != 0:
            raise RuntimeError(f"ldapadd failed ({added.returncode}): {added.stderr or added.stdout}")


@contextlib.contextmanager
def running_slapd(folder: Path) -> Iterator[Slapd]:
    """An OpenLDAP server with the test directory loaded; stopped (process ended) on exit."""
    require_program(SLAPD, "slapd")
    require_program(LDAPADD, "ldap-utils")
    server = Slapd(folder)
    try:
        server.start()
        server.load()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session", name="slapd")
def slapd_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    """One OpenLDAP server for the test session (tests that stop it must start it again).

    The fixture is named ``slapd``; import ``slapd_fixture`` into a test module (or
    ``slapd`` into a conftest) to use it there without shadowing warnings.
    """
    with running_slapd(tmp_path_factory.mktemp("slapd")) as server:
        yield server


slapd = slapd_fixture
