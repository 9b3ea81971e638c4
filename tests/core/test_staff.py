"""Connect team members: adding them, their login and lockout, and their session on the queue."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlmodel import col, select

from connect_widgets.core import errors
from connect_widgets.core.auth.passwords import review_password
from connect_widgets.core.review.queue import ReviewQueue
from connect_widgets.core.staff.members import (
    StaffCredentialsRefused,
    StaffDoor,
    StaffMemberExists,
    StaffSession,
    StaffSessionExpired,
    add_staff_member,
)
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AuditEvent, StaffMember

PRIYA_PASSWORD = "quartz meadow lantern 81"
WRONG = "quartz meadow lantern 18"


@pytest.fixture
def priya(services) -> str:
    return add_staff_member(services, name="Priya Shah", password=PRIYA_PASSWORD)


@pytest.fixture
def door(services) -> StaffDoor:
    return StaffDoor(services)


def audit(services, *actions: str) -> list[AuditEvent]:
    with new_session(services.engine) as db:
        query = select(AuditEvent).order_by(col(AuditEvent.id))
        if actions:
            query = query.where(col(AuditEvent.action).in_(actions))
        return list(db.exec(query))


def staff_row(services, name: str = "Priya Shah") -> StaffMember:
    with new_session(services.engine) as db:
        return db.exec(select(StaffMember).where(StaffMember.name == name)).one()


# --- adding staff ------------------------------------------------------------------------


def test_adding_a_staff_member_stores_only_an_argon2id_hash_and_audits_it(services, priya):
    """The name is kept as typed (spaces tidied); the password only as its hash."""
    assert priya == "Priya Shah"
    row = staff_row(services)
    assert row.password_hash.startswith("$argon2id$") and PRIYA_PASSWORD not in row.password_hash
    assert services.hasher.verify(row.password_hash, PRIYA_PASSWORD)
    [event] = audit(services, "staff_created")
    assert (event.actor, event.detail) == ("support", "staff member Priya Shah")
    assert PRIYA_PASSWORD not in repr(row)


def test_a_taken_name_in_any_case_is_refused(services, priya):
    """A second "priya shah" is refused with a message naming the name; one row stays."""
    with pytest.raises(StaffMemberExists, match="Priya Shah already exists"):
        add_staff_member(services, name="  priya   SHAH ", password="another good phrase 19")
    with new_session(services.engine) as db:
        assert len(db.exec(select(StaffMember)).all()) == 1


@pytest.mark.parametrize(
    ("password", "complaint"),
    [
        ("short one", "at least 15"),
        ("Vq7#kP2!xZ9@wL", "at least 15"),  # 14 characters: good enough for an admin, not for staff
        ("password1234", "harder to guess"),
        ("priya-quartz-meadow-81", "name"),
    ],
    ids=["too-short", "fourteen", "common", "contains-the-name"],
)
def test_a_weak_password_is_refused_and_nothing_is_stored(services, password, complaint):
    """The admins' policy applies, with the staff name as a personal word."""
    with pytest.raises(errors.PasswordRejected, match=complaint) as refused:
        add_staff_member(services, name="Priya Shah", password=password)
    assert password not in str(refused.value)
    with new_session(services.engine) as db:
        assert db.exec(select(StaffMember)).all() == []


def test_staff_passwords_need_15_characters_while_admins_need_12(services):
    """The staff login is a single factor (NIST SP 800-63B: 15); the admins' policy stays at 12."""
    fourteen = "Vq7#kP2!xZ9@wL"
    assert all(check.met for check in review_password(fourteen))  # an admin could choose it
    with pytest.raises(errors.PasswordRejected) as refused:
        add_staff_member(services, name="Priya Shah", password=fourteen)
    assert refused.value.problems[0].startswith("Use at least 15 characters")
    assert add_staff_member(services, name="Priya Shah", password=fourteen + "3") == "Priya Shah"


