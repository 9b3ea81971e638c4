"""Validate Your Domains against a live DNS server on loopback."""

from __future__ import annotations

import pytest
from sqlmodel import select

from connect_widgets.core import errors
from connect_widgets.core.accounts.create import create_account
from connect_widgets.core.adapters.dns import DnsChecker, DnsOutcome
from connect_widgets.core.adapters.service_values import load_service_values
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.tasks.board import TaskBoard
from connect_widgets.core.tasks.confirm_details import ConfirmDetailsTask
from connect_widgets.core.tasks.validate_domains import DomainTaken, ValidateDomainsTask
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AuditEvent, Domain
from tests.conftest import first_login


@pytest.fixture
def book(zone, services, flow, account) -> ValidateDomainsTask:
    _records, port = zone
    first_login(flow, services, account)
    board = TaskBoard(flow)
    ConfirmDetailsTask(board).confirm(version=board.start("confirm_details").version)  # unlocks Validate Your Domains
    settings = services.settings.model_copy(update={"dns_nameservers": f"127.0.0.1:{port}"})
    return ValidateDomainsTask(board, checker=DnsChecker(settings), service=load_service_values())


def test_a_domain_gets_a_token_and_the_exact_record_to_publish(book):
    status = book.add("Acme.Example")
    assert status.name == status.record_name == "acme.example"
    assert status.record_value.startswith("connect-verify=") and len(status.record_value) > 30
    assert not status.verified
    assert book.add("acme.example") == status  # adding it again changes nothing


def test_checking_before_publishing_says_the_name_is_not_there(book):
    book.add("acme.example")
    result = book.check("acme.example")
    assert result.outcome is DnsOutcome.NO_SUCH_NAME
    assert not book.domains()[0].verified


def test_publishing_the_record_then_checking_verifies_the_domain(book, zone, services):
    records, _port = zone
    status = book.add("acme.example")
    records.txt["acme.example"] = ["v=spf1 -all", "connect-verify=stale"]
    wrong = book.check("acme.example")
    assert wrong.outcome is DnsOutcome.WRONG and "connect-verify=stale" in wrong.message
    records.txt["acme.example"].append(status.record_value)
    assert book.check("acme.example").ok
    assert book.domains()[0].verified
    with new_session(services.engine) as db:
        checks = db.exec(select(AuditEvent).where(AuditEvent.action == "dns_check")).all()
        domain = db.exec(select(Domain)).one()
    assert [c.outcome for c in checks] == ["wrong", "ok"]
    assert domain.last_outcome == "ok" and domain.verified_at is not None


def test_a_subdomain_of_a_verified_domain_needs_no_check(book, zone):
    records, _port = zone
    records.txt["acme.example"] = [book.add("acme.example").record_value]
    book.check("acme.example")
    assert book.add("eu.acme.example").verified
    assert not book.add("acme-other.example").verified


def test_a_domain_another_account_verified_is_refused(book, services, clock, zone):
    records, _port = zone
    records.txt["acme.example"] = [book.add("acme.example").record_value]
    assert book.check("acme.example").ok
    rival = create_account(services, code="RIVAL", company="Rival", primary_domain="rival.example", admin_name="rob")
    clock.advance(minutes=1)
    flow = LoginFlow(services)
    first_login(flow, services, rival, new_password="copper meadow lantern 88")
    board = TaskBoard(flow)
    ConfirmDetailsTask(board).confirm(version=board.start("confirm_details").version)
    rival_book = ValidateDomainsTask(board, checker=book._checker, service=book._service)
    with pytest.raises(DomainTaken, match="^acme.example is verified by another Connect account"):
        rival_book.add("ACME.example")


def test_checking_a_domain_not_on_the_list_is_refused(book):
    with pytest.raises(errors.UnknownDomain):
        book.check("never-added.example")


@pytest.mark.parametrize("typed", ["", "not a domain", "a" * 300, "acme..example", "\x00.example"])
def test_bad_domain_input_gets_a_clear_message(book, typed):
    with pytest.raises(errors.InvalidInput):
        book.add(typed)
