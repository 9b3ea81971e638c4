"""Task pages: human step names, no needless Start click, whole TXT values, every bad range, file names, busy words."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import Any

from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.pages.connect import ConnectApp
from connect_widgets.screens.kit import Place
from connect_widgets.screens.style import STYLESHEET
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.store.models import TaskProgress
from tests.screens.conftest import count_rows, log_in_first_time, open_task, plain, shown_message, state, step_line
from tests.screens.test_import_views import USERS, upload


def watch(app: ConnectApp, target: Any, name: str) -> list[tuple[str, bool]]:
    """Record what the message area says, and whether Log out is disabled, when ``target.name`` runs.

    The real method still runs: this only looks at the page at the moment the slow step starts.
    """
    seen: list[tuple[str, bool]] = []
    real = getattr(target, name)

    def looking(*args: Any, **kwargs: Any) -> Any:
        seen.append((plain(app.message.value), app.log_out_button.disabled))
        return real(*args, **kwargs)

    setattr(target, name, looking)
    return seen


def said(markup: str) -> str:
    """Inline markup as read: tags dropped without adding spaces ("<b>users.csv</b>, 3 rows")."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).split())


def busy(words: str) -> list[tuple[str, bool]]:
    return [(words, True)]


# --- the intro and Start task ----------------------------------------------------------


def test_every_tasks_intro_names_its_steps_in_words_never_by_key(app, services, account):
    log_in_first_time(app, services, account)
    screen = app.task
    for status in app.board.overview().tasks:
        screen.render(replace(status, state=TaskState.NOT_STARTED, step=None))  # the intro, for every task
        items = [html.unescape(i) for i in re.findall(r"<li[^>]*>(.*?)</li>", screen.details.value)]
        labels = screen.view(status.task.key).labels
        assert items == [labels[step] for step in status.task.steps], status.task.key
        for step, label in zip(status.task.steps, items, strict=True):
            assert label.lower() not in (step.lower(), step.replace("_", " ").lower()), (status.task.key, step)
            assert "_" not in label


def test_opening_a_task_with_nothing_to_explain_shows_its_first_step_at_once(ready_app):
    app, _ = ready_app
    app.go(Place.TASK, key="directory_sync")
    screen = app.current
    assert isinstance(screen, TaskScreen) and shown_message(app) == ""
    assert state(app, "directory_sync") is TaskState.IN_PROGRESS
    assert screen.start_button.layout.display == "none"
    assert plain(step_line(screen.body.children[0])) == "Step 1 of 3: How Connect reaches your directory"


def test_a_task_with_something_to_explain_keeps_its_intro_and_start_task(ready_app):
    app, _ = ready_app
    app.go(Place.TASK, key="add_users")
    screen = app.current
    assert state(app, "add_users") is TaskState.NOT_STARTED
    assert "The Connect team validates the users you submit" in plain(screen.details.value)
    assert "Upload your list or add users one by one" in plain(screen.details.value)
    assert screen.start_button.layout.display is None and screen.body.children == ()
    screen.start_button.click()
    assert state(app, "add_users") is TaskState.IN_PROGRESS and screen.body.children


def test_opening_a_locked_task_does_not_start_it(app, services, account):
    """Starting goes through the board's checks: a locked task only shows what it needs."""
    log_in_first_time(app, services, account)
    app.go(Place.TASK, key="user_authentication")  # no intro, but locked
    screen = app.current
    assert isinstance(screen, TaskScreen) and shown_message(app) == ""
    assert "Complete Validate Your Domains first." in plain(screen.details.value)
    assert "Choose how admins log in" in plain(screen.details.value)
    assert screen.start_button.layout.display == "none"
    screen.start_button.click()  # a forged click
    assert shown_message(app) == "Set Up Your Authentication is locked until Validate Your Domains is complete."
    assert count_rows(services, TaskProgress) == 0


# --- Confirm Your Details --------------------------------------------------------------


