"""Outbound, Inbound, MX, Recipient Validation and Journaling pages, driven in-process like a page drives them."""

from __future__ import annotations

import pytest

from connect_widgets.core.adapters.service_values import load_service_values
from connect_widgets.core.tasks.catalogue import TaskState, load_catalogue
from connect_widgets.screens.tasks.page import TASK_VIEWS, load_view
from connect_widgets.screens.tasks.steps import StepView
from tests.screens.conftest import completes, open_task, page_text, shown_message, state, step_line

SERVICE = load_service_values()


def test_every_task_has_its_own_page():
    assert set(TASK_VIEWS) == {task.key for task in load_catalogue()}


@pytest.mark.parametrize("task", load_catalogue().tasks, ids=lambda t: t.key)
def test_every_catalogue_step_of_every_task_has_its_step_method_and_label(task):
    """Each task's page is a stepped page: one ``step_<name>`` method and one label per catalogue step."""
    view = load_view(TASK_VIEWS[task.key])
    assert isinstance(view, type) and issubclass(view, StepView), f"{task.key} is not drawn step by step"
    missing = [step for step in task.steps if not callable(getattr(view, f"step_{step}", None))]
    assert missing == [], f"{task.key} has no page for {missing}"
    assert set(view.labels) == set(task.steps), f"{task.key} labels {sorted(view.labels)}, not its steps"


def test_outbound_page_walks_ranges_spf_and_connector_with_back(ready_app):
    app, records = ready_app
    view = open_task(app, "outbound_email")
    assert "Step 1 of 3" in step_line(view) and view.back_button.layout.display == "none"
    view.ranges.value = "10.1.0.0/16"
    view.ranges_next.click()
    assert "private or reserved" in shown_message(app)
    assert view.ranges.value == "10.1.0.0/16"  # what was typed stays for correcting
    view.ranges.value = "8.8.4.0/24"
    view.ranges_next.click()
    assert "Step 2 of 3: Publish SPF" in step_line(view)
    spf = f"v=spf1 ip4:8.8.4.0/24 include:{SERVICE.spf_include} ~all"
    assert spf in page_text(app)
    view.check_button.click()
    assert "has no SPF record" in page_text(app)
    view.back_button.click()
    assert "Step 1 of 3" in step_line(view) and view.ranges.value == "8.8.4.0/24"  # Back shows the saved answer
    view.ranges_next.click()
    records.txt["acme.example"].append(spf)
    view.check_button.click()
    assert "Step 3 of 3" in step_line(view) and "includes" in page_text(app)
    view.finish_button.click()
    assert "Tick the box" in shown_message(app) and state(app, "outbound_email") is TaskState.IN_PROGRESS
    view.connector.value = True
    completes(app, "outbound_email", view.finish_button, shows="Outbound email is set up")


def test_inbound_then_mx_pages(ready_app):
    app, records = ready_app
    view = open_task(app, "inbound_email")
    assert SERVICE.inbound_ip_ranges[0] in page_text(app)
    view.next_button.click()
    assert len(view.settings) == len(SERVICE.inbound_settings)
    view.settings[0].value = True
    view.finish_button.click()
    assert "Tick each setting" in shown_message(app)
    for box in view.settings:
        box.value = True
    view.finish_button.click()
    assert state(app, "inbound_email") is TaskState.COMPLETE

    mx = open_task(app, "mx_records")
    assert f"MX  10  {SERVICE.mx_hosts[0]}." in page_text(app)
    mx.next_button.click()
    mx.check_button.click()
    assert "has no MX record" in page_text(app) and state(app, "mx_records") is TaskState.IN_PROGRESS
    records.mx["acme.example"] = [(10, SERVICE.mx_hosts[0])]
    completes(app, "mx_records", mx.check_button, shows="Your MX records point at the service")


def test_recipient_validation_page_explains_why_directory_users_is_refused(ready_app):
    app, _ = ready_app
    view = open_task(app, "recipient_validation")
    assert "becomes available once Synchronize Your Directory is complete" in page_text(app)
    view.mode.value = "directory"
    view.save_button.click()
    assert "needs Synchronize Your Directory" in shown_message(app)
    view.mode.value = "known"
    completes(app, "recipient_validation", view.save_button, shows="Known addresses")


def test_journaling_page(ready_app):
    app, _ = ready_app
    view = open_task(app, "journaling")
    assert "journaling@journal.acme.example" in page_text(app)
    view.next_button.click()
    view.finish_button.click()
    assert "journal rule" in shown_message(app)
    view.rule.value = True
    view.finish_button.click()
    assert state(app, "journaling") is TaskState.COMPLETE


def test_a_forged_click_on_another_steps_button_is_refused(ready_app):
    app, _ = ready_app
    view = open_task(app, "outbound_email")
    view.connector.value = True
    view.finish_button.click()  # hidden on step 1, but a page can still send the click
    assert "not at that step" in shown_message(app)
    assert state(app, "outbound_email") is TaskState.IN_PROGRESS


def test_sharing_the_record_by_email_from_the_domains_page(ready_app, services):
    app, _ = ready_app
    view = open_task(app, "validate_domains")
    view.new_domain.value = "acme-mail.example"
    view.add_button.click()
    assert list(view.share_domain.options) == ["acme-mail.example"]
    view.share_to.value = "not an address"
    view.share_button.click()
    assert "contact email" in shown_message(app) and view.share_to.value == "not an address"
    view.share_to.value = "dns@provider.example"
    view.share_button.click()
    assert "Emailed the record for acme-mail.example to dns@provider.example" in view.last_result.value
    assert view.share_to.value == ""


def test_log_out_forgets_what_was_typed_on_a_task_page(ready_app):
    app, _ = ready_app
    view = open_task(app, "outbound_email")
    view.ranges.value = "8.8.4.0/24"
    app.log_out()
    assert "8.8.4.0/24" not in page_text(app)
    assert app.task.view("outbound_email") is not view
