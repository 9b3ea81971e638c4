"""The Administration Console's single-use link into Connect: one use, 60 seconds, no secret kept.

The console page's flow is signed in (a whole first login); each Connect page is a
new :class:`LoginFlow` on the same database, as a new kernel would be.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.handoffs import HANDOFF_LIFETIME
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.errors import HandoffRefused, SessionExpired, StepOutOfOrder
from connect_widgets.core.services import ConnectServices, build_services
from connect_widgets.core.staff.support import reset_phone
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AdminUser, AuditEvent, ConsoleHandoff, LoginSession
from tests.conftest import first_login, user_by_email


@pytest.fixture
def console(flow, services, account) -> LoginFlow:
    """The Administration Console's page, signed in after a whole first login."""
    first_login(flow, services, account)
    return flow


def audit_rows(services: ConnectServices, *actions: str) -> list[AuditEvent]:
    with new_session(services.engine) as db:
        query = select(AuditEvent).order_by(col(AuditEvent.id))
        if actions:
            query = query.where(col(AuditEvent.action).in_(actions))
        return list(db.exec(query))


def handoff_rows(services: ConnectServices) -> list[ConsoleHandoff]:
    with new_session(services.engine) as db:
        return list(db.exec(select(ConsoleHandoff).order_by(col(ConsoleHandoff.id))))


def refused(services: ConnectServices, token: object) -> tuple[LoginFlow, HandoffRefused]:
    """Open a new Connect page with ``token``; it must be refused and stay at the email step."""
    page = LoginFlow(services)
    with pytest.raises(HandoffRefused) as caught:
        page.sign_in_with_handoff(token)
    assert page.step is LoginStep.EMAIL and not page.signed_in and page.email is None
    return page, caught.value


# --- one use -----------------------------------------------------------------------


def test_the_link_signs_the_same_admin_in_on_a_new_page(console, services, account, clock):
    handoff = console.mint_handoff()
    assert handoff.expires_at == clock.now() + timedelta(seconds=60)
    clock.advance(seconds=5)
    page = LoginFlow(services)
    assert page.sign_in_with_handoff(handoff.token) is LoginStep.SIGNED_IN
    assert page.signed_in and page.email == account.admin_email
    assert page.landing().kind == "welcome"  # the session works like a completed login's
    with new_session(services.engine) as db:
        user = db.exec(select(AdminUser).where(AdminUser.email == account.admin_email)).one()
        sessions = db.exec(select(LoginSession).where(LoginSession.user_id == user.id)).all()
    assert user.last_login_at == clock.now()
    assert len([s for s in sessions if s.ended_at is None]) == 2  # the console's and Connect's
    assert [row.used_at for row in handoff_rows(services)] == [clock.now()]


def test_a_second_use_of_the_same_link_is_refused(console, services, account, clock):
    token = console.mint_handoff().token
    LoginFlow(services).sign_in_with_handoff(token)
    clock.advance(seconds=1)
    _, error = refused(services, token)
    assert error.message == (
        "That link from the Administration Console has expired or was already used. Log in to continue."
    )
    last = audit_rows(services, "handoff_refused")[-1]
    assert (last.outcome, last.detail, last.actor) == ("refused", "used", account.admin_email)
    assert last.user_id == user_by_email(services, account.admin_email).id


def test_the_link_works_for_59_seconds_and_not_at_60(console, services, clock):
    early, late = console.mint_handoff(), console.mint_handoff()
    clock.advance(seconds=59)
    assert LoginFlow(services).sign_in_with_handoff(early.token) is LoginStep.SIGNED_IN
    clock.advance(seconds=1)
    assert HANDOFF_LIFETIME == timedelta(seconds=60)
    refused(services, late.token)
    assert audit_rows(services, "handoff_refused")[-1].detail == "expired"
    assert [row.used_at is None for row in handoff_rows(services)] == [False, True]


@pytest.mark.parametrize(
    "token",
    [
        secrets.token_urlsafe(32),  # well formed, never issued
        "",
        "short",
        "x" * 10_000,
        "a" * 42 + "!",  # not the URL-safe alphabet
        "é" * 43,
        None,
        ["list"],
        43,
    ],
    ids=["unknown", "empty", "short", "huge", "bad-character", "non-ascii", "none", "list", "number"],
)
def test_a_wrong_or_malformed_token_is_refused_without_a_user(console, services, token):
    console.mint_handoff()
    _, error = refused(services, token)
    assert error.message.startswith("That link from the Administration Console has expired")
    last = audit_rows(services, "handoff_refused")[-1]
    assert (last.user_id, last.actor) == (None, "anonymous")
    assert last.detail in ("unknown", "malformed")
    assert [row.used_at for row in handoff_rows(services)] == [None]  # the real link still works


