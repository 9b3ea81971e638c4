"""Setup tasks in a real browser: details, a domain checked against loopback DNS, Outbound resumed."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from connect_widgets.core.review.queue import ReviewQueue
from connect_widgets.core.services import build_services
from connect_widgets.core.staff.members import add_staff_member
from connect_widgets.core.tasks.board import TaskBoard
from connect_widgets.settings import load_settings
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import Domain
from connect_widgets.store.schema import upgrade_schema
from tests.browser.conftest import RunningServer, shoot, start_server
from tests.browser.journeys import (
    SERVICE,
    a_later_visit,
    confirm_details,
    log_in,
    logged_in_an_hour_ago,
    new_account,
    open_from_progress,
    ready_for_tasks,
    returning_admin,
    to_the_directory_connection,
)
from tests.conftest import FAST_ARGON2
from tests.servers import stop_process

pytestmark = pytest.mark.browser


def test_details_domain_then_outbound_resumes_after_logging_out(page: Page, server: RunningServer):
    account = returning_admin(server, "ROAM")
    log_in(page, server, account)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Confirm Your Details")).to_be_visible()
    page.get_by_text("These details are correct").click()
    page.get_by_role("button", name="Confirm details").click()
    expect(page.get_by_text("Confirmed:")).to_be_visible()

    open_from_progress(page, "Validate Your Domains")
    page.get_by_role("button", name="Add domain").click()
    expect(page.locator(".connect-token", has_text="connect-verify=")).to_be_visible()
    page.get_by_role("button", name="Check now: roam.example").click()
    expect(page.get_by_text("Last check: ✗ roam.example does not exist in DNS yet")).to_be_visible()
    with new_session(server.services.engine) as db:
        token = db.exec(select(Domain.verification_token).where(Domain.name == "roam.example")).one()
    server.dns.txt["roam.example"] = [f"{SERVICE.verification_prefix}{token}"]  # the admin publishes it
    page.get_by_role("button", name="Check now: roam.example").click()
    expect(page.get_by_text("roam.example is verified")).to_be_visible()
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_text("Your primary domain is verified")).to_be_visible()

    open_from_progress(page, "Set Up Your Outbound Email")
    expect(page.get_by_text("Step 1 of 3")).to_be_visible()
    page.locator("textarea").fill("8.8.4.0/24")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Step 2 of 3: Publish SPF")).to_be_visible()
    shoot(page, "16-outbound-spf")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out.")).to_be_visible()

    a_later_visit(server, account.admin_email)
    log_in(page, server, account)
    expect(page.get_by_text("Next task: Set Up Your Outbound Email")).to_be_visible()
    expect(page.get_by_role("button", name="Set Up Your Outbound Email")).to_be_visible()  # in progress
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Step 2 of 3: Publish SPF")).to_be_visible()
    expect(page.locator("pre", has_text=f"ip4:8.8.4.0/24 include:{SERVICE.spf_include}")).to_be_visible()

    page.get_by_role("button", name="Back to Connect Progress").click()
    expect(page.get_by_text(re.compile(r"2 of \d+ required tasks complete"))).to_be_visible()
    shoot(page, "15-connect-progress")


def test_outbound_inbound_mx_recipients_and_journaling_end_to_end(page: Page, server: RunningServer):
    account = ready_for_tasks(server, "FLOW")
    log_in(page, server, account)
    page.get_by_role("button", name="Cancel").click()  # straight to Connect Progress
    expect(page.get_by_role("heading", name="Connect Progress")).to_be_visible()

    page.get_by_role("button", name=re.compile("Set Up Your Outbound Email")).click()
    page.get_by_role("button", name="Start task").click()
    page.locator("textarea").fill("8.8.4.0/24")
    page.get_by_role("button", name="Next").click()
    server.dns.txt["flow.example"].append(f"v=spf1 ip4:8.8.4.0/24 include:{SERVICE.spf_include} ~all")
    page.get_by_role("button", name="Check SPF").click()
    expect(page.get_by_text("Step 3 of 3: Confirm the connector")).to_be_visible()
    page.get_by_text(f"The outbound connector to {SERVICE.outbound_smarthost}").click()
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_text("Outbound email is set up")).to_be_visible()

    open_from_progress(page, "Prepare for Inbound Email")
    expect(page.locator("pre", has_text=SERVICE.inbound_ip_ranges[0])).to_be_visible()
    page.get_by_role("button", name="Next").click()
    for setting in SERVICE.inbound_settings:
        page.get_by_text(setting).click()
    shoot(page, "17-inbound-settings")
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_text("Your mail system trusts the service's ranges")).to_be_visible()

    open_from_progress(page, "Update Your MX Records")
    page.get_by_role("button", name="I have changed them").click()
    server.dns.mx["flow.example"] = [(10, SERVICE.mx_hosts[0]), (20, SERVICE.mx_hosts[1])]
    page.get_by_role("button", name="Check MX").click()
    expect(page.get_by_text("Your MX records point at the service")).to_be_visible()

    open_from_progress(page, "Set Up Recipient Validation")
    page.get_by_text("Directory users only", exact=True).click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("needs Synchronize Your Directory to be complete")).to_be_visible()
    page.get_by_text("Known addresses", exact=True).click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Recipients are validated against")).to_be_visible()

    open_from_progress(page, "Journaling")
    expect(page.locator("pre", has_text="journaling@journal.flow.example")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    page.get_by_text("The journal rule is saved in my mail system").click()
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_text("Journaling is set up")).to_be_visible()

    page.get_by_role("button", name="Back to Connect Progress").click()
    expect(page.get_by_text(re.compile(r"6 of \d+ required tasks complete"))).to_be_visible()


STAFF_PASSWORD = "quartz ferry meadow 61"


def test_a_correction_approved_in_the_team_notebook_reaches_the_admin_next_time(
    browser,
    page: Page,  # type: ignore[no-untyped-def]
    server: RunningServer,
):
    add_staff_member(server.services, name="Priya Shah", password=STAFF_PASSWORD)
    account = returning_admin(server, "FIX")
    log_in(page, server, account)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Company name", exact=True).fill("Fix Group plc")
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_text("are with the Connect team")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out.")).to_be_visible()

    context = browser.new_context(viewport={"width": 1100, "height": 860})
    staff = context.new_page()
    staff.set_default_timeout(30_000)
    try:
        staff.goto(server.page_url(notebook="connect_team.ipynb"))
        expect(staff.get_by_role("heading", name="Staff log in")).to_be_visible()
        expect(staff.get_by_text("Fix Group plc")).to_have_count(0)  # nothing of the queue before login
        staff.get_by_label("Staff name", exact=True).fill("Priya Shah")
        staff.get_by_label("Password", exact=True).fill("not the password")
        staff.get_by_role("button", name="Log in").click()
        expect(staff.locator(".connect-message")).to_contain_text("not")
        expect(staff.get_by_text("Fix Group plc")).to_have_count(0)
        staff.get_by_label("Staff name", exact=True).fill("Priya Shah")
        staff.get_by_label("Password", exact=True).fill(STAFF_PASSWORD)
        staff.get_by_role("button", name="Log in").click()
        card = staff.locator(".connect-review", has_text="FIX · Fix Ltd")
        expect(card).to_contain_text("Fix Group plc")
        shoot(staff, "18-team-review-queue")
        card.get_by_role("button", name="Approve").click()
        expect(staff.get_by_text(re.compile("Approved: FIX"))).to_be_visible()
    finally:
        staff.goto("about:blank")  # runs the unload handler: the kernel is shut down
        context.close()

    a_later_visit(server, account.admin_email)
    log_in(page, server, account)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("The Connect team applied your corrections")).to_be_visible()
    expect(page.get_by_label("Company name", exact=True)).to_have_value("Fix Group plc")


def upload(page: Page, name: str, text: str) -> None:
    """Choose a file the way an admin does: click Choose file, pick it in the file chooser."""
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name=re.compile("Choose file")).click()
    chooser.value.set_files(files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}])


def test_users_and_permitted_senders_are_imported_from_files(page: Page, server: RunningServer):
    account = ready_for_tasks(server, "FILES")
    log_in(page, server, account)
    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name=re.compile("Add Users Manually")).click()
    page.get_by_role("button", name="Start task").click()
    expect(page.get_by_role("link", name=re.compile("CSV"))).to_be_visible()  # the template to download
    users = (
        "email,first_name,last_name\n"
        "ann@files.example,Ann,Lee\n"
        "bob@elsewhere.example,Bob,Hay\n"
        "ann@files.example,Ann,Again\n"
        "cat@files.example,Cat,=SUM(A1)\n"
    )
    upload(page, "users.csv", users)
    expect(page.locator("table.connect-errors")).to_contain_text("Duplicate of row 2")
    expect(page.locator("table.connect-errors tr")).to_have_count(4)  # the header and three bad rows
    page.get_by_label("Email address", exact=True).fill("dan@files.example")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_text("dan@files.example")).to_be_visible()
    expect(page.locator(".connect-chosen")).to_have_text("users.csv, 4 rows")  # beside Choose file
    expect(page.get_by_role("button", name=re.compile("Choose file"))).to_have_text("Choose file (0)")
    shoot(page, "19-add-users")
    shoot_at_widths(page, "19-add-users")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("with the Connect team")).to_be_visible()
    queue = ReviewQueue(server.services, staff="Priya Shah")  # the team notebook's core (its page is tested above)
    queue.approve(next(r.id for r in queue.pending() if r.account_code == "FILES"))
    page.get_by_role("button", name="Back to Connect Progress").click()
    page.get_by_role("button", name=re.compile("Add Users Manually")).click()
    expect(page.get_by_text(re.compile("2 users"))).to_be_visible()

    for title in ("Set Up Your Outbound Email",):  # Permitted Senders needs Outbound complete
        page.get_by_role("button", name="Back to Connect Progress").click()
        page.get_by_role("button", name=re.compile(title)).click()
        page.get_by_role("button", name="Start task").click()
        page.locator("textarea").fill("8.8.4.0/24")
        page.get_by_role("button", name="Next").click()
        server.dns.txt["files.example"].append(f"v=spf1 include:{SERVICE.spf_include} -all")
        page.get_by_role("button", name="Check SPF").click()
        page.get_by_text(f"The outbound connector to {SERVICE.outbound_smarthost}").click()
        page.get_by_role("button", name="Finish").click()
        expect(page.get_by_text("Outbound email is set up")).to_be_visible()

    open_from_progress(page, "Import Permitted Senders")
    senders = "address\npartner@supplier.example\nme@files.example\nnot-an-address\n"
    upload(page, "senders.csv", senders)
    expect(page.locator("table.connect-errors tr")).to_have_count(3)
    expect(page.get_by_text(re.compile("1 address"))).to_be_visible()
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text(re.compile("1 permitted sender"))).to_be_visible()


def shoot_at_widths(page: Page, name: str) -> None:
    """Screenshots at 1280 and 1024 px (then back to the test's own width), to look at."""
    before = page.viewport_size
    for width in (1280, 1024):
        page.set_viewport_size({"width": width, "height": 860})
        shoot(page, f"{name}-{width}")
    if before:
        page.set_viewport_size(before)


def one_line(locator) -> bool:  # type: ignore[no-untyped-def]
    """The element's text is drawn on a single line (no wrap inside a token)."""
    return bool(
        locator.evaluate(
            "e => { const r = document.createRange(); r.selectNodeContents(e);"
            " const tops = new Set([...r.getClientRects()].map(c => Math.round(c.top))); return tops.size === 1; }"
        )
    )


def test_the_record_copies_whole_and_task_pages_at_1280_and_1024(browser, server: RunningServer):  # type: ignore[no-untyped-def]
    """Intro with human step names, the TXT value on one line, Copy into the real clipboard, every bad range."""
    account = ready_for_tasks(server, "COPY")
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        log_in(page, server, account)
        page.get_by_role("button", name="Cancel").click()
        page.get_by_role("button", name=re.compile("Add Users Manually")).click()
        expect(page.get_by_text("Upload your list or add users one by one")).to_be_visible()  # a step, in words
        expect(page.get_by_role("button", name="Start task")).to_be_visible()  # it has something to explain
        shoot_at_widths(page, "task-intro-add-users")

        page.get_by_role("button", name="Back to Connect Progress").click()
        page.get_by_role("button", name=re.compile("Validate Your Domains")).click()
        page.get_by_label("Domain", exact=True).fill("copy-second-domain.example")
        page.get_by_role("button", name="Add domain").click()
        expect(page.get_by_role("button", name="Check now: copy-second-domain.example")).to_be_visible()  # added
        with new_session(server.services.engine) as db:
            token = db.exec(select(Domain.verification_token).where(Domain.name == "copy-second-domain.example")).one()
        value = f"{SERVICE.verification_prefix}{token}"
        shown = page.locator(".connect-token", has_text=value)
        expect(shown).to_have_text(value)
        page.get_by_role("button", name="Copy the value").click()
        expect(page.get_by_role("button", name="Copy the value")).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == value
        page.get_by_role("button", name="Copy the name").click()
        expect(page.get_by_role("button", name="Copy the name")).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == "copy-second-domain.example"
        for width in (1280, 1024):
            page.set_viewport_size({"width": width, "height": 860})
            assert one_line(shown), f"the TXT value wraps at {width} px"
        shoot_at_widths(page, "14-validate-domains")

        page.get_by_role("button", name="Back to Connect Progress").click()
        page.get_by_role("button", name=re.compile("Set Up Your Outbound Email")).click()
        page.get_by_role("button", name="Start task").click()
        page.get_by_label("Public IP ranges", exact=True).fill("10.0.0.0/8\n8.8.4.0/24\nmail.copy.example\n8.0.0.0/8")
        page.get_by_role("button", name="Next").click()
        expect(page.locator(".connect-message")).to_contain_text("3 entries need correcting")
        expect(page.locator(".connect-rejected li")).to_have_count(3)
        expect(page.get_by_label("Public IP ranges", exact=True)).to_have_value(
            "10.0.0.0/8\n8.8.4.0/24\nmail.copy.example\n8.0.0.0/8"
        )  # nothing typed is lost
        shoot_at_widths(page, "16-outbound-bad-ranges")
        page.get_by_label("Public IP ranges", exact=True).fill("8.8.4.0/24")
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_text("Step 2 of 3: Publish SPF")).to_be_visible()
        shoot_at_widths(page, "16-outbound-spf")
    finally:
        page.goto("about:blank")  # runs the unload handler: the kernel is shut down
        context.close()


