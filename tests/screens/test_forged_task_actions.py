"""A page's browser can send a click or an Enter for a task view it is not showing: a locked
task's view is built (its controls reach the browser) but hidden. Every task view's primary
action, forged that way, is refused in words by the core and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import col, select

from connect_widgets.core.tasks.catalogue import TaskState, load_catalogue
from connect_widgets.pages.connect import ConnectApp
from connect_widgets.screens.kit import Place
from connect_widgets.screens.tasks.page import TaskScreen, TaskView
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import (
    Account,
    AuditEvent,
    Directory,
    Domain,
    MailUser,
    PermittedSender,
    Review,
    TaskProgress,
)
from tests.screens.conftest import (
    log_in_first_time,
    open_task,
    press_enter,
    shown_message,
)


def _add_domain(view: Any) -> None:
    view.new_domain.value = "eps.example"
    view.add_button.click()


def _enter_domain(view: Any) -> None:
    view.new_domain.value = "sub.eps.example"
    press_enter(view.new_domain)


def _add_user(view: Any) -> None:
    view.email.value = "mallory@acme.example"
    view.add_button.click()


def _ranges(view: Any) -> None:
    view.ranges.value = "203.0.113.0/28"
    view.ranges_next.click()


def _directory(view: Any) -> None:
    view.method.value = "ldap"
    view.method_next.click()


# Each task view's primary action, as the browser would send it for the hidden view.
PRIMARY: dict[str, Callable[[Any], None]] = {
    "validate_domains": _add_domain,
    "directory_sync": _directory,
    "add_users": _add_user,
    "user_authentication": lambda view: view.mode_button.click(),
    "outbound_email": _ranges,
    "inbound_email": lambda view: view.next_button.click(),
    "mx_records": lambda view: view.next_button.click(),
    "permitted_senders": lambda view: view.import_button.click(),
    "recipient_validation": lambda view: view.save_button.click(),
    "journaling": lambda view: view.next_button.click(),
}
LOCKED_AT_FIRST = [t.key for t in load_catalogue() if t.prerequisites]


def snapshot(services) -> dict[str, list[tuple]]:  # type: ignore[no-untyped-def]
    """Everything a task action could write (the refusal's own audit row aside)."""
    with new_session(services.engine) as db:
        return {
            "tasks": [(r.task_key, r.state, r.step, r.version, repr(r.data)) for r in db.exec(select(TaskProgress))],
            "domains": [(d.account_id, d.name, d.verified_at) for d in db.exec(select(Domain))],
            "reviews": [(r.task_key, r.state) for r in db.exec(select(Review))],
            "users": [(u.email,) for u in db.exec(select(MailUser))],
            "senders": [(s.address,) for s in db.exec(select(PermittedSender))],
            "directories": [(d.method, d.url) for d in db.exec(select(Directory))],
            "accounts": [(a.code, a.company, a.primary_domain, a.auth_mode) for a in db.exec(select(Account))],
            "audit": [
                (e.action, e.detail)
                for e in db.exec(
                    select(AuditEvent)
                    .where(col(AuditEvent.action).not_in(["task_refused", "dns_check"]))
                    .order_by(col(AuditEvent.id))
                )
            ],
        }


def refused_rows(services) -> int:  # type: ignore[no-untyped-def]
    with new_session(services.engine) as db:
        return len(db.exec(select(AuditEvent).where(AuditEvent.action == "task_refused")).all())


def hidden_view(app: ConnectApp, key: str) -> TaskView:
    """Open the locked task's page: it shows the steps, and builds the task's view without showing it."""
    app.go(Place.TASK, key=key)
    page = app.current
    assert isinstance(page, TaskScreen)
    assert page.body.children == ()  # nothing of the view is shown
    view = page.view(key)
    assert view is not None
    return view


def test_the_catalogue_has_a_primary_action_for_every_locked_task_view():
    assert sorted(PRIMARY) == sorted(LOCKED_AT_FIRST)


@pytest.mark.parametrize("key", LOCKED_AT_FIRST)
def test_a_forged_primary_action_on_a_locked_task_is_refused_and_writes_nothing(app, services, account, key):
    log_in_first_time(app, services, account)
    view = hidden_view(app, key)
    status = app.board.overview().get(key)
    assert status.state is TaskState.LOCKED
    before = snapshot(services)

    PRIMARY[key](view)

    waiting = " and ".join(status.waiting_for)
    assert shown_message(app) == (
        f"{status.task.title} is locked until {waiting} {'is' if len(status.waiting_for) == 1 else 'are'} complete."
    )
    assert snapshot(services) == before
    assert refused_rows(services) == 1
    assert isinstance(app.current, TaskScreen)


def test_a_forged_enter_in_the_hidden_domain_field_adds_nothing(app, services, account):
    log_in_first_time(app, services, account)
    view = hidden_view(app, "validate_domains")
    before = snapshot(services)
    _enter_domain(view)
    assert shown_message(app) == "Validate Your Domains is locked until Confirm Your Details is complete."
    assert snapshot(services) == before


def test_forged_corrections_on_complete_details_do_not_reopen_them(app, services, account):
    log_in_first_time(app, services, account)
    details = open_task(app, "confirm_details")
    details.correct.value = True
    details.confirm_button.click()
    assert app.board.overview().get("confirm_details").state is TaskState.COMPLETE
    before = snapshot(services)

    details.company.value = "Mallory plc"  # the hidden form's field, set by the browser
    details.review_button.click()

    assert (
        shown_message(app) == "Confirm Your Details is complete; to change your details now, contact Connect support."
    )
    assert snapshot(services) == before
    assert app.board.overview().get("confirm_details").state is TaskState.COMPLETE
