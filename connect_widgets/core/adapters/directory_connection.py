"""An LDAP directory as the kit names it: how to reach one, what a test found, what went wrong.

These are the words the login and the directory tasks share with :mod:`.ldap`, kept
apart from it so that a page can name a directory (the login holds an account's
saved :class:`DirectoryConnection` and tells its refusals apart) without loading
ldap3 and pyasn1: :mod:`.ldap` is imported only when the kit talks to a directory
(see :class:`connect_widgets.core.adapters.directory.DirectoryGateway`). A password
never appears in a repr here (``field(repr=False)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connect_widgets.core.errors import ConnectError

#: Users in OpenLDAP-style directories (inetOrgPerson) and in Active Directory (person
#: users, not computers or contacts). In OpenLDAP ``objectCategory`` is an unknown
#: attribute, so the AD branch evaluates to Undefined there and matches nothing.
DEFAULT_USER_FILTER = "(|(objectClass=inetOrgPerson)(&(objectCategory=person)(objectClass=user)))"

# --- errors ------------------------------------------------------------------------


class DirectoryError(ConnectError):
    """The directory could not be used; ``message`` tells the admin what to check."""

    code = "directory_error"
    default_message = "The directory could not be used. Check its connection details and try again."


class DirectoryUnreachable(DirectoryError):
    """No answer: the server is down, the address or port is wrong, or it timed out."""

    code = "directory_unreachable"


class DirectoryTlsFailed(DirectoryError):
    """The TLS handshake failed or the server's certificate was not accepted."""

    code = "directory_tls"


class DirectoryBindRefused(DirectoryError):
    """The directory refused the bind account's DN or password (LDAP result 49)."""

    code = "directory_bind_refused"


class DirectoryBaseNotFound(DirectoryError):
    """The base DN does not exist, or the bind account cannot see it (LDAP result 32)."""

    code = "directory_base_not_found"


class DirectoryLoginRefused(DirectoryError):
    """One answer for an unknown logon, a wrong password, or a logon that matches several users."""

    code = "directory_login_refused"
    default_message = "Your directory did not accept that logon and password. Check both and try again."


# --- connection details ------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryConnection:
    """How Connect reaches one directory. Build it with :func:`.ldap.parse_connection`."""

    url: str
    base_dn: str
    bind_dn: str
    bind_password: str = field(repr=False)
    user_filter: str = ""
    #: PEM certificate(s) of the authority that signed an ldaps:// server's certificate,
    #: for directories with a private (enterprise) CA; "" trusts the system's authorities.
    ca_certificate: str = field(default="", repr=False)

    @property
    def search_filter(self) -> str:
        """The filter that selects user entries: the admin's, or :data:`DEFAULT_USER_FILTER`."""
        return self.user_filter or DEFAULT_USER_FILTER

    @property
    def uses_tls(self) -> bool:
        return self.url.lower().startswith("ldaps://")


@dataclass(frozen=True)
class ConnectionTest:
    """A successful connection test, as the admin reads it.

    Attributes:
        user_count: user entries found (a lower bound when ``limited``).
        message: one sentence naming the server, the count and the base DN.
        limited: the directory's size limit stopped the count early.
    """

    user_count: int
    message: str
    limited: bool = False
