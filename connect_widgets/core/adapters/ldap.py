"""The account's LDAP directory: check the connection, and check a user's domain password.

Two services sit on ldap3 and nothing else (no widgets, no database):

* :func:`test_connection` binds as the service (bind) account, searches the base DN
  for user entries and counts them: what "Test connection" in Synchronize Your
  Directory shows the admin.
* :func:`authenticate_user` finds exactly one user entry for a logon (uid, mail,
  sAMAccountName or userPrincipalName) with the service account, then binds as that
  entry with the password on a fresh connection: what Domain login checks.

Every failure is a :class:`DirectoryError` subclass whose message names the server
and says what to check. A password (the bind account's or a user's) never appears in
an error, a log line or a repr; every value put into a search filter is escaped, so a
logon such as ``*`` or ``jane)(|(uid=*`` matches nothing but itself. Passwords reach
the server exactly as typed (no Unicode normalisation), because that is how the
directory compares them; ldaps:// certificates are always verified.

The connection details and the errors are defined in :mod:`.directory_connection`
(which needs no ldap3) and re-exported here; the kit imports this module only when
it talks to a directory, so a page that never does never loads ldap3.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import secrets
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from ldap3 import NO_ATTRIBUTES, NONE, SIMPLE, SUBTREE, SYNC, Connection, Server, Tls
from ldap3.core.exceptions import (
    LDAPCertificateError,
    LDAPCommunicationError,
    LDAPException,
    LDAPInvalidDnError,
    LDAPInvalidFilterError,
    LDAPResponseTimeoutError,
    LDAPSSLConfigurationError,
    LDAPStartTLSError,
)
from ldap3.operation.search import ROOT, compile_filter, parse_filter
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from connect_widgets.core.adapters.directory_connection import (
    DEFAULT_USER_FILTER,
    ConnectionTest,
    DirectoryBaseNotFound,
    DirectoryBindRefused,
    DirectoryConnection,
    DirectoryError,
    DirectoryLoginRefused,
    DirectoryTlsFailed,
    DirectoryUnreachable,
)
from connect_widgets.core.errors import InvalidInput
from connect_widgets.core.inputs import read_secret, read_text

# The connection details and the errors live in .directory_connection (no ldap3), so the
# login can name them without loading this module; they are re-exported here, where
# the directory tasks and tests have always found them.
__all__ = [
    "DEFAULT_USER_FILTER",
    "LOGON_ATTRIBUTES",
    "ConnectionTest",
    "DirectoryBaseNotFound",
    "DirectoryBindRefused",
    "DirectoryConnection",
    "DirectoryError",
    "DirectoryLoginRefused",
    "DirectoryTlsFailed",
    "DirectoryUnreachable",
    "authenticate_user",
    "parse_connection",
    "pretend_login",
    "test_connection",
]

logger = logging.getLogger(__name__)

#: Attributes a logon may match; the AD ones are Undefined (never true) in OpenLDAP.
LOGON_ATTRIBUTES = ("uid", "mail", "sAMAccountName", "userPrincipalName")

PAGE_SIZE = 500
MAX_LOGON_LENGTH = 256
MAX_PASSWORD_LENGTH = 1024
MAX_URL_LENGTH = 2048
MAX_DN_LENGTH = 1024
MAX_FILTER_LENGTH = 2048
MAX_CA_LENGTH = 64_000

# LDAP result codes (RFC 4511) this module tells apart.
_SUCCESS = 0
_SIZE_LIMIT_EXCEEDED = 4
_STRONGER_AUTH_REQUIRED = 8
_CONFIDENTIALITY_REQUIRED = 13
_NO_SUCH_OBJECT = 32
_INVALID_CREDENTIALS = 49

_PAGED_RESULTS_OID = "1.2.840.113556.1.4.319"
_HOST_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST_NAME = re.compile(rf"^{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?$")
_ATTRIBUTE_DESCRIPTION = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)(?:;[A-Za-z0-9-]+)*$")
_BAD_FILTER_ESCAPE = re.compile(r"\\(?![0-9A-Fa-f]{2})")


def parse_connection(
    *,
    url: object,
    base_dn: object,
    bind_dn: object,
    bind_password: object,
    user_filter: object = "",
    ca_certificate: object = "",
) -> DirectoryConnection:
    """Check what the admin typed and return a usable :class:`DirectoryConnection`.

    The URL comes back normalised (``ldaps://host:port``), DNs without stray spaces
    around commas, and the bind password exactly as typed (a directory compares the
    bytes, so it is not normalised).

    Raises:
        InvalidInput: with ``field`` one of url, base_dn, bind_dn, bind_password,
            user_filter, ca_certificate.
    """
    return DirectoryConnection(
        url=_read_url(url),
        base_dn=_read_dn(base_dn, field="base_dn", label="base DN", example="dc=acme,dc=com"),
        bind_dn=_read_dn(
            bind_dn, field="bind_dn", label="bind account DN", example="cn=connect-sync,ou=service,dc=acme,dc=com"
        ),
        bind_password=_read_bind_password(bind_password),
        user_filter=_read_user_filter(user_filter),
        ca_certificate=_read_ca_certificate(ca_certificate),
    )


def _read_url(value: object) -> str:
    text = read_text(value, field="url", label="server address", max_length=MAX_URL_LENGTH)
    example = "for example ldaps://dc1.acme.com:636 or ldap://10.0.0.5:389"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidInput(
            f"The port in the server address must be a number from 1 to 65535 ({example}).", field="url"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("ldap", "ldaps") or not text.lower().startswith(f"{scheme}://"):
        raise InvalidInput(f"The server address must start with ldap:// or ldaps:// ({example}).", field="url")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(
            "Put the bind account and its password in their own fields, not in the server address.", field="url"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise InvalidInput(
            f"The server address is only ldap:// or ldaps://, the server name and an optional "
            f"port, with nothing after it ({example}).",
            field="url",
        )
    host = parts.hostname or ""
    if not host:
        raise InvalidInput(f"Add the directory server's name or IP address after {scheme}:// ({example}).", field="url")
    if port is not None and not 1 <= port <= 65535:
        raise InvalidInput(f"The port in the server address must be a number from 1 to 65535 ({example}).", field="url")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not _HOST_NAME.match(host):
            raise InvalidInput(
                f"The server name can hold only letters, digits, dots and hyphens ({example}).", field="url"
            ) from None
        netloc = host
    else:
        netloc = f"[{address.compressed}]" if address.version == 6 else address.compressed
    return f"{scheme}://{netloc}" + (f":{port}" if port is not None else "")


def _read_dn(value: object, *, field: str, label: str, example: str) -> str:
    text = read_text(value, field=field, label=label, max_length=MAX_DN_LENGTH)
    try:
        parse_dn(text)
        return text
    except (LDAPInvalidDnError, ValueError, IndexError, TypeError):
        pass
    try:  # "dc=acme, dc=com": accepted by servers (RFC 2253 allowed the spaces); write it without them
        parts = parse_dn(text, strip=True)
    except (LDAPInvalidDnError, ValueError, IndexError, TypeError):
        raise InvalidInput(
            f"The {label} is not a valid distinguished name. Write it as name=value pairs "
            f"separated by commas, for example {example}.",
            field=field,
        ) from None
    return "".join(f"{attribute}={rdn_value}{separator}" for attribute, rdn_value, separator in parts)


def _read_bind_password(value: object) -> str:
    # read_secret refuses None, non-text, control characters and "" (an empty simple bind
    # is an unauthenticated bind, which servers report as a success).
    read_secret(value, field="bind_password", label="bind account password")
    assert isinstance(value, str)
    if len(value) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"The bind account password is too long: use at most {MAX_PASSWORD_LENGTH} characters.",
            field="bind_password",
        )
    return value


def _read_user_filter(value: object) -> str:
    text = read_text(value, field="user_filter", label="user filter", max_length=MAX_FILTER_LENGTH, required=False)
    if not text:
        return ""
    example = "for example (objectClass=inetOrgPerson) or (&(objectClass=user)(memberOf=cn=staff,dc=acme,dc=com))"
    if not (text.startswith("(") and text.endswith(")")):
        raise InvalidInput(f"Wrap the user filter in parentheses, {example}.", field="user_filter")
    depth = 0
    for character in text:
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth < 0:
            break
    if depth != 0:
        raise InvalidInput(
            "The user filter's parentheses do not pair up: every ( needs its ). Write a "
            r"parenthesis inside a value as \28 or \29.",
            field="user_filter",
        )
    if _BAD_FILTER_ESCAPE.search(text):
        raise InvalidInput(
            r"In the user filter a backslash must start an escape of two hex digits, such as "
            r"\2a for * or \5c for a backslash.",
            field="user_filter",
        )
    try:
        root = parse_filter(text, None, False, False, None, False)
        compile_filter(root.elements[0])
        _check_attribute_names(root)
    except (LDAPInvalidFilterError, ValueError, IndexError, KeyError, TypeError):
        raise InvalidInput(f"The user filter is not a valid LDAP filter; {example}.", field="user_filter") from None
    return text


def _read_ca_certificate(value: object) -> str:
    text = read_text(
        value, field="ca_certificate", label="CA certificate", max_length=MAX_CA_LENGTH, required=False, multiline=True
    )
    if not text:
        return ""
    try:
        ssl.create_default_context(cadata=text)
    except (ssl.SSLError, ValueError, TypeError):
        raise InvalidInput(
            "The CA certificate is not a PEM certificate. Paste the whole text from "
            "-----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.",
            field="ca_certificate",
        ) from None
    return text


def _check_attribute_names(node: object) -> None:
    """Refuse ``(=x)`` and other items whose attribute is missing or malformed."""
    assertion = getattr(node, "assertion", None)
    if getattr(node, "tag", None) != ROOT and assertion:
        name = assertion.get("attr")
        if name is not False and not (isinstance(name, str) and _ATTRIBUTE_DESCRIPTION.match(name)):
            raise LDAPInvalidFilterError("invalid attribute")
    for child in getattr(node, "elements", []):
        _check_attribute_names(child)


# --- talking to the server -----------------------------------------------------------


def test_connection(
    connection: DirectoryConnection, *, timeout: float = 5.0, page_size: int = PAGE_SIZE
) -> ConnectionTest:
    """Bind as the bind account and count the user entries under the base DN.

    Args:
        connection: where and as whom to connect.
        timeout: seconds to wait for the TCP connection and for each answer.
        page_size: entries per page of the paged search (the count reads every page).

    Returns:
        The count and a sentence for the admin. When the directory's size limit stops
        the search, the count is a lower bound and ``limited`` is set.

    Raises:
        DirectoryUnreachable, DirectoryTlsFailed, DirectoryBindRefused,
        DirectoryBaseNotFound, or DirectoryError for any other refusal.
    """
    with _service_session(connection, timeout=timeout, purpose="test") as ldap:
        count, limited = _count_users(ldap, connection, page_size=max(1, page_size))
    entries = "user entry" if count == 1 else "user entries"
    if limited:
        message = (
            f"Connected to {connection.url} and found at least {count} {entries} under "
            f"{connection.base_dn}; the directory's size limit for the bind account stopped the count."
        )
    else:
        message = f"Connected to {connection.url} and found {count} {entries} under {connection.base_dn}."
    return ConnectionTest(user_count=count, message=message, limited=limited)


# Keep pytest from collecting the service as a test in modules that import it by name.
test_connection.__test__ = False  # type: ignore[attr-defined]


def authenticate_user(connection: DirectoryConnection, *, logon: object, password: object, timeout: float = 5.0) -> str:
    """Check a user's directory logon and password; return the user's DN.

    The logon may be the uid, the email address (mail), the sAMAccountName or the
    userPrincipalName. Exactly one user entry must match; then a fresh connection
    binds as that entry with the password.

    Raises:
        InvalidInput: the logon (field "logon") or the password (field "password") is
            empty; nothing is sent to the directory.
        DirectoryLoginRefused: unknown logon, several matches, wrong password, or a
            logon that cannot be one (control characters, too long) — one message.
        DirectoryUnreachable: the directory did not answer at some point.
        DirectoryTlsFailed, DirectoryBindRefused, DirectoryBaseNotFound: the saved
            connection itself no longer works.
    """
    name = _read_logon(logon)
    secret = _read_password(password)
    with _service_session(connection, timeout=timeout, purpose="login") as ldap:
        user_dn = _find_user(ldap, connection, name)
    _bind_as_user(connection, user_dn, secret, timeout=timeout)
    return user_dn


def pretend_login(connection: DirectoryConnection, *, timeout: float = 5.0) -> None:
    """Do the round trips of :func:`authenticate_user` for nobody, so every Domain try takes as long.

    Binds as the bind account, searches for a random logon, then binds as an entry
    that does not exist with a random password: the work of a real check whose
    password is wrong. No real entry is looked up or bound as, so no directory
    account's own lockout counts it, and nothing typed is sent.

    Raises:
        DirectoryUnreachable, DirectoryTlsFailed, DirectoryBindRefused,
        DirectoryBaseNotFound: as :func:`authenticate_user` would for a real check.
    """
    nobody = f"connect-nobody-{secrets.token_hex(16)}"
    with _service_session(connection, timeout=timeout, purpose="login") as ldap:
        try:
            _find_user(ldap, connection, nobody)
        except DirectoryLoginRefused:
            pass  # found nobody, as intended
    try:
        _bind_as_user(connection, f"uid={nobody},{connection.base_dn}", secrets.token_urlsafe(18), timeout=timeout)
    except DirectoryLoginRefused:
        pass  # refused, as a wrong password is


def _read_logon(value: object) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput("Enter your domain logon.", field="logon")
    try:
        return read_text(value, field="logon", label="domain logon", max_length=MAX_LOGON_LENGTH)
    except InvalidInput:
        # Not a logon any directory holds; answer as for an unknown one.
        raise DirectoryLoginRefused() from None


def _read_password(value: object) -> str:
    if value is None or value == "":
        raise InvalidInput("Enter your domain password.", field="password")
    if not isinstance(value, str) or len(value) > MAX_PASSWORD_LENGTH:
        raise DirectoryLoginRefused()
    try:
        read_secret(value, field="password", label="domain password")
    except InvalidInput:
        raise DirectoryLoginRefused() from None
    return value  # as typed: the directory compares the exact characters


def _logon_filter(connection: DirectoryConnection, logon: str) -> str:
    value = escape_filter_chars(logon)
    alternatives = "".join(f"({attribute}={value})" for attribute in LOGON_ATTRIBUTES)
    return f"(&{connection.search_filter}(|{alternatives}))"


def _find_user(ldap: Connection, connection: DirectoryConnection, logon: str) -> str:
    ldap.search(
        connection.base_dn,
        _logon_filter(connection, logon),
        search_scope=SUBTREE,
        attributes=NO_ATTRIBUTES,
        size_limit=2,
    )
    result = ldap.result or {}
    code = result.get("result")
    if code == _NO_SUCH_OBJECT:
        raise _base_not_found(connection, result)
    if code == _SIZE_LIMIT_EXCEEDED:
        raise DirectoryLoginRefused()  # more than one entry answers to this logon
    if code != _SUCCESS:
        raise _refused(connection, result, doing="look up the user")
    found = [entry["dn"] for entry in ldap.response or [] if entry.get("type") == "searchResEntry" and entry.get("dn")]
    if len(found) != 1:
        raise DirectoryLoginRefused()
    return str(found[0])


def _bind_as_user(connection: DirectoryConnection, user_dn: str, password: str, *, timeout: float) -> None:
    ldap = _connection(connection, user=user_dn, password=password, timeout=timeout)
    try:
        if not ldap.bind():
            # Wrong password, disabled or expired account: one answer for all of them.
            logger.info(
                "Directory %s refused a user bind (result %s)", connection.url, (ldap.result or {}).get("result")
            )
            raise DirectoryLoginRefused()
    except LDAPException as error:
        raise _transport_error(connection, error, purpose="login") from error
    finally:
        _close(ldap)


@contextmanager
def _service_session(connection: DirectoryConnection, *, timeout: float, purpose: str) -> Iterator[Connection]:
    """A connection bound as the bind account; unbound and closed on exit."""
    ldap = _connection(connection, user=connection.bind_dn, password=connection.bind_password, timeout=timeout)
    try:
        try:
            bound = ldap.bind()
        except LDAPException as error:
            raise _transport_error(connection, error, purpose=purpose) from error
        if not bound:
            result = ldap.result or {}
            if result.get("result") == _INVALID_CREDENTIALS:
                raise DirectoryBindRefused(
                    f"The directory at {connection.url} refused the bind account {connection.bind_dn}. Check the "
                    "bind DN and its password, and that the account is not disabled, locked or expired."
                )
            raise _refused(connection, result, doing="bind as the bind account")
        try:
            yield ldap
        except LDAPException as error:
            raise _transport_error(connection, error, purpose=purpose) from error
    finally:
        _close(ldap)


def _connection(connection: DirectoryConnection, *, user: str, password: str, timeout: float) -> Connection:
    parts = urlsplit(connection.url)
    use_ssl = parts.scheme.lower() == "ldaps"
    host = parts.hostname or ""
    try:
        port = parts.port or (636 if use_ssl else 389)
    except ValueError:
        raise DirectoryUnreachable(
            f"The directory address {connection.url} has no usable port. Correct it in Synchronize Your Directory."
        ) from None
    # Verify the server's certificate and name against the system's trusted authorities or
    # the admin's CA (ldap3's default would accept any certificate).
    tls = None
    if use_ssl:
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_data=connection.ca_certificate or None, sni=host)
    server = Server(host, port=port, use_ssl=use_ssl, tls=tls, connect_timeout=timeout, get_info=NONE)
    # The password goes as UTF-8 bytes: ldap3 would run a str through SASLprep (NFKC and
    # character mapping, and an exception for some characters), while directories compare
    # the password exactly as it was set. ldap3 hands receive_timeout to
    # setsockopt(SO_RCVTIMEO) packed as integers: a float fails there.
    return Connection(
        server,
        user=user,
        password=password.encode("utf-8"),
        authentication=SIMPLE,
        client_strategy=SYNC,
        auto_bind=False,
        raise_exceptions=False,
        read_only=True,
        auto_referrals=False,
        receive_timeout=max(1, math.ceil(timeout)),
    )


def _count_users(ldap: Connection, connection: DirectoryConnection, *, page_size: int) -> tuple[int, bool]:
    count, cookie = 0, None
    while True:
        ldap.search(
            connection.base_dn,
            connection.search_filter,
            search_scope=SUBTREE,
            attributes=NO_ATTRIBUTES,
            paged_size=page_size,
            paged_cookie=cookie,
        )
        result = ldap.result or {}
        count += sum(1 for entry in ldap.response or [] if entry.get("type") == "searchResEntry")
        code = result.get("result")
        if code == _SIZE_LIMIT_EXCEEDED:
            return count, True
        if code == _NO_SUCH_OBJECT:
            raise _base_not_found(connection, result)
        if code != _SUCCESS:
            raise _refused(connection, result, doing="search for users")
        cookie = (((result.get("controls") or {}).get(_PAGED_RESULTS_OID) or {}).get("value") or {}).get("cookie")
        if not cookie:
            return count, False


def _close(ldap: Connection) -> None:
    try:
        ldap.unbind()
    except (LDAPException, OSError):
        pass  # already gone; the socket is closed either way


# --- turning ldap3's failures into the admin's words ---------------------------------------


def _base_not_found(connection: DirectoryConnection, result: dict[str, Any]) -> DirectoryBaseNotFound:
    matched = str(result.get("dn") or "")  # ldap3 puts the matchedDN of the result here
    hint = f" The nearest entry that exists is {matched}." if matched else ""
    return DirectoryBaseNotFound(
        f"The base DN {connection.base_dn} does not exist on {connection.url}, or the bind account "
        f"{connection.bind_dn} may not read it.{hint} Check the spelling, for example dc=acme,dc=com."
    )


def _refused(connection: DirectoryConnection, result: dict[str, Any], *, doing: str) -> DirectoryError:
    code = result.get("result")
    description = str(result.get("description") or "unknown")
    if code in (_STRONGER_AUTH_REQUIRED, _CONFIDENTIALITY_REQUIRED):
        return DirectoryTlsFailed(
            f"The directory at {connection.url} requires an encrypted connection. Use an ldaps:// address "
            "(usually port 636)."
        )
    return DirectoryError(
        f"The directory at {connection.url} refused to {doing} (LDAP result {code}: {description}). Check the "
        "bind account's permissions and the base DN."
    )


def _transport_error(connection: DirectoryConnection, error: LDAPException, *, purpose: str) -> DirectoryError:
    """Map an ldap3 exception (which may also be an OSError or ssl.SSLError) to a DirectoryError."""
    host = urlsplit(connection.url).hostname or connection.url
    logger.info("Directory %s failed: %s", connection.url, type(error).__name__)
    timed_out = isinstance(error, (TimeoutError, LDAPResponseTimeoutError)) or "timed out" in str(error).lower()
    if not timed_out:
        if isinstance(error, ssl.SSLCertVerificationError | LDAPCertificateError | ssl.CertificateError):
            # ldap3 re-creates the ssl error from its text, so verify_message is usually gone.
            found = re.search(r"certificate verify failed: ([^(]+)", str(error))
            if isinstance(error, LDAPCertificateError):
                reason = f"it is not issued for {host}"
            else:
                reason = getattr(error, "verify_message", "") or (
                    found.group(1).strip() if found else "it could not be verified"
                )
            return DirectoryTlsFailed(
                f"The server at {connection.url} presented a certificate Connect does not trust ({reason}). "
                f"Use a certificate issued for {host}, and add your CA certificate if a private authority "
                "issued it."
            )
        handshake = "ssl wrapping" in str(error).lower()
        if isinstance(error, ssl.SSLError | LDAPSSLConfigurationError | LDAPStartTLSError) or (
            connection.uses_tls and handshake
        ):
            return DirectoryTlsFailed(
                f"The secure (TLS) connection to {connection.url} failed: the server did not complete the TLS "
                "handshake. Check that this port serves LDAPS (usually 636) and that the server has a valid "
                "certificate, or use ldap:// with the plain LDAP port."
            )
    if purpose == "login":
        return DirectoryUnreachable(f"The directory at {connection.url} did not answer; use Cloud to log in for now.")
    if timed_out:
        return DirectoryUnreachable(
            f"The directory at {connection.url} did not answer in time. Check that the server is running and "
            "that Connect may reach it (firewall, VPN), then try again."
        )
    if isinstance(error, LDAPCommunicationError | OSError):
        return DirectoryUnreachable(
            f"Connect could not reach the directory at {connection.url}. Check the server name and port, that "
            "the server is running, and that it accepts connections from Connect (firewall)."
        )
    return DirectoryError(
        f"Talking to the directory at {connection.url} failed ({type(error).__name__}). "
        "Check the connection details and try again."
    )
