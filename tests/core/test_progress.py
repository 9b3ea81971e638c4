"""The task engine: locking, save and resume at every step, validation round trips,
two admins editing one account's task, and the audit trail."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from connect_widgets.core import errors
from connect_widgets.core.accounts.create import add_admin
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.tasks.board import TaskBoard
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AuditEvent, TaskProgress
from tests.conftest import NEW_PASSWORD, code_from_sms, first_login, reach_password


@pytest.fixture
def second_board(services, account, clock) -> TaskBoard:
    """Another admin of the same account, signed in on another page."""
    clock.advance(minutes=1)
    other = add_admin(services, account_code="ACME", admin_name="sam")
    flow = LoginFlow(services)
    first_login(flow, services, other, new_password="copper meadow lantern 88")
    return TaskBoard(flow)


def test_a_locked_task_is_refused_and_names_what_comes_first(board):
    with pytest.raises(
        errors.TaskLocked, match="^Validate Your Domains is locked until Confirm Your Details is complete.$"
    ):
        board.start("validate_domains")
    with pytest.raises(errors.TaskLocked):
        board.save("validate_domains", version=0, step="primary")


def test_an_unknown_task_or_step_is_refused(board):
    with pytest.raises(errors.UnknownTask):
        board.start("make_coffee")
    status = board.start("confirm_details")
    with pytest.raises(errors.StepOutOfOrder):
        board.save("confirm_details", version=status.version, step="teleport")


def test_every_step_is_saved_and_a_new_session_resumes_there(board, flow, services, account, clock):
    status = board.start("confirm_details")
    assert (status.state, status.step, status.version) == (TaskState.IN_PROGRESS, "review", 1)
    status = board.save(
        "confirm_details", version=status.version, step="confirm", data={"company": "Acme Ltd", "region": "uk"}
    )
    flow.log_out()
    clock.advance(hours=20)  # another day, another page
    again = LoginFlow(services)
    reach_password(again, account.admin_email)
    again.submit_password(NEW_PASSWORD)
    again.verify_passcode(code_from_sms(services))
    again.log_in()
    resumed = TaskBoard(again).overview().get("confirm_details")
    assert (resumed.state, resumed.step, resumed.data) == (
        TaskState.IN_PROGRESS,
        "confirm",
        {"company": "Acme Ltd", "region": "uk"},
    )
    assert again.landing().kind == "returning"


def test_data_is_merged_step_by_step(board):
    status = board.start("confirm_details")
    status = board.save("confirm_details", version=status.version, data={"company": "Acme"})
    status = board.save("confirm_details", version=status.version, data={"region": "eu"})
    assert status.data == {"company": "Acme", "region": "eu"} and status.version == 3


def test_awaiting_validation_then_complete_unlocks_the_next_tasks(board):
    status = board.start("confirm_details")
    status = board.save(
        "confirm_details",
        version=status.version,
        state=TaskState.AWAITING_VALIDATION,
        data={"correction": {"company": "Acme Group"}},
    )
    assert status.state is TaskState.AWAITING_VALIDATION
    assert board.overview().get("validate_domains").state is TaskState.LOCKED
    status = board.save("confirm_details", version=status.version, state=TaskState.COMPLETE)
    overview = board.overview()
    assert status.state is TaskState.COMPLETE
    assert overview.get("validate_domains").state is TaskState.NOT_STARTED
    assert overview.required_done == 1
    assert board._flow.landing().last_completed.key == "confirm_details"


def test_a_second_admin_saving_a_stale_version_is_told_to_reload(board, second_board, services):
    mine = board.start("confirm_details")
    theirs = second_board.overview().get("confirm_details")  # both pages read version 1
    assert mine.version == theirs.version == 1
    board.save("confirm_details", version=mine.version, data={"company": "Acme Ltd"})
    with pytest.raises(errors.TaskConflict, match="Reload the task"):
        second_board.save("confirm_details", version=theirs.version, data={"company": "ACME LIMITED"})
    reloaded = second_board.overview().get("confirm_details")
    assert reloaded.data == {"company": "Acme Ltd"} and reloaded.version == 2
    second_board.save("confirm_details", version=reloaded.version, data={"company": "ACME LIMITED"})
    with new_session(services.engine) as db:
        row = db.exec(select(TaskProgress).where(TaskProgress.task_key == "confirm_details")).one()
    assert row.data == {"company": "ACME LIMITED"} and row.version == 3


def test_progress_is_shared_by_the_accounts_admins(board, second_board):
    board.start("confirm_details")
    assert second_board.overview().get("confirm_details").state is TaskState.IN_PROGRESS


def test_each_change_is_audited_with_the_admin_who_made_it(board, second_board, services):
    status = board.start("confirm_details")
    with pytest.raises(errors.TaskConflict):
        second_board.save("confirm_details", version=status.version - 1, data={"x": 1})
    with new_session(services.engine) as db:
        events = db.exec(
            select(AuditEvent)
            .where(col(AuditEvent.action).in_(["task_saved", "task_conflict"]))
            .order_by(col(AuditEvent.id))
        ).all()
    assert [(e.action, e.actor, e.outcome) for e in events] == [
        ("task_saved", "jane@acme.mimecast.connect", "ok"),
        ("task_conflict", "sam@acme.mimecast.connect", "refused"),
    ]


def test_saving_needs_a_live_session(board, clock):
    status = board.start("confirm_details")
    clock.advance(minutes=31)
    with pytest.raises(errors.SessionExpired):
        board.save("confirm_details", version=status.version, data={"company": "x"})


def test_changes_made_by_also_to_existing_rows_are_kept(board, services):
    """A save's ``also`` may change rows that already exist (not only add new ones)."""
    from connect_widgets.store.models import Account

    def rename(db, user, now):
        account = db.get(Account, user.account_id)
        account.company = "Renamed Ltd"
        db.add(account)

    board.save("confirm_details", version=board.start("confirm_details").version, also=rename)
    with new_session(services.engine) as db:
        assert db.exec(select(Account)).one().company == "Renamed Ltd"
