"""A first and a second login through every screen, then Welcome, Returning, tasks."""

from __future__ import annotations

from sqlmodel import col

from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.tasks.board import TaskBoard
from connect_widgets.screens.login.change_password import ChangePasswordScreen
from connect_widgets.screens.login.email import EmailScreen
from connect_widgets.screens.login.enrol_phone import EnrolPhoneScreen
from connect_widgets.screens.login.log_in import LogInScreen
from connect_widgets.screens.login.method import MethodScreen
from connect_widgets.screens.login.passcode import PasscodeScreen
from connect_widgets.screens.login.password import PasswordScreen
from connect_widgets.screens.login.returning import ReturningScreen
from connect_widgets.screens.login.welcome import WelcomeScreen
from connect_widgets.screens.tasks.dashboard import DashboardScreen
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.store.models import AdminUser, LoginSession, Phone, TaskProgress
from tests.conftest import GB_MOBILE, GB_MOBILE_E164, NEW_PASSWORD, code_from_sms, record_progress
from tests.screens.conftest import (
    count_rows,
    intro,
    log_in_again,
    log_in_first_time,
    plain,
    press_enter,
    reach_password,
    rows,
    shown_message,
)


def test_first_login_walks_every_screen_in_order_and_lands_on_welcome(app, services, account):
    """Email → Method → Password → Enrol phone → Passcode → Log In → Change password → Welcome."""
    assert isinstance(app.current, EmailScreen)
    assert app.log_out_button.layout.display == "none"
    assert app.signed_in_as.value == ""

    app.current.email.value = account.admin_email
    app.current.next_button.click()
    assert isinstance(app.current, MethodScreen)
    assert intro(app.current) == f"Logging in as {account.admin_email}."
    assert app.current.method.value == "cloud"

    app.current.next_button.click()
    assert isinstance(app.current, PasswordScreen)
    assert intro(app.current) == f"Enter the Connect (cloud) password for {account.admin_email}."

    app.current.password.value = account.temporary_password
    app.current.next_button.click()
    assert isinstance(app.current, EnrolPhoneScreen)
    assert app.current.country.value == "GB"

    app.current.number.value = GB_MOBILE
    app.current.next_button.click()
    assert isinstance(app.current, PasscodeScreen)
    assert intro(app.current) == "We sent a one-time passcode by SMS to the number ending 56."
    assert app.current.change_number_button.layout.display is None  # enrolling: may change number
    assert rows(services, Phone)[0].verified_at is None  # saved only at Log In

    app.current.code.value = code_from_sms(services)
    app.current.verify_button.click()
    assert isinstance(app.current, LogInScreen)
    assert count_rows(services, LoginSession) == 0

    app.current.log_in_button.click()
    assert isinstance(app.current, ChangePasswordScreen)
    assert app.signed_in_as.value == f"Signed in as {account.admin_email}"
    assert app.log_out_button.layout.display is None
    [phone] = rows(services, Phone)
    assert phone.e164 == GB_MOBILE_E164
    assert phone.verified_at is not None

    app.current.current.value = account.temporary_password
    app.current.new.value = NEW_PASSWORD
    app.current.confirm.value = NEW_PASSWORD
    app.current.change_button.click()
    assert isinstance(app.current, WelcomeScreen)
    assert shown_message(app) == ""
    assert intro(app.current) == "Your account is ready to set up. Start with Confirm Your Details."
    assert "Resources" in plain(app.current.resources.value)
    [user] = rows(services, AdminUser)
    assert user.must_change_password is False
    assert services.hasher.verify(user.password_hash, NEW_PASSWORD)
    assert app.flow.step is LoginStep.SIGNED_IN


def test_enter_in_each_text_field_submits_its_step(app, services, account):
    """Enter in the email, password, phone, passcode and password fields acts like the button."""
    app.current.email.value = account.admin_email
    press_enter(app.current.email)
    assert isinstance(app.current, MethodScreen)
    app.current.next_button.click()
    app.current.password.value = account.temporary_password
    press_enter(app.current.password)
    assert isinstance(app.current, EnrolPhoneScreen)
    app.current.number.value = GB_MOBILE
    press_enter(app.current.number)
    assert isinstance(app.current, PasscodeScreen)
    app.current.code.value = code_from_sms(services)
    press_enter(app.current.code)
    assert isinstance(app.current, LogInScreen)
    app.current.log_in_button.click()
    screen = app.current
    screen.current.value = account.temporary_password
    screen.new.value = NEW_PASSWORD
    screen.confirm.value = NEW_PASSWORD
    press_enter(screen.confirm)
    assert isinstance(app.current, WelcomeScreen)


def test_welcome_get_started_opens_the_first_tasks_first_step_without_a_start_click(app, services, account):
    """Get started → Confirm Your Details has nothing to explain first: it starts and shows its form at once."""
    welcome = log_in_first_time(app, services, account)
    welcome.start_button.click()
    task = app.current
    assert isinstance(task, TaskScreen)
    assert plain(task.heading.value) == "Confirm Your Details"
    assert shown_message(app) == ""
    assert "In progress" in plain(task.details.value)
    assert task.start_button.layout.display == "none"
    assert task.body.children and task.body.children[0].company.value == "Acme Ltd"
    [progress] = rows(services, TaskProgress)
    assert (progress.task_key, progress.state, progress.step) == ("confirm_details", "in_progress", "review")