def test_corrections_sent_say_which_tasks_open_next_and_what_runs_meanwhile(app, services, account):
    log_in_first_time(app, services, account)
    view = open_task(app, "confirm_details")
    seen = watch(app, view.details_task, "send_for_review")
    view.company.value = "Acme Group plc"
    view.review_button.click()
    assert seen == busy("Sending your corrections to the Connect team…")
    note = plain(view.note.value)
    assert "nothing else" not in note
    assert (
        "Once your details are confirmed, Validate Your Domains, Synchronize Your Directory and "
        "Add Users Manually open."
    ) in note


# --- Validate Your Domains -------------------------------------------------------------


def test_the_txt_record_is_shown_whole_with_copy_buttons_and_checked_with_busy_words(ready_app):
    app, _ = ready_app
    view = open_task(app, "validate_domains")
    view.new_domain.value = "acme.org"
    view.add_button.click()
    domain = next(d for d in view.task.domains() if d.name == "acme.org")
    row = view.domain_rows[-1].words.value  # the last domain's row: its record
    assert f'<code class="connect-token">{html.escape(domain.record_value)}</code>' in row
    assert f'data-copy="{html.escape(domain.record_value)}"' in row
    assert 'data-copy="acme.org"' in row
    assert "navigator.clipboard.writeText" in html.unescape(row)
    assert "break-all" not in STYLESHEET  # a token never breaks mid-way
    assert re.search(r"\.connect-token \{[^}]*white-space: nowrap", STYLESHEET)

    seen = watch(app, view.task, "check")
    view.check_buttons["acme.org"].click()
    assert seen == busy("Checking the TXT record for acme.org…")
    assert "acme.org does not exist in DNS yet" in plain(view.domain_rows[-1].words.value)
    assert not app.log_out_button.disabled and "busy" not in app.message._dom_classes


# --- Set Up Your Outbound Email ----------------------------------------------------------


def test_every_bad_range_is_named_with_its_line_and_nothing_typed_is_lost(ready_app):
    app, records = ready_app
    view = open_task(app, "outbound_email")
    typed = "10.0.0.0/8\n8.8.4.0/24\nmail.acme.example, 8.8.8.8\n8.0.0.0/8"
    view.ranges.value = typed
    view.ranges_next.click()
    message = shown_message(app)
    assert message.startswith("3 entries need correcting:")
    assert "Line 1: 10.0.0.0/8 is a private or reserved range" in message
    assert "Line 3: mail.acme.example is not an IP address or range" in message
    assert "Line 4: 8.0.0.0/8 is too wide" in message
    assert [plain(li) for li in re.findall(r"<li>(.*?)</li>", view.range_problems.value)] == [
        "Line 1: 10.0.0.0/8 is a private or reserved range, not a public one",
        "Line 3: mail.acme.example is not an IP address or range",
        "Line 4: 8.0.0.0/8 is too wide (wider than /16): list only your mail servers' ranges",
    ]
    assert view.ranges.value == typed and state(app, "outbound_email") is TaskState.IN_PROGRESS

    view.ranges.value = "8.8.4.0/24"
    view.ranges_next.click()
    assert view.range_problems.value == "" and "Step 2 of 3" in step_line(view)
    seen = watch(app, view.task, "check_spf")
    view.check_button.click()
    assert seen == busy("Checking the SPF record for acme.example…")


# --- Update Your MX Records ----------------------------------------------------------------


def test_the_mx_check_lists_each_domain_on_its_own_line_with_busy_words(ready_app):
    app, records = ready_app
    domains = open_task(app, "validate_domains")
    domains.new_domain.value = "sales.acme.example"  # a subdomain of the verified primary: verified at once
    domains.add_button.click()
    inbound = open_task(app, "inbound_email")
    inbound.next_button.click()
    for box in inbound.settings:
        box.value = True
    inbound.finish_button.click()
    view = open_task(app, "mx_records")
    view.next_button.click()
    hosts = view.task.service.mx_hosts
    records.mx["acme.example"] = [(10, hosts[0])]
    records.txt["sales.acme.example"] = []  # the name exists, with no MX yet
    seen = watch(app, view.task, "check_mx")
    view.check_button.click()
    assert seen == busy("Checking the MX records for acme.example and sales.acme.example…")
    shown = next(c.value for c in view.children if "connect-check-" in getattr(c, "value", ""))
    assert "1 of 2 domains needs a change:" in plain(shown)
    items = [plain(li) for li in re.findall(r"<li>(.*?)</li>", shown.split("Found:")[0])]
    assert len(items) == 2
    assert items[0].startswith("✔ acme.example receives mail through")
    assert items[1].startswith("✗ sales.acme.example has no MX record")