@pytest.mark.parametrize("name", ["", "P", "x" * 101, "Priya <script>", "Priya\x00", "staff:priya"])
def test_an_unusable_name_is_refused(services, name):
    """Names are 2-100 letters, digits, spaces, dots, hyphens and underscores."""
    with pytest.raises(errors.InvalidInput):
        add_staff_member(services, name=name, password=PRIYA_PASSWORD)


# --- logging in --------------------------------------------------------------------------


def test_the_right_name_and_password_open_the_queue(services, door, priya, clock):
    """Login returns the member's session on the queue, audited as staff:<name> (name as stored)."""
    session = door.log_in(name="priya shah", password=PRIYA_PASSWORD)
    assert isinstance(session, StaffSession)
    assert session.name == "Priya Shah" and session.pending() == []
    [event] = audit(services, "staff_login")
    assert (event.actor, event.outcome) == ("staff:Priya Shah", "ok")
    assert staff_row(services).last_login_at == clock.now()
    assert PRIYA_PASSWORD not in repr(session) and PRIYA_PASSWORD not in repr(door)


@pytest.mark.parametrize(
    ("name", "password"),
    [("Nobody Here", PRIYA_PASSWORD), ("Priya Shah", WRONG), ("Priya <b>", PRIYA_PASSWORD)],
    ids=["unknown-name", "wrong-password", "unusable-name"],
)
def test_every_failure_gives_the_same_answer(door, priya, name, password):
    """Unknown name, wrong password: one message that says neither which."""
    with pytest.raises(StaffCredentialsRefused) as refused:
        door.log_in(name=name, password=password)
    assert refused.value.message == StaffCredentialsRefused.default_message
    assert isinstance(refused.value, errors.InvalidCredentials)


def test_five_wrong_passwords_lock_for_15_minutes(services, door, priya, clock):
    """After five failures even the right password is refused, with the same answer, until 15 minutes pass."""
    for _ in range(5):
        with pytest.raises(StaffCredentialsRefused):
            door.log_in(name="Priya Shah", password=WRONG)
    assert staff_row(services).locked_until == clock.now() + timedelta(minutes=15)
    with pytest.raises(StaffCredentialsRefused) as locked:
        door.log_in(name="Priya Shah", password=PRIYA_PASSWORD)
    assert locked.value.message == StaffCredentialsRefused.default_message
    clock.advance(minutes=14, seconds=59)
    with pytest.raises(StaffCredentialsRefused):
        door.log_in(name="Priya Shah", password=PRIYA_PASSWORD)
    clock.advance(seconds=1)
    assert door.log_in(name="Priya Shah", password=PRIYA_PASSWORD).name == "Priya Shah"
    row = staff_row(services)
    assert (row.failed_logins, row.locked_until) == (0, None)


def test_a_right_password_clears_the_failure_count(services, door, priya):
    """Four failures, a success, then four more do not lock."""
    for _ in range(4):
        with pytest.raises(StaffCredentialsRefused):
            door.log_in(name="Priya Shah", password=WRONG)
    door.log_in(name="Priya Shah", password=PRIYA_PASSWORD)
    for _ in range(4):
        with pytest.raises(StaffCredentialsRefused):
            door.log_in(name="Priya Shah", password=WRONG)
    assert door.log_in(name="Priya Shah", password=PRIYA_PASSWORD).name == "Priya Shah"
    assert audit(services, "staff_locked") == []


