"""Confirm Your Details and Validate Your Domains, driven in-process like a page drives them."""

from __future__ import annotations

from connect_widgets.core.review.queue import ReviewQueue
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.pages.connect import ConnectApp
from connect_widgets.screens.kit import Place
from connect_widgets.screens.tasks.confirm_details import ConfirmDetailsView
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.screens.tasks.validate_domains import ValidateDomainsView
from tests.screens.conftest import shown_message


def open_task(app: ConnectApp, key: str) -> TaskScreen:
    app.go(Place.TASK, key=key)
    screen = app.current
    assert isinstance(screen, TaskScreen)
    if screen.start_button.layout.display != "none":
        screen.start_button.click()
    return screen


def details_view(app: ConnectApp) -> ConfirmDetailsView:
    view = open_task(app, "confirm_details").body.children[0]
    assert isinstance(view, ConfirmDetailsView)
    return view


def state(app: ConnectApp, key: str) -> TaskState:
    return app.board.overview().get(key).state


def test_confirm_needs_the_tick_then_completes(dns_app):
    app, _ = dns_app
    view = details_view(app)
    assert (view.company.value, view.primary_domain.value) == ("Acme Ltd", "acme.example")
    view.confirm_button.click()
    assert "Tick" in shown_message(app) and state(app, "confirm_details") is TaskState.IN_PROGRESS
    view.correct.value = True
    view.confirm_button.click()
    assert state(app, "confirm_details") is TaskState.COMPLETE
    assert "Confirmed:" in view.note.value


def test_a_correction_goes_to_review_and_the_answer_shows_on_the_page(dns_app, services):
    app, _ = dns_app
    view = details_view(app)
    view.company.value = "Acme Group plc"
    view.review_button.click()
    assert state(app, "confirm_details") is TaskState.AWAITING_VALIDATION
    assert "with the Connect team" in view.note.value and "Acme Group plc" in view.note.value
    queue = ReviewQueue(services, staff="Priya")
    queue.reject(queue.pending()[0].id, reason="Use the registered company name, please.")
    app.show()
    assert "Use the registered company name" in view.note.value
    assert view.company.value == "Acme Group plc"  # what they sent, to correct rather than retype


def test_validate_domains_starts_with_the_primary_and_verifies_it_after_publishing(dns_app):
    app, records = dns_app
    view = details_view(app)
    view.correct.value = True
    view.confirm_button.click()
    page = open_task(app, "validate_domains")
    domains = page.body.children[0]
    assert isinstance(domains, ValidateDomainsView)
    assert domains.new_domain.value == "acme.example"
    domains.add_button.click()
    record = domains.task.domains()[0].record_value
    assert record in domains.domain_rows[0].words.value
    domains.finish_button.click()
    assert "Verify your primary domain acme.example first" in shown_message(app)
    domains.check_buttons["acme.example"].click()
    assert "Last check: ✗ acme.example does not exist in DNS yet" in domains.domain_rows[0].words.value
    records.txt["acme.example"] = [record]
    domains.check_buttons["acme.example"].click()
    assert "✔ <b>acme.example</b> is verified" in domains.domain_rows[0].words.value
    domains.finish_button.click()
    assert state(app, "validate_domains") is TaskState.COMPLETE
    assert state(app, "outbound_email") is TaskState.NOT_STARTED  # unlocked


def test_a_bad_domain_gets_a_message_and_keeps_what_was_typed(dns_app):
    app, _ = dns_app
    view = details_view(app)
    view.correct.value = True
    view.confirm_button.click()
    domains = open_task(app, "validate_domains").body.children[0]
    domains.new_domain.value = "not a domain"
    domains.add_button.click()
    assert "Enter the domain name like acme.example." == shown_message(app)
    assert domains.new_domain.value == "not a domain"
