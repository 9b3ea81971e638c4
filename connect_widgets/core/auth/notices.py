"""Notices: an email to the admin's contact mailbox when their login changes or staff decide.

A phone enrolled at Log In, a phone removed by support and a password reset each
send one short email saying what changed, when, and what to do if it was not the
admin. It goes to the admin's ``contact_email``, the real mailbox support typed when
creating the admin. Without one no notice is sent: the Connect address
(``name@<code>.<suffix>``) is a login name on the holding domain, not a mailbox
anyone reads, and a notice nobody reads is worse than none. A notice never holds a
code, a password or more of the phone number than its last two digits.

The Connect team's decision on something an admin sent for validation (a details
correction, a user import, a directory tenant) is a notice too: which task, what
was decided, the team's reason when they refused, and where to carry on.

Each notice is sent in its own unit of work after the change was committed, so a
mail server that is down or slow never undoes or holds up the change itself; a
failed notice stays in the outbox as ``failed`` (``connect-kit outbox --failed``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from connect_widgets.core.delivery.message import Channel, OutgoingMessage
from connect_widgets.core.services import ConnectServices
from connect_widgets.store.models import AdminUser, Message

log = logging.getLogger(__name__)

_NOT_YOU = (
    "If this was not you or someone you asked, contact Connect support straight away: "
    "they can lock the account and reset its phone and password."
)


def _when(moment: datetime) -> str:
    return moment.strftime("%d %B %Y at %H:%M UTC")


def notify_contact(services: ConnectServices, *, user: AdminUser, subject: str, body: str) -> Message | None:
    """Email a notice to ``user``'s contact mailbox, in its own unit of work.

    Returns:
        The stored message (``status`` says whether it left), or ``None`` when the
        admin has no contact email.
    """
    if not user.contact_email:
        log.info("no contact email for admin %s: notice %r not sent", user.id, subject)
        return None
    with services.transaction() as db:
        return services.courier.send(
            db,
            OutgoingMessage(Channel.EMAIL, user.contact_email, body, subject=subject, user_id=user.id),
            now=services.clock.now(),
        )


@dataclass(frozen=True)
class LoginChange:
    """A change to an admin's login that their contact mailbox hears about.

    ``said`` is the notice's first paragraph, filled in with ``{email}`` (the admin's
    Connect address), ``{when}`` and the change's own details (``{ending}``); the
    "if this was not you" paragraph follows it in every such notice.
    """

    subject: str
    said: str


PHONE_ENROLLED = LoginChange(
    "A phone was enrolled for your Connect login",
    "The mobile phone ending {ending} was enrolled for 2-step authentication of the Connect admin {email} "
    "on {when}. Passcodes for {email} now go to that phone.",
)
PHONE_REMOVED = LoginChange(
    "The phone of your Connect login was removed",
    "Connect support removed the mobile phone enrolled for {email} on {when}. At the next login with the "
    "password, a new mobile phone is enrolled.",
)
PASSWORD_RESET = LoginChange(
    "Your Connect password was reset",
    "The password of the Connect admin {email} was reset on {when} with a code sent to the enrolled phone. "
    "Every open session was signed out.",
)


def login_changed(
    services: ConnectServices, change: LoginChange, *, user: AdminUser, when: datetime, **details: str
) -> Message | None:
    """Tell ``user``'s contact mailbox about ``change``, made at ``when``."""
    said = change.said.format(email=user.email, when=_when(when), **details)
    return notify_contact(services, user=user, subject=change.subject, body=f"{said}\n\n{_NOT_YOU}\n")


def phone_enrolled(services: ConnectServices, *, user: AdminUser, ending: str, when: datetime) -> Message | None:
    """The admin saved a mobile phone for 2-step authentication (first login, or after a reset)."""
    return login_changed(services, PHONE_ENROLLED, user=user, when=when, ending=ending)


def phone_removed(services: ConnectServices, *, user: AdminUser, when: datetime) -> Message | None:
    """Support removed the admin's phone (lost phone): the next login enrols a new one."""
    return login_changed(services, PHONE_REMOVED, user=user, when=when)


def password_reset(services: ConnectServices, *, user: AdminUser, when: datetime) -> Message | None:
    """The admin set a new password through "Forgot your password?"."""
    return login_changed(services, PASSWORD_RESET, user=user, when=when)


def review_decided(
    services: ConnectServices,
    *,
    user: AdminUser,
    task_title: str,
    approved: bool,
    outcome: str,
    reason: str | None,
    url: str,
) -> Message | None:
    """The Connect team approved or rejected what the admin sent for ``task_title``.

    Args:
        outcome: one sentence saying what the decision did (e.g. "12 users were added").
        reason: the team's words to the admin, when they rejected it.
        url: the account's Connect address, where the admin carries on.
    """
    if approved:
        subject = f"Connect: the Connect team approved {task_title}"
        body = (
            f"The Connect team approved what you sent for {task_title}. {outcome}\n\n"
            f"Log in to Connect to see it: {url}\n"
        )
    else:
        subject = f"Connect: {task_title} needs a change"
        body = (
            f"The Connect team could not accept what you sent for {task_title}.\n\n"
            f"Their reason: {reason}\n\n{outcome}\n\n"
            f"Log in to Connect to correct it and send it again: {url}\n"
        )
    return notify_contact(services, user=user, subject=subject, body=body)