def test_each_attempt_is_audited_and_no_row_or_log_holds_a_password(services, door, priya, clock, caplog):
    """Unknown name, wrong passwords, the lock, a locked try and the login all leave rows; no password."""
    caplog.set_level(logging.DEBUG)
    typed_as_name = "quartz meadow lantern 99"  # someone typed a password into the name field
    with pytest.raises(StaffCredentialsRefused):
        door.log_in(name=typed_as_name, password=WRONG)
    for _ in range(5):
        with pytest.raises(StaffCredentialsRefused):
            door.log_in(name="Priya Shah", password=WRONG)
    with pytest.raises(StaffCredentialsRefused):
        door.log_in(name="Priya Shah", password=PRIYA_PASSWORD)
    clock.advance(minutes=15)
    door.log_in(name="Priya Shah", password=PRIYA_PASSWORD)

    events = [(e.action, e.actor, e.outcome, e.detail) for e in audit(services) if e.action != "staff_created"]
    assert events[0] == ("staff_login_failed", "staff:?", "refused", "unknown staff name")
    assert events[1:6] == [
        ("staff_login_failed", "staff:Priya Shah", "refused", f"wrong password ({n} in a row)") for n in range(1, 6)
    ]
    assert events[6] == ("staff_locked", "staff:Priya Shah", "locked", "locked for 15 minutes after 5 wrong passwords")
    assert events[7] == ("staff_login_failed", "staff:Priya Shah", "refused", "staff account locked")
    assert events[8] == ("staff_login", "staff:Priya Shah", "ok", "")
    secrets = (PRIYA_PASSWORD, WRONG, typed_as_name)
    for event in audit(services):
        assert not any(s in f"{event.actor} {event.detail}" for s in secrets)
    for record in caplog.records:
        assert not any(s in record.getMessage() for s in secrets)


@pytest.mark.parametrize(("name", "password", "field"), [("", PRIYA_PASSWORD, "name"), ("Priya Shah", "", "password")])
def test_an_empty_field_is_asked_for_and_not_counted(services, door, priya, name, password, field):
    """An empty name or password is a plain "enter your ..." and no failure is counted."""
    with pytest.raises(errors.InvalidInput) as refused:
        door.log_in(name=name, password=password)
    assert refused.value.field == field
    assert staff_row(services).failed_logins == 0


# --- the session on the queue ---------------------------------------------------------


def test_the_summary_shows_the_current_and_the_asked_for_value(door, priya, correction):
    """A details correction carries the field's label, the account's value now and the one asked for."""
    [summary] = door.log_in(name="Priya Shah", password=PRIYA_PASSWORD).summaries()
    assert summary.review.id == correction and summary.task_title == "Confirm Your Details"
    assert summary.kind_label == "Details correction"
    assert [(c.label, c.current, c.new) for c in summary.changes] == [("Company name", "Acme Ltd", "Acme Group plc")]


def test_decisions_are_audited_under_the_staff_members_name(services, door, priya, correction):
    """Approving as Priya records review_approved by staff:Priya Shah."""
    door.log_in(name="Priya Shah", password=PRIYA_PASSWORD).approve(correction)
    [event] = audit(services, "review_approved")
    assert event.actor == "staff:Priya Shah"


def test_after_30_idle_minutes_every_call_is_refused(services, door, priya, correction, clock):
    """29 minutes between calls is fine; 30 ends the session (audited), for good."""
    session = door.log_in(name="Priya Shah", password=PRIYA_PASSWORD)
    clock.advance(minutes=29)
    assert len(session.pending()) == 1
    clock.advance(minutes=30)
    with pytest.raises(StaffSessionExpired):
        session.approve(correction)
    clock.advance(minutes=-59)  # even if the clock went back, an ended session stays ended
    with pytest.raises(StaffSessionExpired):
        session.pending()
    [event] = audit(services, "session_expired")
    assert (event.actor, event.detail) == ("staff:Priya Shah", "idle for 30 minutes")
    assert ReviewQueue(services, staff="check").pending()[0].id == correction  # nothing decided


def test_a_logged_out_session_refuses_everything(services, door, priya, correction):
    """After log_out, pending/approve/reject all raise; the logout is audited once."""
    session = door.log_in(name="Priya Shah", password=PRIYA_PASSWORD)
    session.log_out()
    session.log_out()
    for call in (
        session.pending,
        lambda: session.approve(correction),
        lambda: session.reject(correction, reason="Not a real company name."),
    ):
        with pytest.raises(StaffSessionExpired):
            call()
    assert [e.actor for e in audit(services, "logout")] == ["staff:Priya Shah"]
