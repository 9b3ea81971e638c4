"""Domain claims: an unverified claim never blocks anyone; the first account to prove the
domain by its TXT record owns it; unverified claims expire; staff release claims (audited).

The TXT lookups go to a live DNS server on loopback.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from connect_widgets.core import errors
from connect_widgets.core.accounts.create import create_account
from connect_widgets.core.adapters.dns import DnsChecker
from connect_widgets.core.adapters.service_values import load_service_values
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.tasks.board import TaskBoard
from connect_widgets.core.tasks.confirm_details import ConfirmDetailsTask
from connect_widgets.core.tasks.validate_domains import (
    CLAIM_DAYS,
    DomainTaken,
    ValidateDomainsTask,
    release_domain,
)
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AuditEvent, Domain
from tests.conftest import first_login
from tests.races import all_at_once, kernels

SERVICE = load_service_values()


def domain_book(services, account, port: int, *, password: str = "harbour kettle violin 42") -> ValidateDomainsTask:  # type: ignore[no-untyped-def]
    """A signed-in admin of ``account`` whose details are confirmed (Validate Your Domains unlocked)."""
    flow = LoginFlow(services)
    first_login(flow, services, account, new_password=password)
    board = TaskBoard(flow)
    ConfirmDetailsTask(board).confirm(version=board.start("confirm_details").version)
    board.start("validate_domains")
    checker = DnsChecker(services.settings.model_copy(update={"dns_nameservers": f"127.0.0.1:{port}"}))
    return ValidateDomainsTask(board, checker=checker, service=SERVICE)


@pytest.fixture
def rival_account(services, account, clock):  # type: ignore[no-untyped-def]
    clock.advance(minutes=1)
    return create_account(services, code="EPS", company="EPS Group", primary_domain="eps.example", admin_name="eve")


@pytest.fixture
def books(services, account, rival_account, zone):  # type: ignore[no-untyped-def]
    """(the squatter ACME's book, the real owner EPS's book, the zone)."""
    records, port = zone
    acme = domain_book(services, account, port)
    eps = domain_book(services, rival_account, port, password="copper meadow lantern 88")
    return acme, eps, records


def claims(services) -> list[tuple[int, str, bool]]:  # type: ignore[no-untyped-def]
    with new_session(services.engine) as db:
        return [
            (d.account_id, d.name, d.verified_at is not None) for d in db.exec(select(Domain).order_by(col(Domain.id)))
        ]


def test_an_unverified_claim_does_not_block_the_real_owner(books, services):
    squatter, owner, records = books
    squatter.add("eps.example")
    mine = owner.add("eps.example")  # used to be "That domain belongs to another Connect account"
    assert not mine.verified and not mine.taken
    records.txt["eps.example"] = [mine.record_value]
    assert owner.check("eps.example").ok
    assert [d.verified for d in owner.domains()] == [True]
    assert [(n, v) for _a, n, v in claims(services)] == [("eps.example", False), ("eps.example", True)]


def test_the_first_to_verify_owns_it_and_the_others_are_told(books, services):
    squatter, owner, records = books
    squatter_claim = squatter.add("eps.example")
    records.txt["eps.example"] = [owner.add("eps.example").record_value]
    assert owner.check("eps.example").ok

    # The squatter's existing claim shows as taken at their next look and check.
    [shown] = squatter.domains()
    assert shown.taken and not shown.verified and not shown.waiting
    records.txt["eps.example"].append(squatter_claim.record_value)  # even with their record published
    with pytest.raises(DomainTaken) as taken:
        squatter.check("eps.example")
    assert taken.value.message == (
        "eps.example is verified by another Connect account. If it is yours, contact support."
    )
    assert squatter.domains()[0].last_message == taken.value.message
    # A new claim is refused on add, with the same words.
    with pytest.raises(DomainTaken, match="^eps.example is verified by another Connect account"):
        squatter.add("EPS.example")
    assert sum(v for _a, _n, v in claims(services)) == 1


def test_two_accounts_checking_at_the_same_instant_make_exactly_one_owner(
    services, settings, clock, account, rival_account, zone
):
    """Each round: both accounts publish their record for a fresh name and check at once, from two kernels."""
    records, port = zone
    with kernels(settings, clock, 2) as (one, two):
        books = [
            domain_book(one, account, port),
            domain_book(two, rival_account, port, password="copper meadow lantern 88"),
        ]
        for round_ in range(12):
            name = f"race{round_}.example"
            records.txt[name] = [book.add(name).record_value for book in books]
            results = all_at_once([lambda book=book, name=name: book.check(name) for book in books])
            winners = [r for r in results if not isinstance(r, BaseException)]
            losers = [r for r in results if isinstance(r, BaseException)]
            assert len(winners) == 1 and winners[0].ok, results
            assert len(losers) == 1 and isinstance(losers[0], DomainTaken), results
            assert [v for _a, n, v in claims(services) if n == name].count(True) == 1


def age_claims(services, age: timedelta) -> None:  # type: ignore[no-untyped-def]
    """Make every claim ``age`` older (the admins' sessions would not last 14 days of clock)."""
    with new_session(services.engine) as db:
        for domain in db.exec(select(Domain)):
            domain.created_at -= age
            db.add(domain)
        db.commit()


def test_an_unverified_claim_expires_and_is_added_again(books, services):
    _squatter, owner, records = books
    first = owner.add("eps.example")
    age_claims(services, timedelta(days=CLAIM_DAYS))
    [shown] = owner.domains()
    assert shown.expired and not shown.waiting
    records.txt["eps.example"] = [first.record_value]
    with pytest.raises(errors.DomainClaimExpired) as expired:
        owner.check("eps.example")
    assert expired.value.message == (
        "Your claim on eps.example expired: a domain must pass its check within 14 days of being added. "
        "Add eps.example again to get a new record to publish."
    )
    assert owner.domains() == []  # removed
    again = owner.add("eps.example")
    assert again.record_value != first.record_value and not again.expired
    records.txt["eps.example"] = [again.record_value]
    assert owner.check("eps.example").ok


def test_an_expired_claim_is_claimed_again_by_adding_it(books, services):
    _squatter, owner, _records = books
    first = owner.add("eps.example")
    age_claims(services, timedelta(days=CLAIM_DAYS, minutes=1))
    again = owner.add("eps.example")
    assert again.record_value != first.record_value and not again.expired and not again.verified


def test_staff_release_a_claim_and_the_audit_trail_says_who(books, services):
    squatter, owner, records = books
    records.txt["eps.example"] = [squatter.add("eps.example").record_value]
    assert squatter.check("eps.example").ok  # the squatter controlled the DNS then: it is theirs by proof
    with pytest.raises(DomainTaken):
        owner.add("eps.example")

    assert release_domain(services, name="EPS.example", account_code="acme") == ("eps.example (verified claim of ACME)")
    with new_session(services.engine) as db:
        [event] = db.exec(select(AuditEvent).where(AuditEvent.action == "domain_released")).all()
    assert (event.actor, event.outcome, event.detail) == (
        "support",
        "ok",
        "eps.example: verified claim of ACME released",
    )
    assert squatter.domains() == []
    assert not owner.add("eps.example").taken  # the real owner can claim it now

    with pytest.raises(errors.UnknownDomain, match="^ACME has no claim on eps.example: nothing to release.$"):
        release_domain(services, name="eps.example", account_code="ACME")
    with pytest.raises(errors.UnknownDomain, match="^No account has the code NOPE: nothing was released.$"):
        release_domain(services, name="eps.example", account_code="nope")
