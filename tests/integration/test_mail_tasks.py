"""Outbound, Inbound, MX, Recipient Validation and Journaling, against a live DNS server on loopback."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from connect_widgets.core import errors
from connect_widgets.core.adapters.service_values import load_service_values
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.inbound_email import InboundEmailTask
from connect_widgets.core.tasks.journaling import JournalingTask
from connect_widgets.core.tasks.mx_records import MxRecordsTask
from connect_widgets.core.tasks.outbound_email import OutboundEmailTask, parse_ip_ranges
from connect_widgets.core.tasks.recipient_validation import RecipientValidationTask
from connect_widgets.core.tasks.validate_domains import SHARES_PER_HOUR, TooManyShares
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AuditEvent, Message

SERVICE = load_service_values()


def audit(services, action: str) -> list[AuditEvent]:
    with new_session(services.engine) as db:
        return list(db.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))))


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the public IP ranges"),
        ("   \n ", "Enter the public IP ranges"),
        ("203.0.113.5/24", "did you mean 203.0.113.0/24"),
        ("10.0.0.0/8", "private or reserved"),
        ("192.168.1.1", "private or reserved"),
        ("8.0.0.0/8", "too wide"),
        ("mail.acme.example", "is not an IP address"),
        ("8.8.8.0/28; DROP TABLE domains", "DROP is not an IP address"),
        ("203.0.113.0/28", "private or reserved"),
        ("1.2.3.4\x00", "characters that can't be used"),
        (" ".join(f"8.8.{i}.0/24" for i in range(51)), "at most 50"),
    ],
)
def test_outbound_ranges_refuse_what_is_not_a_public_range(typed, message):
    with pytest.raises(errors.InvalidInput, match=message):
        parse_ip_ranges(typed)


def test_outbound_ranges_accept_addresses_ranges_and_ipv6_once_each():
    assert parse_ip_ranges("8.8.8.8\n8.8.4.0/24, 2001:4860:4860::8888 8.8.8.8") == [
        "8.8.8.8/32",
        "8.8.4.0/24",
        "2001:4860:4860::8888/128",
    ]


def test_outbound_end_to_end_with_a_real_spf_lookup(ready, services):
    board, checker, records, _book = ready
    task = OutboundEmailTask(board, checker=checker)
    status = board.start("outbound_email")
    assert status.step == "ip_ranges"
    with pytest.raises(errors.StepOutOfOrder):  # a forged click on a later step's button
        task.check_spf(version=status.version)
    status = task.save_ranges(version=status.version, ranges="8.8.4.0/24")
    assert (status.step, status.data["ip_ranges"]) == ("spf", ["8.8.4.0/24"])
    assert task.spf_record(status.data["ip_ranges"]) == f"v=spf1 ip4:8.8.4.0/24 include:{SERVICE.spf_include} ~all"

    status = task.check_spf(version=status.version)  # only the verification TXT is published
    assert status.step == "spf" and status.data["spf_check"]["outcome"] == "missing"
    records.txt["acme.example"].append("v=spf1 include:other.example ~all")
    status = task.check_spf(version=status.version)
    assert status.data["spf_check"]["outcome"] == "wrong" and "does not include" in status.data["spf_check"]["message"]
    records.txt["acme.example"][-1] = task.spf_record(["8.8.4.0/24"])
    status = task.check_spf(version=status.version)
    assert status.step == "connector" and status.data["spf_check"]["outcome"] == "ok"

    with pytest.raises(errors.InvalidInput, match="Tick the box"):
        task.confirm_connector(version=status.version, confirmed=False)
    status = task.back(version=status.version)
    assert status.step == "spf" and status.data["ip_ranges"] == ["8.8.4.0/24"]  # Back keeps the answers
    status = task.check_spf(version=status.version)
    status = task.confirm_connector(version=status.version, confirmed=True)
    assert status.state is TaskState.COMPLETE
    assert [e.outcome for e in audit(services, "dns_check")][-4:] == ["missing", "wrong", "ok", "ok"]
    assert board.overview().get("permitted_senders").state is TaskState.NOT_STARTED  # unlocked


def test_inbound_needs_every_setting_ticked_then_mx_checks_every_verified_domain(ready, services):
    board, checker, records, book = ready
    inbound = InboundEmailTask(board)
    status = inbound.read_ranges(version=board.start("inbound_email").version)
    assert status.step == "settings"
    count = len(SERVICE.inbound_settings)
    for forged in (None, [True] * (count - 1), [True] * (count - 1) + [False], ["yes"] * count):
        with pytest.raises(errors.InvalidInput, match="Tick each setting"):
            inbound.confirm_settings(version=status.version, ticks=forged)
    assert inbound.confirm_settings(version=status.version, ticks=[True] * count).state is TaskState.COMPLETE

    records.txt["sales.acme.example"] = []
    book.add("sales.acme.example")  # a subdomain of the verified primary: verified at once
    mx = MxRecordsTask(board, checker=checker)
    assert mx.domains() == ["acme.example", "sales.acme.example"]
    status = mx.ready(version=board.start("mx_records").version)
    records.mx["acme.example"] = [(10, "mx.oldhost.example")]
    status = mx.check_mx(version=status.version)
    assert status.state is TaskState.IN_PROGRESS and status.data["mx_check"]["outcome"] == "wrong"
    assert "mx.oldhost.example" in status.data["mx_check"]["message"]
    records.mx["acme.example"] = [(10, SERVICE.mx_hosts[0]), (20, SERVICE.mx_hosts[1])]
    status = mx.check_mx(version=status.version)
    assert status.state is TaskState.IN_PROGRESS  # the subdomain still has no MX
    assert "sales.acme.example has no MX record" in status.data["mx_check"]["message"]
    records.mx["sales.acme.example"] = [(10, SERVICE.mx_hosts[0])]
    assert mx.check_mx(version=status.version).state is TaskState.COMPLETE


def test_recipient_validation_refuses_directory_users_until_the_directory_syncs(ready):
    board, *_ = ready
    task = RecipientValidationTask(board)
    status = board.start("recipient_validation")
    with pytest.raises(errors.TaskLocked, match="needs Synchronize Your Directory"):
        task.choose(version=status.version, mode="directory")
    with pytest.raises(errors.InvalidInput):
        task.choose(version=status.version, mode="everyone'; --")
    status = task.choose(version=status.version, mode="known")
    assert status.state is TaskState.COMPLETE and status.data["mode"] == "known"


def test_journaling_shows_the_journal_address_and_needs_the_rule_confirmed(ready):
    board, *_ = ready
    task = JournalingTask(board)
    assert task.journal_address() == "journaling@journal.acme.example"
    status = task.read_address(version=board.start("journaling").version)
    with pytest.raises(errors.InvalidInput, match="journal rule"):
        task.confirm_rule(version=status.version, confirmed="true")
    status = task.confirm_rule(version=status.version, confirmed=True)
    assert status.state is TaskState.COMPLETE and status.data["journal_address"] == task.journal_address()


def test_the_record_can_be_emailed_to_whoever_runs_dns_within_a_limit(ready, services):
    _board, _checker, _records, book = ready
    other = book.add("acme-mail.example")
    assert book.share("acme-mail.example", "DNS@Provider.example") == "dns@provider.example"
    with new_session(services.engine) as db:
        sent = db.exec(select(Message).where(Message.channel == "email").order_by(col(Message.id).desc())).first()
    assert sent.recipient == "dns@provider.example" and other.record_value in sent.body
    assert "acme-mail.example" in sent.subject
    with pytest.raises(errors.InvalidInput):
        book.share("acme-mail.example", "not an address")
    with pytest.raises(errors.UnknownDomain):
        book.share("someone-else.example", "dns@provider.example")
    for _ in range(SHARES_PER_HOUR - 1):
        book.share("acme-mail.example", "dns@provider.example")
    with pytest.raises(TooManyShares):
        book.share("acme-mail.example", "dns@provider.example")
    assert len(audit(services, "record_shared")) == SHARES_PER_HOUR
