"""Email over a real SMTP server on loopback (aiosmtpd): welcome, notices, refusals, outages, TLS, login.

The kit is pointed at the server by settings alone (``CONNECT_EMAIL_TRANSPORT=smtp``
and the ``CONNECT_SMTP_*`` values); SMS stay in the outbox, where the tests read codes.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import SecretStr
from sqlmodel import col, select

from connect_widgets.core import errors
from connect_widgets.core.accounts.create import create_account, send_welcome
from connect_widgets.core.adapters.dns import DnsChecker
from connect_widgets.core.adapters.service_values import load_service_values
from connect_widgets.core.auth.reset import PasswordReset, ResetStep
from connect_widgets.core.delivery.message import Channel, OutgoingMessage
from connect_widgets.core.delivery.transports import SmtpTransport
from connect_widgets.core.services import build_services
from connect_widgets.core.staff.support import reset_phone
from connect_widgets.core.tasks.board import TaskBoard
from connect_widgets.core.tasks.confirm_details import ConfirmDetailsTask
from connect_widgets.core.tasks.validate_domains import ValidateDomainsTask
from connect_widgets.settings import load_settings
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import Message
from tests.conftest import (
    FAST_ARGON2,
    GB_MOBILE,
    GB_MOBILE_E164,
    NEW_PASSWORD,
    code_from_sms,
    first_login,
    user_by_email,
)
from tests.servers import _self_signed_certificate, free_port
from tests.smtp_servers import Mailbox, smtp_server

CONTACT = "it@acme.example"
SMTP_USER = "connect-mailer"
SMTP_PASSWORD = "Mailer-Secret-91"
RESET_PASSWORD = "lantern orchard pebble 77"
NOTE = OutgoingMessage(Channel.EMAIL, CONTACT, "A short note.", subject="Hello")


def _accept_only_the_mailer(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def mail_server() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture
def mailbox(mail_server) -> Mailbox:
    return mail_server[0]


@pytest.fixture
def settings(settings, mail_server):
    """The test database, with email going to the loopback SMTP server: settings alone."""
    return load_settings(
        data_dir=settings.data_dir,
        **FAST_ARGON2,
        email_transport="smtp",
        smtp_host="127.0.0.1",
        smtp_port=mail_server[1],
        smtp_security="none",
    )


@pytest.fixture
def contact_email() -> str:
    """ACME's admin has a real contact mailbox (the welcome and notices go there)."""
    return CONTACT


def emails(services) -> list[Message]:
    with new_session(services.engine) as db:
        return list(db.exec(select(Message).where(Message.channel == "email").order_by(col(Message.id))))


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    _self_signed_certificate(cert, key)
    return cert, key


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def kit_transport(
    port: int,
    security: str,
    *,
    trusting: tuple[Path, Path] | None = None,
    username: str | None = None,
    password: SecretStr | None = None,
) -> SmtpTransport:
    """The kit's SMTP transport for a loopback server.

    ``trusting``: the server's certificate, vouched for as an authority would; without it
    the system's authorities decide (the default in production).
    """
    context = ssl.create_default_context(cafile=str(trusting[0])) if trusting else None
    return SmtpTransport(
        host="127.0.0.1",
        port=port,
        security=security,
        sender="connect@example.com",
        ssl_context=context,
        username=username,
        password=password,
    )


# --- the welcome email ------------------------------------------------------------------


def test_the_welcome_email_arrives_with_the_dedicated_url(services, mailbox, account):
    """create_account's welcome reaches the contact mailbox over SMTP, with the URL and not the password."""
    [mail] = mailbox.to(CONTACT)
    body = mail.get_content()
    assert services.settings.account_url("ACME") in body
    assert account.url == services.settings.account_url("ACME")
    assert account.temporary_password not in mail.as_string()
    assert mail["Subject"] == "Your Connect account is ready"
    assert mail["From"] == "connect@mimecast.connect"
    assert mail["Date"] and mail["Message-ID"].endswith("@mimecast.connect>")
    assert mailbox.envelopes == [("connect@mimecast.connect", [CONTACT])]
    [row] = emails(services)
    assert (row.transport, row.status, row.error, row.recipient) == ("smtp", "sent", None, CONTACT)
    assert body.replace("\r\n", "\n").strip() == row.body.strip()  # emails are kept whole: they hold no secret
    assert account.welcome is not None and account.welcome.sent


def test_the_from_address_comes_from_settings(settings, clock, mailbox):
    custom = build_services(
        settings.model_copy(update={"smtp_from": "Acme Onboarding <onboarding@acme.example>"}), clock=clock
    )
    try:
        create_account(
            custom,
            code="GLOBEX",
            company="Globex",
            primary_domain="globex.example",
            admin_name="hank",
            contact_email="hank@globex.example",
        )
    finally:
        custom.engine.dispose()
    [mail] = mailbox.received
    assert mail["From"] == "Acme Onboarding <onboarding@acme.example>"
    assert mailbox.envelopes[0][0] == "onboarding@acme.example"


