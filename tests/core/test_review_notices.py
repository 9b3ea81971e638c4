"""The Connect team's decisions reach the admin's contact mailbox, and an open page can see them cheaply."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from connect_widgets.core.accounts.create import create_account
from connect_widgets.core.review.queue import ReviewQueue
from connect_widgets.core.tasks.add_users import AddUsersTask
from connect_widgets.core.tasks.board import TaskBoard
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.confirm_details import ConfirmDetailsTask
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AdminUser, LoginSession, Message
from tests.conftest import NEW_PASSWORD, first_login, send_correction, verify_domain

CONTACT = "it@acme.example"
REASON = "The domain is registered to another company; send proof of ownership."


@pytest.fixture
def contact_email() -> str:
    """ACME's admin has a real contact mailbox."""
    return CONTACT


@pytest.fixture
def queue(services) -> ReviewQueue:
    return ReviewQueue(services, staff="Priya")


def decision_mail(services) -> list[Message]:
    """Email sent after the welcome (the welcome is the account's first)."""
    with new_session(services.engine) as db:
        rows = db.exec(select(Message).where(Message.channel == "email").order_by(col(Message.id))).all()
    return [m for m in rows if "Connect team" in (m.subject or "") or "needs a change" in (m.subject or "")]


def test_an_approved_correction_is_emailed_to_the_contact_address(board, queue, services, account):
    send_correction(board, company="Acme Group plc")
    assert decision_mail(services) == []  # sending it emails nobody
    queue.approve(queue.pending()[0].id)
    [mail] = decision_mail(services)
    assert mail.recipient == CONTACT and mail.status == "sent" and mail.transport == "outbox"
    assert mail.subject == "Connect: the Connect team approved Confirm Your Details"
    assert "applied to the account" in mail.body and "check them and confirm" in mail.body
    assert services.settings.account_url("ACME") in mail.body
    assert account.temporary_password not in mail.body and NEW_PASSWORD not in mail.body


def test_a_rejection_email_names_the_task_and_gives_the_reason(board, queue, services):
    send_correction(board, primary_domain="acme-group.example")
    queue.reject(queue.pending()[0].id, reason=REASON)
    [mail] = decision_mail(services)
    assert mail.recipient == CONTACT
    assert mail.subject == "Connect: Confirm Your Details needs a change"
    assert f"Their reason: {REASON}" in mail.body
    assert "keeps the values you sent" in mail.body
    with new_session(services.engine) as db:
        jane = db.exec(select(AdminUser)).one()
    assert mail.user_id == jane.id


def test_an_approved_user_import_says_how_many_users_were_added(board, queue, services):
    board.save("confirm_details", version=0, state=TaskState.COMPLETE)
    verify_domain(services)
    task = AddUsersTask(board)
    status = task.add_user(version=board.start("add_users").version, email="sam@acme.example")
    task.submit(version=status.version)
    queue.approve(queue.pending()[0].id)
    [mail] = decision_mail(services)
    assert mail.subject == "Connect: the Connect team approved Add Users Manually"
    assert "1 user was added to your account, and Add Users Manually is complete." in mail.body


def test_an_admin_without_a_contact_mailbox_gets_no_email_but_the_decision_stands(flow, services, queue):
    plain = create_account(services, code="BETA", company="Beta Ltd", primary_domain="beta.example", admin_name="sam")
    first_login(flow, services, plain)
    board = TaskBoard(flow)
    send_correction(board, company="Beta Group", primary_domain="beta.example")
    queue.reject(queue.pending()[0].id, reason="Use the registered company name, please.")
    assert decision_mail(services) == []
    assert ConfirmDetailsTask(board).details().rejection == "Use the registered company name, please."


# --- what an open page reads every few seconds ------------------------------------------


def test_glance_sees_the_version_move_when_staff_decide(board, queue):
    assert board.glance("confirm_details").version == 0  # never saved
    send_correction(board, company="Acme Group plc")
    seen = board.glance("confirm_details")
    assert (seen.state, seen.by_staff) == (TaskState.AWAITING_VALIDATION, False)
    queue.reject(queue.pending()[0].id, reason=REASON)
    after = board.glance("confirm_details")
    assert after.version == seen.version + 1
    assert (after.state, after.by_staff) == (TaskState.IN_PROGRESS, True)


def test_glancing_is_not_activity_so_an_open_page_still_times_out(board, services, clock):
    board.overview()
    with new_session(services.engine) as db:
        before = db.exec(select(LoginSession.last_seen_at)).one()
    clock.advance(minutes=20)
    assert board.glance("confirm_details") is not None
    with new_session(services.engine) as db:
        assert db.exec(select(LoginSession.last_seen_at)).one() == before
    clock.advance(minutes=11)  # 31 minutes without a real action
    assert board.glance("confirm_details") is None


def test_glance_after_log_out_reads_nothing(board, flow):
    flow.log_out()
    assert board.glance("confirm_details") is None
