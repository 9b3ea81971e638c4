"""Demo accounts for trainers: seeded from ``data/demo_accounts.toml``, reset to a named stage.

A stage is never written as rows by hand. Resetting deletes the demo account
and builds it again through Connect's own functions, as its admin would have:
:func:`~connect_widgets.core.accounts.create.create_account`, a first login through
:class:`~connect_widgets.core.auth.flow.LoginFlow` (the passcode read off the demo
phone, i.e. the outbox), then the setup tasks, with the Connect team's part
played by a :class:`~connect_widgets.core.review.queue.ReviewQueue` named "demo".

The stages (:data:`STAGES`):

``fresh``
    Created, never logged in: the admin has a supplied password (returned) and
    meets the email screen, then Welcome once the password is changed.
``enrolled``
    First login done: phone saved, password changed to the account's demo
    password. No task started, so the admin lands on Welcome.
``mid-tasks``
    Details confirmed, the primary domain validated, Set Up Your Outbound Email
    half done (ranges saved, SPF next): the admin lands on Welcome back.
``awaiting-review``
    A correction of the company name waits for the Connect team: Confirm Your
    Details is awaiting validation with a pending review.
``complete``
    Setup finished: every required task is complete, so the admin lands on
    "Setup complete". Details, domains, users (submitted and approved), user
    authentication (Cloud only), outbound, inbound, MX, recipient validation
    (known addresses), journaling and permitted senders. Synchronize Your
    Directory (optional) needs a live directory, so it is left not started, and
    Domain login with it.

The stage's history is dated a little in the past (:data:`HISTORY`) and steps a
minute at a time, so that the passcode cooldown and send window of the build do
not get in the way of a trainer who logs in straight after a reset, and task
timestamps follow each other as an admin's would. Every text and email of a
build goes to the outbox whatever transports are configured: the demo phone
numbers and ``.example`` mailboxes are not real.

A room demo stopped by the passcode send limit (or a password lockout) is freed
with :func:`clear_passcode_limits`.

The same file's ``[demo_account]`` is the account ``make demo`` prints
(:func:`ensure_make_demo_account`, for ``connect-kit demo-account``): an ordinary
account, not marked demo, created once and never reset here.

Only accounts marked ``is_demo`` can be reset, deleted or freed here; any other
account is refused with :class:`NotADemoAccount`. Nothing in the Connect notebook calls
this module.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select

from connect_widgets.core.accounts.create import PLATFORMS, REGIONS, NewAccount, create_account, parse_domain
from connect_widgets.core.adapters.dns import DnsChecker, DnsOutcome
from connect_widgets.core.adapters.service_values import ServiceValues, load_service_values
from connect_widgets.core.audit import AuditAction, record_account_event, record_event
from connect_widgets.core.auth.addresses import is_account_code, is_admin_name, parse_contact_email
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.limits import SEND_WINDOW
from connect_widgets.core.auth.passcodes import revoke_live_passcodes
from connect_widgets.core.auth.passwords import review_password
from connect_widgets.core.auth.phones import parse_mobile
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.clock import FrozenClock, spoken
from connect_widgets.core.delivery.courier import Courier, OutboxTransport
from connect_widgets.core.errors import AccountExists, ConnectError, InvalidInput
from connect_widgets.core.inputs import read_text
from connect_widgets.core.review.queue import ReviewQueue
from connect_widgets.core.services import ConnectServices
from connect_widgets.core.staff.support import lift_lock
from connect_widgets.core.tasks.add_users import REVIEW_KIND as USER_IMPORT
from connect_widgets.core.tasks.add_users import AddUsersTask
from connect_widgets.core.tasks.board import TaskBoard, TaskStatus
from connect_widgets.core.tasks.catalogue import CatalogueError, TaskState, data_file
from connect_widgets.core.tasks.confirm_details import ConfirmDetailsTask
from connect_widgets.core.tasks.inbound_email import InboundEmailTask
from connect_widgets.core.tasks.journaling import JournalingTask
from connect_widgets.core.tasks.mx_records import MxRecordsTask
from connect_widgets.core.tasks.outbound_email import OutboundEmailTask, parse_ip_ranges
from connect_widgets.core.tasks.permitted_senders import PermittedSendersTask
from connect_widgets.core.tasks.recipient_validation import RecipientValidationTask
from connect_widgets.core.tasks.user_authentication import UserAuthenticationTask
from connect_widgets.core.tasks.validate_domains import ValidateDomainsTask
from connect_widgets.demo.dns import demo_records
from connect_widgets.store.models import Account, AdminUser, Domain, Message, Passcode

STAGES = ("fresh", "enrolled", "mid-tasks", "awaiting-review", "complete")
HISTORY = timedelta(hours=2)  # how long ago a rebuilt stage's history starts
STEP = timedelta(minutes=1)  # between two actions of the demo admin
DEMO_STAFF = "demo"  # the Connect team member who approves a demo's user import
_PASSCODE_RE = re.compile(r"\b(\d{6})\b")


class NotADemoAccount(ConnectError):
    """The account is not a demo account (or not one in the demo data): it is never reset."""

    code = "not_a_demo_account"
    default_message = "Only demo accounts can be reset. That account is not one."


class DemoStageFailed(ConnectError):
    """Building a stage stopped at a step (e.g. a DNS check did not pass); the message says which."""

    code = "demo_stage_failed"


# --- the demo data ------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    email: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class SeedAccount:
    """What every account of ``data/demo_accounts.toml`` has: a code, a company, a primary domain, an admin."""

    code: str
    company: str
    primary_domain: str
    admin_name: str

    def admin_email(self, holding_suffix: str) -> str:
        return f"{self.admin_name}@{self.code.lower()}.{holding_suffix}"

    def create(self, services: ConnectServices, **details: object) -> NewAccount:
        """Create the account and its admin through :func:`create_account`, as the demo did it.

        ``details`` are :func:`create_account`'s other fields (contact email, platform, region).
        """
        return create_account(
            services,
            code=self.code,
            company=self.company,
            primary_domain=self.primary_domain,
            admin_name=self.admin_name,
            actor="demo",
            **details,
        )


@dataclass(frozen=True)
class DemoAccount(SeedAccount):
    """One demo company from ``data/demo_accounts.toml``."""

    contact_email: str
    platform: str
    region: str
    password: str = field(repr=False)  # public demo password, documented in the data file
    phone_country: str = "GB"
    phone_number: str = "7400123456"
    outbound_ranges: tuple[str, ...] = ()
    corrected_company: str = ""
    users: tuple[DemoUser, ...] = ()
    permitted_senders: tuple[str, ...] = ()


def _demo_account(entry: dict[str, Any], *, where: str) -> DemoAccount:
    try:
        code = str(entry["code"]).upper()
        phone = entry.get("phone") or {}
        demo = DemoAccount(
            code=code,
            company=str(entry["company"]),
            primary_domain=parse_domain(entry["primary_domain"], label="primary domain"),
            admin_name=str(entry["admin_name"]).lower(),
            contact_email=parse_contact_email(entry["contact_email"]),
            platform=str(entry["platform"]),
            region=str(entry["region"]),
            password=str(entry["password"]),
            phone_country=str(phone.get("country", "GB")),
            phone_number=str(phone.get("number", "7400123456")),
            outbound_ranges=tuple(parse_ip_ranges(" ".join(entry["outbound_ranges"]))),
            corrected_company=str(entry["corrected_company"]),
            users=tuple(
                DemoUser(str(u["email"]), str(u.get("first_name", "")), str(u.get("last_name", "")))
                for u in entry.get("users", ())
            ),
            permitted_senders=tuple(str(a) for a in entry.get("permitted_senders", ())),
        )
        parse_mobile(country=demo.phone_country, number=demo.phone_number)
    except KeyError as exc:
        raise CatalogueError(f"{where} has no {exc.args[0]!r}") from None
    except InvalidInput as exc:
        raise CatalogueError(f"{where}: {exc.message}") from None
    problems = []
    if not is_account_code(code):
        problems.append("the code is not a valid account code")
    if not is_admin_name(demo.admin_name):
        problems.append("the admin name is not valid")
    if demo.platform not in PLATFORMS or demo.region not in REGIONS:
        problems.append("unknown platform or region")
    if demo.corrected_company in ("", demo.company):
        problems.append("corrected_company must differ from the company")
    words = (demo.admin_name, code.lower(), demo.company)
    problems += [
        f"the password breaks the policy ({c.rule})"
        for c in review_password(demo.password, personal_words=words)
        if not c.met
    ]
    if problems:
        raise CatalogueError(f"{where}: {'; '.join(problems)}")
    return demo


def _read_demo_data(path: Path | None) -> tuple[Path, dict[str, Any]]:
    path = path or data_file("demo_accounts.toml")
    try:
        return path, tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"{path}: {exc}") from None


def load_demo_accounts(path: Path | None = None) -> tuple[DemoAccount, ...]:
    """The demo companies, checked (a bad file is a packaging mistake: :class:`CatalogueError`)."""
    path, raw = _read_demo_data(path)
    accounts = tuple(
        _demo_account(entry, where=f"{path}: demo account #{index}")
        for index, entry in enumerate(raw.get("accounts", []), start=1)
    )
    codes = [a.code for a in accounts]
    if not accounts or len(set(codes)) != len(codes):
        raise CatalogueError(f"{path}: no demo accounts, or a code appears twice")
    return accounts


# --- the demo account of `make demo` ------------------------------------------------------


@dataclass(frozen=True)
class MakeDemoAccount(SeedAccount):
    """The ``[demo_account]`` of ``data/demo_accounts.toml``: the account ``make demo`` prints.

    An ordinary account (not marked demo, never reset by a trainer), created with a
    supplied password like any other.
    """


def load_make_demo_account(path: Path | None = None) -> MakeDemoAccount:
    """The demo account of ``make demo``, checked (a bad file is a packaging mistake: :class:`CatalogueError`)."""
    path, raw = _read_demo_data(path)
    where = f"{path}: [demo_account]"
    entry = raw.get("demo_account")
    if not isinstance(entry, dict):
        raise CatalogueError(f"{path} has no [demo_account]")
    try:
        demo = MakeDemoAccount(
            code=str(entry["code"]).upper(),
            company=str(entry["company"]),
            primary_domain=parse_domain(entry["primary_domain"], label="primary domain"),
            admin_name=str(entry["admin_name"]).lower(),
        )
    except KeyError as exc:
        raise CatalogueError(f"{where} has no {exc.args[0]!r}") from None
    except InvalidInput as exc:
        raise CatalogueError(f"{where}: {exc.message}") from None
    if not is_account_code(demo.code) or not is_admin_name(demo.admin_name):
        raise CatalogueError(f"{where}: the code or the admin name is not valid")
    return demo


@dataclass(frozen=True)
class MakeDemoLogin:
    """How to log in to the demo account of ``make demo``."""

    account_code: str
    admin_email: str
    url: str
    password: str | None = field(default=None, repr=False)  # the supplied password, only when just created
    password_changed: bool = False  # the admin has chosen their own password


def ensure_make_demo_account(services: ConnectServices) -> MakeDemoLogin:
    """Create the demo account of ``make demo`` if it is missing; say how to log in to it.

    The supplied password is returned once, when the account is created. A later
    call (a second ``make demo``) never replaces it: a trainer may have handed it
    out or be half-way through a demo with it.
    """
    demo = load_make_demo_account()
    email = demo.admin_email(services.settings.holding_suffix)
    with services.transaction() as db:
        admin = db.exec(select(AdminUser).where(AdminUser.email == email)).first()
    url = services.settings.account_url(demo.code)
    if admin is not None:
        return MakeDemoLogin(demo.code, email, url, password_changed=not admin.must_change_password)
    created = demo.create(services)
    return MakeDemoLogin(demo.code, email, url, password=created.temporary_password)


def _stage(stage: object) -> str:
    text = str(stage).strip().lower() if isinstance(stage, str) else ""
    if text not in STAGES:
        raise InvalidInput(f"Choose a stage from: {', '.join(STAGES)}.", field="stage")
    return text


def _account_code(code: object) -> str:
    return read_text(code, field="account", label="account code", max_length=32).upper()


def _find_demo(services: ConnectServices, code: object) -> DemoAccount:
    """The demo data for ``code``, provided no real account holds that code.

    Raises:
        NotADemoAccount: an account with the code exists and is not a demo, or the code has no demo data.
    """
    wanted = _account_code(code)
    with services.transaction() as db:
        account = db.exec(select(Account).where(Account.code == wanted)).first()
    if account is not None and not account.is_demo:
        raise NotADemoAccount(f"{wanted} is not a demo account, so it cannot be reset or deleted here.")
    demos = load_demo_accounts()
    for demo in demos:
        if demo.code == wanted:
            return demo
    raise NotADemoAccount(f"{wanted} is not one of the demo accounts: {', '.join(d.code for d in demos)}.")


# --- DNS for demo stages -------------------------------------------------------------


class DemoDnsChecker(DnsChecker):
    """DNS answers for ONE demo account, made from Connect's own records: no resolver, no network.

    Only :func:`reset_demo_account` uses it, to build a demo's stages; it refuses
    to be made for an account not marked demo, and answers only for the domains
    that demo account has claimed. Real accounts always use the real resolver
    (:class:`DnsChecker`): the Connect notebook never builds this class.

    Resetting a demo to a stage is the trainer asking for its records to be
    published, so each of its domains answers with exactly what Connect asked the
    admin to publish (:func:`~connect_widgets.demo.dns.demo_records`, as the demo
    DNS server serves it): the verification TXT record, an SPF record including the
    service, and MX records at the service's hosts. Every other name does not
    exist. What counts as right, wrong or missing is :class:`DnsChecker`'s own
    logic, unchanged: only the lookup is replaced.
    """

    def __init__(self, services: ConnectServices, account_code: str, *, service: ServiceValues | None = None) -> None:
        # DnsChecker.__init__ is not called on purpose: it builds a resolver, and none is wanted.
        self._services = services
        self._code = _account_code(account_code)
        self._service = service or load_service_values()
        if not self._is_demo():
            raise NotADemoAccount(f"{self._code} is not a demo account: its DNS is checked for real.")

    def _is_demo(self) -> bool:
        with self._services.transaction() as db:
            account = db.exec(select(Account).where(Account.code == self._code)).first()
        return bool(account and account.is_demo)

    def _lookup(self, name: str, record_type: str) -> tuple[DnsOutcome, tuple[str, ...], str]:
        wanted = name.lower().rstrip(".")
        with self._services.transaction() as db:
            row = db.exec(
                select(Domain, Account).where(
                    Domain.name == wanted,
                    Domain.account_id == Account.id,
                    Account.code == self._code,
                    col(Account.is_demo).is_(True),
                )
            ).first()
        if row is None:
            return (
                DnsOutcome.NO_SUCH_NAME,
                (),
                (f"{name} does not exist in the demo DNS: it is not a domain of the demo account {self._code}."),
            )
        domain, _account = row
        records = demo_records(domain.verification_token, self._service)
        if record_type == "TXT":
            return DnsOutcome.OK, records.texts, ""
        if record_type == "MX":
            return DnsOutcome.OK, tuple(f"{preference} {host}" for preference, host in records.mx), ""
        return DnsOutcome.MISSING, (), f"{name} has no {record_type} record."


# --- results --------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoReset:
    """How to log in to a demo account just built at ``stage``."""

    account_code: str
    admin_email: str
    password: str = field(repr=False)  # the supplied password (fresh) or the demo password
    stage: str = "fresh"
    url: str = ""


@dataclass(frozen=True)
class SeededAccount:
    """What seeding did for one demo account."""

    account_code: str
    company: str
    admin_email: str
    created: bool
    password: str | None = field(default=None, repr=False)  # the supplied password, when created
    note: str = ""


# --- deleting, seeding, resetting ---------------------------------------------------------


def delete_demo_account(services: ConnectServices, *, code: object, actor: str = "trainer") -> bool:
    """Delete a demo account with everything it owns (admins, phones, tasks, domains, reviews).

    Audit rows stay (their account is set to none; the detail names the code).

    Returns:
        Whether there was an account to delete.

    Raises:
        NotADemoAccount: the account is not marked as a demo account; nothing is deleted.
    """
    wanted = _account_code(code)
    with services.transaction() as db:
        account = db.exec(select(Account).where(Account.code == wanted)).first()
        if account is None:
            return False
        if not account.is_demo:
            raise NotADemoAccount(f"{wanted} is not a demo account, so it cannot be reset or deleted here.")
        detail = f"demo account {wanted} deleted"
        record_account_event(
            db, account.id, AuditAction.DEMO_DELETED, now=services.clock.now(), actor=actor, detail=detail
        )
        db.flush()
        db.execute(delete(Account).where(col(Account.id) == account.id))  # the database cascades
    return True


def _build_services(services: ConnectServices) -> tuple[ConnectServices, FrozenClock]:
    """The services a stage is built with: a clock set :data:`HISTORY` back, outbox delivery only."""
    clock = FrozenClock(services.clock.now() - HISTORY)
    outbox = OutboxTransport()
    return replace(services, clock=clock, courier=Courier(sms=outbox, email=outbox)), clock


def _create(services: ConnectServices, demo: DemoAccount) -> NewAccount:
    """Create the demo account through :func:`create_account` and mark it as a demo."""
    created = demo.create(services, contact_email=demo.contact_email, platform=demo.platform, region=demo.region)
    with services.transaction() as db:
        account = db.exec(select(Account).where(Account.code == created.account_code)).one()
        account.is_demo = True
        db.add(account)
    return created


def _audit_reset(services: ConnectServices, code: str, *, actor: str, detail: str) -> None:
    with services.transaction() as db:
        account = db.exec(select(Account).where(Account.code == code)).first()
        account_id = account.id if account else None
        record_account_event(
            db, account_id, AuditAction.DEMO_RESET, now=services.clock.now(), actor=actor, detail=detail
        )


def seed_demo_accounts(services: ConnectServices, *, actor: str = "trainer") -> list[SeededAccount]:
    """Create every demo account that is missing, at ``fresh``; leave existing ones as they are.

    Safe to repeat. An account that holds a demo code but is not a demo account is
    left alone and reported.
    """
    outcomes: list[SeededAccount] = []
    suffix = services.settings.holding_suffix
    for demo in load_demo_accounts():
        email = demo.admin_email(suffix)
        with services.transaction() as db:
            existing = db.exec(select(Account).where(Account.code == demo.code)).first()
        if existing is not None:
            note = (
                "already there; left as it is"
                if existing.is_demo
                else "an account that is not a demo account has this code; left alone"
            )
            outcomes.append(SeededAccount(demo.code, demo.company, email, created=False, note=note))
            continue
        build, _clock = _build_services(services)
        try:
            created = _create(build, demo)
        except AccountExists:  # created meanwhile by another trainer
            outcomes.append(
                SeededAccount(demo.code, demo.company, email, created=False, note="already there; left as it is")
            )
            continue
        _audit_reset(services, demo.code, actor=actor, detail=f"demo account {demo.code} seeded at fresh")
        outcomes.append(
            SeededAccount(
                demo.code,
                demo.company,
                created.admin_email,
                created=True,
                password=created.temporary_password,
                note="created at fresh",
            )
        )
    return outcomes


def reset_demo_account(
    services: ConnectServices, code: object, stage: object, *, checker: DnsChecker | None = None, actor: str = "trainer"
) -> DemoReset:
    """Delete a demo account and build it again at ``stage`` through Connect's own functions.

    A demo account in the data file that does not exist yet is simply built.

    Args:
        services: the kit's services (a build uses their database and clock, outbox delivery).
        code: the demo account's code.
        stage: one of :data:`STAGES`.
        checker: how DNS checks are answered; by default a :class:`DemoDnsChecker`
            for this account (the trainer publishing its records).
        actor: who asked, for the audit trail.

    Returns:
        The admin's address, the password to log in with and the URL.

    Raises:
        InvalidInput: an unknown stage (the message lists the stages).
        NotADemoAccount: the account is not a demo account; nothing is changed.
        DemoStageFailed: a step of the build did not pass (the account stays part-built).
    """
    wanted = _stage(stage)
    demo = _find_demo(services, code)
    delete_demo_account(services, code=demo.code, actor=actor)
    build, clock = _build_services(services)
    created = _create(build, demo)
    password = created.temporary_password
    if wanted != "fresh":
        _DemoAdmin(build, clock, demo, created, checker or DemoDnsChecker(build, demo.code)).play(wanted)
        password = demo.password
    _audit_reset(services, demo.code, actor=actor, detail=f"demo account {demo.code} reset to {wanted}")
    return DemoReset(
        account_code=created.account_code,
        admin_email=created.admin_email,
        password=password,
        stage=wanted,
        url=created.url,
    )


# --- passcode limits --------------------------------------------------------------------


@dataclass(frozen=True)
class LimitsCleared:
    """What :func:`clear_passcode_limits` did for one demo account."""

    account_code: str
    codes_cleared: int  # passcodes sent within the send window that no longer count
    lockout_lifted: bool  # an admin was locked out of password login and no longer is


def clear_passcode_limits(services: ConnectServices, *, code: object, actor: str = "trainer") -> LimitsCleared:
    """Let a demo account's admins be sent a passcode at once, and log in with their password.

    For a room demo stopped by "Too many codes were sent in the last 15 minutes",
    the 30-second resend wait, or five mistyped passwords. For each admin of the
    account, the passcodes sent within the send window are deleted, and the
    password failure count and lock are cleared (as support's unlock does).

    Why delete rather than mark: the send limit counts the admin's ``Passcode``
    rows sent within the window (:func:`~connect_widgets.core.auth.passcodes.check_can_send`),
    and no column can say "does not count" without a schema migration. Deleting
    them changes no rule and no rule's code, for any account: the phone's HOTP
    counter is untouched, so no code is ever issued twice; a deleted code can no
    longer be verified (the code on the demo phone dies, as a resend would kill
    it); expiry, single use and the per-code tries apply to the next code as
    always, and the limit counts again from it. The history stays: each send has
    its ``code_sent`` audit row and its SMS in the outbox, and this clearing
    writes its own audit row (counts only, no code, no number).

    Args:
        services: the kit's services (database and clock).
        code: the demo account's code.
        actor: who asked, for the audit trail.

    Raises:
        NotADemoAccount: no account has that code, or it is not marked as a demo
            account (checked in the same transaction that clears); nothing is changed.
    """
    wanted = _account_code(code)
    now = services.clock.now()
    with services.transaction() as db:
        account = db.exec(select(Account).where(Account.code == wanted)).first()
        if account is None:
            raise NotADemoAccount(f"There is no account {wanted}. Create the demo accounts first.")
        if not account.is_demo:
            raise NotADemoAccount(f"{wanted} is not a demo account, so its passcode limits are never cleared here.")
        admins = db.exec(select(AdminUser).where(AdminUser.account_id == account.id)).all()
        ids = [admin.id for admin in admins]
        for admin_id in ids:  # the codes die: the demo phone's texts must not keep them
            revoke_live_passcodes(db, user_id=admin_id, now=now, reason="limits_cleared")  # type: ignore[arg-type]
        recent = db.exec(
            select(Passcode).where(col(Passcode.user_id).in_(ids), col(Passcode.sent_at) > now - SEND_WINDOW)
        ).all()
        for passcode in recent:
            db.delete(passcode)
        lifted = False
        for admin in admins:
            lifted = lift_lock(admin, now=now) or lifted
            db.add(admin)
        record_event(
            db,
            action=AuditAction.DEMO_LIMITS_CLEARED,
            now=now,
            actor=actor,
            account_id=account.id,
            user_id=ids[0] if len(ids) == 1 else None,
            detail=(
                f"demo account {wanted}: {len(recent)} passcode(s) sent in the last "
                f"{spoken(SEND_WINDOW)} cleared; " + ("password lockout lifted" if lifted else "no password lockout")
            ),
        )
    return LimitsCleared(account_code=wanted, codes_cleared=len(recent), lockout_lifted=lifted)


# --- the demo admin ---------------------------------------------------------------------


class _DemoAdmin:
    """Plays the demo account's admin through the login and the setup tasks, one step a minute."""

    def __init__(
        self, services: ConnectServices, clock: FrozenClock, demo: DemoAccount, created: NewAccount, checker: DnsChecker
    ) -> None:
        self._services = services
        self._clock = clock
        self._demo = demo
        self._created = created
        self._checker = checker
        self._service = load_service_values()
        self.flow = LoginFlow(services)
        self.board = TaskBoard(self.flow)

    def _step(self) -> None:
        self._clock.advance(STEP)

    def play(self, stage: str) -> None:
        """Log in for the first time, do the stage's tasks, and always log out (no session stays open)."""
        try:
            self.first_login()
            if stage == "awaiting-review":
                self.send_correction()
            elif stage in ("mid-tasks", "complete"):
                self.confirm_details()
                self.validate_primary_domain()
                outbound = self.start_outbound()
                if stage == "complete":
                    self.finish_outbound(outbound)
                    self.add_users()
                    self.cloud_authentication()
                    self.prepare_inbound()
                    self.check_mx()
                    self.recipient_validation()
                    self.journaling()
                    self.permitted_senders()
        finally:
            self._step()
            self.flow.log_out()

    # -- login ---------------------------------------------------------------------------

    def _code_on_demo_phone(self) -> str:
        with self._services.transaction() as db:
            user = db.exec(select(AdminUser).where(AdminUser.email == self._created.admin_email)).one()
            text = db.exec(
                select(Message.body)
                .where(Message.channel == "sms", Message.user_id == user.id)
                .order_by(col(Message.id).desc())
            ).first()
        match = _PASSCODE_RE.search(text or "")
        if match is None:
            raise DemoStageFailed("No passcode reached the demo phone, so the demo admin could not log in.")
        return match.group(1)

    def first_login(self) -> None:
        """The seed's first login: email, Cloud, supplied password, phone, passcode, Log In, new password."""
        flow, demo, supplied = self.flow, self._demo, self._created.temporary_password
        flow.submit_email(self._created.admin_email)
        flow.choose_method("cloud")
        flow.submit_password(supplied)
        self._step()
        flow.enrol_phone(country=demo.phone_country, number=demo.phone_number)
        if flow.code_sent is None:
            raise DemoStageFailed(flow.notice or "The demo phone got no passcode.")
        self._step()
        flow.verify_passcode(self._code_on_demo_phone())
        if flow.log_in() is not LoginStep.CHANGE_PASSWORD:
            raise DemoStageFailed("The demo admin was not asked to change the supplied password.")
        self._step()
        flow.change_password(current=supplied, new=demo.password, confirm=demo.password)
        self._step()

    # -- tasks ---------------------------------------------------------------------------

    def _start(self, key: str) -> TaskStatus:
        status = self.board.start(key)
        self._step()
        return status

    def _then(self, status: TaskStatus, *actions: Callable[..., TaskStatus]) -> TaskStatus:
        """Do ``actions`` in turn, a step apart, each on the version the one before it left."""
        for action in actions:
            status = action(version=status.version)
            self._step()
        return status

    def send_correction(self) -> None:
        details = ConfirmDetailsTask(self.board)
        status = self._start("confirm_details")
        now = details.details()
        details.send_for_review(
            version=status.version,
            company=self._demo.corrected_company,
            primary_domain=now.primary_domain,
            platform=now.platform,
            region=now.region,
        )

    def confirm_details(self) -> None:
        self._then(self._start("confirm_details"), ConfirmDetailsTask(self.board).confirm)

    def validate_primary_domain(self) -> None:
        book = ValidateDomainsTask(self.board, checker=self._checker, service=self._service)
        self._start("validate_domains")
        domain = self._demo.primary_domain
        book.add(domain)
        self._step()
        result = book.check(domain)
        if not result.ok:
            raise DemoStageFailed(f"The DNS check of {domain} did not pass: {result.message}")
        self._step()
        version = self.board.overview().get("validate_domains").version
        book.finish(version=version, primary_domain=domain)
        self._step()

    def start_outbound(self) -> OutboundEmailTask:
        task = OutboundEmailTask(self.board, checker=self._checker, service=self._service)
        ranges = " ".join(self._demo.outbound_ranges)
        self._then(self._start("outbound_email"), partial(task.save_ranges, ranges=ranges))
        return task

    def finish_outbound(self, task: OutboundEmailTask) -> None:
        def check_spf(*, version: int) -> TaskStatus:
            status = task.check_spf(version=version)
            if status.step != "connector":
                message = (status.data.get("spf_check") or {}).get("message")
                raise DemoStageFailed(f"The SPF check did not pass: {message}")
            return status

        self._then(task.status(), check_spf, partial(task.confirm_connector, confirmed=True))

    def add_users(self) -> None:
        task = AddUsersTask(self.board)
        adds = (
            partial(task.add_user, email=user.email, first_name=user.first_name, last_name=user.last_name)
            for user in self._demo.users
        )
        self._then(self._start("add_users"), *adds, task.submit)
        queue = ReviewQueue(self._services, staff=DEMO_STAFF)
        for review in queue.pending():
            if review.account_code == self._demo.code and review.kind == USER_IMPORT:
                queue.approve(review.id)
        self._step()

    def cloud_authentication(self) -> None:
        task = UserAuthenticationTask(self.board)
        self._then(self._start("user_authentication"), partial(task.choose_mode, mode="cloud"))

    def prepare_inbound(self) -> None:
        task = InboundEmailTask(self.board, service=self._service)
        ticks = [True] * len(self._service.inbound_settings)
        self._then(self._start("inbound_email"), task.read_ranges, partial(task.confirm_settings, ticks=ticks))

    def check_mx(self) -> None:
        task = MxRecordsTask(self.board, checker=self._checker, service=self._service)

        def check_mx(*, version: int) -> TaskStatus:
            status = task.check_mx(version=version)
            if status.state is not TaskState.COMPLETE:
                message = (status.data.get("mx_check") or {}).get("message")
                raise DemoStageFailed(f"The MX check did not pass: {message}")
            return status

        self._then(self._start("mx_records"), task.ready, check_mx)

    def recipient_validation(self) -> None:
        task = RecipientValidationTask(self.board, service=self._service)
        self._then(self._start("recipient_validation"), partial(task.choose, mode="known"))

    def journaling(self) -> None:
        task = JournalingTask(self.board, service=self._service)
        self._then(self._start("journaling"), task.read_address, partial(task.confirm_rule, confirmed=True))

    def permitted_senders(self) -> None:
        task = PermittedSendersTask(self.board)
        content = "\n".join(["address", *self._demo.permitted_senders]).encode("utf-8") + b"\n"
        check = partial(task.check_file, filename="permitted-senders.csv", content=content)
        self._then(self._start("permitted_senders"), check, task.import_senders)
