"""Encryption for secrets the kit must be able to read back (a directory's bind password).

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) under one key:
``CONNECT_SECRET_KEY`` when set, else ``<data dir>/secret.key``, created on first
use readable by its owner only. Losing the key means re-entering the stored
passwords, nothing worse; the key never reaches the database.

``cryptography`` is imported when a box is made (``services.secret_box``, the first
time a stored secret is sealed or opened), not with this module: a page that never
reads a stored secret (the Email screen, a Cloud login) never loads it.
"""

from __future__ import annotations

import os
from pathlib import Path

from connect_widgets.core.errors import ConnectError
from connect_widgets.paths import private_folder
from connect_widgets.settings import Settings

KEY_FILE = "secret.key"


class SecretUnreadable(ConnectError):
    code = "secret_unreadable"
    default_message = "A stored password can no longer be read (the server's secret key changed). Enter it again."


class SecretBox:
    """Encrypts and decrypts short secrets; its repr never shows the key."""

    def __init__(self, key: bytes) -> None:
        from cryptography.fernet import Fernet  # lazy: see the module's docstring

        self._fernet = Fernet(key)  # a malformed key fails here, as it always did

    def __repr__(self) -> str:
        return "SecretBox(fernet)"

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        if settings.secret_key is not None:
            return cls(settings.secret_key.get_secret_value().encode("ascii"))
        return cls(_key_file(settings.data_dir / KEY_FILE))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        from cryptography.fernet import InvalidToken  # lazy, as above

        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            raise SecretUnreadable() from None


def _key_file(path: Path) -> bytes:
    """Read the key file, creating it (owner-only) the first time."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    from cryptography.fernet import Fernet  # lazy, as above

    private_folder(path.parent)  # the data folder, owner-only like the key
    key = Fernet.generate_key()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another kernel made it first
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key
