"""The Connect Team console in-process: nothing before a staff login, then the review queue.

Tests drive the console as a browser would (set ``.value``, ``.click()``, Enter) and
also call its actions directly, the way a forged widget message would reach them.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from connect_widgets.core.review.queue import ReviewQueue
from connect_widgets.core.staff.members import (
    NotLoggedIn,
    StaffCredentialsRefused,
    StaffSessionExpired,
    add_staff_member,
)
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.confirm_details import ConfirmDetailsTask
from connect_widgets.pages.team import ReviewCard, StaffConsole, build_console
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import Account, Review
from tests.conftest import send_correction
from tests.screens.conftest import plain, press_enter, shown_message, widget_texts

STAFF_PASSWORD = "quartz meadow lantern 81"
# What the pending correction would reveal to a visitor: who, which company, what changes.
REVIEW_TEXTS = ("ACME", "Acme Ltd", "Acme Group plc", "Confirm Your Details", "Details correction")


@pytest.fixture
def console(services) -> StaffConsole:
    add_staff_member(services, name="Priya", password=STAFF_PASSWORD)
    return StaffConsole(services)


def review_state(services, review_id: int) -> str:
    with new_session(services.engine) as db:
        return db.get(Review, review_id).state


def log_in(console: StaffConsole, password: str = STAFF_PASSWORD) -> None:
    console.name.value = "Priya"
    console.password.value = password
    console.log_in_button.click()


def only_card(console: StaffConsole) -> ReviewCard:
    [card] = console.queue_list.children
    assert isinstance(card, ReviewCard)
    return card


def review_text_shown(console: StaffConsole) -> list[str]:
    texts = widget_texts(console)  # type: ignore[arg-type]
    return [t for t in REVIEW_TEXTS if any(t in text for text in texts)]


# --- before login -------------------------------------------------------------------------


def test_before_login_the_page_holds_only_the_login_form(console, correction):
    """No card, no review text anywhere in the widget tree; the queue was never read."""
    assert console.body.children == (console.login_form,)
    assert console.cards == {} and console.queue_list.children == ()
    assert review_text_shown(console) == []
    assert "Connect Team" in plain(console.header.children[0].value)


@pytest.mark.parametrize("action", ["approve", "reject", "refresh"])
def test_actions_called_before_login_are_refused(console, services, correction, action):
    """A forged approve/reject/refresh before login decides nothing and shows nothing."""
    calls = {
        "approve": lambda: console.approve(correction),
        "reject": lambda: console.reject(correction, "Forged rejection reason"),
        "refresh": console.refresh,
    }
    assert calls[action]() is False
    assert shown_message(console) == NotLoggedIn.default_message
    assert review_state(services, correction) == "pending"
    assert review_text_shown(console) == []


# --- logging in ---------------------------------------------------------------------------


def test_a_wrong_password_shows_the_generic_answer_and_empties_the_field(console, correction):
    log_in(console, password="not the staff password")
    assert shown_message(console) == StaffCredentialsRefused.default_message
    assert console.password.value == "" and console.name.value == "Priya"
    assert console.session is None and review_text_shown(console) == []


def test_enter_in_the_password_field_logs_in_and_shows_the_queue(console, correction):
    """After the login: one card with account, company, task, kind, time and what changes."""
    console.name.value = "Priya"
    console.password.value = STAFF_PASSWORD
    press_enter(console.password)
    assert console.session is not None, shown_message(console)
    assert console.password.value == "" and console.name.value == ""
    assert not any(STAFF_PASSWORD in text for text in widget_texts(console))  # type: ignore[arg-type]
    assert STAFF_PASSWORD not in repr(console)
    assert "Signed in as Priya" in plain(console.signed_in_as.value)
    card = only_card(console)
    assert card.review_id == correction
    text = plain(card.summary.value)
    for expected in (
        "ACME",
        "Acme Ltd",
        "Confirm Your Details",
        "Details correction",
        "2026-03-02 09:00 UTC",
        "Company name: Acme Group plc (now: Acme Ltd)",
    ):
        assert expected in text
    assert "Reviews waiting (1)" in plain(console.queue_heading.value)


# --- deciding -----------------------------------------------------------------------------


def test_approve_applies_the_correction_and_hands_the_task_back(console, services, board, correction):
    log_in(console)
    only_card(console).approve_button.click()
    assert "Approved: ACME's Confirm Your Details" in shown_message(console)
    with new_session(services.engine) as db:
        assert db.exec(select(Account).where(Account.code == "ACME")).one().company == "Acme Group plc"
    assert board.overview().get("confirm_details").state is TaskState.IN_PROGRESS
    assert review_state(services, correction) == "approved"
    assert console.queue_list.children == () and "Nothing is waiting" in plain(console.queue_heading.value)


def test_reject_needs_a_reason_and_keeps_what_was_typed(console, services, correction):
    """Empty and too-short reasons are refused with a message; the card and its text stay."""
    log_in(console)
    card = only_card(console)
    card.reject_button.click()
    assert "Enter your reason for the admin" in shown_message(console)
    card.reason.value = "no"
    card.reject_button.click()
    assert shown_message(console) == "Give the admin a reason they can act on."
    assert review_state(services, correction) == "pending"
    assert only_card(console) is card and card.reason.value == "no"


def test_reject_with_a_reason_reaches_the_admin(console, services, board, correction):
    log_in(console)
    card = only_card(console)
    card.reason.value = "Use the company's registered name, please."
    card.reject_button.click()
    assert "Rejected: ACME's Confirm Your Details" in shown_message(console)
    assert review_state(services, correction) == "rejected"
    assert ConfirmDetailsTask(board).details().rejection == "Use the company's registered name, please."
    assert console.queue_list.children == ()


def test_a_review_decided_elsewhere_says_so_and_leaves_the_queue(console, services, correction):
    """Another team member approved first: the console says so and the card goes."""
    log_in(console)
    card = only_card(console)
    ReviewQueue(services, staff="Sam").approve(correction)
    card.approve_button.click()
    assert "already decided" in shown_message(console)
    assert console.queue_list.children == ()


def test_refresh_shows_reviews_sent_since(console, board):
    log_in(console)
    assert console.queue_list.children == ()
    send_correction(board, platform="google_workspace")
    console.refresh_button.click()
    assert "Platform: Google Workspace (now: Microsoft 365)" in plain(only_card(console).summary.value)


# --- what a card shows ---------------------------------------------------------------------


def _file_review(services, kind: str, payload: dict) -> int:
    with new_session(services.engine) as db:
        account = db.exec(select(Account).where(Account.code == "ACME")).one()
        review = Review(
            account_id=account.id, task_key="add_users", kind=kind, payload=payload, submitted_at=services.clock.now()
        )
        db.add(review)
        db.commit()
        return review.id


def test_a_user_import_shows_the_count_and_the_first_20_addresses(console, services, account):
    users = [{"email": f"user{n:02d}@acme.example", "first_name": "U", "last_name": str(n)} for n in range(23)]
    _file_review(services, "user_import", {"users": users})
    log_in(console)
    text = plain(only_card(console).summary.value)
    assert "Add Users Manually" in text and "User import" in text and "23 users to add" in text
    assert "user00@acme.example" in text and "user19@acme.example" in text
    assert "user20@acme.example" not in text and "and 3 more" in text


def test_what_an_admin_typed_is_shown_as_text_never_markup(console, services, account):
    _file_review(services, "details_correction", {"company": "<img src=x onerror=alert(1)>"})
    log_in(console)
    markup = only_card(console).summary.value
    assert "<img" not in markup and "&lt;img src=x onerror=alert(1)&gt;" in markup


# --- leaving ---------------------------------------------------------------------------------


def test_log_out_hides_the_queue_and_forged_clicks_after_it_are_refused(console, services, correction):
    log_in(console)
    card = only_card(console)
    card.reason.value = "A reason typed before logging out."
    console.log_out_button.click()
    assert console.session is None and console.body.children == (console.login_form,)
    assert review_text_shown(console) == [] and console.cards == {}
    assert shown_message(console) == "You have logged out."
    card.approve_button.click()  # the old card's buttons, as a stale browser view would send
    assert shown_message(console) == NotLoggedIn.default_message
    card.reject_button.click()
    console.refresh_button.click()
    assert shown_message(console) == NotLoggedIn.default_message
    assert review_state(services, correction) == "pending"
    assert review_text_shown(console) == []


def test_after_30_idle_minutes_an_action_logs_the_member_out(console, services, clock, correction):
    log_in(console)
    card = only_card(console)
    clock.advance(minutes=30)
    card.approve_button.click()
    assert shown_message(console) == StaffSessionExpired.default_message
    assert console.session is None and review_text_shown(console) == []
    assert review_state(services, correction) == "pending"


def test_build_console_reads_the_settings_it_is_given(settings, clock):
    """The notebook's one call: a console on the configured database, showing the login form."""
    built = build_console(settings, clock=clock)
    assert isinstance(built, StaffConsole) and built.body.children == (built.login_form,)
    built.services.engine.dispose()
