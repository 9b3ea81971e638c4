"""SMS through a real HTTP gateway on loopback (``http.server`` in a thread).

The gateway records every request and answers what the test scripts: 200s, 500s,
a 400, a redirect, or nothing at all (a handler that waits until the test is over).
Back-off waits go to a list instead of the clock, so no test sleeps.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import SecretStr
from sqlmodel import col, select

from connect_widgets.core import errors
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.delivery.courier import Courier, OutboxTransport, build_courier
from connect_widgets.core.delivery.message import Channel, OutgoingMessage
from connect_widgets.core.delivery.transports import WebhookTransport
from connect_widgets.core.services import build_services
from connect_widgets.pages.connect import ConnectApp
from connect_widgets.screens.login.log_in import LogInScreen
from connect_widgets.screens.login.passcode import PasscodeScreen
from connect_widgets.settings import load_settings
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import Message
from tests.conftest import FAST_ARGON2, GB_MOBILE, GB_MOBILE_E164, NEW_PASSWORD, SMS_NOT_SENT, reach_password
from tests.screens.conftest import resend_after_a_failed_sms, shown_message
from tests.servers import free_port

TOKEN = "gw-token-4242-secret"
URL_KEY = "url-key-77"  # some gateways take a key in the query: it must not show in errors
TEXT = "Your Connect passcode is 314159. It expires in 5 minutes. Never share it."
SMS = OutgoingMessage(Channel.SMS, GB_MOBILE_E164, TEXT)


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    payload: dict


@dataclass
class Gateway:
    """What the gateway was sent, and what it will answer next (200 once the script runs out)."""

    url: str
    requests: list[Request] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    slow: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self) -> int:
        with self.lock:
            return self.answers.pop(0) if self.answers else 200

    def code(self) -> str:
        """The passcode in the last SMS, as the admin reads it on their phone."""
        match = re.search(r"\b(\d{6})\b", self.requests[-1].payload["body"])
        assert match, "the gateway got no code"
        return match.group(1)


class _Handler(BaseHTTPRequestHandler):
    server: _GatewayServer

    def do_POST(self) -> None:  # noqa: N802
        gateway = self.server.gateway
        payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        with gateway.lock:
            gateway.requests.append(Request(self.path, dict(self.headers.items()), payload))
        if gateway.slow:
            gateway.release.wait(30)  # answers only after the test (the client gave up long before)
            return
        status = gateway.next_answer()
        body = json.dumps({"id": f"msg-{len(gateway.requests)}"} if status < 300 else {"error": "no"}).encode()
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _GatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    gateway: Gateway

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        pass  # a client that timed out and left is expected here


@contextlib.contextmanager
def sms_gateway() -> Iterator[Gateway]:
    server = _GatewayServer(("127.0.0.1", 0), _Handler)
    server.gateway = Gateway(url=f"http://127.0.0.1:{server.server_port}/v1/sms?key={URL_KEY}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.gateway
    finally:
        server.gateway.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with sms_gateway() as running:
        yield running


@pytest.fixture
def naps() -> list[float]:
    """The back-off waits the transport asked for (instead of sleeping them)."""
    return []


@pytest.fixture
def settings(settings, gateway):
    """The test database, with SMS going to the loopback gateway: settings alone."""
    return load_settings(
        data_dir=settings.data_dir,
        **FAST_ARGON2,
        sms_transport="webhook",
        sms_webhook_url=gateway.url,
        sms_webhook_token=TOKEN,
    )


@pytest.fixture
def services(settings, clock, naps):
    """Services as build_services makes them, except that back-off waits are recorded, not slept."""
    built = build_services(
        settings,
        clock=clock,
        courier=Courier(sms=WebhookTransport.from_settings(settings, sleep=naps.append), email=OutboxTransport()),
    )
    yield built
    built.engine.dispose()


def transport(gateway: Gateway, naps: list[float], **options) -> WebhookTransport:
    return WebhookTransport(url=gateway.url, token=SecretStr(TOKEN), sleep=naps.append, **options)


def sms_rows(services) -> list[Message]:
    with new_session(services.engine) as db:
        return list(db.exec(select(Message).where(Message.channel == "sms").order_by(col(Message.id))))


def where(gateway: Gateway) -> str:
    return gateway.url.split("/v1/")[0]


# --- what the gateway receives ------------------------------------------------------------


def test_settings_alone_choose_the_webhook(settings):
    courier = build_courier(settings)
    chosen = courier.transport(Channel.SMS)
    assert isinstance(chosen, WebhookTransport)
    assert isinstance(courier.transport(Channel.EMAIL), OutboxTransport)
    assert (chosen.timeout, chosen.retries) == (5.0, 3)
    assert TOKEN not in repr(chosen) and URL_KEY not in repr(chosen) and TOKEN not in repr(settings)


def test_the_sms_is_posted_as_json_with_the_bearer_token(gateway, naps):
    transport(gateway, naps).deliver(SMS)
    [request] = gateway.requests
    assert request.payload == {"to": GB_MOBILE_E164, "body": TEXT}
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.path == f"/v1/sms?key={URL_KEY}"
    assert naps == []


def test_without_a_token_no_authorization_header_is_sent(gateway, naps):
    WebhookTransport(url=gateway.url, sleep=naps.append).deliver(SMS)
    assert "Authorization" not in gateway.requests[0].headers


def test_a_first_login_code_goes_over_the_webhook_and_only_its_shadow_is_stored(services, gateway, flow, account):
    """The phone gets the code; the messages table keeps the SMS with the code blanked."""
    reach_password(flow, account.admin_email)
    flow.submit_password(account.temporary_password)
    sent = flow.enrol_phone(country="GB", number=GB_MOBILE)
    assert sent is not None and sent.delivered and flow.notice is None
    [request] = gateway.requests
    assert request.payload["to"] == GB_MOBILE_E164
    code = gateway.code()
    [row] = sms_rows(services)
    assert (row.transport, row.status, row.error, row.recipient) == ("webhook", "sent", None, GB_MOBILE_E164)
    assert row.body == "Your Connect passcode is ●●●●●●. It expires in 5 minutes. Never share it."
    assert code not in row.body
    flow.verify_passcode(code)
    assert flow.log_in() is LoginStep.CHANGE_PASSWORD


# --- retries and refusals ---------------------------------------------------------------------


def test_a_500_then_a_200_is_retried_and_delivered_once(services, gateway, naps):
    gateway.answers = [500]
    with services.transaction() as db:
        row = services.courier.send(db, SMS, now=services.clock.now())
    assert (row.status, row.error) == ("sent", None)
    assert len(gateway.requests) == 2
    assert gateway.requests[0].payload == gateway.requests[1].payload
    assert naps == [0.5]
    assert len(sms_rows(services)) == 1  # one message, stored once, whatever the attempts


def test_5xx_answers_are_retried_with_doubling_back_off_then_stored_as_failed(services, gateway, naps):
    gateway.answers = [503] * 10
    with services.transaction() as db:
        row = services.courier.send(db, SMS, now=services.clock.now())
    assert len(gateway.requests) == 4  # the first try and 3 retries (CONNECT_SMS_WEBHOOK_RETRIES)
    assert naps == [0.5, 1.0, 2.0]
    assert row.status == "failed"
    assert row.error == f"The SMS gateway at {where(gateway)} answered 503 Service Unavailable (4 attempts)."
    assert [r.status for r in sms_rows(services)] == ["failed"]


def test_a_400_is_not_retried(services, gateway, naps):
    gateway.answers = [400, 200]
    with services.transaction() as db:
        row = services.courier.send(db, SMS, now=services.clock.now())
    assert len(gateway.requests) == 1 and naps == []
    assert row.status == "failed"
    assert row.error == (
        f"The SMS gateway at {where(gateway)} answered 400 Bad Request; not retried, the same request would fail again."
    )


def test_a_refused_token_says_which_setting_to_check(gateway, naps):
    gateway.answers = [401]
    with pytest.raises(errors.DeliveryFailed, match=r"answered 401 Unauthorized; .*check CONNECT_SMS_WEBHOOK_TOKEN"):
        transport(gateway, naps).deliver(SMS)
    assert len(gateway.requests) == 1


def test_a_redirect_is_not_followed_so_the_token_stays_put(gateway, naps):
    gateway.answers = [302]
    with pytest.raises(errors.DeliveryFailed, match=r"answered 302 Found \(a redirect, not followed\)"):
        transport(gateway, naps).deliver(SMS)
    assert len(gateway.requests) == 1


def test_a_slow_gateway_times_out(gateway, naps):
    """The gateway holds each request past the timeout: each attempt gives up, then the SMS is failed."""
    gateway.slow = True
    with pytest.raises(errors.DeliveryFailed) as failed:
        transport(gateway, naps, timeout=0.3, retries=1).deliver(SMS)
    assert failed.value.message == f"The SMS gateway at {where(gateway)} did not answer within 0.3 s (2 attempts)."
    assert len(gateway.requests) == 2 and naps == [0.5]


def test_a_gateway_that_is_down_is_retried_then_failed(naps):
    closed = free_port()
    down = WebhookTransport(
        url=f"http://127.0.0.1:{closed}/v1/sms", token=SecretStr(TOKEN), sleep=naps.append, retries=2
    )
    with pytest.raises(errors.DeliveryFailed) as failed:
        down.deliver(SMS)
    assert failed.value.message == (
        f"Could not connect to the SMS gateway at http://127.0.0.1:{closed}: the connection was refused (3 attempts)."
    )
    assert naps == [0.5, 1.0]


def test_no_failure_reason_or_log_line_holds_the_token_the_url_key_or_the_text(gateway, naps, caplog):
    caplog.set_level(logging.DEBUG)
    reasons = []
    for answers in ([400], [401], [302], [503] * 4):
        gateway.answers = list(answers)
        with pytest.raises(errors.DeliveryFailed) as failed:
            transport(gateway, naps).deliver(SMS)
        reasons.append(failed.value.message)
    for text in [*reasons, caplog.text]:
        assert TOKEN not in text and URL_KEY not in text and "314159" not in text and GB_MOBILE_E164 not in text


# --- the admin is told, and Resend works once the gateway is back --------------------------------


def test_a_failed_first_code_is_told_and_resend_works_once_the_gateway_is_back(services, gateway, flow, account, clock):
    gateway.answers = [503] * 4
    reach_password(flow, account.admin_email)
    flow.submit_password(account.temporary_password)
    sent = flow.enrol_phone(country="GB", number=GB_MOBILE)
    assert sent is not None and not sent.delivered
    assert flow.notice == SMS_NOT_SENT
    [failed] = sms_rows(services)
    assert failed.status == "failed" and "answered 503" in failed.error
    with pytest.raises(errors.NoActivePasscode):  # the undelivered code is dead
        flow.verify_passcode(gateway.code())

    clock.advance(seconds=30)  # the gateway is back
    again = flow.resend_passcode()
    assert again.delivered and flow.notice is None
    flow.verify_passcode(gateway.code())
    assert flow.log_in() is LoginStep.CHANGE_PASSWORD
    assert [r.status for r in sms_rows(services)] == ["failed", "sent"]


def test_a_returning_admins_code_that_fails_is_told_too(services, gateway, account, clock):
    first = LoginFlow(services)
    reach_password(first, account.admin_email)
    first.submit_password(account.temporary_password)
    first.enrol_phone(country="GB", number=GB_MOBILE)
    first.verify_passcode(gateway.code())
    first.log_in()
    first.change_password(current=account.temporary_password, new=NEW_PASSWORD, confirm=NEW_PASSWORD)
    first.log_out()
    clock.advance(minutes=2)

    gateway.answers = [500] * 4
    second = LoginFlow(services)
    reach_password(second, account.admin_email)
    assert second.submit_password(NEW_PASSWORD) is LoginStep.PASSCODE
    assert second.notice is not None and second.notice.startswith("We could not send the SMS")
    clock.advance(seconds=30)
    second.resend_passcode()
    second.verify_passcode(gateway.code())
    assert second.log_in() is LoginStep.SIGNED_IN


def test_the_passcode_page_says_the_code_could_not_be_sent_and_resend_delivers(services, gateway, account, clock):
    """On the page itself: the intro says so; after Resend the code the phone got opens Log In."""
    gateway.answers = [503] * 4
    app = ConnectApp(services)
    resend_after_a_failed_sms(app, clock, account)
    assert shown_message(app) == ""
    assert isinstance(app.current, PasscodeScreen)
    app.current.code.value = gateway.code()
    app.current.verify_button.click()
    assert isinstance(app.current, LogInScreen), shown_message(app)
