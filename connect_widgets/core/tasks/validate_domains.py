"""Validate Your Domains: claim a domain, publish its TXT record, check it.

Each claim gets a random verification token; the admin publishes
``<prefix><token>`` as a TXT record on the domain and asks for a check. Several
accounts may claim the same domain while nobody has proved it: an unverified
claim never blocks anyone. The first account whose check finds its record owns
the domain (the database keeps at most one verified claim per name, so two
checks at once cannot both win); the others are then refused with words saying
so. An unverified claim lasts :data:`CLAIM_DAYS` days, then the admin adds the
domain again; support staff can release any claim (``connect-kit release-domain``).
A subdomain of a domain the account has already verified needs no check. Every
check's outcome is kept on the domain and in the audit trail.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import exists, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from connect_widgets.core.accounts.create import parse_domain
from connect_widgets.core.adapters.dns import DnsCheck, DnsChecker
from connect_widgets.core.adapters.service_values import ServiceValues
from connect_widgets.core.audit import AuditAction, record_account_event, record_admin_event
from connect_widgets.core.auth.addresses import parse_contact_email
from connect_widgets.core.delivery.message import Channel, OutgoingMessage
from connect_widgets.core.errors import (
    ConnectError,
    DeliveryFailed,
    DomainClaimExpired,
    UnknownDomain,
)
from connect_widgets.core.inputs import read_text
from connect_widgets.core.services import ConnectServices
from connect_widgets.core.tasks.board import OPEN, UNLOCKED, TaskBoard, TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.stepped import SteppedTask, audit_dns_check
from connect_widgets.store.engine import rows_matched
from connect_widgets.store.models import Account, AdminUser, AuditEvent, Domain

TASK = "validate_domains"
SHARES_PER_HOUR = 10  # per account: enough for a team, too few to make Connect a spam relay
CLAIM_DAYS = 14  # an unverified claim lasts this long; then the domain is added again
CLAIM_LIFETIME = timedelta(days=CLAIM_DAYS)


class DomainTaken(ConnectError):
    """Another account proved the domain is theirs (its TXT check passed first)."""

    code = "domain_taken"
    default_message = "That domain is verified by another Connect account. If it is yours, contact support."

    def __init__(self, name: str | None = None) -> None:
        super().__init__(taken_words(name) if name else None)


def taken_words(name: str) -> str:
    return f"{name} is verified by another Connect account. If it is yours, contact support."


def expired_words(name: str) -> str:
    return (
        f"Your claim on {name} expired: a domain must pass its check within {CLAIM_DAYS} days of being "
        f"added. Add {name} again to get a new record to publish."
    )


def claim_expired(domain: Domain, now: datetime) -> bool:
    """An unverified claim older than :data:`CLAIM_LIFETIME` no longer counts."""
    return domain.verified_at is None and domain.created_at + CLAIM_LIFETIME <= now


def verified_elsewhere(db: Session, *, name: str, account_id: int) -> bool:
    """Whether another account owns ``name`` (its claim is verified)."""
    return (
        db.exec(
            select(Domain.id).where(
                Domain.name == name, Domain.account_id != account_id, col(Domain.verified_at).is_not(None)
            )
        ).first()
        is not None
    )


@dataclass(frozen=True)
class DomainStatus:
    """A claimed domain as the admin sees it, with the exact record to publish."""

    name: str
    record_name: str
    record_value: str
    verified_at: datetime | None
    last_message: str | None
    taken: bool = False  # another account verified it first
    expired: bool = False  # unverified for CLAIM_DAYS: add it again

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def waiting(self) -> bool:
        """Still to be checked: its record can be published and checked now."""
        return not (self.verified or self.taken or self.expired)


class ValidateDomainsTask(SteppedTask):
    """Validate Your Domains for the signed-in admin's account: its domain claims and their checks.

    Every action checks the task in the core first: nothing is claimed, checked
    or shared while it is locked, whatever the page sent. The step the admin is
    at follows from the primary domain's claim (:meth:`step_for`): add it
    (``primary``), publish its record (``publish``), check it again after a
    failed check (``check``), then add any others (``more``).
    """

    key = TASK

    def __init__(self, board: TaskBoard, *, checker: DnsChecker, service: ServiceValues | None = None) -> None:
        super().__init__(board, service=service, checker=checker)
        self._txt_checker = checker

    def _status(self, domain: Domain, *, taken: bool = False, now: datetime | None = None) -> DomainStatus:
        return DomainStatus(
            name=domain.name,
            record_name=domain.name,
            record_value=f"{self._service.verification_prefix}{domain.verification_token}",
            verified_at=domain.verified_at,
            last_message=domain.last_message,
            taken=taken and domain.verified_at is None,
            expired=now is not None and claim_expired(domain, now),
        )

    def _mine(self, db: Session, user: AdminUser) -> list[Domain]:
        return list(db.exec(select(Domain).where(Domain.account_id == user.account_id).order_by(col(Domain.id))))

    def _require(self, db: Session, user: AdminUser) -> None:
        # Claiming is allowed once the task is unlocked; a not-started task's page has a Start
        # button the browser can press anyway, so refusing there would protect nothing.
        self._board.require_in(db, user, TASK, allowed=UNLOCKED)

    def domains(self) -> list[DomainStatus]:
        now = self._flow.services.clock.now()
        with self._flow.admin_session() as (db, user):
            mine = self._mine(db, user)
            owned = {
                n
                for n in db.exec(
                    select(Domain.name).where(
                        col(Domain.name).in_([d.name for d in mine if d.verified_at is None]),
                        Domain.account_id != user.account_id,
                        col(Domain.verified_at).is_not(None),
                    )
                )
            }
            return [self._status(d, taken=d.name in owned, now=now) for d in mine]

    def add(self, name: object) -> DomainStatus:
        """Claim a domain (idempotent for the account's own claims; an expired claim starts again).

        Raises:
            InvalidInput: not a domain name.
            TaskLocked: Validate Your Domains is locked.
            DomainTaken: another account has verified it.
        """
        domain_name = parse_domain(name)
        now = self._flow.services.clock.now()
        with self._flow.admin_session(immediate=True) as (db, user):  # short: no network inside
            self._require(db, user)
            if verified_elsewhere(db, name=domain_name, account_id=user.account_id):
                _refuse_taken(db, user, domain_name, now)
            existing = _claim_of(db, user, domain_name)
            if existing is not None and not claim_expired(existing, now):
                return self._status(existing, now=now)
            parent = next(
                (d for d in self._mine(db, user) if d.verified_at is not None and domain_name.endswith("." + d.name)),
                None,
            )
            domain = existing or Domain(account_id=user.account_id, name=domain_name, verification_token="")
            try:
                with db.begin_nested():  # the database has the last word on "one claim each, one owner"
                    domain.verification_token, domain.created_at = secrets.token_urlsafe(18), now
                    domain.verified_at = now if parent else None
                    domain.last_checked_at = domain.last_outcome = None
                    domain.last_message = f"Covered by the verified domain {parent.name}." if parent else None
                    db.add(domain)
                    db.flush()
            except IntegrityError:
                # The same account claimed it on another page meanwhile, or another account verified it.
                again = _claim_of(db, user, domain_name)
                if again is not None and again is not domain:
                    return self._status(again, now=now)
                raise DomainTaken(domain_name) from None
            record_admin_event(
                db,
                user,
                AuditAction.DOMAIN_ADDED,
                now=now,
                detail=domain_name
                + (f" (subdomain of verified {parent.name})" if parent else "")
                + (" (claimed again after its claim expired)" if existing else ""),
            )
            return self._status(domain, now=now)

    def check(self, name: object) -> DnsCheck:
        """Look the domain's TXT record up now; record the outcome; verify on success.

        The first account whose record is found owns the domain: the write that
        verifies is conditional (no other verified claim of the name) and the
        database refuses a second verified claim, so two checks at once cannot both win.

        Raises:
            UnknownDomain: the account has not claimed that domain (or it was released).
            TaskLocked: Validate Your Domains is locked.
            DomainClaimExpired: the claim was not verified within :data:`CLAIM_DAYS` days (it is removed).
            DomainTaken: another account verified the domain first.
        """
        domain_name = parse_domain(name)
        now = self._flow.services.clock.now()
        with self._flow.admin_session(immediate=True) as (db, user):  # short: the lookup runs after it
            self._require(db, user)
            domain = _own_claim(db, user, domain_name)
            if domain.verified_at is None:
                if claim_expired(domain, now):
                    db.delete(domain)
                    record_admin_event(
                        db,
                        user,
                        AuditAction.DOMAIN_REFUSED,
                        now=now,
                        outcome="expired",
                        detail=f"{domain_name}: unverified claim older than {CLAIM_DAYS} days removed",
                    )
                    raise DomainClaimExpired(expired_words(domain_name))
                if verified_elsewhere(db, name=domain_name, account_id=user.account_id):
                    self._mark_taken(db, user, domain, now)
            domain_id, verified_before = domain.id, domain.verified_at is not None
            expected = f"{self._service.verification_prefix}{domain.verification_token}"
        result = self._txt_checker.check_txt(domain_name, expected)  # no transaction held over the network
        now = self._flow.services.clock.now()
        with self._flow.admin_session(immediate=True) as (db, user):  # short: two UPDATEs and an audit row
            written = rows_matched(
                db.execute(
                    update(Domain)
                    .where(col(Domain.id) == domain_id)
                    .values(last_checked_at=now, last_outcome=result.outcome.value, last_message=result.message[:500])
                )
            )
            if written != 1:  # released while the lookup ran
                raise UnknownDomain()
            won = False
            if result.ok and not verified_before:
                rival = aliased(Domain)
                try:
                    with db.begin_nested():
                        won = (
                            rows_matched(
                                db.execute(
                                    update(Domain)
                                    .where(
                                        col(Domain.id) == domain_id,
                                        col(Domain.verified_at).is_(None),
                                        ~exists().where(
                                            col(rival.name) == domain_name,
                                            col(rival.id) != domain_id,
                                            col(rival.verified_at).is_not(None),
                                        ),
                                    )
                                    .values(verified_at=now)
                                )
                            )
                            == 1
                        )
                except IntegrityError:  # another account's verification committed first (PostgreSQL)
                    won = False
            audit_dns_check(db, user, result, now=now)
            if result.ok and not verified_before and not won:
                lost = db.get(Domain, domain_id)
                assert lost is not None
                db.refresh(lost)
                self._mark_taken(db, user, lost, now)
        return result

    @staticmethod
    def _mark_taken(db: Session, user: AdminUser, domain: Domain, now: datetime) -> NoReturn:
        """Keep "taken" on the claim so the page says it, then refuse."""
        domain.last_outcome, domain.last_message = "taken", taken_words(domain.name)
        db.add(domain)
        _refuse_taken(db, user, domain.name, now)

    def share(self, name: object, recipient: object) -> str:
        """Email the record to publish to whoever runs the domain's DNS; returns the address used.

        Raises:
            UnknownDomain: the account has not claimed that domain.
            InvalidInput: not an email address.
            TooManyShares: more than :data:`SHARES_PER_HOUR` in the last hour for the account.
            DeliveryFailed: the email could not be sent (it is kept, marked failed).
        """
        domain_name = parse_domain(name)
        to = parse_contact_email(recipient)
        now = self._flow.services.clock.now()
        with self._flow.admin_session() as (db, user):
            self._require(db, user)
            domain = _own_claim(db, user, domain_name)
            if claim_expired(domain, now):
                raise DomainClaimExpired(expired_words(domain_name))
            if domain.verified_at is None and verified_elsewhere(db, name=domain_name, account_id=user.account_id):
                raise DomainTaken(domain_name)
            recent = db.exec(
                select(AuditEvent).where(
                    AuditEvent.account_id == user.account_id,
                    AuditEvent.action == AuditAction.RECORD_SHARED.value,
                    col(AuditEvent.at) > now - timedelta(hours=1),
                )
            ).all()
            if len(recent) >= SHARES_PER_HOUR:
                raise TooManyShares()
            status = self._status(domain)
            body = (
                f"{user.email} asked Connect to send you the DNS record that proves {domain_name} "
                "belongs to their email-security account.\n\n"
                f"Please publish this TXT record on {status.record_name}:\n\n"
                f"    Name:  {status.record_name}\n    Type:  TXT\n    Value: {status.record_value}\n\n"
                "Keep any TXT records already there. Once it is published, tell them so they can "
                "check it in Connect.\n"
            )
            sent = self._flow.services.courier.send(
                db,
                OutgoingMessage(
                    Channel.EMAIL, to, body, subject=f"DNS record to publish for {domain_name}", user_id=user.id
                ),
                now=now,
            )
            record_admin_event(
                db, user, AuditAction.RECORD_SHARED, now=now, outcome=sent.status, detail=f"TXT {domain_name} to {to}"
            )
            if sent.status == "failed":
                raise DeliveryFailed(f"The email to {to} could not be sent; try again in a few minutes.")
        return to

    def step_for(self, domains: list[DomainStatus], *, primary_domain: str) -> str:
        """The catalogue step the admin is at, from the primary domain's claim.

        ``primary`` until it is claimed (or while its claim is expired or taken),
        ``publish`` until its record was checked once, ``check`` after a check that
        did not find it, ``more`` once it is verified.
        """
        primary = next((d for d in domains if d.name == primary_domain), None)
        if primary is None or primary.expired or primary.taken:
            return "primary"
        if primary.verified:
            return "more"
        return "check" if primary.last_message else "publish"

    def finish(self, *, version: int, primary_domain: str) -> TaskStatus:
        """Complete Validate Your Domains once the primary domain is verified.

        Raises:
            DomainNotVerified: the primary domain still needs its check.
        """
        board = self._board
        board.require(TASK, allowed=OPEN, complete="your primary domain is verified already.")
        verified = {d.name for d in self.domains() if d.verified}
        if primary_domain not in verified:
            raise DomainNotVerified(
                f"Verify your primary domain {primary_domain} first: publish its TXT record, then Check now."
            )
        return board.save(TASK, version=version, state=TaskState.COMPLETE, data={"verified": sorted(verified)})


class DomainNotVerified(ConnectError):
    code = "domain_not_verified"


class TooManyShares(ConnectError):
    code = "too_many_shares"
    default_message = (
        f"The record was already emailed {SHARES_PER_HOUR} times in the last hour. Copy it from this "
        "page instead, or try again later."
    )


def _claim_of(db: Session, admin: AdminUser, name: str) -> Domain | None:
    """The admin's account's claim on ``name``, if it has one."""
    return db.exec(select(Domain).where(Domain.name == name, Domain.account_id == admin.account_id)).first()


def _own_claim(db: Session, admin: AdminUser, name: str) -> Domain:
    """The admin's account's claim on ``name``, or :class:`UnknownDomain` (never claimed, or released)."""
    domain = _claim_of(db, admin, name)
    if domain is None:
        raise UnknownDomain()
    return domain


def _refuse_taken(db: Session, admin: AdminUser, name: str, now: datetime) -> NoReturn:
    """Record the refusal of a domain another account has verified, then raise :class:`DomainTaken`."""
    detail = f"{name} is verified by another account"
    record_admin_event(db, admin, AuditAction.DOMAIN_REFUSED, now=now, outcome="refused", detail=detail)
    raise DomainTaken(name)


def release_domain(services: ConnectServices, *, name: object, account_code: object, actor: str = "support") -> str:
    """Remove an account's claim on a domain, verified or not (support staff; audited).

    Used when a claim is in the real owner's way: the owner can then add and verify it.

    Returns:
        What was released, in one line for the operator.

    Raises:
        InvalidInput: not a domain name or an account code.
        UnknownDomain: the account has no claim on that domain (nothing to release).
    """
    domain_name = parse_domain(name)
    code = read_text(account_code, field="account", label="account code", max_length=32).upper()
    now = services.clock.now()
    with services.transaction() as db:
        account = db.exec(select(Account).where(Account.code == code)).first()
        if account is None:
            raise UnknownDomain(f"No account has the code {code}: nothing was released.")
        domain = db.exec(select(Domain).where(Domain.account_id == account.id, Domain.name == domain_name)).first()
        if domain is None:
            raise UnknownDomain(f"{code} has no claim on {domain_name}: nothing to release.")
        kind = "verified" if domain.verified_at is not None else "unverified"
        db.delete(domain)
        detail = f"{domain_name}: {kind} claim of {code} released"
        record_account_event(db, account.id, AuditAction.DOMAIN_RELEASED, now=now, actor=actor, detail=detail)
    return f"{domain_name} ({kind} claim of {code})"