# --- Add Users Manually and Import Permitted Senders ------------------------------------------


def test_the_chosen_file_is_named_beside_the_button_with_its_row_count(signed_in):
    app = signed_in
    view = open_task(app, "add_users")
    assert view.file.upload.icon == ""  # no Font Awesome: pages work offline
    assert view.file.chosen in view.file.picker.children and view.file.upload in view.file.picker.children
    assert said(view.file.chosen.value) == "No file chosen"
    seen = watch(app, view.users_task, "check_file")
    upload(view, "one.csv", b"email\r\nbob@elsewhere.example\r\n")
    assert seen == busy("Reading one.csv and checking each row…")
    assert said(view.file.chosen.value) == "one.csv, 1 row"
    assert "1 row has a problem and was left out. Correct it in your file" in plain(view.file.errors.value)

    upload(view, "users.csv", USERS)
    assert said(view.file.chosen.value) == "users.csv, 4 rows"
    assert "2 rows have problems and were left out. Correct them in your file" in plain(view.file.errors.value)


def test_a_new_file_clears_the_last_files_results_even_when_it_cannot_be_used(signed_in):
    app = signed_in
    view = open_task(app, "add_users")
    upload(view, "users.csv", USERS)
    assert view.file.errors.value
    upload(view, "names.csv", b"name\r\nJane\r\n")
    assert "has no email column" in shown_message(app)
    assert said(view.file.chosen.value) == "names.csv: not used (see the message above)"
    assert view.file.errors.value == ""  # users.csv's row errors are not names.csv's

    for key in ("validate_domains", "outbound_email"):  # test setup: Permitted Senders unlocked
        app.board.save(key, version=0, state=TaskState.COMPLETE)
    senders = open_task(app, "permitted_senders")
    assert senders.file.upload.icon == ""
    upload(senders, "senders.csv", b"address\r\npartner@supplier.example\r\nnot-an-address\r\n")
    assert said(senders.file.chosen.value) == "senders.csv, 2 rows"
    assert senders.file.errors in senders.children
    upload(senders, "names.csv", b"name\r\nJane\r\n")
    assert said(senders.file.chosen.value) == "names.csv: not used (see the message above)"
    assert senders.file.errors not in senders.children and senders.import_button not in senders.children


def test_sending_users_to_the_connect_team_shows_busy_words(signed_in):
    app = signed_in
    view = open_task(app, "add_users")
    upload(view, "users.csv", USERS)
    seen = watch(app, view.users_task, "submit")
    view.submit_button.click()
    assert seen == busy("Sending your 2 users to the Connect team…")
    assert state(app, "add_users") is TaskState.AWAITING_VALIDATION


# --- Synchronize Your Directory ------------------------------------------------------------------


def test_directory_steps_that_wait_say_what_they_wait_for(ready_app):
    app, _ = ready_app
    view = open_task(app, "directory_sync")
    view.method.value = "ldap"
    view.method_next.click()
    view.url.value, view.base_dn.value = "ldap://127.0.0.1:9", "dc=acme,dc=example"  # nothing listens on 9
    view.bind_dn.value, view.bind_password.value = "cn=connect,dc=acme,dc=example", "a bind secret"
    view.save_button.click()
    seen = watch(app, view.task, "run_test")
    view.test_button.click()
    assert seen == busy("Testing the connection to ldap://127.0.0.1:9…")
    assert state(app, "directory_sync") is TaskState.IN_PROGRESS

    view.back_button.click()
    view.back_button.click()
    view.method.value = "azure_ad"
    view.method_next.click()
    view.tenant.value = "0f4e2a52-55aa-4c51-9d5e-6c0f9f0e7a11"
    seen = watch(app, view.task, "save_cloud")
    view.send_button.click()
    assert seen == busy("Sending your tenant or directory ID to the Connect team…")
    assert state(app, "directory_sync") is TaskState.AWAITING_VALIDATION
