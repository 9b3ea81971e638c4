"""A kernel gives back the memory its page no longer needs, a moment after a screen shows.

What one Connect kernel holds decides how many admins one server holds. Once a screen
has settled the page hands back the allocator's free pages and, past the password
change, the new-password check's dictionaries (see :mod:`connect_widgets.pages.memory`).
How much that saves in a served kernel is measured by ``benchmarks/kernel_footprint.py``;
these tests check that each part does what it says and is done at the right moment.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest

from connect_widgets.core.accounts.create import NewAccount
from connect_widgets.core.auth.passwords import release_guess_checker, review_password
from connect_widgets.core.services import ConnectServices
from connect_widgets.pages import connect as page
from connect_widgets.pages.connect import ConnectApp
from connect_widgets.screens.login.welcome import WelcomeScreen
from tests.conftest import NEW_PASSWORD
from tests.screens.conftest import log_in_first_time, reach_change_password, reach_password, submit_email
from tests.screens.test_build_ahead import on_a_thread_of_its_own

FREED_HEAP = """
from connect_widgets.pages.memory import return_free_memory

def rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

blocks = [bytearray(4096) for _ in range(20_000)]  # 80 MiB from malloc's heap, not mmap
last = bytearray(4096)  # above them: the heap's top stays in use, so free() alone cannot shrink it
del blocks
before = rss_mib()
given_back = return_free_memory()
print(given_back, before - rss_mib())
"""


def test_free_pages_below_a_live_block_go_back_to_the_system() -> None:
    done = subprocess.run([sys.executable, "-c", FREED_HEAP], capture_output=True, text=True, check=True)
    given_back, freed = done.stdout.split()
    assert given_back == "True"
    assert float(freed) > 50, f"only {freed} MiB of 80 went back"


def guess_checker_loaded() -> bool:
    return "zxcvbn" in sys.modules


def test_the_password_check_is_dropped_once_the_admin_is_signed_in(
    app: ConnectApp, services: ConnectServices, account: NewAccount
) -> None:
    change = reach_change_password(app, services, account)
    change.new.value = NEW_PASSWORD  # the live indicator checks it as typed
    app.give_back_memory()
    assert guess_checker_loaded(), "dropped while the admin still types a new password"

    change.current.value = account.temporary_password
    change.confirm.value = NEW_PASSWORD
    change.change_button.click()
    assert isinstance(app.current, WelcomeScreen)
    app.give_back_memory()
    assert not guess_checker_loaded()


def test_a_password_checked_after_the_release_gets_the_same_verdict() -> None:
    words = ("jane", "acme", "Acme Ltd")
    before = review_password("password1234", personal_words=words), review_password(NEW_PASSWORD)
    assert release_guess_checker() is True
    assert not guess_checker_loaded()
    assert (review_password("password1234", personal_words=words), review_password(NEW_PASSWORD)) == before
    assert guess_checker_loaded()
    assert not before[0][2].met and before[1][2].met  # the guess rule itself: refused, then met


def test_nothing_to_release_says_so() -> None:
    release_guess_checker()
    assert release_guess_checker() is False


def test_in_a_kernel_memory_goes_back_once_after_the_last_switch_never_at_the_click(
    app: ConnectApp, account: NewAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    given_back: list[Any] = []
    monkeypatch.setattr(page, "SETTLE_DELAY", 0.2)
    monkeypatch.setattr(app, "give_back_memory", lambda: given_back.append(app.current))

    async def two_steps_then_wait() -> int:
        submit_email(app, account.admin_email)
        app.current.next_button.click()  # Method: Cloud, on to Password before the first settles
        at_the_clicks = len(given_back)
        await asyncio.sleep(0.6)
        return at_the_clicks

    assert on_a_thread_of_its_own(lambda: asyncio.run(two_steps_then_wait())) == 0
    assert given_back == [app.current]  # once, on the Password screen


def test_outside_a_kernel_showing_a_screen_gives_nothing_back(
    app: ConnectApp, services: ConnectServices, account: NewAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests and scripts have no server to give memory to, and no event loop to put it off with."""
    given_back: list[Any] = []
    monkeypatch.setattr(app, "give_back_memory", lambda: given_back.append(app.current))
    on_a_thread_of_its_own(lambda: reach_password(app, account.admin_email))
    assert given_back == []


def test_the_first_login_still_reaches_welcome_with_memory_given_back_at_each_step(
    app: ConnectApp, services: ConnectServices, account: NewAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Giving back at every screen (as a kernel does, later) changes nothing the admin sees."""
    original_show = app.show

    def show_then_give_back() -> None:
        original_show()
        app.give_back_memory()

    monkeypatch.setattr(app, "show", show_then_give_back)
    assert isinstance(log_in_first_time(app, services, account), WelcomeScreen)
    assert not guess_checker_loaded()
