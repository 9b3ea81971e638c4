"""Setup complete landing, and the Connect team's decisions reaching an open task page."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.review.queue import ReviewQueue
from connect_widgets.core.tasks.board import TaskBoard
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.screens.kit import Place
from connect_widgets.screens.login.returning import ReturningScreen
from connect_widgets.screens.login.setup_complete import SetupCompleteScreen
from connect_widgets.screens.polling import PagePoll
from connect_widgets.screens.tasks.confirm_details import ConfirmDetailsView
from connect_widgets.screens.tasks.dashboard import DashboardScreen
from connect_widgets.screens.tasks.directory_sync import DirectorySyncView
from connect_widgets.screens.tasks.page import TaskScreen
from tests.conftest import record_progress
from tests.screens.conftest import log_in_again, log_in_first_time, open_task, plain, shown_message, state

OPTIONAL = ("directory_sync", "permitted_senders", "journaling")
REASON = "Use the company's registered name, please."


def required_keys(services) -> list[str]:
    return [t.key for t in services.catalogue.required]


def later_visit(app, services, account, clock):  # type: ignore[no-untyped-def]
    app.log_out_button.click()
    clock.advance(minutes=1)
    return log_in_again(app, services, account.admin_email)


# --- Setup complete --------------------------------------------------------------------


def test_a_finished_account_lands_on_setup_complete_with_what_was_done_and_what_next(app, services, account, clock):
    log_in_first_time(app, services, account)
    record_progress(services, {**{k: "complete" for k in required_keys(services)}, "journaling": "complete"})
    landing = later_visit(app, services, account, clock)
    assert isinstance(landing, SetupCompleteScreen), shown_message(app)
    assert plain(landing.heading.value) == "Setup complete"
    done = plain(landing.done.value)
    assert "✔ Confirm Your Details" in done and "✔ Update Your MX Records" in done and "✔ Journaling" in done
    assert "No task is waiting" not in done
    assert "Administration Console" in plain(landing.next_steps.value)
    assert 'href="admin_console.ipynb"' in landing.next_steps.value
    optional = [w.description for w in landing.optional.children if hasattr(w, "on_click")]
    assert optional == ["Synchronize Your Directory (optional)", "Import Permitted Senders (optional)"]
    landing.optional.children[1].click()
    assert isinstance(app.current, TaskScreen)
    assert plain(app.current.heading.value) == "Synchronize Your Directory"


def test_complete_plus_awaiting_with_nothing_to_do_says_what_waits(app, services, account, clock):
    log_in_first_time(app, services, account)
    states = {k: "complete" for k in required_keys(services) if k != "add_users"}
    record_progress(services, {**states, "add_users": "awaiting_validation", **{k: "complete" for k in OPTIONAL}})
    landing = later_visit(app, services, account, clock)
    assert isinstance(landing, ReturningScreen)
    words = plain(landing.next_task.value)
    assert words == (
        "Nothing to do right now: Add Users Manually is waiting for validation by the Connect "
        "team. Their answer appears on the task's page."
    )


def test_a_task_awaiting_says_the_tasks_behind_it_open_afterwards(app, services, account, clock):
    log_in_first_time(app, services, account)
    record_progress(services, {"confirm_details": "awaiting_validation"})
    words = plain(later_visit(app, services, account, clock).next_task.value)
    assert "Confirm Your Details is waiting for validation" in words
    assert "the tasks that need it open once it is complete" in words


def test_connect_progress_at_n_of_n_says_setup_is_complete(app, services, account):
    log_in_first_time(app, services, account)
    record_progress(services, {k: "complete" for k in required_keys(services)})
    app.go(Place.DASHBOARD)
    dashboard = app.current
    assert isinstance(dashboard, DashboardScreen)
    total = len(required_keys(services))
    summary = plain(dashboard.summary.value)
    assert summary.startswith(f"{total} of {total} required tasks complete")
    assert "✔ Setup complete." in summary and "optional tasks below" in summary


def test_connect_progress_short_of_n_of_n_does_not_say_complete(app, services, account):
    log_in_first_time(app, services, account)
    record_progress(services, {k: "complete" for k in required_keys(services)[:-1]})
    app.go(Place.DASHBOARD)
    assert "Setup complete" not in plain(app.current.summary.value)


# --- an open task page sees the decision ------------------------------------------------


@pytest.fixture
def waiting_page(app, services, account):  # type: ignore[no-untyped-def]
    """Confirm Your Details open, a company correction sent and waiting for the Connect team."""
    log_in_first_time(app, services, account)
    view = open_task(app, "confirm_details")
    assert isinstance(view, ConfirmDetailsView)
    view.company.value = "Acme Group plc"
    view.region.value = "us"
    view.review_button.click()
    assert state(app, "confirm_details") is TaskState.AWAITING_VALIDATION
    return app.current, view


def decide(services, *, reject: bool) -> None:
    queue = ReviewQueue(services, staff="Priya")
    review = queue.pending()[0].id
    queue.reject(review, reason=REASON) if reject else queue.approve(review)


def test_nothing_changed_means_nothing_redrawn(waiting_page):
    page, view = waiting_page
    before = view.note.value
    assert page.check_for_changes() is True
    assert view.note.value == before and page.news_box.layout.display == "none"


def test_a_rejection_redraws_the_waiting_page_with_the_reason_and_the_values_sent(waiting_page, services):
    page, view = waiting_page
    decide(services, reject=True)
    assert page.check_for_changes() is True  # keeps watching
    assert REASON in plain(view.note.value)
    assert view in page.body.children and view.form in view.children
    assert (view.company.value, view.region.value) == ("Acme Group plc", "us")  # to correct, not retype
    assert "We still hold: Acme Ltd" in plain(view.note.value)
    assert plain(page.news.value) == "The Connect team has answered: their reply is below."
    assert page.news_box.layout.display is None


def test_after_a_rejection_confirm_refuses_values_that_differ_from_what_we_hold(app, waiting_page, services):
    page, view = waiting_page
    decide(services, reject=True)
    page.check_for_changes()
    view.correct.value = True
    view.confirm_button.click()
    assert "You changed Company name and Region" in shown_message(app)
    assert state(app, "confirm_details") is TaskState.IN_PROGRESS
    view.company.value, view.region.value = "Acme Ltd", "uk"
    view.correct.value = True
    view.confirm_button.click()
    assert state(app, "confirm_details") is TaskState.COMPLETE


def test_an_approval_redraws_the_waiting_page(waiting_page, services):
    page, view = waiting_page
    decide(services, reject=False)
    page.check_for_changes()
    assert "applied your corrections" in plain(view.note.value)
    assert view.company.value == "Acme Group plc"


def test_a_form_being_filled_is_not_redrawn_a_notice_offers_the_latest(app, services, account, clock):
    log_in_first_time(app, services, account)
    view = open_task(app, "confirm_details")
    page = app.current
    view.company.value = "Acme Typing Ltd"  # the admin is typing, nothing sent yet
    clock.advance(minutes=1)
    other = LoginFlow(services)  # the same admin in another window
    first_login_again(other, services, account)
    board = TaskBoard(other)
    board.save("confirm_details", version=board.overview().get("confirm_details").version, data={"x": 1})
    assert page.check_for_changes() is True
    assert view.company.value == "Acme Typing Ltd"
    assert "another window or by another admin" in plain(page.news.value)
    assert page.show_latest_button.description == "Show the latest"
    page.check_for_changes()  # told once: nothing more happens until the version moves again
    assert view.company.value == "Acme Typing Ltd"
    page.show_latest_button.click()
    assert view.company.value == "Acme Ltd" and page.news_box.layout.display == "none"


def first_login_again(flow: LoginFlow, services, account) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import NEW_PASSWORD, code_from_sms, reach_password

    reach_password(flow, account.admin_email)
    flow.submit_password(NEW_PASSWORD)
    flow.verify_passcode(code_from_sms(services))
    flow.log_in()


def test_the_check_stops_when_the_page_is_left_or_the_admin_logs_out(waiting_page, app, services):
    page, _view = waiting_page
    app.go(Place.DASHBOARD)
    assert page.check_for_changes() is False
    app.go(Place.TASK, key="confirm_details")
    assert page.check_for_changes() is True
    app.log_out_button.click()
    assert page.check_for_changes() is False and not page.poll.running


def test_a_timed_out_session_stops_the_check_and_shows_the_login(waiting_page, app, clock):
    page, _view = waiting_page
    clock.advance(minutes=31)
    assert page.check_for_changes() is False
    assert not app.flow.signed_in and not isinstance(app.current, TaskScreen)
    assert "signed out" in shown_message(app)


def test_a_rejected_directory_tenant_stays_in_the_field(app, services, account, clock):
    log_in_first_time(app, services, account)
    record_progress(services, {"confirm_details": "complete"})
    view = open_task(app, "directory_sync")
    assert isinstance(view, DirectorySyncView)
    view.method.value = "azure_ad"
    view.method_next.click()
    view.tenant.value = "contoso.onmicrosoft.example"
    view.send_button.click()
    assert state(app, "directory_sync") is TaskState.AWAITING_VALIDATION
    queue = ReviewQueue(services, staff="Priya")
    queue.reject(queue.pending()[0].id, reason="That tenant belongs to another company.")
    later_visit(app, services, account, clock)  # a new page: nothing kept in widgets
    view = open_task(app, "directory_sync")
    assert view.tenant.value == "contoso.onmicrosoft.example"
    assert "That tenant belongs to another company." in plain(view.children[1].value)


# --- the timer itself ----------------------------------------------------------------------


def on_a_thread_of_its_own(work):  # type: ignore[no-untyped-def]
    """Run ``work`` where no event loop runs (a session's Playwright keeps one in the main thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def test_the_poll_runs_on_the_event_loop_survives_an_error_and_stops(caplog):
    calls: list[int] = []

    async def scenario() -> None:
        done = asyncio.Event()

        def check() -> bool:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("database briefly unavailable")
            if len(calls) == 3:
                done.set()
                return False
            return True

        poll = PagePoll(check, seconds=0.01, name="test check")
        assert poll.start() and poll.running
        await asyncio.wait_for(done.wait(), timeout=5)
        assert not poll.running

    with caplog.at_level(logging.ERROR, logger="connect_widgets.screens.polling"):
        on_a_thread_of_its_own(lambda: asyncio.run(scenario()))
    assert len(calls) == 3
    assert "test check failed" in caplog.text


def test_without_an_event_loop_nothing_is_scheduled():
    poll = PagePoll(lambda: True, seconds=1)
    assert on_a_thread_of_its_own(poll.start) is False and not poll.running


def test_stop_cancels_the_next_check():
    async def scenario() -> bool:
        fired = asyncio.Event()
        poll = PagePoll(lambda: fired.set() or True, seconds=0.05)
        poll.start()
        poll.stop()
        try:
            await asyncio.wait_for(fired.wait(), timeout=0.3)
        except TimeoutError:
            return False
        return True

    assert on_a_thread_of_its_own(lambda: asyncio.run(scenario())) is False
