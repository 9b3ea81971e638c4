"""The kit's configuration: one pydantic-settings object, read from ``CONNECT_*``.

Build it once at the edge (the CLI, the notebook, a test) with :func:`load_settings`
and pass it down; nothing below imports a global settings object, so every test can
build its own.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Literal

import phonenumbers
from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_PREFIX = "CONNECT_"

# OWASP Password Storage Cheat Sheet floor for argon2id: m=19 MiB, t=2, p=1.
ARGON2_MIN_MEMORY_KIB = 19 * 1024
ARGON2_MIN_TIME_COST = 2

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN_RE = re.compile(rf"^{_LABEL}(\.{_LABEL})+$")


class SettingsError(Exception):
    """A configuration value is wrong; the message is one line naming the variable."""


class Settings(BaseSettings):
    """Everything the kit reads from the environment (prefix ``CONNECT_``)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    data_dir: Path = Field(
        default=Path("data/var"),
        description="Folder for the embedded SQLite database and other run-time files.",
    )
    database_url: str | None = Field(
        default=None,
        repr=False,  # may carry a database password
        description="SQLAlchemy URL; default is an SQLite file inside data_dir.",
    )
    holding_suffix: str = Field(
        default="mimecast.connect",
        description="Holding domain suffix: admins log in as name@<accountcode>.<suffix>.",
    )
    base_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("http://127.0.0.1:8866"),
        description="Public address of the Voila server, used in each account's dedicated URL.",
    )
    sms_transport: Literal["outbox"] = Field(
        default="outbox", description="How SMS messages leave: 'outbox' stores them in the database."
    )
    email_transport: Literal["outbox"] = Field(
        default="outbox", description="How email leaves: 'outbox' stores it in the database."
    )
    default_country: str = Field(
        default="GB", description="Country pre-selected when an admin enrols a mobile phone."
    )
    dns_nameservers: str = Field(
        default="",
        description="Comma-separated DNS servers for the setup checks, each IP or IP:port; "
        "empty means the machine's resolver.",
    )
    dns_timeout_seconds: float = Field(default=3.0, gt=0, le=30)
    secret_key: SecretStr | None = Field(
        default=None,
        description="Fernet key that encrypts stored directory passwords; default is a key file "
        "created in data_dir (secret.key, owner-only).",
    )
    ldap_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    argon2_time_cost: int = Field(default=3, ge=ARGON2_MIN_TIME_COST)
    argon2_memory_kib: int = Field(default=64 * 1024, ge=ARGON2_MIN_MEMORY_KIB)
    argon2_parallelism: int = Field(default=4, ge=1, le=64)

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        # Voila starts kernels in the notebook's folder: pin the path to where we started.
        return value.expanduser().resolve()

    @field_validator("database_url")
    @classmethod
    def _parseable_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            make_url(value.strip())
        except ArgumentError:
            raise ValueError("is not a database URL such as sqlite:///path/connect.db") from None
        return value.strip()

    @field_validator("holding_suffix")
    @classmethod
    def _domain_suffix(cls, value: str) -> str:
        suffix = value.strip().strip(".").lower()
        if not _DOMAIN_RE.match(suffix):
            raise ValueError("must be a domain name such as mimecast.connect")
        return suffix

    @field_validator("default_country")
    @classmethod
    def _known_region(cls, value: str) -> str:
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("must be a two-letter country code such as GB or US")
        return region

    @field_validator("secret_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        from cryptography.fernet import Fernet

        try:
            Fernet(value.get_secret_value().strip().encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise ValueError("must be a Fernet key (44 characters of URL-safe base64); "
                             "make one with: python -c 'from cryptography.fernet import Fernet; "
                             "print(Fernet.generate_key().decode())'") from None
        return SecretStr(value.get_secret_value().strip())

    @field_validator("dns_nameservers")
    @classmethod
    def _nameserver_list(cls, value: str) -> str:
        for entry in filter(None, (e.strip() for e in value.split(","))):
            host, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
            try:
                ipaddress.ip_address(host or entry)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address (optionally :port)") from None
            if port and not (port.isdigit() and 0 < int(port) < 65536):
                raise ValueError(f"{entry!r} has a bad port")
        return value.strip()

    @property
    def nameservers(self) -> list[tuple[str, int]]:
        """``dns_nameservers`` as (address, port) pairs; empty for the system resolver."""
        pairs = []
        for entry in filter(None, (e.strip() for e in self.dns_nameservers.split(","))):
            if entry.count(":") == 1:
                host, port = entry.split(":")
                pairs.append((host, int(port)))
            else:
                pairs.append((entry, 53))
        return pairs

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL in force: the configured one, or SQLite under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'connect.db'}"

    def account_url(self, account_code: str) -> str:
        """The dedicated URL sent to a new account: the Connect notebook, pre-filled."""
        base = str(self.base_url).rstrip("/")
        return f"{base}/voila/render/connect.ipynb?account={account_code}"


def load_settings(**overrides: object) -> Settings:
    """Read the environment (and any explicit overrides) into a :class:`Settings`.

    Raises:
        SettingsError: one line that names the offending ``CONNECT_`` variable.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{ENV_PREFIX}{field.upper()}: {message}") from None
