"""One page shell for Connect, the team console and the trainer, and one timer for every page.

The three pages share the message area (its kinds and their roles), ``run_action``
(busy while it runs, refusals in words, the unexpected logged and said plainly) and
the stylesheet injected once. The trainer's 2-second redraw and the passcode's
Resend countdown are both a :class:`PagePoll`; the redraw takes the database's
write lock only when a code on the demo phone died.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from sqlalchemy import event
from sqlmodel import select

from connect_widgets.core.errors import InvalidInput
from connect_widgets.core.services import ConnectServices
from connect_widgets.demo.trainer_feed import demo_accounts, demo_devices
from connect_widgets.pages.connect import ConnectApp
from connect_widgets.pages.shell import PageShell
from connect_widgets.pages.team import StaffConsole
from connect_widgets.pages.trainer import TrainerConsole
from connect_widgets.screens.style import STYLESHEET
from connect_widgets.store.models import AdminUser, Message, Passcode
from tests.conftest import stopped_by_the_send_limit
from tests.screens.conftest import plain, reach_first_passcode


@pytest.fixture
def trainer(services) -> TrainerConsole:
    services.settings = services.settings.model_copy(update={"trainer_enabled": True})
    page = TrainerConsole(services)
    page.seed_button.click()
    page.account.value = "HARBOURSIDE"
    return page


@pytest.fixture
def write_locks(services: ConnectServices) -> Iterator[list[str]]:
    """Every ``BEGIN IMMEDIATE`` the page's engine sends, as it sends it."""
    seen: list[str] = []

    def spy(_conn, _cursor, statement, *_args):
        if statement.strip().upper() == "BEGIN IMMEDIATE":
            seen.append(statement)

    event.listen(services.engine, "before_cursor_execute", spy)
    yield seen
    event.remove(services.engine, "before_cursor_execute", spy)


def test_every_page_is_one_shell_with_the_stylesheet_first_and_once(services, account):
    services.settings = services.settings.model_copy(update={"trainer_enabled": True})
    for page in (ConnectApp(services), StaffConsole(services), TrainerConsole(services)):
        assert isinstance(page, PageShell)
        sheets = [child for child in page.children if getattr(child, "value", "") == STYLESHEET]
        assert page.children[0] is page.stylesheet and sheets == [page.stylesheet]
        assert "connect-app" in page._dom_classes
        assert "connect-message" in page.message._dom_classes
        page.close()


def test_the_message_kinds_say_errors_at_once_and_the_rest_as_a_status(services):
    page = StaffConsole(services)
    page.show_message("No <b>such</b> review.")
    assert page.message.value == '<p role="alert">No &lt;b&gt;such&lt;/b&gt; review.</p>'
    assert page.message_kind == "error" and "error" in page.message._dom_classes
    for kind in ("info", "success"):
        page.show_message("Approved.", kind=kind)
        assert page.message.value == '<p role="status">Approved.</p>'
        assert page.message._dom_classes.count(kind) == 1 and "error" not in page.message._dom_classes
    page.show_message("Checking…", kind="busy")
    assert 'role="status"><span class="connect-spinner"' in page.message.value
    page.show_message("")
    assert page.message.value == "" and page.message_kind == ""
    assert not {"error", "info", "success", "busy"} & set(page.message._dom_classes)


def test_run_action_refuses_a_second_action_and_says_a_refusal_or_the_unexpected_plainly(services, caplog):
    page = StaffConsole(services)
    ran: list[str] = []

    def nested() -> None:
        ran.append("outer")
        assert page.busy
        assert page.run_action(lambda: ran.append("inner")) is False  # a queued or forged event

    assert page.run_action(nested) is True and ran == ["outer"] and page.busy is False

    def refused() -> None:
        raise InvalidInput("Enter a reason of at least 5 characters.", field="reason")

    assert page.run_action(refused) is False
    assert plain(page.message.value) == "Enter a reason of at least 5 characters."

    def broken() -> None:
        raise RuntimeError("disk at /srv/connect/data exploded")

    assert page.run_action(broken, what="a test action") is False
    assert plain(page.message.value) == page.unexpected and "exploded" not in page.message.value
    assert "unexpected error in a test action" in caplog.text and page.busy is False


def test_connect_greys_its_screens_and_disables_log_out_only_while_a_step_runs(app):
    seen: list[tuple[bool, bool, bool]] = []

    def step() -> None:
        seen.append((app.busy, "connect-busy" in app.stack._dom_classes, app.log_out_button.disabled))

    assert app.run(app.current, step, busy="Checking…") is True
    assert seen == [(True, True, True)]
    assert not app.busy and "connect-busy" not in app.stack._dom_classes and not app.log_out_button.disabled
    assert app.message_kind == ""  # the step said nothing of its own: the busy words went


def test_a_quick_step_is_not_greyed_out_but_still_holds_every_other_action_back(app):
    seen: list[tuple[bool, bool, bool, bool]] = []

    def step() -> None:
        nested = app.run(app.current, lambda: seen.append((True, True, True, True)))  # a queued or forged event
        seen.append((app.busy, "connect-busy" in app.stack._dom_classes, app.log_out_button.disabled, nested))

    assert app.run(app.current, step, quick=True) is True
    assert seen == [(True, False, False, False)]
    assert not app.busy and app.message_kind == ""


def test_the_feed_lists_demo_accounts_only_and_shows_no_phone_for_a_real_account(trainer, services, account):
    codes = [choice.code for choice in demo_accounts(services)]
    assert "HARBOURSIDE" in codes and account.account_code not in codes
    assert demo_devices(services, account.account_code) is None
    assert demo_devices(services, "NOSUCH") is None


