"""Creating accounts and their first admin."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from connect_widgets.core.audit import AuditAction, record_admin_event
from connect_widgets.core.auth.addresses import is_account_code, is_admin_name, parse_contact_email
from connect_widgets.core.auth.passwords import generate_temporary_password
from connect_widgets.core.delivery.message import Channel, OutgoingMessage
from connect_widgets.core.errors import AccountExists, InvalidInput, UserNotFound
from connect_widgets.core.inputs import read_text
from connect_widgets.core.services import ConnectServices
from connect_widgets.store.models import Account, AdminUser

PLATFORMS = {
    "microsoft_365": "Microsoft 365",
    "exchange_on_premises": "On-premises Exchange",
    "hybrid": "Hybrid Exchange",
    "hosted_exchange": "Hosted Exchange",
    "google_workspace": "Google Workspace",
}
REGIONS = {
    "uk": "United Kingdom",
    "eu": "Europe",
    "de": "Germany",
    "us": "United States",
    "ca": "Canada",
    "za": "South Africa",
    "au": "Australia",
}
# The phone country an account's region suggests (Europe spans many: no guess).
REGION_PHONE_COUNTRY = {"uk": "GB", "de": "DE", "us": "US", "ca": "CA", "za": "ZA", "au": "AU"}
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN_RE = re.compile(rf"^{_LABEL}(\.{_LABEL})*\.[a-z][a-z0-9-]{{1,62}}$")


@dataclass(frozen=True)
class WelcomeEmail:
    """Where the welcome email went and, when it could not be sent, why."""

    recipient: str
    error: str | None = None

    @property
    def sent(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class NewAccount:
    """What support hands over: the admin's address, supplied password and URL.

    ``welcome`` says whether the welcome email left; when it did not, support tells
    the admin the URL themselves or sends it again with :func:`send_welcome`.
    """

    account_code: str
    admin_email: str
    temporary_password: str = field(repr=False)
    url: str
    welcome: WelcomeEmail | None = None


def parse_domain(value: object, *, label: str = "domain name") -> str:
    """A domain name as typed, lower-cased and IDNA-encoded, or :class:`InvalidInput`."""
    text = read_text(value, field="domain", label=label, max_length=253).lower().rstrip(".")
    try:
        text = text.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidInput(f"Enter the {label} like acme.example.", field="domain") from None
    if not _DOMAIN_RE.match(text):
        raise InvalidInput(f"Enter the {label} like acme.example.", field="domain")
    return text


def _choice(value: object, *, field: str, label: str, choices: dict[str, str]) -> str:
    text = read_text(value, field=field, label=label, max_length=40).lower().replace("-", "_")
    if text not in choices:
        raise InvalidInput(f"Choose the {label} from: {', '.join(choices)}.", field=field)
    return text


def _admin_name(value: object) -> str:
    name = read_text(value, field="admin", label="admin name", max_length=64).lower()
    if not is_admin_name(name):
        raise InvalidInput(
            "The admin name uses letters, digits, dots, hyphens, underscores and plus signs.", field="admin"
        )
    return name


def _contact(value: object) -> str | None:
    return parse_contact_email(value) if value not in (None, "") else None


def _add_admin_row(
    db: Session,
    *,
    account: Account,
    email: str,
    contact: str | None,
    password_hash: str,
    now: datetime,
    actor: str,
    detail: str,
) -> AdminUser:
    """Store a new admin who must change the supplied password at the first login; audited as account_created."""
    admin = AdminUser(
        account_id=account.id,  # type: ignore[arg-type]  # a stored account has its id
        email=email,
        contact_email=contact,
        password_hash=password_hash,
        must_change_password=True,
        password_set_at=now,
        created_at=now,
    )
    db.add(admin)
    db.flush()
    record_admin_event(db, admin, AuditAction.ACCOUNT_CREATED, now=now, actor=actor, detail=detail)
    return admin


def _welcomed(services: ConnectServices, admin: AdminUser, *, code: str, company: str, password: str) -> NewAccount:
    """Email the new admin the dedicated URL (after the commit: no database lock is held while the
    mail server works) and say what support hands over."""
    url = services.settings.account_url(code)
    with services.transaction() as db:
        welcome = _send_welcome(services, db, admin=admin, company=company, url=url)
    return NewAccount(account_code=code, admin_email=admin.email, temporary_password=password, url=url, welcome=welcome)


def create_account(
    services: ConnectServices,
    *,
    code: object,
    company: object,
    primary_domain: object,
    admin_name: object,
    contact_email: object = None,
    platform: object = "microsoft_365",
    region: object = "uk",
    actor: str = "support",
) -> NewAccount:
    """Create an account and its first admin, and email the dedicated URL.

    The supplied password is returned once, for support to hand over; the database
    keeps only its argon2id hash, and the welcome email does not carry it.

    Raises:
        InvalidInput: a field is unusable (the message names it).
        AccountExists: the code is taken.
    """
    code_text = read_text(code, field="code", label="account code", max_length=32)
    if not is_account_code(code_text):
        raise InvalidInput("The account code uses letters, digits and inner hyphens (up to 32).", field="code")
    company_text = read_text(company, field="company", label="company name", max_length=200)
    domain = parse_domain(primary_domain, label="primary domain")
    name = _admin_name(admin_name)
    contact = _contact(contact_email)
    platform_key = _choice(platform, field="platform", label="platform", choices=PLATFORMS)
    region_key = _choice(region, field="region", label="region", choices=REGIONS)

    settings, now = services.settings, services.clock.now()
    account_code = code_text.upper()
    email = f"{name}@{account_code.lower()}.{settings.holding_suffix}"
    password = generate_temporary_password(personal_words=(name, account_code.lower(), company_text))
    password_hash = services.hasher.hash(password)

    with services.transaction() as db:
        if db.exec(select(Account).where(Account.code == account_code)).first():
            raise AccountExists(f"An account with the code {account_code} already exists.")
        account = Account(
            code=account_code,
            company=company_text,
            primary_domain=domain,
            platform=platform_key,
            region=region_key,
            created_at=now,
        )
        db.add(account)
        db.flush()
        admin = _add_admin_row(
            db,
            account=account,
            email=email,
            contact=contact,
            password_hash=password_hash,
            now=now,
            actor=actor,
            detail=f"account {account_code} with admin {email}",
        )
    return _welcomed(services, admin, code=account_code, company=company_text, password=password)


def _send_welcome(services: ConnectServices, db: Session, *, admin: AdminUser, company: str, url: str) -> WelcomeEmail:
    body = (
        f"Welcome to Connect, {company}.\n\n"
        "Your email-security account has been created. Set it up in the Connect "
        "application at this dedicated address:\n\n"
        f"  {url}\n\n"
        f"Log in as {admin.email} with the password your Connect contact gives you "
        "separately. You will be asked to change it, and to enrol a mobile phone for "
        "2-step authentication. The supplied password expires if it is not used "
        "within 7 days.\n"
    )
    sent = services.courier.send(
        db,
        OutgoingMessage(
            channel=Channel.EMAIL,
            recipient=admin.contact_email or admin.email,
            subject="Your Connect account is ready",
            body=body,
            user_id=admin.id,
        ),
        now=services.clock.now(),
    )
    return WelcomeEmail(recipient=sent.recipient, error=sent.error if sent.status == "failed" else None)


def send_welcome(services: ConnectServices, *, email: object) -> WelcomeEmail:
    """Send an admin's welcome email again (the first one could not be sent, or was lost).

    It carries the dedicated URL and never a password; the admin's password is not
    changed.

    Raises:
        UserNotFound: no admin has that address.
    """
    address = read_text(email, field="email", label="email address", max_length=254).lower()
    with services.transaction() as db:
        admin = db.exec(select(AdminUser).where(AdminUser.email == address)).first()
        account = db.get(Account, admin.account_id) if admin is not None else None
        if admin is None or account is None:
            raise UserNotFound(f"No admin has the address {address}.")
        return _send_welcome(
            services, db, admin=admin, company=account.company, url=services.settings.account_url(account.code)
        )


def add_admin(
    services: ConnectServices,
    *,
    account_code: object,
    admin_name: object,
    contact_email: object = None,
    actor: str = "support",
) -> NewAccount:
    """Another admin for an existing account (progress is shared by all its admins).

    Raises:
        InvalidInput: a field is unusable.
        UserNotFound: no account has that code.
        AccountExists: the address is taken.
    """
    code = read_text(account_code, field="code", label="account code", max_length=32).upper()
    name = _admin_name(admin_name)
    contact = _contact(contact_email)
    settings, now = services.settings, services.clock.now()
    email = f"{name}@{code.lower()}.{settings.holding_suffix}"
    with services.transaction() as db:
        account = db.exec(select(Account).where(Account.code == code)).first()
        if account is None:
            raise UserNotFound(f"No account has the code {code}.")
        if db.exec(select(AdminUser).where(AdminUser.email == email)).first():
            raise AccountExists(f"{email} is already an admin.")
        password = generate_temporary_password(personal_words=(name, code.lower(), account.company))
        admin = _add_admin_row(
            db,
            account=account,
            email=email,
            contact=contact,
            password_hash=services.hasher.hash(password),
            now=now,
            actor=actor,
            detail=f"admin {email} added",
        )
    return _welcomed(services, admin, code=code, company=account.company, password=password)
