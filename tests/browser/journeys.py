"""What the browser tests do again and again: make an admin, and walk a page through the login.

Set-up runs through the kit's own core against the served database (an admin who
logged in an hour ago is made by a real :class:`LoginFlow` with a clock an hour
back); a page is driven the way an admin would, by labels and button names.
The tests import from here, never from one another.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect
from sqlmodel import col, select

from connect_widgets.core.accounts.create import NewAccount, create_account
from connect_widgets.core.adapters.dns import DnsChecker
from connect_widgets.core.adapters.service_values import load_service_values
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.clock import FrozenClock
from connect_widgets.core.services import build_services
from connect_widgets.core.tasks.board import TaskBoard
from connect_widgets.core.tasks.confirm_details import ConfirmDetailsTask
from connect_widgets.core.tasks.validate_domains import ValidateDomainsTask
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AdminUser, Message, Passcode
from tests.browser.conftest import RunningServer
from tests.conftest import NEW_PASSWORD, first_login
from tests.servers import wait_until

SERVICE = load_service_values()

# --- admins, made through the core ----------------------------------------------------


def new_account(server: RunningServer, code: str) -> NewAccount:
    return create_account(
        server.services,
        code=code,
        company=f"{code.title()} Ltd",
        primary_domain=f"{code.lower()}.example",
        admin_name="jane",
    )


def logged_in_an_hour_ago(server: RunningServer, account: NewAccount, *, with_dns: bool = False) -> LoginFlow:
    """The admin's first login (phone, code, new password), done an hour ago; returns their signed-in flow.

    ``with_dns``: the flow's services resolve against the server's loopback DNS zone.
    """
    settings = server.services.settings
    if with_dns:
        settings = settings.model_copy(update={"dns_nameservers": server.dns_nameservers})
    earlier = build_services(
        settings, clock=FrozenClock(datetime.now(UTC) - timedelta(hours=1)), engine=server.services.engine
    )
    flow = LoginFlow(earlier)
    first_login(flow, earlier, account)
    return flow


def confirm_details(board: TaskBoard) -> None:
    ConfirmDetailsTask(board).confirm(version=board.start("confirm_details").version)


def returning_admin(server: RunningServer, code: str) -> NewAccount:
    """An admin who logged in once (an hour ago), changed the password and started a task."""
    account = new_account(server, code)
    flow = logged_in_an_hour_ago(server, account)
    TaskBoard(flow).start("confirm_details")
    flow.log_out()
    return account


def ready_for_tasks(server: RunningServer, code: str) -> NewAccount:
    """An admin (logged in once before) whose details are confirmed and primary domain verified."""
    account = new_account(server, code)
    flow = logged_in_an_hour_ago(server, account, with_dns=True)
    board = TaskBoard(flow)
    confirm_details(board)
    domain = f"{code.lower()}.example"
    book = ValidateDomainsTask(board, checker=DnsChecker(flow.services.settings), service=SERVICE)
    server.dns.txt[domain] = [book.add(domain).record_value]
    assert book.check(domain).ok
    book.finish(version=board.start("validate_domains").version, primary_domain=domain)
    flow.log_out()
    a_later_visit(server, account.admin_email)
    return account


def a_later_visit(server: RunningServer, email: str) -> None:
    """Move the admin's passcodes two minutes into the past (the fake clock here is the database's)."""
    with new_session(server.services.engine) as db:
        user = db.exec(select(AdminUser).where(AdminUser.email == email)).one()
        for passcode in db.exec(select(Passcode).where(Passcode.user_id == user.id)):
            passcode.sent_at -= timedelta(minutes=2)
            db.add(passcode)
        db.commit()


# --- what the admin's phone got ---------------------------------------------------------


def latest_code(server: RunningServer, email: str, *, after: int = 0) -> str:
    """The passcode from the newest SMS to the admin (what their phone shows)."""

    def newest() -> Message | None:
        with new_session(server.services.engine) as db:
            user = db.exec(select(AdminUser).where(AdminUser.email == email)).one()
            return db.exec(
                select(Message)
                .where(Message.user_id == user.id, Message.channel == "sms", col(Message.id) > after)
                .order_by(col(Message.id).desc())
            ).first()

    assert wait_until(lambda: newest() is not None, timeout=15), "no SMS arrived"
    return re.search(r"\b(\d{6})\b", newest().body).group(1)  # type: ignore[union-attr]


def last_message_id(server: RunningServer) -> int:
    with new_session(server.services.engine) as db:
        return db.exec(select(Message.id).order_by(col(Message.id).desc())).first() or 0


# --- a page through the login -----------------------------------------------------------


def email_to_password(page: Page, email: str) -> None:
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Choose how to authenticate")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Password", exact=True)).to_be_visible()


def password_to_passcode(page: Page, server: RunningServer, email: str, password: str = NEW_PASSWORD) -> str:
    """On the password step: the password, Next; returns the code the admin's phone got."""
    before = last_message_id(server)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Next").click()
    return latest_code(server, email, after=before)


def verify_and_log_in(page: Page, code: str) -> None:
    """On the passcode step: the code, Verify, then Log In."""
    page.get_by_label("Passcode", exact=True).fill(code)
    page.get_by_role("button", name="Verify").click()
    page.get_by_role("button", name="Log In").click()


def returning_to_passcode(page: Page, server: RunningServer, account: NewAccount, *, query: str = "") -> str:
    """A returning admin's email, Cloud and password; returns the code their phone got."""
    page.goto(server.page_url(query))
    email_to_password(page, account.admin_email)
    return password_to_passcode(page, server, account.admin_email)


def log_in_from_the_email_page(page: Page, server: RunningServer, email: str) -> None:
    """On a page at the email step: a returning admin's email, password and passcode, then Log In."""
    email_to_password(page, email)
    verify_and_log_in(page, password_to_passcode(page, server, email))


def log_in(page: Page, server: RunningServer, account: NewAccount) -> None:
    """A returning admin opens Connect and logs in: Welcome back."""
    verify_and_log_in(page, returning_to_passcode(page, server, account))
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()


# --- a page through the tasks -------------------------------------------------------------


def open_from_progress(page: Page, title: str) -> None:
    page.get_by_role("button", name="Back to Connect Progress").click()
    page.get_by_role("button", name=re.compile(title)).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    start = page.get_by_role("button", name="Start task")
    if start.is_visible():
        start.click()


def to_the_directory_connection(page: Page) -> None:
    """From Welcome back: Connect Progress, Synchronize Your Directory, an LDAP directory, Next."""
    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name=re.compile("Synchronize Your Directory")).click()
    expect(page.get_by_text("Step 1 of 3: How Connect reaches your directory")).to_be_visible()  # no Start task
    page.get_by_text("LDAP directory", exact=False).first.click()
    page.get_by_role("button", name="Next").click()
