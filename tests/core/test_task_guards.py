"""Every task action checks the task's saved state in the core, whatever the page sent:
locked tasks refuse, complete tasks are not reopened, and an action for another step is refused."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from connect_widgets.core import errors
from connect_widgets.core.adapters.dns import DnsChecker
from connect_widgets.core.adapters.service_values import load_service_values
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.confirm_details import ConfirmDetailsTask
from connect_widgets.core.tasks.journaling import JournalingTask
from connect_widgets.core.tasks.outbound_email import OutboundEmailTask
from connect_widgets.core.tasks.validate_domains import ValidateDomainsTask
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AuditEvent, Domain, Review, TaskProgress
from tests.conftest import ACME_DETAILS


def count(services, model, *where) -> int:  # type: ignore[no-untyped-def]
    with new_session(services.engine) as db:
        return db.exec(select(func.count()).select_from(model).where(*where)).one()


def refusals(services) -> list[str]:  # type: ignore[no-untyped-def]
    with new_session(services.engine) as db:
        return list(db.exec(select(AuditEvent.detail).where(AuditEvent.action == "task_refused")))


def test_a_domain_cannot_be_added_while_validate_your_domains_is_locked(board, flow, services):
    book = ValidateDomainsTask(board, checker=DnsChecker(services.settings), service=load_service_values())
    with pytest.raises(errors.TaskLocked) as refused:
        book.add("eps.example")
    assert refused.value.message == "Validate Your Domains is locked until Confirm Your Details is complete."
    with pytest.raises(errors.TaskLocked):
        book.check("eps.example")
    with pytest.raises(errors.TaskLocked):
        book.share("eps.example", "dns@eps.example")
    assert count(services, Domain) == 0
    assert count(services, TaskProgress, TaskProgress.task_key == "validate_domains") == 0
    assert refusals(services) == ["validate_domains: task_locked (locked at None)"] * 3


def test_a_stepped_task_refuses_every_step_while_locked(board, services):
    outbound = OutboundEmailTask(board, service=load_service_values())
    with pytest.raises(
        errors.TaskLocked, match="^Set Up Your Outbound Email is locked until Validate Your Domains is complete.$"
    ):
        outbound.save_ranges(version=0, ranges="203.0.113.0/28")
    with pytest.raises(errors.TaskLocked):
        outbound.back(version=0)
    assert count(services, TaskProgress) == 0


def test_complete_details_cannot_be_reopened_by_sending_corrections(board, services):
    details = ConfirmDetailsTask(board)
    done = details.confirm(version=board.start("confirm_details").version)
    assert done.state is TaskState.COMPLETE
    with pytest.raises(errors.TaskComplete) as refused:
        details.send_for_review(version=done.version, **{**ACME_DETAILS, "company": "Mallory plc"})
    assert refused.value.message == (
        "Confirm Your Details is complete; to change your details now, contact Connect support."
    )
    with pytest.raises(errors.TaskComplete):
        details.confirm(version=done.version)
    status = board.overview().get("confirm_details")
    assert (status.state, status.version) == (TaskState.COMPLETE, done.version)
    assert count(services, Review) == 0
    assert details.details().company == "Acme Ltd"


def test_a_complete_task_is_never_saved_over(board):
    done = ConfirmDetailsTask(board).confirm(version=board.start("confirm_details").version)
    with pytest.raises(errors.TaskComplete):
        board.save("confirm_details", version=done.version, state=TaskState.IN_PROGRESS, step="review")
    assert board.overview().get("confirm_details").state is TaskState.COMPLETE


def test_an_action_for_another_step_is_refused_in_words(board):
    ConfirmDetailsTask(board).confirm(version=board.start("confirm_details").version)
    board.save("validate_domains", version=0, state=TaskState.COMPLETE)  # unlocks the mail tasks
    journaling = JournalingTask(board, service=load_service_values())
    status = board.start("journaling")
    assert status.step == "address"
    with pytest.raises(errors.StepNotOpen) as refused:
        journaling.confirm_rule(version=status.version, confirmed=True)
    assert refused.value.message == (
        "That step is not open: Journaling is not at that step (it is at address). The page shows where it is now."
    )
    assert board.overview().get("journaling").state is TaskState.IN_PROGRESS


def test_a_not_started_task_step_is_refused_until_started(board):
    ConfirmDetailsTask(board).confirm(version=board.start("confirm_details").version)
    board.save("validate_domains", version=0, state=TaskState.COMPLETE)
    journaling = JournalingTask(board, service=load_service_values())
    with pytest.raises(errors.StepNotOpen, match="^That step is not open: start Journaling first.$"):
        journaling.read_address(version=0)
    assert board.overview().get("journaling").state is TaskState.NOT_STARTED