@pytest.fixture
def silent_ldap() -> Iterator[int]:
    """A real TCP server on loopback that accepts connections and never answers (a hung directory)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # closed: the test is over
                return
            held.append(connection)  # kept open, never read or answered

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        for connection in held:
            connection.close()


LDAP_TIMEOUT = 4  # seconds: long enough to look at the busy page, short enough for a quick test


@pytest.fixture(scope="module")
def short_ldap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A `connect-kit serve` of its own whose LDAP timeout is short (CONNECT_LDAP_TIMEOUT_SECONDS)."""
    data_dir = tmp_path_factory.mktemp("served-short-ldap")
    services = build_services(load_settings(data_dir=data_dir, **FAST_ARGON2))
    upgrade_schema(services.engine)
    process, port = start_server(data_dir, settings={"CONNECT_LDAP_TIMEOUT_SECONDS": str(LDAP_TIMEOUT)})
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", data_dir, services, process)
    finally:
        stop_process(process)
        services.engine.dispose()


def test_a_directory_that_never_answers_shows_the_busy_state_then_a_timeout(
    browser,
    short_ldap_server,  # type: ignore[no-untyped-def]
    silent_ldap,
):
    server = short_ldap_server
    account = new_account(server, "HUNG")  # logged in once an hour ago, details confirmed
    flow = logged_in_an_hour_ago(server, account)
    confirm_details(TaskBoard(flow))
    flow.log_out()
    a_later_visit(server, account.admin_email)

    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        log_in(page, server, account)
        to_the_directory_connection(page)
        url = f"ldap://127.0.0.1:{silent_ldap}"
        page.get_by_label("Server URL", exact=True).fill(url)
        page.get_by_label("Base DN", exact=True).fill("dc=hung,dc=example")
        page.get_by_label("Bind DN", exact=True).fill("cn=connect,dc=hung,dc=example")
        page.get_by_label("Bind password", exact=True).fill("a bind secret")
        page.get_by_role("button", name="Save and continue").click()
        expect(page.get_by_text("Step 3 of 3")).to_be_visible()

        page.get_by_role("button", name="Test connection").click()
        message = page.locator(".connect-message.busy")
        expect(message).to_have_text(f"Testing the connection to {url}…")
        expect(message.locator(".connect-spinner")).to_be_visible()
        expect(page.get_by_role("button", name="Log out")).to_be_disabled()
        shoot(page, "directory-test-busy-1280")  # mid-wait

        expect(page.get_by_text(f"✗ The directory at {url} did not answer in time")).to_be_visible(
            timeout=LDAP_TIMEOUT * 1000 + 20_000
        )  # the test's result, on the page
        expect(page.locator(".connect-spinner")).to_have_count(0)
        expect(page.get_by_role("button", name="Log out")).to_be_enabled()
        shoot(page, "directory-test-timeout-1280")
    finally:
        page.goto("about:blank")  # runs the unload handler: the kernel is shut down
        context.close()
