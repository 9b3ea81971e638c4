"""Synchronize Your Directory and Set Up Your Authentication pages, driven in-process against a real slapd."""

from __future__ import annotations

import pytest

from connect_widgets.core.tasks.catalogue import TaskState
from tests.screens.conftest import open_task, shown_message, state, widget_texts


@pytest.fixture
def synced(ready_app, slapd):
    app, _ = ready_app
    view = open_task(app, "directory_sync")
    view.method.value = "ldap"
    view.method_next.click()
    view.url.value, view.base_dn.value, view.bind_dn.value = slapd.url, slapd.base_dn, slapd.bind_dn
    view.bind_password.value = slapd.bind_password
    view.save_button.click()
    assert view.bind_password.value == ""  # the password never stays in the page
    assert slapd.bind_password not in " ".join(widget_texts(app))
    view.test_button.click()
    assert state(app, "directory_sync") is TaskState.COMPLETE
    return app


def test_a_bad_url_keeps_what_was_typed_and_says_which_field(ready_app, slapd):
    app, _ = ready_app
    view = open_task(app, "directory_sync")
    view.method_next.click()
    view.url.value = "http://dc1.acme.example"
    view.base_dn.value = slapd.base_dn
    view.save_button.click()
    assert "ldap" in shown_message(app).lower() and view.url.value == "http://dc1.acme.example"


def test_the_directory_page_connects_and_the_summary_says_so(synced):
    assert "is connected" in " ".join(widget_texts(synced))


def test_enabling_domain_through_the_page(synced, slapd):
    app = synced
    view = open_task(app, "user_authentication")
    view.mode.value = "domain"
    view.mode_button.click()
    view.logon.value, view.password.value = "jane", "wrong"
    view.test_button.click()
    assert shown_message(app) and view.password.value == ""
    view.enable_button.click()  # hidden, but a page can send the click: refused
    assert state(app, "user_authentication") is TaskState.IN_PROGRESS
    view.logon.value, view.password.value = "jane", slapd.users["jane"]
    view.test_button.click()
    assert "The test login as <b>jane</b> worked" in " ".join(widget_texts(app))
    view.enable_button.click()
    assert state(app, "user_authentication") is TaskState.COMPLETE
    assert slapd.users["jane"] not in " ".join(widget_texts(app))


def test_the_test_login_says_what_it_is_doing_while_the_directory_answers(synced, slapd):
    from tests.screens.test_task_pages import busy, watch

    app = synced
    view = open_task(app, "user_authentication")
    view.mode.value = "domain"
    view.mode_button.click()
    seen = watch(app, view.task, "test_login")
    view.logon.value, view.password.value = "jane", slapd.users["jane"]
    view.test_button.click()
    assert seen == busy("Testing the login for jane with your directory…")
    assert not app.log_out_button.disabled  # enabled again once the test is over