def test_the_trainer_redraw_takes_no_write_lock_while_no_code_died(trainer, services, clock, write_locks):
    trainer.stage_buttons["enrolled"].click()
    email, password = re.search(r"Email: (\S+) Password: (.+?) Open Connect", plain(trainer.result.value)).groups()
    stopped_by_the_send_limit(services, clock, email, password)  # codes replaced: dead ones were blanked then
    write_locks.clear()
    for _ in range(3):
        trainer.refresh()
    assert write_locks == []
    assert re.search(r'<span class="code">\d{6}</span>', trainer.phone.value)  # the live code shows

    clock.advance(minutes=6)  # the live code expires: the next redraw blanks it, in one locked unit
    trainer.refresh()
    assert write_locks == ["BEGIN IMMEDIATE"]
    assert not re.search(r'<span class="code">\d{6}</span>', trainer.phone.value)
    with services.transaction() as db:
        [sam] = db.exec(select(AdminUser).where(AdminUser.email.startswith("sam@"))).all()
        texts = db.exec(select(Message).where(Message.user_id == sam.id, Message.channel == "sms")).all()
        linked = db.exec(select(Passcode).where(Passcode.user_id == sam.id, Passcode.message_id.is_not(None))).all()
    assert texts and linked == [] and not any(re.search(r"\b\d{6}\b", m.body) for m in texts)
    write_locks.clear()
    trainer.refresh()
    assert write_locks == []  # nothing left to blank


T = TypeVar("T")


def in_own_thread(work: Callable[[], T]) -> T:
    """Run ``work`` on a thread of its own, so that its event loop (or the lack of one) is its own.

    Playwright's sync API, once a browser test has started it, leaves its event loop
    marked as running on the main thread for the rest of the session; a kernel's loop,
    or no loop at all, is modelled on a fresh thread instead.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def test_the_trainer_redraws_on_a_page_poll_until_the_page_closes(trainer):
    async def in_a_kernel() -> tuple[bool, bool]:
        page = TrainerConsole(trainer.services)
        started = page.poll.running
        page.close()
        return started, page.poll.running

    outside = in_own_thread(lambda: TrainerConsole(trainer.services))
    assert outside.poll.running is False  # no event loop outside a kernel: nothing is scheduled
    assert in_own_thread(lambda: asyncio.run(in_a_kernel())) == (True, False)


def test_the_resend_countdown_is_a_page_poll_that_stops_when_the_wait_is_over(app, account, clock):
    screen = in_own_thread(lambda: reach_first_passcode(app, account))  # outside a kernel: no poll yet

    async def in_a_kernel() -> list[tuple[str, bool]]:
        seen = []
        screen.countdown.seconds = 0.01  # the kernel's loop runs nothing until the test awaits
        screen.tick()
        seen.append((screen.resend_button.description, screen.countdown.running))
        clock.advance(seconds=29)
        screen.tick()  # a second tick while it runs schedules nothing more
        seen.append((screen.resend_button.description, screen.countdown.running))
        clock.advance(seconds=1)
        deadline = asyncio.get_running_loop().time() + 5
        while screen.countdown.running and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)  # the poll's own checks run meanwhile
        seen.append((screen.resend_button.description, screen.countdown.running))
        return seen

    assert in_own_thread(lambda: asyncio.run(in_a_kernel())) == [
        ("Resend code in 30 s", True),
        ("Resend code in 1 s", True),
        ("Resend code", False),
    ]


WAITING_KERNEL = """
import json, os, sys
from connect_widgets.pages.shell import page_query_string
print(json.dumps({"query": page_query_string(), "path": os.environ.get("PATH_INFO"),
                  "voila_loaded": "voila" in sys.modules or "jupyter_server" in sys.modules}))
"""


@pytest.mark.parametrize("preheat", ["True", "False"])
def test_a_pre_heated_kernel_waits_for_its_request_without_loading_voila(tmp_path, preheat):
    """Voila's request socket, served for real on loopback: a pre-heated kernel asks it for its page's
    request (query string and all) and takes its variables; a kernel started for a request has them already.
    Neither loads Voila (``voila.utils`` brings jupyter_server: ~48 MiB a kernel)."""
    from websockets.sync.server import serve

    asked: list[str] = []

    def voila_query(websocket) -> None:  # Voila's RequestInfoSocketHandler: one JSON text per kernel
        asked.append(websocket.request.path)
        websocket.send(json.dumps({"QUERY_STRING": "account=ACME", "PATH_INFO": "/voila/render/connect.ipynb"}))

    with serve(voila_query, "127.0.0.1", 0) as server:
        port = server.socket.getsockname()[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        env = {
            **os.environ,
            "VOILA_PREHEAT": preheat,
            "VOILA_APP_PORT": str(port),
            "VOILA_SERVER_URL": "/",
            "VOILA_KERNEL_ID": "k-1",
            "QUERY_STRING": "" if preheat == "True" else "account=ACME",
        }
        done = subprocess.run(
            [sys.executable, "-c", WAITING_KERNEL], env=env, capture_output=True, text=True, timeout=60, check=True
        )
        server.shutdown()
    seen = json.loads(done.stdout)
    assert seen["query"] == "account=ACME"
    assert seen["voila_loaded"] is False
    assert asked == (["/voila/query/k-1"] if preheat == "True" else [])
    assert seen["path"] == ("/voila/render/connect.ipynb" if preheat == "True" else None)
