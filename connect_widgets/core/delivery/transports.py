"""Real transports: email through an SMTP server, SMS through an HTTP gateway.

Each one delivers a single :class:`~connect_widgets.core.delivery.message.OutgoingMessage`
or raises :class:`~connect_widgets.core.errors.DeliveryFailed` with a reason an
operator can act on ("The mail server at mail.example:587 refused the recipient
..."). The reason is stored on the message row, logged and shown by
``connect-kit outbox --failed``, so it never holds the SMTP password, the gateway's
token, the gateway URL's path or query (a key may sit there), or the SMS text (it
holds a passcode). Only the standard library is used: ``smtplib`` and
``urllib.request``.
"""

from __future__ import annotations

import http
import http.client
import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import urlsplit

from pydantic import SecretStr

from connect_widgets.core.delivery.message import Channel, OutgoingMessage
from connect_widgets.core.errors import DeliveryFailed
from connect_widgets.settings import Settings

log = logging.getLogger(__name__)

_REPLY_CHARS = 160  # how much of a server's reply text a stored error keeps


def _one_line(text: str | bytes, *secrets: str) -> str:
    """A server's reply as one short line, with any of our secrets blanked out."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    line = " ".join(text.split())
    for secret in secrets:
        if secret:
            line = line.replace(secret, "[hidden]")
    return line[:_REPLY_CHARS]


class SmtpTransport:
    """Hands email to an SMTP server: STARTTLS, SMTPS or plain, with an optional login.

    A new connection per message keeps it simple and robust: the kit sends a few
    emails an hour, and a kept connection would only go stale between them.
    """

    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int = 587,
        security: str = "starttls",
        username: str | None = None,
        password: SecretStr | None = None,
        sender: str,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("starttls", "ssl", "none"):
            raise ValueError(f"unknown SMTP security {security!r}")
        self.host, self.port, self.security = host, port, security
        self.username = username
        self._password = password
        self.sender = sender
        self.timeout = timeout
        self._ssl_context = ssl_context

    def __repr__(self) -> str:
        return f"SmtpTransport(host={self.host!r}, port={self.port}, security={self.security!r})"

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        assert settings.smtp_host, "settings validation requires smtp_host for the smtp transport"
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            sender=settings.mail_from,
            timeout=settings.smtp_timeout_seconds,
        )

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def _context(self) -> ssl.SSLContext:
        # The system's trusted authorities, hostname checked: what an operator expects.
        return self._ssl_context or ssl.create_default_context()

    def _email(self, message: OutgoingMessage) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject or "Connect"
        mail["Date"] = formatdate(usegmt=True)
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or None
        mail["Message-ID"] = make_msgid(domain=domain)
        mail.set_content(message.body)
        return mail

    def _open(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def deliver(self, message: OutgoingMessage) -> None:
        """Send one email; every failure becomes :class:`DeliveryFailed` with a plain reason."""
        if message.channel is not Channel.EMAIL:
            raise DeliveryFailed("The smtp transport sends email only; set CONNECT_SMS_TRANSPORT for SMS.")
        try:
            mail = self._email(message)
        except ValueError as exc:  # a line break in a header, an unusable address
            raise DeliveryFailed(f"The email to {message.recipient} could not be written: {exc}") from None
        password = self._password.get_secret_value() if self._password else ""
        try:
            with self._open() as smtp:
                if self.security == "starttls":
                    smtp.starttls(context=self._context())
                if self.username:
                    smtp.login(self.username, password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (0, b""))
            raise DeliveryFailed(
                f"The mail server at {self.where} refused the recipient {message.recipient}: "
                f"{code} {_one_line(reply, password)}"
            ) from None
        except smtplib.SMTPSenderRefused as exc:
            raise DeliveryFailed(
                f"The mail server at {self.where} refused the sender {self.sender} "
                f"({exc.smtp_code} {_one_line(exc.smtp_error, password)}); check CONNECT_SMTP_FROM."
            ) from None
        except smtplib.SMTPAuthenticationError as exc:  # the reply text is left out: it follows our secret
            raise DeliveryFailed(
                f"The mail server at {self.where} did not accept the login of {self.username} "
                f"({exc.smtp_code}); check CONNECT_SMTP_USERNAME and CONNECT_SMTP_PASSWORD."
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            what = "STARTTLS" if "STARTTLS" in str(exc).upper() else "login (AUTH)"
            raise DeliveryFailed(
                f"The mail server at {self.where} does not offer {what}; check CONNECT_SMTP_SECURITY "
                "and CONNECT_SMTP_PORT (465 is usually ssl, 587 starttls)."
            ) from None
        except smtplib.SMTPServerDisconnected:
            raise DeliveryFailed(
                f"The mail server at {self.where} closed the connection before the email was accepted."
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryFailed(
                f"The mail server at {self.where} answered {exc.smtp_code} {_one_line(exc.smtp_error, password)}"
            ) from None
        except smtplib.SMTPException as exc:
            raise DeliveryFailed(
                f"The mail server at {self.where} did not take the email: {_one_line(str(exc), password)}"
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryFailed(
                f"The mail server at {self.where} sent a certificate that could not be trusted "
                f"({exc.verify_message}); check CONNECT_SMTP_HOST is the name on its certificate."
            ) from None
        except ssl.SSLError as exc:
            raise DeliveryFailed(
                f"A TLS connection to the mail server at {self.where} failed "
                f"({exc.reason or exc}); check CONNECT_SMTP_SECURITY."
            ) from None
        except TimeoutError:
            raise DeliveryFailed(f"The mail server at {self.where} did not answer within {self.timeout:g} s.") from None
        except ConnectionRefusedError:
            raise DeliveryFailed(
                f"Could not connect to the mail server at {self.where}: the connection was refused (is it running?)."
            ) from None
        except OSError as exc:  # unknown name, no route, reset
            raise DeliveryFailed(
                f"Could not reach the mail server at {self.where}: {exc.strerror or type(exc).__name__}."
            ) from None
        log.debug("email accepted by %s", self.where)


def _phrase(status: int) -> str:
    """The standard words for an HTTP status (never the gateway's own: they could echo what we sent)."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the bearer token to another address: treat it as an answer."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


Sleep = Callable[[float], None]


class WebhookTransport:
    """POSTs each SMS as JSON ``{"to": "+44...", "body": "..."}`` to an HTTP gateway.

    The token goes in ``Authorization: Bearer``. A 2xx answer is delivery. A 5xx
    answer, a refused connection or no answer within ``timeout`` is tried again up
    to ``retries`` more times, waiting ``backoff``, then twice as long each time
    (``sleep`` is injectable so tests need not wait). A 4xx answer is final: the
    gateway understood and said no, and the same request would fail again.
    """

    name = "webhook"

    def __init__(
        self,
        *,
        url: str,
        token: SecretStr | None = None,
        timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: Sleep = time.sleep,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the SMS gateway URL must be http(s)://host/...")
        self._url = url
        self._token = token
        self.timeout, self.retries, self.backoff = timeout, max(0, retries), backoff
        self._sleep = sleep
        # Only scheme, host and port are ever shown: a gateway's key may sit in the path or query.
        self.where = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        handlers: list[urllib.request.BaseHandler] = [_NoRedirects()]
        if ssl_context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=ssl_context))
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:
        return f"WebhookTransport(where={self.where!r}, timeout={self.timeout:g}, retries={self.retries})"

    @classmethod
    def from_settings(cls, settings: Settings, *, sleep: Sleep = time.sleep) -> WebhookTransport:
        assert settings.sms_webhook_url is not None, "settings validation requires sms_webhook_url"
        return cls(
            url=str(settings.sms_webhook_url),
            token=settings.sms_webhook_token,
            timeout=settings.sms_webhook_timeout_seconds,
            retries=settings.sms_webhook_retries,
            sleep=sleep,
        )

    def _request(self, message: OutgoingMessage) -> urllib.request.Request:
        headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "connect-widgets"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        payload = json.dumps({"to": message.recipient, "body": message.body}).encode("utf-8")
        return urllib.request.Request(self._url, data=payload, headers=headers, method="POST")

    def _attempt(self, request: urllib.request.Request) -> str | None:
        """One POST: ``None`` once delivered, else why it failed in a way worth trying again.

        Raises:
            DeliveryFailed: an answer that another try would not change (4xx, a redirect, a bad certificate).
        """
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(4096)  # the answer's content is not needed, only that it came
                return None
        except urllib.error.HTTPError as answer:
            status = answer.code
            answer.close()
            said = f"The SMS gateway at {self.where} answered {status} {_phrase(status)}".rstrip()
            if status >= 500:
                return said
            if 300 <= status < 400:
                raise DeliveryFailed(
                    f"{said} (a redirect, not followed); set CONNECT_SMS_WEBHOOK_URL to the address it redirects to."
                ) from None
            hint = {
                401: "; check CONNECT_SMS_WEBHOOK_TOKEN",
                403: "; check CONNECT_SMS_WEBHOOK_TOKEN",
                404: "; check CONNECT_SMS_WEBHOOK_URL",
            }.get(status, "")
            raise DeliveryFailed(f"{said}; not retried, the same request would fail again{hint}.") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                return f"The SMS gateway at {self.where} did not answer within {self.timeout:g} s"
            if isinstance(reason, ssl.SSLCertVerificationError):
                raise DeliveryFailed(
                    f"The SMS gateway at {self.where} sent a certificate that could not be "
                    f"trusted ({reason.verify_message})."
                ) from None
            if isinstance(reason, ConnectionRefusedError):
                return f"Could not connect to the SMS gateway at {self.where}: the connection was refused"
            text = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
            return f"Could not reach the SMS gateway at {self.where}: {_one_line(text)}"
        except TimeoutError:  # the connection opened, then the answer did not come
            return f"The SMS gateway at {self.where} did not answer within {self.timeout:g} s"
        except (http.client.HTTPException, OSError) as exc:  # reset, cut short, not HTTP
            return f"The SMS gateway at {self.where} broke off the answer ({type(exc).__name__})"

    def deliver(self, message: OutgoingMessage) -> None:
        """POST the SMS, retrying what may pass next time; the last failure is raised."""
        if message.channel is not Channel.SMS:
            raise DeliveryFailed("The webhook transport sends SMS only; set CONNECT_EMAIL_TRANSPORT for email.")
        request = self._request(message)
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            why = self._attempt(request)
            if why is None:
                if attempt > 1:
                    log.info("SMS accepted by %s on attempt %d", self.where, attempt)
                return
            if attempt == attempts:
                tries = f"{attempts} attempts" if attempts > 1 else "1 attempt"
                raise DeliveryFailed(f"{why} ({tries}).")
            wait = self.backoff * 2 ** (attempt - 1)
            log.info("%s; trying again in %.1f s", why, wait)
            self._sleep(wait)