def test_second_login_skips_enrolment_names_the_number_and_lands_on_returning(app, services, account, clock):
    """No phone enrolment or password change the second time; Welcome back once a task was started."""
    welcome = log_in_first_time(app, services, account)
    welcome.start_button.click()  # opening Confirm Your Details starts it
    app.log_out_button.click()
    clock.advance(minutes=1)  # a later visit
    assert isinstance(app.current, EmailScreen)

    password = reach_password(app, account.admin_email)
    password.password.value = NEW_PASSWORD
    password.next_button.click()
    passcode = app.current
    assert isinstance(passcode, PasscodeScreen)
    assert intro(passcode) == "We sent a one-time passcode by SMS to the number ending 56."
    assert passcode.change_number_button.layout.display == "none"
    passcode.code.value = code_from_sms(services)
    passcode.verify_button.click()
    app.current.log_in_button.click()
    returning = app.current
    assert isinstance(returning, ReturningScreen)
    assert app.signed_in_as.value == f"Signed in as {account.admin_email}"
    assert count_rows(services, Phone) == 1
    assert count_rows(services, LoginSession, col(LoginSession.ended_at).is_(None)) == 1


def test_second_login_without_any_task_started_shows_welcome_again(app, services, account, clock):
    log_in_first_time(app, services, account)
    app.log_out_button.click()
    clock.advance(minutes=1)  # a later visit
    assert isinstance(log_in_again(app, services, account.admin_email), WelcomeScreen)


def test_returning_shows_last_completed_next_task_and_in_progress_links(app, services, account, clock):
    log_in_first_time(app, services, account)
    app.log_out_button.click()
    clock.advance(minutes=1)  # a later visit
    record_progress(services, {"confirm_details": "complete", "add_users": "in_progress"})

    returning = log_in_again(app, services, account.admin_email)
    assert isinstance(returning, ReturningScreen)
    assert plain(returning.last_completed.value) == "Last completed task: Confirm Your Details"
    assert plain(returning.next_task.value) == "Next task: Add Users Manually"  # where they left off
    links = [w.description for w in returning.in_progress.children if hasattr(w, "on_click")]
    assert links == ["Add Users Manually"]

    returning.in_progress.children[-1].click()
    assert isinstance(app.current, TaskScreen)
    assert plain(app.current.heading.value) == "Add Users Manually"


def test_returning_continue_opens_the_next_task(app, services, account, clock):
    log_in_first_time(app, services, account)
    TaskBoard(app.flow).start("confirm_details")
    app.log_out_button.click()
    clock.advance(minutes=1)  # a later visit

    returning = log_in_again(app, services, account.admin_email)
    assert isinstance(returning, ReturningScreen)
    assert plain(returning.last_completed.value) == "Last completed task: none yet"
    assert plain(returning.next_task.value) == "Next task: Confirm Your Details"
    returning.continue_button.click()
    assert isinstance(app.current, TaskScreen)
    assert plain(app.current.heading.value) == "Confirm Your Details"
    assert "In progress" in plain(app.current.details.value)


def test_returning_cancel_opens_connect_progress_grouped_by_area_with_a_key(app, services, account, clock):
    log_in_first_time(app, services, account)
    TaskBoard(app.flow).start("confirm_details")
    app.log_out_button.click()
    clock.advance(minutes=1)  # a later visit
    log_in_again(app, services, account.admin_email).cancel_button.click()

    dashboard = app.current
    assert isinstance(dashboard, DashboardScreen)
    assert plain(dashboard.heading.value) == "Connect Progress"
    assert plain(dashboard.summary.value) == "0 of 8 required tasks complete"
    key = plain(dashboard.key.value)
    for label in ("Complete", "In progress", "Awaiting validation", "Not started", "Locked"):
        assert label in key
    areas = [plain(section.children[0].value) for section in dashboard.areas.children]
    assert areas == ["Getting started", "Platform", "Gateway", "Archive"]
    platform = [plain(row.children[1].value) for row in dashboard.areas.children[1].children[1:]]
    assert platform[0] == "Locked: needs Confirm Your Details"
    assert "(optional)" in dashboard.task_links["directory_sync"].description
    assert "◐" in dashboard.task_links["confirm_details"].description
    assert "⊘" in dashboard.task_links["validate_domains"].description


def test_dashboard_counts_complete_required_tasks(app, services, account):
    log_in_first_time(app, services, account)
    record_progress(services, {"confirm_details": "complete", "directory_sync": "complete"})
    app.current.all_tasks_link.click()
    assert plain(app.current.summary.value) == "1 of 8 required tasks complete"  # optional one not counted


def test_a_locked_task_cannot_be_started_and_the_message_names_what_it_needs(app, services, account):
    """The locked task's page hides Start; a forged Start is refused naming the prerequisite."""
    welcome = log_in_first_time(app, services, account)
    welcome.all_tasks_link.click()
    app.current.task_links["validate_domains"].click()
    task = app.current
    assert isinstance(task, TaskScreen)
    assert "Complete Confirm Your Details first." in plain(task.details.value)
    assert task.start_button.layout.display == "none"

    task.start_button.click()  # the browser can still send the click
    assert shown_message(app) == "Validate Your Domains is locked until Confirm Your Details is complete."
    assert isinstance(app.current, TaskScreen)
    assert count_rows(services, TaskProgress) == 0


def test_task_page_back_link_returns_to_connect_progress(app, services, account):
    log_in_first_time(app, services, account).start_button.click()
    app.current.back_link.click()
    assert isinstance(app.current, DashboardScreen)
