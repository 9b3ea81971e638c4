"""Validate Your Domains: claim a domain, publish its TXT record, check it.

Each domain gets a random verification token; the admin publishes
``<prefix><token>`` as a TXT record on the domain and asks for a check. A domain
claimed by another account is refused; a subdomain of a domain the account has
already verified needs no check. Every check's outcome is kept on the domain and
in the audit trail, and the admin can check again as often as needed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from connect_widgets.core.accounts import parse_domain
from connect_widgets.core.audit import AuditAction, record_event
from connect_widgets.core.delivery import Channel, OutgoingMessage
from connect_widgets.core.dns_checks import DnsCheck, DnsChecker
from connect_widgets.core.emails import parse_contact_email
from connect_widgets.core.errors import ConnectError, DeliveryFailed, UnknownDomain
from connect_widgets.core.login import LoginFlow
from connect_widgets.core.progress import TaskBoard, TaskStatus
from connect_widgets.core.tasks import TaskState
from connect_widgets.core.service_values import ServiceValues
from connect_widgets.store.models import AdminUser, AuditEvent, Domain

SHARES_PER_HOUR = 10  # per account: enough for a team, too few to make Connect a spam relay


class DomainTaken(ConnectError):
    code = "domain_taken"
    default_message = (
        "That domain belongs to another Connect account. If it is yours, contact Connect support."
    )


@dataclass(frozen=True)
class DomainStatus:
    """A claimed domain as the admin sees it, with the exact record to publish."""

    name: str
    record_name: str
    record_value: str
    verified_at: datetime | None
    last_message: str | None

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class DomainBook:
    """The signed-in admin's account's domains."""

    def __init__(self, flow: LoginFlow, *, checker: DnsChecker, service: ServiceValues) -> None:
        self._flow = flow
        self._checker = checker
        self._service = service

    def _status(self, domain: Domain) -> DomainStatus:
        return DomainStatus(
            name=domain.name,
            record_name=domain.name,
            record_value=f"{self._service.verification_prefix}{domain.verification_token}",
            verified_at=domain.verified_at,
            last_message=domain.last_message,
        )

    def _mine(self, db: Session, user: AdminUser) -> list[Domain]:
        return list(db.exec(select(Domain).where(Domain.account_id == user.account_id)
                            .order_by(col(Domain.id))))

    def domains(self) -> list[DomainStatus]:
        with self._flow.admin_session() as (db, user):
            return [self._status(d) for d in self._mine(db, user)]

    def add(self, name: object) -> DomainStatus:
        """Claim a domain (idempotent for the account's own domains).

        Raises:
            InvalidInput: not a domain name.
            DomainTaken: another account claimed it.
        """
        domain_name = parse_domain(name)
        now = self._flow.services.clock.now()
        with self._flow.admin_session() as (db, user):
            existing = db.exec(select(Domain).where(Domain.name == domain_name)).first()
            if existing is not None:
                if existing.account_id != user.account_id:
                    record_event(db, action=AuditAction.DOMAIN_REFUSED, outcome="refused", now=now,
                                 actor=user.email, account_id=user.account_id, user_id=user.id,
                                 detail=f"{domain_name} belongs to another account")
                    raise DomainTaken()
                return self._status(existing)
            parent = next((d for d in self._mine(db, user) if d.verified_at is not None
                           and domain_name.endswith("." + d.name)), None)
            domain = Domain(account_id=user.account_id, name=domain_name,
                            verification_token=secrets.token_urlsafe(18), created_at=now,
                            verified_at=now if parent else None,
                            last_message=f"Covered by the verified domain {parent.name}." if parent else None)
            db.add(domain)
            record_event(db, action=AuditAction.DOMAIN_ADDED, now=now, actor=user.email,
                         account_id=user.account_id, user_id=user.id,
                         detail=domain_name + (f" (subdomain of verified {parent.name})" if parent else ""))
            db.flush()
            return self._status(domain)

    def check(self, name: object) -> DnsCheck:
        """Look the domain's TXT record up now; record the outcome; verify on success.

        Raises:
            UnknownDomain: the account has not claimed that domain.
        """
        domain_name = parse_domain(name)
        with self._flow.admin_session() as (db, user):
            domain = db.exec(select(Domain).where(Domain.name == domain_name,
                                                  Domain.account_id == user.account_id)).first()
            if domain is None:
                raise UnknownDomain()
            expected = f"{self._service.verification_prefix}{domain.verification_token}"
        result = self._checker.check_txt(domain_name, expected)  # no transaction held over the network
        now = self._flow.services.clock.now()
        with self._flow.admin_session() as (db, user):
            domain = db.exec(select(Domain).where(Domain.name == domain_name)).one()
            domain.last_checked_at, domain.last_outcome = now, result.outcome.value
            domain.last_message = result.message[:500]
            if result.ok and domain.verified_at is None:
                domain.verified_at = now
            db.add(domain)
            record_event(db, action=AuditAction.DNS_CHECK, outcome=result.outcome.value, now=now,
                         actor=user.email, account_id=user.account_id, user_id=user.id,
                         detail=f"TXT {domain_name}: {result.outcome.value}")
        return result

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
            domain = db.exec(select(Domain).where(Domain.name == domain_name,
                                                  Domain.account_id == user.account_id)).first()
            if domain is None:
                raise UnknownDomain()
            recent = db.exec(select(AuditEvent).where(
                AuditEvent.account_id == user.account_id, AuditEvent.action == AuditAction.RECORD_SHARED.value,
                col(AuditEvent.at) > now - timedelta(hours=1))).all()
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
                db, OutgoingMessage(Channel.EMAIL, to, body, subject=f"DNS record to publish for {domain_name}",
                                    user_id=user.id), now=now)
            record_event(db, action=AuditAction.RECORD_SHARED, outcome=sent.status, now=now, actor=user.email,
                         account_id=user.account_id, user_id=user.id, detail=f"TXT {domain_name} to {to}")
            if sent.status == "failed":
                raise DeliveryFailed(f"The email to {to} could not be sent; try again in a few minutes.")
        return to

    def finish(self, *, board: TaskBoard, version: int, primary_domain: str) -> TaskStatus:
        """Complete Validate Your Domains once the primary domain is verified.

        Raises:
            DomainNotVerified: the primary domain still needs its check.
        """
        verified = {d.name for d in self.domains() if d.verified}
        if primary_domain not in verified:
            raise DomainNotVerified(
                f"Verify your primary domain {primary_domain} first: publish its TXT record, then Check now."
            )
        return board.save("validate_domains", version=version, state=TaskState.COMPLETE,
                          data={"verified": sorted(verified)})


class DomainNotVerified(ConnectError):
    code = "domain_not_verified"


class TooManyShares(ConnectError):
    code = "too_many_shares"
    default_message = (
        f"The record was already emailed {SHARES_PER_HOUR} times in the last hour. Copy it from this "
        "page instead, or try again later."
    )