# --- notices to the contact email -------------------------------------------------------


def test_a_password_reset_sends_a_notice_to_the_contact_email(services, mailbox, flow, account, clock):
    """Forgot password, all the way: the contact mailbox hears of it; the notice holds no code or password."""
    first_login(flow, services, account)
    flow.log_out()
    clock.advance(minutes=2)
    before = len(mailbox.to(CONTACT))
    reset = PasswordReset(services)
    reset.request(account.admin_email)
    code = code_from_sms(services)
    reset.verify_code(code)
    assert len(mailbox.to(CONTACT)) == before  # nothing until the password is really changed
    reset.set_password(new=RESET_PASSWORD, confirm=RESET_PASSWORD)
    assert reset.step is ResetStep.DONE

    notice = mailbox.to(CONTACT)[-1]
    assert notice["Subject"] == "Your Connect password was reset"
    text = notice.as_string()
    assert account.admin_email in notice.get_content() and "contact Connect support" in notice.get_content()
    for secret in (RESET_PASSWORD, NEW_PASSWORD, account.temporary_password, code, GB_MOBILE_E164, GB_MOBILE):
        assert secret not in text
    assert emails(services)[-1].status == "sent"


def test_enrolling_a_phone_sends_a_notice_with_only_the_last_two_digits(services, mailbox, flow, account):
    first_login(flow, services, account)
    [notice] = [m for m in mailbox.to(CONTACT) if m["Subject"] == "A phone was enrolled for your Connect login"]
    assert "ending 56" in notice.get_content()
    assert GB_MOBILE_E164 not in notice.as_string() and GB_MOBILE not in notice.as_string()


def test_support_removing_the_phone_sends_a_notice(services, mailbox, flow, account):
    first_login(flow, services, account)
    flow.log_out()
    reset_phone(services, email=account.admin_email)
    notice = mailbox.to(CONTACT)[-1]
    assert notice["Subject"] == "The phone of your Connect login was removed"
    assert "new mobile phone is enrolled" in notice.get_content()


def test_an_admin_without_a_contact_email_gets_no_notice(services, mailbox, flow):
    """The Connect address is a login name, not a mailbox: notices go to a contact email or nowhere."""
    plain = create_account(services, code="ACME", company="Acme Ltd", primary_domain="acme.example", admin_name="jane")
    first_login(flow, services, plain)
    assert [m["Subject"] for m in mailbox.received] == ["Your Connect account is ready"]


def test_a_notice_that_cannot_be_sent_never_undoes_the_reset(services, mailbox, flow, account, clock):
    """The mail server refuses the contact address: the new password stands, the failure is on record."""
    first_login(flow, services, account)
    flow.log_out()
    clock.advance(minutes=2)
    mailbox.refuse.add(CONTACT)
    reset = PasswordReset(services)
    reset.request(account.admin_email)
    reset.verify_code(code_from_sms(services))
    reset.set_password(new=RESET_PASSWORD, confirm=RESET_PASSWORD)
    assert reset.step is ResetStep.DONE
    assert services.hasher.verify(user_by_email(services, account.admin_email).password_hash, RESET_PASSWORD)
    failed = emails(services)[-1]
    assert (failed.subject, failed.status) == ("Your Connect password was reset", "failed")
    assert "refused the recipient it@acme.example: 550" in failed.error


# --- refusals and outages -----------------------------------------------------------------


def test_a_refused_recipient_is_a_stored_failure_with_a_clear_reason(services, mailbox):
    """A 550 for the contact address: the account exists, the welcome is 'failed' with the server's words."""
    mailbox.refuse.add(CONTACT)
    created = create_account(
        services,
        code="ACME",
        company="Acme Ltd",
        primary_domain="acme.example",
        admin_name="jane",
        contact_email=CONTACT,
    )
    port = services.settings.smtp_port
    expected = (
        f"The mail server at 127.0.0.1:{port} refused the recipient it@acme.example: "
        "550 5.1.1 <it@acme.example>: Recipient address rejected: User unknown"
    )
    [row] = emails(services)
    assert (row.status, row.error, row.sent_at) == ("failed", expected, None)
    assert services.settings.account_url("ACME") in row.body  # kept whole, so nothing is lost
    assert created.welcome is not None and not created.welcome.sent and created.welcome.error == expected
    assert mailbox.received == []

    mailbox.refuse.clear()  # the mailbox was fixed: support sends it again
    again = send_welcome(services, email="Jane@ACME.mimecast.connect")
    assert again.sent and again.recipient == CONTACT
    [mail] = mailbox.to(CONTACT)
    assert services.settings.account_url("ACME") in mail.get_content()
    assert [r.status for r in emails(services)] == ["failed", "sent"]


