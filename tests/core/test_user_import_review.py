"""Add Users Manually round trip: stage, submit, the Connect team approves (users added) or rejects (reason shown)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from connect_widgets.core import errors
from connect_widgets.core.review.queue import ReviewNotPending, ReviewQueue
from connect_widgets.core.tasks.add_users import AddUsersTask
from connect_widgets.core.tasks.board import TaskBoard
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AdminUser, AuditEvent, MailUser, Review
from tests.conftest import START, verify_domain

FILE = (
    b"email,first_name,last_name\r\njane@acme.example,Jane,Smith\r\nsam@acme.example,Sam,Jones\r\n"
    b"bad@other.example,Bad,Domain\r\n"
)


@pytest.fixture
def board(board: TaskBoard, services) -> TaskBoard:
    """The shared signed-in board, with Confirm Your Details complete and acme.example verified."""
    board.save("confirm_details", version=0, state=TaskState.COMPLETE)
    verify_domain(services)
    return board


@pytest.fixture
def task(board) -> AddUsersTask:
    board.start("add_users")
    return AddUsersTask(board)


@pytest.fixture
def queue(services) -> ReviewQueue:
    return ReviewQueue(services, staff="Priya (Connect team)")


def mail_users(services) -> dict[str, tuple[str, str, int | None]]:
    with new_session(services.engine) as db:
        return {u.email: (u.first_name, u.last_name, u.review_id) for u in db.exec(select(MailUser))}


def audit(services) -> list[tuple[str, str, str]]:
    with new_session(services.engine) as db:
        return [(e.action, e.actor, e.detail) for e in db.exec(select(AuditEvent))]


def staged(task: AddUsersTask) -> list[str]:
    return [u["email"] for u in task.batch().users]


def test_submitting_waits_for_staff_whose_approval_adds_the_users_and_completes_the_task(task, queue, services):
    status = task.check_file(version=task.status().version, filename="users.csv", content=FILE)
    status = task.add_user(version=status.version, email="Kim@Acme.example", first_name="Kim", last_name="Lee")
    assert staged(task) == ["jane@acme.example", "sam@acme.example", "kim@acme.example"]
    waiting = task.submit(version=status.version)
    assert (waiting.state, waiting.step) == (TaskState.AWAITING_VALIDATION, "submit")
    with pytest.raises(errors.StepOutOfOrder, match="with the Connect team"):
        task.add_user(version=waiting.version, email="late@acme.example")
    with pytest.raises(errors.StepOutOfOrder):
        task.submit(version=waiting.version)
    [pending] = queue.pending()
    assert (pending.kind, pending.task_key, len(pending.payload["users"])) == ("user_import", "add_users", 3)
    assert mail_users(services) == {}  # nothing is added before staff approve
    queue.approve(pending.id)
    done = task.status()
    assert done.state is TaskState.COMPLETE and task.batch().users_added == 3
    assert mail_users(services) == {
        "jane@acme.example": ("Jane", "Smith", pending.id),
        "sam@acme.example": ("Sam", "Jones", pending.id),
        "kim@acme.example": ("Kim", "Lee", pending.id),
    }
    actions = audit(services)
    assert any(a == "users_submitted" and d == f"3 users sent for review {pending.id}" for a, _, d in actions)
    assert (
        "users_added",
        "staff:Priya (Connect team)",
        f"3 users added from review {pending.id} (0 already there)",
    ) in actions
    assert any(a == "review_approved" for a, _, _ in actions)
    with pytest.raises(errors.StepOutOfOrder, match="complete"):
        task.check_file(version=done.version, filename="users.csv", content=FILE)
    with pytest.raises(ReviewNotPending):
        queue.approve(pending.id)


def test_a_user_who_exists_by_approval_time_is_skipped_and_counted(task, queue, services):
    status = task.check_file(version=task.status().version, filename="users.csv", content=FILE)
    task.submit(version=status.version)
    with new_session(services.engine) as db:
        account_id = db.exec(select(AdminUser)).first().account_id
        db.add(MailUser(account_id=account_id, email="sam@acme.example", first_name="Samuel", created_at=START))
        db.commit()
    queue.approve(queue.pending()[0].id)
    batch = task.batch()
    assert (batch.users_added, batch.users_skipped) == (1, 1)
    assert mail_users(services)["sam@acme.example"][0] == "Samuel"  # the existing user is left as it was


def test_a_rejection_returns_the_batch_with_the_reason_and_it_can_be_corrected_and_resubmitted(task, queue):
    status = task.check_file(version=task.status().version, filename="users.csv", content=FILE)
    task.submit(version=status.version)
    [pending] = queue.pending()
    with pytest.raises(errors.InvalidInput):
        queue.reject(pending.id, reason="no")
    queue.reject(pending.id, reason="Sam left the company; take him out and send the rest.")
    back = task.status()
    assert (back.state, back.step) == (TaskState.IN_PROGRESS, "review")
    assert task.batch().rejection == "Sam left the company; take him out and send the rest."
    assert staged(task) == ["jane@acme.example", "sam@acme.example"]
    again = task.remove_user(version=back.version, email="sam@acme.example")
    task.submit(version=again.version)
    assert task.batch().rejection is None  # waiting again: the old answer is not shown
    [second] = queue.pending()
    assert [u["email"] for u in second.payload["users"]] == ["jane@acme.example"]


def test_users_added_by_hand_get_the_same_checks_and_stay_when_a_new_file_arrives(task, services):
    version = task.status().version
    for email, message in [
        ("not an address", "Enter one email address"),
        ("x@other.example", "other.example is not one of your verified domains"),
        ("", "Enter your email address."),
    ]:
        with pytest.raises(errors.InvalidInput, match=message):
            task.add_user(version=version, email=email)
    with pytest.raises(errors.InvalidInput, match="can't start with ="):
        task.add_user(version=version, email="a@acme.example", first_name="=cmd|' /C calc'!A0")
    status = task.add_user(version=version, email="jane@acme.example", first_name="Jane")
    with pytest.raises(errors.InvalidInput, match="already in this batch"):
        task.add_user(version=status.version, email="JANE@acme.example")
    status = task.check_file(version=status.version, filename="users.csv", content=FILE)
    batch = task.batch()
    assert staged(task) == ["jane@acme.example", "sam@acme.example"]
    assert [(e["row"], e["message"]) for e in batch.errors] == [
        (2, "Already added by hand."),
        (
            4,
            "other.example is not one of your verified domains. Verify it in Validate Your Domains, or correct "
            "the address.",
        ),
    ]
    status = task.check_file(version=status.version, filename="fixed.csv", content=b"email\r\nkim@acme.example\r\n")
    assert staged(task) == ["jane@acme.example", "kim@acme.example"]  # the last file's rows replaced
    assert task.batch().error_count == 0 and task.batch().filename == "fixed.csv"


def test_an_empty_batch_cannot_be_submitted_and_a_missing_row_cannot_be_removed(task):
    version = task.status().version
    with pytest.raises(errors.InvalidInput, match="no users to submit"):
        task.submit(version=version)
    with pytest.raises(errors.InvalidInput, match="not in the batch"):
        task.remove_user(version=version, email="nobody@acme.example")


def test_a_page_that_read_an_older_version_is_told_to_reload(task):
    stale = task.status().version
    task.add_user(version=stale, email="jane@acme.example")
    with pytest.raises(errors.TaskConflict):
        task.add_user(version=stale, email="sam@acme.example")
    assert staged(task) == ["jane@acme.example"]


def test_the_review_payload_holds_only_the_staged_users_and_the_audit_no_addresses(task, services):
    status = task.check_file(version=task.status().version, filename="users.csv", content=FILE)
    task.submit(version=status.version)
    with new_session(services.engine) as db:
        review = db.exec(select(Review)).one()
    assert review.payload == {
        "users": [
            {"email": "jane@acme.example", "first_name": "Jane", "last_name": "Smith", "row": 2},
            {"email": "sam@acme.example", "first_name": "Sam", "last_name": "Jones", "row": 3},
        ]
    }
    assert not any("jane@acme.example" in detail for _, _, detail in audit(services))
