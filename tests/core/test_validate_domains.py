"""Validate Your Domains beyond the claims: its steps, Finish, and what it refuses (live DNS on loopback).

The claims between accounts are pinned down in ``test_domain_claims.py``.
"""

from __future__ import annotations

import pytest

from connect_widgets.core import errors
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.validate_domains import DomainNotVerified
from tests.core.task_setup import audit_rows, domains_task, signed_in_board


@pytest.fixture
def domains(services, flow, account, zone):  # type: ignore[no-untyped-def]
    records, port = zone
    board = signed_in_board(services, flow, account)
    board.start("validate_domains")
    return board, domains_task(board, services, port), records


def test_the_steps_follow_the_primary_domain_from_added_to_verified_then_finish_completes(domains, services, clock):
    board, task, records = domains
    step = lambda: task.step_for(task.domains(), primary_domain="acme.example")  # noqa: E731
    assert step() == "primary"
    added = task.add("ACME.example")
    assert (added.name, added.record_value.startswith(task.service.verification_prefix)) == ("acme.example", True)
    assert step() == "publish"
    assert not task.check("acme.example").ok  # nothing published yet
    assert step() == "check"
    records.txt["acme.example"] = [added.record_value]
    clock.advance(minutes=5)
    assert task.check("acme.example").ok
    assert step() == "more"
    covered = task.add("mail.acme.example")  # a subdomain of a verified domain needs no check
    assert covered.verified and covered.last_message == "Covered by the verified domain acme.example."
    status = task.finish(version=board.overview().get("validate_domains").version, primary_domain="acme.example")
    assert status.state is TaskState.COMPLETE
    assert status.data["verified"] == ["acme.example", "mail.acme.example"]
    assert [e.outcome for e in audit_rows(services, "dns_check")] == ["no_such_name", "ok"]


def test_finish_is_refused_until_the_primary_domain_is_verified_and_once_the_task_is_complete(domains):
    board, task, records = domains
    task.add("acme.example")
    version = board.overview().get("validate_domains").version
    with pytest.raises(DomainNotVerified, match="^Verify your primary domain acme.example first"):
        task.finish(version=version, primary_domain="acme.example")
    records.txt["acme.example"] = [task.domains()[0].record_value]
    task.check("acme.example")
    task.finish(version=version, primary_domain="acme.example")
    with pytest.raises(errors.TaskComplete):
        task.finish(version=version + 1, primary_domain="acme.example")


@pytest.mark.parametrize("typed", ["", "not a domain", "acme", "-acme.example", "acme..example", 42])
def test_a_domain_that_cannot_be_one_is_refused_in_words(domains, typed):
    _board, task, _records = domains
    with pytest.raises(errors.InvalidInput):
        task.add(typed)
    assert task.domains() == []


def test_checking_or_sharing_a_domain_not_claimed_is_refused(domains):
    _board, task, _records = domains
    with pytest.raises(errors.UnknownDomain):
        task.check("other.example")
    with pytest.raises(errors.UnknownDomain):
        task.share("other.example", "dns@acme.example")


def test_the_record_is_only_shared_with_an_email_address(domains):
    _board, task, _records = domains
    task.add("acme.example")
    with pytest.raises(errors.InvalidInput):
        task.share("acme.example", "not an address")
    assert task.share("acme.example", " DNS@Provider.example ") == "dns@provider.example"
