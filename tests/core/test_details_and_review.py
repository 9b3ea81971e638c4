"""Confirm Your Details and the Connect team's review queue, round trip."""

from __future__ import annotations

import pytest
from sqlmodel import select

from connect_widgets.core import errors
from connect_widgets.core.review.queue import ReviewNotPending, ReviewQueue
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.confirm_details import ConfirmDetailsTask
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import Account, AuditEvent
from tests.conftest import ACME_DETAILS


@pytest.fixture
def details(board) -> ConfirmDetailsTask:
    return ConfirmDetailsTask(board)


@pytest.fixture
def queue(services) -> ReviewQueue:
    return ReviewQueue(services, staff="Priya (Connect team)")


def test_confirming_the_details_completes_the_gate_task(board, details):
    status = board.start("confirm_details")
    assert details.details().company == "Acme Ltd"
    assert details.confirm(version=status.version).state is TaskState.COMPLETE
    assert board.overview().get("validate_domains").state is TaskState.NOT_STARTED


def test_sending_nothing_changed_is_refused(board, details):
    status = board.start("confirm_details")
    with pytest.raises(errors.InvalidInput, match="Nothing was changed"):
        details.send_for_review(version=status.version, **ACME_DETAILS)


def test_a_correction_waits_for_staff_who_approve_it_and_the_admin_confirms_again(board, details, queue, services):
    status = board.start("confirm_details")
    waiting = details.send_for_review(version=status.version, **{**ACME_DETAILS, "company": "Acme Group plc"})
    assert waiting.state is TaskState.AWAITING_VALIDATION and details.details().pending_review
    with pytest.raises(errors.StepOutOfOrder):
        details.confirm(version=waiting.version)
    [pending] = queue.pending()
    assert (pending.account_code, pending.payload) == ("ACME", {"company": "Acme Group plc"})
    queue.approve(pending.id)
    assert queue.pending() == []
    back = board.overview().get("confirm_details")
    assert back.state is TaskState.IN_PROGRESS and details.details().approved
    assert details.details().company == "Acme Group plc"
    assert details.confirm(version=back.version).state is TaskState.COMPLETE
    with new_session(services.engine) as db:
        assert db.exec(select(Account)).one().company == "Acme Group plc"
        actions = [e.action for e in db.exec(select(AuditEvent))]
    assert {"review_requested", "review_approved"} <= set(actions)


def test_a_rejection_needs_a_reason_and_the_admin_sees_it(board, details, queue):
    status = board.start("confirm_details")
    details.send_for_review(version=status.version, **{**ACME_DETAILS, "primary_domain": "acme-group.example"})
    [pending] = queue.pending()
    with pytest.raises(errors.InvalidInput):
        queue.reject(pending.id, reason="")
    queue.reject(pending.id, reason="The domain is registered to another company; send proof of ownership.")
    seen = details.details()
    assert seen.rejection.startswith("The domain is registered") and not seen.pending_review
    assert board.overview().get("confirm_details").state is TaskState.IN_PROGRESS
    with pytest.raises(ReviewNotPending):
        queue.approve(pending.id)  # decided already


def test_a_page_opened_before_the_staff_decision_must_reload(board, details, queue):
    status = board.start("confirm_details")
    waiting = details.send_for_review(version=status.version, **{**ACME_DETAILS, "region": "eu"})
    queue.approve(queue.pending()[0].id)
    with pytest.raises(errors.TaskConflict):
        details.confirm(version=waiting.version)


@pytest.mark.parametrize(
    "field,value",
    [("company", ""), ("primary_domain", "not a domain"), ("platform", "lotus notes"), ("region", "moon")],
)
def test_bad_corrections_are_refused_and_nothing_is_queued(board, details, queue, field, value):
    status = board.start("confirm_details")
    with pytest.raises(errors.InvalidInput):
        details.send_for_review(version=status.version, **{**ACME_DETAILS, field: value})
    assert queue.pending() == []
    assert board.overview().get("confirm_details").state is TaskState.IN_PROGRESS
