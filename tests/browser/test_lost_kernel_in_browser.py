"""A page whose kernel died says so and offers Reload, which leads back to where the admin was.

The kernel is killed for real (SIGKILL to its process, found by its connection file),
as a crash or the out-of-memory killer would. The server then starts a new kernel under
the same id, which has none of the page's widgets: only a new page helps.
"""

from __future__ import annotations

import signal

import psutil
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import RunningServer, shoot
from tests.browser.journeys import a_later_visit, log_in, log_in_from_the_email_page, returning_admin

pytestmark = pytest.mark.browser

LOST = "Connect lost its connection — reload the page; nothing you saved is lost"


def kernel_process(kernel_id: str) -> psutil.Process:
    """The process of the kernel with this id (its command line names its connection file)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if any(arg.endswith(f"kernel-{kernel_id}.json") for arg in process.info["cmdline"] or ()):
            found.append(process)
    assert len(found) == 1, f"expected one process for kernel {kernel_id}, found {found}"
    return found[0]


def test_a_killed_kernel_shows_the_lost_connection_banner_and_reload_returns_to_the_task(
    page: Page, server: RunningServer
) -> None:
    account = returning_admin(server, "LOSTK")  # Confirm Your Details is in progress
    log_in(page, server, account)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Confirm Your Details")).to_be_visible()
    expect(page.get_by_role("alertdialog")).to_have_count(0)  # no banner while the kernel is alive

    kernel_id = page.evaluate("() => window.jupyterapp.widgetManager.kernel.id")
    kernel_process(kernel_id).send_signal(signal.SIGKILL)

    banner = page.get_by_role("alertdialog")
    expect(banner).to_be_visible(timeout=20_000)  # the server notices a dead kernel within ~3 s
    expect(banner).to_have_text(LOST + "Reload")
    shoot(page, "lost-connection")

    page.get_by_role("button", name="Reload").click()
    email = page.get_by_label("Email address", exact=True)
    expect(email).to_be_visible(timeout=60_000)  # a new page, with a new kernel, at the login
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    new_kernel = page.evaluate("() => window.jupyterapp.widgetManager.kernel.id")
    assert new_kernel != kernel_id

    # The reloaded page works, and logging in again leads to the task the database says the admin was on.
    a_later_visit(server, account.admin_email)
    log_in_from_the_email_page(page, server, account.admin_email)
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    expect(page.get_by_text("Next task: Confirm Your Details")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Confirm Your Details")).to_be_visible()
