"""The account's directory as Connect reaches it: its saved connection and the login's checks.

The login (Domain authentication) and the directory tasks reach an account's LDAP
directory through a :class:`DirectoryGateway` (``services.directory``), so the
login needs no task module: the gateway reads the saved connection (a store read
and an unseal with the kit's key) and runs :mod:`.ldap`'s checks with the
settings' timeout.

ldap3 (with pyasn1) is large to import, and most pages never reach a directory: the
gateway imports :mod:`.ldap` the first time it talks to one, and everything a page
needs to name a directory comes from :mod:`.directory_connection`.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, select

from connect_widgets.core.adapters.directory_connection import DirectoryConnection
from connect_widgets.core.adapters.secretbox import SecretBox
from connect_widgets.store.models import Directory


def load_connection(db: Session, account_id: int, box: SecretBox) -> DirectoryConnection | None:
    """The account's LDAP directory with its password unsealed, or None when it has none."""
    row = db.exec(select(Directory).where(Directory.account_id == account_id)).first()
    if row is None or row.method != "ldap" or not row.url or not row.bind_password_encrypted:
        return None
    return DirectoryConnection(
        url=row.url,
        base_dn=row.base_dn or "",
        bind_dn=row.bind_dn or "",
        bind_password=box.open(row.bind_password_encrypted),
        user_filter=row.user_filter or "",
    )


class DirectoryGateway:
    """An account's saved directory, and a user's domain password checked against it.

    Args:
        box: gives the kit's key, asked for only when a saved connection is read
            (a kit without Domain accounts never opens its key for this).
        timeout: seconds each directory round may take.
    """

    def __init__(self, *, box: Callable[[], SecretBox], timeout: float) -> None:
        self._box = box
        self._timeout = timeout

    def connection_for(self, db: Session, account_id: int) -> DirectoryConnection | None:
        """The account's LDAP connection with its bind password unsealed, or None when it saved none."""
        return load_connection(db, account_id, self._box())

    def authenticate(self, connection: DirectoryConnection, *, logon: object, password: object) -> str:
        """Check a directory logon and password (see :func:`.ldap.authenticate_user`); returns the DN."""
        from connect_widgets.core.adapters.ldap import authenticate_user  # lazy: loads ldap3

        return authenticate_user(connection, logon=logon, password=password, timeout=self._timeout)

    def pretend_login(self, connection: DirectoryConnection) -> None:
        """The round trips of :meth:`authenticate` for nobody (see :func:`.ldap.pretend_login`)."""
        from connect_widgets.core.adapters.ldap import pretend_login  # lazy: loads ldap3

        pretend_login(connection, timeout=self._timeout)
