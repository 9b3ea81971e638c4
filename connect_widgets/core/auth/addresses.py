"""Connect addresses: ``name@<accountcode>.<holding suffix>``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from connect_widgets.core.errors import InvalidInput
from connect_widgets.core.inputs import read_text

MAX_EMAIL_LENGTH = 254
_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_+-]|\.(?!\.)){0,62}(?<!\.)$")
_CODE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
_CONTACT_RE = re.compile(r"^[^@\s]{1,64}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class ConnectAddress:
    """An admin's Connect login address, lower-cased."""

    name: str
    account_code: str
    suffix: str

    @property
    def email(self) -> str:
        return f"{self.name}@{self.account_code}.{self.suffix}"


def is_admin_name(name: str) -> bool:
    """Whether ``name`` may stand before the ``@`` of a Connect address."""
    return bool(_NAME_RE.match(name))


def is_account_code(code: str) -> bool:
    """Whether ``code`` is a valid account code (letters, digits, inner hyphens)."""
    return bool(_CODE_RE.match(code.lower()))


def parse_connect_address(value: object, *, suffix: str) -> ConnectAddress:
    """Parse what the admin typed in the Email field.

    Raises:
        InvalidInput: with a message that says what to fix.
    """
    text = read_text(value, field="email", label="email address", max_length=MAX_EMAIL_LENGTH)
    text = text.lower()
    example = f"jane@acme.{suffix}"
    if text.count("@") != 1:
        raise InvalidInput(f"Enter an email address like {example}.", field="email")
    name, domain = text.split("@")
    if not name or not domain:
        raise InvalidInput(f"Enter an email address like {example}.", field="email")
    if not domain.endswith("." + suffix):
        raise InvalidInput(
            f"Use your Connect address, which ends in @<account code>.{suffix} (for example {example}).",
            field="email",
        )
    code = domain[: -len(suffix) - 1]
    if not _CODE_RE.match(code):
        raise InvalidInput(
            f"The part between @ and .{suffix} must be your account code (letters, digits and hyphens).",
            field="email",
        )
    if not _NAME_RE.match(name):
        raise InvalidInput(
            "The name before @ can use letters, digits, dots, hyphens, underscores and plus signs.",
            field="email",
        )
    return ConnectAddress(name=name, account_code=code, suffix=suffix)


def parse_contact_email(value: object) -> str:
    """A real mailbox for the account's welcome email (any domain)."""
    text = read_text(value, field="contact_email", label="contact email", max_length=254).lower()
    if not _CONTACT_RE.match(text):
        raise InvalidInput("Enter a contact email address like it@acme.example.", field="contact_email")
    return text
