"""Delivery settings: an operator points the kit at an SMTP server and an SMS gateway by CONNECT_* alone."""

from __future__ import annotations

import pytest

from connect_widgets.core.delivery.courier import OutboxTransport, build_courier
from connect_widgets.core.delivery.message import Channel, blank_codes
from connect_widgets.core.delivery.transports import SmtpTransport, WebhookTransport
from connect_widgets.settings import SettingsError, load_settings

SMTP_PASSWORD = "Mail-Pass-123"
TOKEN = "gw-token-456"


def test_delivery_defaults_keep_everything_in_the_outbox() -> None:
    settings = load_settings()
    assert (settings.sms_transport, settings.email_transport) == ("outbox", "outbox")
    assert (settings.smtp_port, settings.smtp_security, settings.smtp_timeout_seconds) == (587, "starttls", 10.0)
    assert settings.mail_from == "connect@mimecast.connect"
    assert (settings.sms_webhook_timeout_seconds, settings.sms_webhook_retries) == (5.0, 3)
    courier = build_courier(settings)
    assert isinstance(courier.transport(Channel.SMS), OutboxTransport)
    assert isinstance(courier.transport(Channel.EMAIL), OutboxTransport)


def test_the_environment_chooses_and_configures_the_real_transports(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "CONNECT_EMAIL_TRANSPORT": "smtp",
        "CONNECT_SMTP_HOST": "mail.acme.example",
        "CONNECT_SMTP_PORT": "465",
        "CONNECT_SMTP_SECURITY": "ssl",
        "CONNECT_SMTP_USERNAME": "connect",
        "CONNECT_SMTP_PASSWORD": SMTP_PASSWORD,
        "CONNECT_SMTP_FROM": "Connect <connect@acme.example>",
        "CONNECT_SMTP_TIMEOUT_SECONDS": "20",
        "CONNECT_SMS_TRANSPORT": "webhook",
        "CONNECT_SMS_WEBHOOK_URL": "https://sms.example/v1/send",
        "CONNECT_SMS_WEBHOOK_TOKEN": TOKEN,
        "CONNECT_SMS_WEBHOOK_TIMEOUT_SECONDS": "2.5",
        "CONNECT_SMS_WEBHOOK_RETRIES": "1",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    courier = build_courier(settings)
    smtp, webhook = courier.transport(Channel.EMAIL), courier.transport(Channel.SMS)
    assert isinstance(smtp, SmtpTransport) and isinstance(webhook, WebhookTransport)
    assert (smtp.host, smtp.port, smtp.security, smtp.username, smtp.sender, smtp.timeout) == (
        "mail.acme.example",
        465,
        "ssl",
        "connect",
        "Connect <connect@acme.example>",
        20.0,
    )
    assert (webhook.where, webhook.timeout, webhook.retries) == ("https://sms.example", 2.5, 1)
    for shown in (repr(settings), str(settings), repr(smtp), repr(webhook)):
        assert SMTP_PASSWORD not in shown and TOKEN not in shown


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"email_transport": "smtp"}, "CONNECT_SMTP_HOST"),
        ({"email_transport": "smtp", "smtp_host": "   "}, "CONNECT_SMTP_HOST"),
        ({"sms_transport": "webhook"}, "CONNECT_SMS_WEBHOOK_URL"),
        ({"sms_webhook_url": "ftp://sms.example/"}, "CONNECT_SMS_WEBHOOK_URL"),
        ({"sms_webhook_url": "http://sms.example/send", "sms_webhook_token": TOKEN}, "CONNECT_SMS_WEBHOOK_URL"),
        ({"smtp_host": "mail.example", "smtp_security": "none", "smtp_username": "u"}, "CONNECT_SMTP_SECURITY"),
        ({"smtp_security": "tls"}, "CONNECT_SMTP_SECURITY"),
        ({"smtp_port": 0}, "CONNECT_SMTP_PORT"),
        ({"smtp_from": "not an address"}, "CONNECT_SMTP_FROM"),
        ({"smtp_from": "a@b.example\nBcc: x@y.example"}, "CONNECT_SMTP_FROM"),
        ({"sms_webhook_retries": 11}, "CONNECT_SMS_WEBHOOK_RETRIES"),
        ({"sms_webhook_timeout_seconds": 0}, "CONNECT_SMS_WEBHOOK_TIMEOUT_SECONDS"),
    ],
    ids=[
        "smtp-no-host",
        "smtp-blank-host",
        "webhook-no-url",
        "webhook-not-http",
        "token-over-http",
        "password-in-clear",
        "unknown-security",
        "port-0",
        "from-not-address",
        "from-header-injection",
        "too-many-retries",
        "zero-timeout",
    ],
)
def test_an_unusable_delivery_setting_is_one_line_naming_the_variable(values, variable) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(**values)
    message = str(caught.value)
    assert message.startswith(f"{variable}: ") and "\n" not in message
    assert TOKEN not in message


def test_plain_text_is_allowed_to_a_server_on_this_machine() -> None:
    """A local relay or gateway (and the loopback test servers) may use none / http://."""
    settings = load_settings(
        email_transport="smtp",
        smtp_host="127.0.0.1",
        smtp_security="none",
        smtp_username="u",
        smtp_password="p",
        sms_transport="webhook",
        sms_webhook_url="http://localhost:8080/sms",
        sms_webhook_token=TOKEN,
    )
    assert settings.smtp_security == "none" and settings.sms_webhook_url is not None


def test_blank_secrets_mean_not_set() -> None:
    settings = load_settings(smtp_password="  ", sms_webhook_token="")
    assert settings.smtp_password is None and settings.sms_webhook_token is None


def test_stored_sms_text_for_a_real_gateway_has_its_code_blanked() -> None:
    assert blank_codes("Your Connect passcode is 042917. It expires in 5 minutes. Never share it.") == (
        "Your Connect passcode is ●●●●●●. It expires in 5 minutes. Never share it."
    )