def test_a_mail_server_that_is_down_is_a_stored_failure(settings, clock):
    """Nothing listens on the port: the welcome is stored as failed with 'connection was refused'."""
    closed = free_port()
    down = build_services(settings.model_copy(update={"smtp_port": closed}), clock=clock)
    try:
        created = create_account(
            down,
            code="ACME",
            company="Acme Ltd",
            primary_domain="acme.example",
            admin_name="jane",
            contact_email=CONTACT,
        )
        [row] = emails(down)
    finally:
        down.engine.dispose()
    assert row.status == "failed"
    assert row.error == (
        f"Could not connect to the mail server at 127.0.0.1:{closed}: the connection was refused (is it running?)."
    )
    assert created.welcome is not None and created.welcome.error == row.error


def test_sending_again_to_an_unknown_admin_says_so(services):
    with pytest.raises(errors.UserNotFound, match="No admin has the address bob@acme.mimecast.connect"):
        send_welcome(services, email="bob@acme.mimecast.connect")


def test_a_dns_record_that_cannot_be_emailed_tells_the_admin_to_try_again(services, mailbox, flow, account):
    """The DNS-record share: a refused recipient is DeliveryFailed in plain words, kept as failed; a retry works."""
    first_login(flow, services, account)
    board = TaskBoard(flow)
    ConfirmDetailsTask(board).confirm(version=board.start("confirm_details").version)  # unlocks Validate Your Domains
    book = ValidateDomainsTask(board, checker=DnsChecker(services.settings), service=load_service_values())
    book.add("acme.example")
    mailbox.refuse.add("dns@provider.example")
    with pytest.raises(errors.DeliveryFailed) as failed:
        book.share("acme.example", "dns@provider.example")
    assert failed.value.message == "The email to dns@provider.example could not be sent; try again in a few minutes."
    assert emails(services)[-1].status == "failed"
    mailbox.refuse.clear()
    assert book.share("acme.example", "dns@provider.example") == "dns@provider.example"
    assert len(mailbox.to("dns@provider.example")) == 1


# --- security: STARTTLS, SMTPS, login ------------------------------------------------------


def test_starttls_is_used_when_configured(certificate):
    """A server that refuses mail before STARTTLS accepts the kit's: the channel was encrypted first."""
    with smtp_server(tls_context=server_tls(certificate), require_starttls=True) as (mailbox, port):
        kit_transport(port, "starttls", trusting=certificate).deliver(NOTE)
    assert [m["Subject"] for m in mailbox.received] == ["Hello"]


def test_starttls_refuses_a_certificate_nobody_vouches_for(certificate):
    """With the system's authorities (the default), a self-signed certificate is not trusted."""
    with smtp_server(tls_context=server_tls(certificate), require_starttls=True) as (mailbox, port):
        transport = kit_transport(port, "starttls")
        with pytest.raises(errors.DeliveryFailed, match=r"sent a certificate that could not be trusted"):
            transport.deliver(NOTE)
    assert mailbox.received == []


def test_starttls_against_a_server_without_it_says_what_to_change():
    with smtp_server() as (_mailbox, port):
        transport = kit_transport(port, "starttls")
        with pytest.raises(errors.DeliveryFailed) as failed:
            transport.deliver(NOTE)
    assert failed.value.message == (
        f"The mail server at 127.0.0.1:{port} does not offer STARTTLS; check CONNECT_SMTP_SECURITY and "
        "CONNECT_SMTP_PORT (465 is usually ssl, 587 starttls)."
    )


def test_smtps_delivers_over_implicit_tls(certificate):
    with smtp_server(ssl_context=server_tls(certificate)) as (mailbox, port):
        kit_transport(port, "ssl", trusting=certificate).deliver(NOTE)
    assert len(mailbox.received) == 1


_PLAIN_AUTH = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback only


@_PLAIN_AUTH
def test_the_login_from_settings_is_used(settings, clock):
    with smtp_server(authenticator=_accept_only_the_mailer, auth_required=True, auth_require_tls=False) as (
        mailbox,
        port,
    ):
        configured = load_settings(
            data_dir=settings.data_dir,
            **FAST_ARGON2,
            email_transport="smtp",
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            smtp_username=SMTP_USER,
            smtp_password=SMTP_PASSWORD,
        )
        SmtpTransport.from_settings(configured).deliver(NOTE)
    assert len(mailbox.received) == 1


@_PLAIN_AUTH
def test_a_refused_login_is_reported_without_the_password(caplog):
    """535 for a wrong password: the error names the user and the settings to check, never the password."""
    caplog.set_level(logging.DEBUG)
    with smtp_server(authenticator=_accept_only_the_mailer, auth_required=True, auth_require_tls=False) as (
        mailbox,
        port,
    ):
        transport = kit_transport(port, "none", username=SMTP_USER, password=SecretStr("Wrong-" + SMTP_PASSWORD))
        with pytest.raises(errors.DeliveryFailed) as failed:
            transport.deliver(NOTE)
    assert failed.value.message == (
        f"The mail server at 127.0.0.1:{port} did not accept the login of {SMTP_USER} (535); "
        "check CONNECT_SMTP_USERNAME and CONNECT_SMTP_PASSWORD."
    )
    assert SMTP_PASSWORD not in repr(transport) and SMTP_PASSWORD not in caplog.text
    assert mailbox.received == []
