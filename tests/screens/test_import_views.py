"""Add Users Manually and Import Permitted Senders pages, driven in-process: upload, errors, counts, submit."""

from __future__ import annotations

import base64
import io
import re

from openpyxl import Workbook
from sqlmodel import select

from connect_widgets.core.review.queue import ReviewQueue
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.uploads import users_template_csv
from connect_widgets.pages.connect import ConnectApp
from connect_widgets.screens.kit import Place
from connect_widgets.screens.tasks.add_users import AddUsersView
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.screens.tasks.permitted_senders import PermittedSendersView
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import MailUser, PermittedSender
from tests.screens.conftest import plain, shown_message

USERS = (
    b"email,first_name,last_name\r\njane@acme.example,Jane,Smith\r\nsam@acme.example,Sam,O'Neil & Co\r\n"
    b"jane@acme.example,Jane,Twice\r\nbob@elsewhere.example,Bob,Out\r\n"
)


def open_view(app: ConnectApp, key: str):
    app.go(Place.TASK, key=key)
    screen = app.current
    assert isinstance(screen, TaskScreen)
    if screen.start_button.layout.display != "none":
        screen.start_button.click()
    return screen.body.children[0]


def upload(view, name: str, data: bytes) -> None:
    """What the browser sends when the admin picks a file (a state update, deserialized as ipywidgets does)."""
    view.file.upload.set_state(
        {
            "value": [
                {
                    "name": name,
                    "type": "",
                    "size": len(data),
                    "content": memoryview(data),
                    "last_modified": 1_767_225_600_000,
                }
            ]
        }
    )


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def state(app: ConnectApp, key: str) -> TaskState:
    return app.board.overview().get(key).state


def test_an_upload_shows_each_bad_row_and_stages_the_good_ones(signed_in):
    app = signed_in
    view = open_view(app, "add_users")
    assert isinstance(view, AddUsersView)
    assert "acme.example" in plain(view.intro.value)
    upload(view, "users.csv", USERS)
    assert view.file.upload.value == ()  # the file's bytes do not stay in the widget
    assert shown_message(app) == ""
    errors = plain(view.file.errors.value)
    assert "2 rows have problems and were left out" in errors
    assert "4 email Duplicate of row 2." in errors
    assert "5 email elsewhere.example is not one of your verified domains" in errors
    assert plain(view.staged_heading.value) == "2 users ready to submit"
    assert "O&#x27;Neil &amp; Co" in view.staged.children[1].children[0].value  # escaped
    assert "users.csv" in plain(view.file.chosen.value)
    assert app.board.overview().get("add_users").step == "review"


def test_an_xlsx_upload_the_hand_entry_and_remove_then_submit_and_approval(signed_in, services):
    app = signed_in
    view = open_view(app, "add_users")
    upload(view, "users.xlsx", xlsx([("Email", "First Name", "Last Name"), ("jane@acme.example", "Jane", "Smith")]))
    assert plain(view.staged_heading.value) == "1 user ready to submit" and view.file.errors.value == ""
    view.email.value, view.first_name.value, view.last_name.value = "not-an-address", "Kim", "Lee"
    view.add_button.click()
    assert shown_message(app).startswith("Enter one email address")
    assert view.email.value == "not-an-address"  # kept for correcting
    view.email.value = "kim@sales.acme.example"
    view.add_button.click()
    assert shown_message(app) == "" and view.email.value == ""
    assert plain(view.staged_heading.value) == "2 users ready to submit"
    view.remove_buttons["jane@acme.example"].click()
    assert list(view.remove_buttons) == ["kim@sales.acme.example"]
    view.submit_button.click()
    assert state(app, "add_users") is TaskState.AWAITING_VALIDATION
    assert "Your 1 user is with the Connect team" in plain(view.note.value)
    queue = ReviewQueue(services, staff="Priya")
    queue.approve(queue.pending()[0].id)
    app.show()
    assert "1 user was added to your account" in plain(view.note.value)
    with new_session(services.engine) as db:
        assert [u.email for u in db.exec(select(MailUser))] == ["kim@sales.acme.example"]


def test_a_rejection_shows_the_reason_above_the_batch(signed_in, services):
    app = signed_in
    view = open_view(app, "add_users")
    upload(view, "users.csv", USERS)
    view.submit_button.click()
    queue = ReviewQueue(services, staff="Priya")
    queue.reject(queue.pending()[0].id, reason="Sam's address is a shared mailbox; remove it.")
    app.show()
    assert "The Connect team replied: Sam's address is a shared mailbox; remove it." in plain(view.note.value)
    assert plain(view.staged_heading.value) == "2 users ready to submit"
    assert view.submit_button in view.children


def test_an_unusable_file_gets_a_message_and_nothing_is_staged(signed_in):
    app = signed_in
    view = open_view(app, "add_users")
    upload(view, "users.csv", "email\njérôme@acme.example\n".encode("latin-1"))
    assert shown_message(app).startswith("users.csv is not UTF-8 text")
    upload(view, "<img src=x onerror=alert(1)>.csv", b"name\r\nJane\r\n")
    assert "has no email column" in shown_message(app)
    assert "<img" not in app.message.value
    assert plain(view.staged_heading.value) == "No users staged yet"
    view.submit_button.click()
    assert shown_message(app).startswith("There are no users to submit yet")
    assert state(app, "add_users") is TaskState.IN_PROGRESS


def test_the_template_links_carry_the_templates(signed_in):
    view = open_view(signed_in, "add_users")
    links = dict(re.findall(r'download="([^"]+)" href="data:[^;]+;base64,([^"]+)"', view.templates.value))
    assert set(links) == {"connect-users-template.csv", "connect-users-template.xlsx"}
    assert base64.b64decode(links["connect-users-template.csv"]) == users_template_csv()
    assert base64.b64decode(links["connect-users-template.xlsx"]).startswith(b"PK\x03\x04")


def test_permitted_senders_shows_the_count_and_imports(signed_in, services):
    app = signed_in
    for key in ("validate_domains", "outbound_email"):
        app.board.save(key, version=0, state=TaskState.COMPLETE)
    view = open_view(app, "permitted_senders")
    assert isinstance(view, PermittedSendersView)
    assert view.import_button not in view.children  # nothing to import before a file
    upload(view, "senders.csv", b"address\r\norders@supplier.example\r\nme@acme.example\r\nbilling@partner.example\r\n")
    assert view.file.upload.value == ()
    assert plain(view.ready.value) == "2 addresses ready to import."
    assert "3 address acme.example is one of your own domains" in plain(view.file.errors.value)
    view.import_button.click()
    assert state(app, "permitted_senders") is TaskState.COMPLETE
    assert plain(view.summary_note.value) == (
        "✔ 2 addresses were imported from senders.csv. Your account has 2 permitted senders."
    )
    with new_session(services.engine) as db:
        assert sorted(s.address for s in db.exec(select(PermittedSender))) == [
            "billing@partner.example",
            "orders@supplier.example",
        ]
