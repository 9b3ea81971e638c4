"""Forgot password, from "Login issues?": a reset code by SMS, then a new password.

1. **Request** — the admin types their address. Known or not, with a phone or
   not, the answer is the same sentence, so the page reveals nothing; a code goes
   only to a known admin's saved phone (10 minutes, single use, 5 tries). Reset
   codes have their own budget (3 per admin per hour, see :mod:`.passcodes`), so
   strangers asking for them never use up the admin's login codes, and one page
   may ask at most 3 times in 15 minutes, whatever the address (the same rule for
   known and unknown addresses, so the refusal reveals nothing either). Someone
   opening many pages is still held to the 3 codes an hour each admin's phone can
   receive.
2. **Code** — the admin types the code; an unknown address gets the same wrong-code
   answers, tries included.
3. **New password** — under the same policy as the first-login change, within
   10 minutes of the verified code. It ends every open session of the admin, and a
   notice goes to the admin's contact email (see :mod:`.notices`).

A reset never logs in: the admin then logs in normally, passcode included.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import col, select

from connect_widgets.core.audit import AuditAction, record_admin_event, record_event
from connect_widgets.core.auth import notices
from connect_widgets.core.auth.addresses import parse_connect_address
from connect_widgets.core.auth.passcodes import (
    LIFETIME,
    MAX_TRIES,
    IssuedCode,
    Purpose,
    deliver_passcode,
    issue_passcode,
    read_code,
    saved_phone,
    secret_box,
    verify_passcode,
)
from connect_widgets.core.auth.passwords import PolicyCheck, enforce_password_policy, review_password
from connect_widgets.core.clock import spoken
from connect_widgets.core.errors import (
    ConnectError,
    PasscodeLocked,
    PasscodeWrong,
    StepOutOfOrder,
)
from connect_widgets.core.services import ConnectServices
from connect_widgets.store.models import Account, AdminUser, LoginSession

NEW_PASSWORD_WINDOW = LIFETIME[Purpose.RESET]
REQUESTS_PER_PAGE = 3
PAGE_WINDOW = timedelta(minutes=15)


class TooManyResetRequests(ConnectError):
    """One page asked for reset codes too often (the same for every address)."""

    code = "too_many_reset_requests"

    def __init__(self, *, wait_seconds: int) -> None:
        self.wait_seconds = wait_seconds
        minutes = max(1, math.ceil(wait_seconds / 60))
        super().__init__(
            f"You asked for a reset code {REQUESTS_PER_PAGE} times in the last "
            f"{spoken(PAGE_WINDOW)}. Use the last code you received, "
            f"or ask again in {minutes} minute{'s' if minutes != 1 else ''}."
        )


class ResetStep(StrEnum):
    REQUEST = "request"
    CODE = "code"
    NEW_PASSWORD = "new_password"
    DONE = "done"


class PasswordReset:
    """The forgot-password mini flow; one object per page, like :class:`LoginFlow`."""

    def __init__(self, services: ConnectServices) -> None:
        self._services = services
        self._requested_at: list[datetime] = []  # this page's requests: kept through start_over
        self.start_over()

    def start_over(self) -> None:
        """Forget this page's reset (a code already sent stays valid until it expires)."""
        self.step = ResetStep.REQUEST
        self.email: str | None = None
        self._user_id: int | None = None
        self._unknown_tries = 0
        self._verified_at: datetime | None = None
        self._words: tuple[str, ...] = ()  # the admin's name, code and company, once verified

    def __repr__(self) -> str:
        return f"PasswordReset(step={self.step.value!r}, email={self.email!r})"

    def _require(self, step: ResetStep) -> None:
        if self.step is not step:
            raise StepOutOfOrder("That step isn't available now. Start the password reset again.")

    def request(self, email: object) -> str:
        """Step 1: send a reset code if the address is a known admin's with a phone.

        Returns:
            The notice to show, identical for every well-formed address.
        """
        if self.step not in (ResetStep.REQUEST, ResetStep.CODE):
            raise StepOutOfOrder("That step isn't available now. Start the password reset again.")
        services = self._services
        address = parse_connect_address(email, suffix=services.settings.holding_suffix)
        now = services.clock.now()
        self._count_request(address.email, now)
        box = secret_box(services)
        issued: IssuedCode | None = None
        with services.transaction(immediate=True) as db:  # the admin's reset budget holds across kernels
            user = db.exec(select(AdminUser).where(AdminUser.email == address.email)).first()
            phone = saved_phone(db, user_id=user.id) if user and user.id else None
            outcome = "unknown" if user is None else "no phone" if phone is None else "ok"
            if user is not None and phone is not None:
                try:
                    issued = issue_passcode(db, user=user, phone=phone, purpose=Purpose.RESET, now=now, box=box)
                except ConnectError as exc:  # too soon, too many: same answer, on record
                    outcome = exc.code
            record_event(
                db,
                action=AuditAction.RESET_REQUESTED,
                outcome=outcome if outcome in ("ok", "unknown") else "refused",
                now=now,
                actor=address.email,
                account_id=user.account_id if user else None,
                user_id=user.id if user else None,
                detail=outcome,
            )
        if issued is not None:  # after the commit: no lock held while the SMS goes (a failure is on record)
            deliver_passcode(services, issued, now=now)
        self.email, self._user_id = address.email, user.id if user else None
        self._unknown_tries, self.step = 0, ResetStep.CODE
        return (
            f"If {address.email} belongs to a Connect admin with an enrolled mobile phone, "
            f"a reset code is on its way by SMS. It expires in {spoken(LIFETIME[Purpose.RESET])}. "
            "No code? Check the number with your Connect contact, or ask support to reset "
            "your phone."
        )

    def _count_request(self, address: str, now: datetime) -> None:
        """Refuse this page's 4th request within 15 minutes, known address or not (on record)."""
        self._requested_at = [when for when in self._requested_at if now - when < PAGE_WINDOW]
        if len(self._requested_at) >= REQUESTS_PER_PAGE:
            wait = self._requested_at[-REQUESTS_PER_PAGE] + PAGE_WINDOW - now
            with self._services.transaction() as db:
                record_event(
                    db,
                    action=AuditAction.RESET_REQUESTED,
                    outcome="refused",
                    now=now,
                    actor=address,
                    detail="too many requests from one page",
                )
            raise TooManyResetRequests(wait_seconds=max(1, math.ceil(wait.total_seconds())))
        self._requested_at.append(now)

    def verify_code(self, code: object) -> None:
        """Step 2: check the reset code."""
        self._require(ResetStep.CODE)
        services, now = self._services, self._services.clock.now()
        if self._user_id is None:
            read_code(code)
            self._unknown_tries += 1
            if self._unknown_tries >= MAX_TRIES:
                raise PasscodeLocked()
            raise PasscodeWrong(tries_left=MAX_TRIES - self._unknown_tries)
        box = secret_box(services)
        with services.transaction(immediate=True) as db:  # tries and single use hold across kernels
            user = db.get(AdminUser, self._user_id)
            if user is None:
                raise StepOutOfOrder()
            verify_passcode(db, user=user, purpose=Purpose.RESET, code=code, now=now, box=box)
            account = db.get(Account, user.account_id)
            self._words = (
                user.email.split("@")[0],
                account.code.lower() if account else "",
                account.company if account else "",
            )
        self._verified_at, self.step = now, ResetStep.NEW_PASSWORD

    def review_new_password(self, candidate: object) -> list[PolicyCheck]:
        """The policy's rules, met or not, for the live indicator (only once the code is verified)."""
        self._require(ResetStep.NEW_PASSWORD)
        text = candidate if isinstance(candidate, str) else ""
        return review_password(unicodedata.normalize("NFKC", text), personal_words=self._words)

    def set_password(self, *, new: object, confirm: object) -> None:
        """Step 3: set the new password; ends the admin's open sessions; no login."""
        self._require(ResetStep.NEW_PASSWORD)
        services, now = self._services, self._services.clock.now()
        assert self._verified_at is not None
        if now - self._verified_at > NEW_PASSWORD_WINDOW:
            self.step = ResetStep.REQUEST
            raise StepOutOfOrder("The reset took too long. Ask for a new reset code.")
        with services.transaction() as db:
            user = db.get(AdminUser, self._user_id)
            account = db.get(Account, user.account_id) if user else None
            if user is None or account is None:
                raise StepOutOfOrder()
            password = enforce_password_policy(
                new,
                confirm,
                personal_words=self._words,
                current_hash=user.password_hash,
                hasher=services.hasher,
            )
            user.password_hash = services.hasher.hash(password)
            user.must_change_password = False
            user.password_set_at = now
            user.failed_logins, user.lock_count, user.locked_until = 0, 0, None
            db.add(user)
            for open_session in db.exec(
                select(LoginSession).where(LoginSession.user_id == user.id, col(LoginSession.ended_at).is_(None))
            ):
                open_session.ended_at, open_session.end_reason = now, "password_reset"
                db.add(open_session)
            record_admin_event(db, user, AuditAction.RESET_COMPLETED, now=now)
        self.step = ResetStep.DONE
        notices.password_reset(services, user=user, when=now)  # after the commit: a mail outage undoes nothing
