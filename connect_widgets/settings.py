"""The kit's configuration: one pydantic-settings object, read from ``CONNECT_*``.

Build it once at the edge (the CLI, the notebook, a test) with :func:`load_settings`
and pass it down; nothing below imports a global settings object, so every test can
build its own.
"""

from __future__ import annotations

import email.utils
import ipaddress
import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

ENV_PREFIX = "CONNECT_"

# OWASP Password Storage Cheat Sheet floor for argon2id: m=19 MiB, t=2, p=1.
ARGON2_MIN_MEMORY_KIB = 19 * 1024
ARGON2_MIN_TIME_COST = 2

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN_RE = re.compile(rf"^{_LABEL}(\.{_LABEL})+$")
_MAIL_ADDRESS_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def _on_this_machine(host: str | None) -> bool:
    """True for localhost and loopback addresses (where plain text never leaves the machine)."""
    if not host:
        return False
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
    sms_transport: Literal["outbox", "webhook"] = Field(
        default="outbox",
        description="How SMS messages leave: 'outbox' stores them in the database; 'webhook' also "
        "POSTs them to the SMS gateway at sms_webhook_url.",
    )
    email_transport: Literal["outbox", "smtp"] = Field(
        default="outbox",
        description="How email leaves: 'outbox' stores it in the database; 'smtp' also hands it to "
        "the mail server at smtp_host.",
    )
    smtp_host: str | None = Field(default=None, description="Mail server for email_transport=smtp.")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls",
        description="'starttls' (usually port 587), 'ssl' for SMTPS (usually 465), or 'none' "
        "(plain text: only for a relay on the same machine).",
    )
    smtp_username: str | None = Field(default=None, description="Log in to the mail server as this user.")
    smtp_password: SecretStr | None = Field(default=None, repr=False)
    smtp_from: str | None = Field(
        default=None, description="The From address of Connect's email; default connect@<holding_suffix>."
    )
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    sms_webhook_url: AnyHttpUrl | None = Field(
        default=None,
        repr=False,  # some gateways take their key in the query string
        description="SMS gateway endpoint for sms_transport=webhook: POST {to, body} as JSON.",
    )
    sms_webhook_token: SecretStr | None = Field(
        default=None, repr=False, description="Sent to the SMS gateway as 'Authorization: Bearer <token>'."
    )
    sms_webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    sms_webhook_retries: int = Field(
        default=3,
        ge=0,
        le=10,
        description="Further attempts after a 5xx answer, a refused connection or a timeout.",
    )
    default_country: str = Field(default="GB", description="Country pre-selected when an admin enrols a mobile phone.")
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
    trainer_enabled: bool = Field(
        default=False,
        description="Turn the trainer notebook on (it shows demo accounts' passcodes to whoever opens it).",
    )
    demo_dns_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Serve the demo accounts' DNS zone on 127.0.0.1:<port> (connect-kit serve) and, unless "
        "dns_nameservers is set, resolve the setup checks against it.",
    )
    max_kernels: int | None = Field(
        default=None,
        ge=1,
        description="connect-kit serve: most kernels (pages open, pre-heated ones included) at once; "
        "default derived from the machine's free memory. Beyond it a page answers 'Connect is busy'.",
    )
    pool_size: int = Field(
        default=1,
        ge=0,
        le=64,
        description="connect-kit serve: pre-heated kernels kept ready for connect.ipynb (other pages keep 1).",
    )
    kernel_starts_per_minute: int = Field(
        default=20,
        ge=1,
        description="connect-kit serve: pages one client address may open a minute (each starts a kernel).",
    )
    trusted_proxies: str = Field(
        default="",
        description="connect-kit serve: comma-separated addresses (or networks) of reverse proxies whose "
        "X-Forwarded-For names the client; empty means the connection's address is the client.",
    )
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
        from sqlalchemy.exc import ArgumentError  # here: a page reads its settings before it needs SQLAlchemy

        try:
            _parsed_url(value.strip())
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
        # The generated list of the countries the Enrol screen offers (phonenumbers' regions):
        # pydantic-settings checks the default too, and importing phonenumbers for it in
        # every kernel is not worth it (see connect_widgets.core.auth.country_codes).
        from connect_widgets.core.auth.country_codes import COUNTRY_CHOICES

        region = value.strip().upper()
        if region not in {known for _, known in COUNTRY_CHOICES}:
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
            raise ValueError(
                "must be a Fernet key (44 characters of URL-safe base64); "
                "make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from None
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

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        entries = [e.strip() for e in value.split(",") if e.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network such as 10.0.0.5 or 10.0.0.0/24") from None
        return ",".join(entries)

    @field_validator("smtp_host", "smtp_username", "smtp_from")
    @classmethod
    def _blank_is_unset(cls, value: str | None, info: ValidationInfo) -> str | None:
        text = value.strip() if value and value.strip() else None
        if info.field_name == "smtp_from" and text is not None:
            _, address = email.utils.parseaddr(text)
            if not _MAIL_ADDRESS_RE.match(address) or "\n" in text or "\r" in text:
                raise ValueError(
                    "must be an email address such as connect@example.com (or 'Connect <connect@example.com>')"
                )
        return text

    @field_validator("smtp_password", "sms_webhook_token")
    @classmethod
    def _blank_secret_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None

    @model_validator(mode="after")
    def _transport_destinations(self) -> Settings:
        # No loc for a model-level error: the message names the variable (see load_settings).
        if self.email_transport == "smtp" and not self.smtp_host:
            raise ValueError(
                f"{ENV_PREFIX}SMTP_HOST: set the mail server's name or address when {ENV_PREFIX}EMAIL_TRANSPORT is smtp"
            )
        if self.sms_transport == "webhook" and self.sms_webhook_url is None:
            raise ValueError(
                f"{ENV_PREFIX}SMS_WEBHOOK_URL: set the SMS gateway's address (https://...) when "
                f"{ENV_PREFIX}SMS_TRANSPORT is webhook"
            )
        # Secrets never cross a network in clear; plain text is for a server on this machine.
        url = self.sms_webhook_url
        if url is not None and url.scheme == "http" and self.sms_webhook_token and not _on_this_machine(url.host):
            raise ValueError(
                f"{ENV_PREFIX}SMS_WEBHOOK_URL: use https:// so the token is not sent in clear "
                "(http:// only for a gateway on this machine)"
            )
        if self.smtp_security == "none" and self.smtp_username and not _on_this_machine(self.smtp_host):
            raise ValueError(
                f"{ENV_PREFIX}SMTP_SECURITY: none would send the mail password in clear; use "
                "starttls or ssl (none only for a mail relay on this machine)"
            )
        return self

    @property
    def mail_from(self) -> str:
        """The From address of every email the kit sends."""
        return self.smtp_from or f"connect@{self.holding_suffix}"

    @property
    def nameservers(self) -> list[tuple[str, int]]:
        """``dns_nameservers`` as (address, port) pairs; the demo zone, or empty for the system resolver."""
        if not self.dns_nameservers.strip() and self.demo_dns_port:
            return [("127.0.0.1", self.demo_dns_port)]
        pairs = []
        for entry in filter(None, (e.strip() for e in self.dns_nameservers.split(","))):
            if entry.count(":") == 1:
                host, port = entry.split(":")
                pairs.append((host, int(port)))
            else:
                pairs.append((entry, 53))
        return pairs

    @property
    def trusted_proxy_list(self) -> list[str]:
        """``trusted_proxies`` as a list (addresses or networks)."""
        return [entry for entry in self.trusted_proxies.split(",") if entry]

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL in force: the configured one, or SQLite under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'connect.db'}"

    @property
    def database_location(self) -> str:
        """The database URL as an operator may read it: any password replaced by ``***``."""
        return _parsed_url(self.sqlalchemy_url).render_as_string(hide_password=True)

    @property
    def database_driver(self) -> str:
        """The SQLAlchemy driver name of the database URL, e.g. ``sqlite`` or ``postgresql+psycopg``."""
        return _parsed_url(self.sqlalchemy_url).drivername

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
        message = first["msg"].removeprefix("Value error, ")
        if not first["loc"]:  # a check across settings: its message starts with the variable
            raise SettingsError(message) from None
        field = str(first["loc"][0])
        raise SettingsError(f"{ENV_PREFIX}{field.upper()}: {message}") from None


def _parsed_url(url: str) -> URL:
    """SQLAlchemy's reading of a database URL; SQLAlchemy loads only when a URL is read, not with the settings."""
    from sqlalchemy.engine import make_url

    return make_url(url)