def test_logging_out_of_the_console_kills_its_links(console, services, clock):
    token = console.mint_handoff().token
    console.log_out()
    refused(services, token)
    assert audit_rows(services, "handoff_refused")[-1].detail == "revoked"


def test_only_one_of_several_pages_racing_with_one_link_signs_in(console, services, settings, clock):
    """Four pages (each its own engine, like kernels in separate processes) open the link at once."""
    token = console.mint_handoff().token
    pages = [build_services(settings, clock=clock) for _ in range(4)]
    start = threading.Barrier(len(pages))
    outcomes: list[str] = []

    def open_page(page_services: ConnectServices) -> None:
        flow = LoginFlow(page_services)
        start.wait()
        try:
            flow.sign_in_with_handoff(token)
            outcomes.append("signed in")
        except HandoffRefused:
            outcomes.append("refused")

    threads = [threading.Thread(target=open_page, args=(s,)) for s in pages]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for page_services in pages:
            page_services.engine.dispose()
    assert sorted(outcomes) == ["refused", "refused", "refused", "signed in"]


# --- who may arrive signed in --------------------------------------------------------


def test_a_page_that_started_logging_in_cannot_switch_to_a_link(console, services, account):
    token = console.mint_handoff().token
    page = LoginFlow(services)
    page.submit_email(account.admin_email)
    with pytest.raises(StepOutOfOrder):
        page.sign_in_with_handoff(token)
    assert LoginFlow(services).sign_in_with_handoff(token) is LoginStep.SIGNED_IN  # not used up


def test_an_admin_locked_meanwhile_logs_in_the_normal_way(console, services, account, clock):
    token = console.mint_handoff().token
    with new_session(services.engine) as db:
        user = db.exec(select(AdminUser).where(AdminUser.email == account.admin_email)).one()
        user.locked_until = clock.now() + timedelta(minutes=15)
        db.add(user)
        db.commit()
    refused(services, token)
    assert audit_rows(services, "handoff_refused")[-1].detail == "account locked"
    assert handoff_rows(services)[0].used_at is not None  # used up all the same


def test_an_admin_whose_phone_was_reset_meanwhile_logs_in_the_normal_way(console, services, account):
    token = console.mint_handoff().token
    reset_phone(services, email=account.admin_email)
    refused(services, token)
    assert audit_rows(services, "handoff_refused")[-1].detail == "no phone saved"


def test_only_a_signed_in_page_can_make_a_link(flow, services, account):
    with pytest.raises(StepOutOfOrder):
        flow.mint_handoff()
    assert handoff_rows(services) == []


def test_renewing_the_link_by_timer_does_not_keep_an_idle_session_alive(console, services, clock):
    clock.advance(minutes=20)
    console.mint_handoff(activity=False)  # the page renewing the switcher's link by itself
    clock.advance(minutes=10, seconds=1)  # 30 minutes since the admin last did anything
    with pytest.raises(SessionExpired):
        console.mint_handoff(activity=False)


def test_making_a_link_by_a_click_counts_as_activity(console, services, clock):
    clock.advance(minutes=20)
    console.mint_handoff()
    clock.advance(minutes=10, seconds=1)
    assert console.mint_handoff().token


# --- no secret kept ----------------------------------------------------------------------


def test_the_token_is_kept_nowhere_in_clear(console, services, settings, clock, caplog):
    caplog.set_level(logging.DEBUG)
    handoff = console.mint_handoff()
    token = handoff.token
    LoginFlow(services).sign_in_with_handoff(token)
    _, error = refused(services, token)

    # The database row holds the SHA-256, never the token itself.
    with services.engine.connect() as connection:
        raw = connection.execute(text("SELECT * FROM console_handoffs")).mappings().one()
    assert raw["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in " ".join(str(value) for value in raw.values())
    services.engine.dispose()  # flush the WAL, then read the file's bytes
    for path in settings.data_dir.glob("connect.db*"):
        assert token.encode() not in path.read_bytes(), path.name

    # Audit rows: made, used, refused; none carries the token.
    events = audit_rows(services)
    actions = [event.action for event in events]
    assert actions.count("handoff_created") == 1 and actions.count("handoff_used") == 1
    assert actions.count("handoff_refused") == 1
    for event in events:
        assert token not in f"{event.actor} {event.detail} {event.outcome} {event.action}"

    # Nor logs, reprs or the error.
    assert token not in caplog.text
    assert token not in repr(handoff) and token not in str(handoff)
    assert token not in repr(handoff_rows(services)[0])
    assert token not in error.message and token not in str(error) and token not in repr(error)
