"""The login flow as a plain Python controller, one object per browser page.

The story, as the Connect application tells it:

1. **Email** — the admin types ``name@<accountcode>.<suffix>`` and clicks Next.
   A malformed address is refused with a specific message; an unknown but
   well-formed address goes on exactly like a known one, so nobody can learn
   which addresses exist.
2. **Method** — Cloud, or Domain once the account's Set Up Your Authentication
   task enabled it; until then Cloud must be used.
3. **Password** — checked against the argon2id hash. Unknown address, wrong
   password and locked account give the same answer in the same time. Five
   failures in a row lock the admin out for 15 minutes, doubling with each
   further lock; a correct password clears the count. The database counts
   each try before it is checked (see :mod:`.lockout`), so many pages at once
   get no more than five checks.
4. **Enrol phone** — first login only: country plus national mobile number.
   The number is saved only when the admin logs in with its passcode verified;
   a notice then goes to the admin's contact email (see :mod:`.notices`).
5. **Passcode** — a 6-digit HOTP code by SMS (see :mod:`.passcodes`); a returning
   admin's code goes straight to the saved phone, "the number ending 42".
6. **Log In** — only after a successful Verify; starts a session.
7. **Change password** — first login only: the supplied password must go. A
   wrong current password counts towards the same lock; the lock ends the session.
8. Then the admin lands: Welcome before any task was started, Welcome back after.

An admin signed in to the Administration Console skips all of this once: the
console's Application Switcher links to Connect with a single-use, 60-second
hand-off (see :mod:`.handoffs`), and :meth:`LoginFlow.sign_in_with_handoff` opens
the session on the fresh page. A link that cannot be used leaves the page at step 1.

Each method refuses to run unless the flow is at its step
(:class:`~connect_widgets.core.errors.StepOutOfOrder`), because a Voila page's
browser can send any widget event: the screens are not the guard. Nothing here
holds a secret beyond the session id, which never appears in a repr.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session, select

from connect_widgets.core.accounts.create import REGION_PHONE_COUNTRY
from connect_widgets.core.adapters.directory_connection import (
    DirectoryConnection,
    DirectoryError,
    DirectoryLoginRefused,
)
from connect_widgets.core.audit import AuditAction, record_admin_event, record_event
from connect_widgets.core.auth import notices
from connect_widgets.core.auth.addresses import parse_connect_address
from connect_widgets.core.auth.handoffs import Handoff, issue_handoff, redeem_handoff, revoke_handoffs
from connect_widgets.core.auth.limits import MAX_FAILED_LOGINS, TEMPORARY_PASSWORD_LIFETIME
from connect_widgets.core.auth.lockout import ADMIN_LOCKOUT, Candidate, Lock, PasswordTry, Settlement, try_password
from connect_widgets.core.auth.passcodes import (
    RESEND_AFTER,
    CodeSent,
    Purpose,
    check_can_send,
    deliver_passcode,
    issue_passcode,
    latest_passcode,
    new_phone,
    revoke_live_passcodes,
    saved_phone,
    secret_box,
    verify_passcode,
)
from connect_widgets.core.auth.passwords import (
    PolicyCheck,
    enforce_password_policy,
    read_password,
    review_password,
)
from connect_widgets.core.auth.phones import number_ending, parse_mobile
from connect_widgets.core.auth.sessions import end_session, live_session, resume_session, start_session
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.clock import spoken
from connect_widgets.core.errors import (
    ConnectError,
    CurrentPasswordWrong,
    DeliveryFailed,
    DirectoryUnavailable,
    HandoffRefused,
    InvalidCredentials,
    InvalidInput,
    MethodNotAvailable,
    ResendTooSoon,
    SendLimitReached,
    SessionExpired,
    SignedOutByLock,
    StepOutOfOrder,
    TemporaryPasswordExpired,
)
from connect_widgets.core.inputs import read_text
from connect_widgets.core.services import ConnectServices
from connect_widgets.core.tasks.progress import Landing, landing_for
from connect_widgets.store.models import Account, AdminUser, Phone

log = logging.getLogger(__name__)


class AuthMethod(StrEnum):
    CLOUD = "cloud"
    DOMAIN = "domain"


@dataclass(frozen=True)
class _DomainCandidate(Candidate):
    """Who tries a Domain password, as step 1 of :func:`try_password` read it.

    ``row_id`` is set only for a known admin whose account uses Domain; ``user`` is
    the admin of the typed address whatever the account (for the audit), and
    ``connection`` the account's directory when it uses Domain.
    """

    user: AdminUser | None = field(default=None, repr=False)
    connection: DirectoryConnection | None = field(default=None, repr=False)
    own_logon: bool = False  # the logon typed is the one recorded for this admin


class LoginFlow:
    """One admin's way through the login, held in the page's kernel.

    See the module docstring for the story. Screens call one method per user
    action and show :attr:`step`; every rule is enforced here and in the database.
    """

    def __init__(self, services: ConnectServices) -> None:
        self._services = services
        self._reset_state()

    def _reset_state(self) -> None:
        self.step = LoginStep.EMAIL
        self.email: str | None = None
        self.method = AuthMethod.CLOUD
        self.code_sent: CodeSent | None = None
        self.notice: str | None = None  # a sending problem to show on the passcode page
        self.resend_at: datetime | None = None  # when Resend may ask for a new code
        self.destination_ending: str | None = None  # last two digits of the phone codes go to
        self._account_code: str | None = None
        self._user_id: int | None = None
        self._pending_phone_id: int | None = None
        self._token: str | None = None
        self._personal_words: tuple[str, ...] = ()

    @property
    def services(self) -> ConnectServices:
        return self._services

    def __repr__(self) -> str:
        return f"LoginFlow(step={self.step.value!r}, email={self.email!r})"

    # -- helpers ----------------------------------------------------------------

    def _require(self, *steps: LoginStep) -> None:
        if self.step not in steps:
            log.info("refused an out-of-order call at step %s", self.step.value)
            raise StepOutOfOrder()

    def _typed_user(self, db: Session) -> AdminUser | None:
        """The admin of the address typed at step 1, if there is one."""
        return db.get(AdminUser, self._user_id) if self._user_id is not None else None

    def _user(self, db: Session) -> AdminUser:
        user = self._typed_user(db)
        if user is None:  # removed while the page was open
            self._reset_state()
            raise StepOutOfOrder()
        return user

    def _audit(
        self, db: Session, action: AuditAction, *, user: AdminUser | None = None, outcome: str = "ok", detail: str = ""
    ) -> None:
        """An audit row by ``user``, or by the address typed (``anonymous`` before one is) when no admin has it."""
        now = self._services.clock.now()
        if user is not None:
            record_admin_event(db, user, action, now=now, outcome=outcome, detail=detail)
        else:
            record_event(db, action=action, now=now, actor=self.email or "anonymous", outcome=outcome, detail=detail)

    @property
    def needs_phone_enrolment(self) -> bool:
        """True while the admin has no saved phone (first login, or after a reset)."""
        return self._pending_phone_id is not None or self.step is LoginStep.ENROL_PHONE

    @property
    def signed_in(self) -> bool:
        return self._token is not None

    def restart(self) -> None:
        """Back to the email page (a Back on the first steps, or Start again)."""
        if self._token is not None:
            self.log_out()
        self._reset_state()

    # -- 1. email -----------------------------------------------------------------

    def submit_email(self, value: object) -> None:
        """Step 1: remember the address; unknown addresses are not revealed."""
        self._require(LoginStep.EMAIL, LoginStep.METHOD, LoginStep.PASSWORD)
        address = parse_connect_address(value, suffix=self._services.settings.holding_suffix)
        with self._services.transaction() as db:
            user = db.exec(select(AdminUser).where(AdminUser.email == address.email)).first()
            self.email = address.email
            self._account_code = address.account_code.upper()
            self._user_id = user.id if user else None
            self.method = AuthMethod.CLOUD
            self._audit(db, AuditAction.EMAIL_SUBMITTED, user=user, outcome="ok" if user else "unknown")
        self.step = LoginStep.METHOD

    # -- 2. method ----------------------------------------------------------------

    def domain_available(self) -> bool:
        """Whether this address's account has enabled Domain authentication."""
        if self._account_code is None:
            return False
        with self._services.transaction(immediate=False) as db:
            account = db.exec(select(Account).where(Account.code == self._account_code)).first()
            return bool(account and account.auth_mode == AuthMethod.DOMAIN)

    def choose_method(self, value: object) -> None:
        """Step 2: Cloud, or Domain once the account enabled it."""
        self._require(LoginStep.METHOD, LoginStep.PASSWORD)
        try:
            method = AuthMethod(str(value).strip().lower())
        except ValueError:
            raise MethodNotAvailable('Choose "Cloud" or "Domain" from the list.') from None
        if method is AuthMethod.DOMAIN and not self.domain_available():
            with self._services.transaction() as db:
                self._audit(
                    db, AuditAction.METHOD_REFUSED, outcome="refused", detail="domain authentication is not enabled"
                )
            raise MethodNotAvailable()
        self.method = method
        self.step = LoginStep.PASSWORD

    # -- 3. password --------------------------------------------------------------

    def submit_password(self, value: object, *, logon: object = None) -> LoginStep:
        """Step 3: check the password; on success send a code or ask for a phone.

        With Domain, ``logon`` is the admin's directory logon and the password is
        checked by the directory (an LDAP bind); the rules are the same as Cloud's.

        The try is counted before the password is checked (:mod:`.lockout`), so
        several pages of the same admin together still get only five checks
        before the lock. Every outcome costs one argon2 verification.

        Returns:
            The next step: ``ENROL_PHONE`` or ``PASSCODE``.

        Raises:
            InvalidCredentials: unknown address, wrong password or locked (one answer).
            TemporaryPasswordExpired: right password, but the supplied one is too old.
            DirectoryUnavailable: Domain was chosen and the directory did not answer.
        """
        self._require(LoginStep.PASSWORD)
        password = read_password(value)
        if self.method is AuthMethod.DOMAIN:
            return self._domain_password(logon, password)
        services, now = self._services, self._services.clock.now()
        tried = try_password(services, ADMIN_LOCKOUT, lambda db: Candidate.of(self._typed_user(db)), password, now=now)
        with services.transaction(immediate=True) as db:
            user = self._settle_login(db, tried, now, unknown="unknown address")
            if user.must_change_password and now - user.password_set_at > TEMPORARY_PASSWORD_LIFETIME:
                self._audit(db, AuditAction.TEMPORARY_PASSWORD_EXPIRED, user=user, outcome="refused")
                raise TemporaryPasswordExpired()
            self._audit(db, AuditAction.PASSWORD_ACCEPTED, user=user)
            phone = saved_phone(db, user_id=user.id)  # type: ignore[arg-type]
        return self._after_password(phone is None)

    def _after_password(self, needs_phone: bool) -> LoginStep:
        if needs_phone:
            self.step = LoginStep.ENROL_PHONE
            return self.step
        self.step = LoginStep.PASSCODE
        self._send_on_arrival()
        return self.step

    def _domain_password(self, logon: object, password: str) -> LoginStep:
        """Domain: the admin's own directory logon, checked by an LDAP bind as that user.

        The directory is asked to check the password only for a known admin whose
        account uses Domain, whose try could be counted (not locked) and whose logon
        matches the one recorded for them; every refusal is the same
        :class:`InvalidCredentials` and counts towards the lockout. Every attempt
        does the same work whatever the outcome, so its time tells nothing: one
        argon2 verification (as a Cloud check) and one directory round (bind as the
        bind account, search, bind as a user) — for an unknown address, a locked
        admin or someone else's logon, that round looks for a logon and binds as an
        entry that exist nowhere (``services.directory.pretend_login``, see
        :mod:`connect_widgets.core.adapters.directory`). A directory that does not
        answer is not the admin's fault: it is said plainly, counts nothing, and
        Cloud stays available.
        """
        services, now = self._services, self._services.clock.now()
        directory = services.directory
        typed = read_text(logon, field="logon", label="domain logon", max_length=256)

        def read(db: Session) -> _DomainCandidate:
            user = self._typed_user(db)
            if user is not None:
                account = db.get(Account, user.account_id)
            else:
                account = db.exec(select(Account).where(Account.code == self._account_code)).first()
            if account is None or account.auth_mode != AuthMethod.DOMAIN:
                return _DomainCandidate(None, user=user)
            connection = directory.connection_for(db, account.id)  # type: ignore[arg-type]
            if connection is None:  # the whole account's state: it says nothing about the address
                self._audit(
                    db,
                    AuditAction.DIRECTORY_UNAVAILABLE,
                    user=user,
                    outcome="refused",
                    detail="no directory connection saved",
                )
                raise DirectoryUnavailable()
            if user is None:
                return _DomainCandidate(None, connection=connection)
            recorded = user.directory_logon
            own = bool(recorded and recorded.casefold() == typed.casefold())
            return _DomainCandidate(user.id, user=user, connection=connection, own_logon=own)

        def ask_directory(candidate: _DomainCandidate, attempt: int | None) -> bool:
            connection = candidate.connection
            try:
                if connection is not None and attempt is not None and candidate.own_logon:
                    directory.authenticate(connection, logon=typed, password=password)
                    return True
                if connection is not None:
                    directory.pretend_login(connection)
            except (DirectoryLoginRefused, InvalidInput):
                pass
            except DirectoryError as failed:  # did not answer, or its saved connection no longer works
                with services.transaction(immediate=True) as db:
                    if candidate.row_id is not None and attempt is not None:
                        ADMIN_LOCKOUT.release(db, candidate.row_id)  # nothing was checked: nothing counts
                    self._audit(
                        db,
                        AuditAction.DIRECTORY_UNAVAILABLE,
                        user=candidate.user,
                        outcome="failed",
                        detail=f"{connection.url if connection else ''} ({failed.code})",
                    )
                raise DirectoryUnavailable() from None
            return False

        tried = try_password(services, ADMIN_LOCKOUT, read, password, now=now, check=ask_directory)
        how = (
            "domain password refused by the directory" if tried.candidate.own_logon else "domain logon not this admin's"
        )
        with services.transaction(immediate=True) as db:
            user = self._settle_login(db, tried, now, unknown="domain: unknown address", how=how)
            self._audit(db, AuditAction.PASSWORD_ACCEPTED, user=user, detail="domain")
            phone = saved_phone(db, user_id=user.id)  # type: ignore[arg-type]
        return self._after_password(phone is None)

    def _settle_login(
        self, db: Session, tried: PasswordTry[Any], now: datetime, *, unknown: str, how: str = "wrong password"
    ) -> AdminUser:
        """Step 3 of a login password's try (:meth:`Lockout.settle`): the admin it lets in.

        Raises:
            InvalidCredentials: nobody tried (audited as ``unknown``), or the try was
                refused; it was counted, and the lock it set is audited too.
        """
        user = ADMIN_LOCKOUT.reread(db, tried)
        if user is None:
            self._audit(db, AuditAction.LOGIN_FAILED, user=self._typed_user(db), outcome="refused", detail=unknown)
            raise InvalidCredentials()
        settled = ADMIN_LOCKOUT.settle(db, user, tried, now=now)
        if not settled.accepted:
            self._refused(db, user, settled, how=how)
            raise InvalidCredentials()
        return user

    def _refused(
        self,
        db: Session,
        user: AdminUser,
        settled: Settlement,
        *,
        how: str,
        action: AuditAction = AuditAction.LOGIN_FAILED,
    ) -> None:
        """Audit a refused password (:meth:`Lockout.settle`) and the lock it set, if it set one."""
        self._audit(db, action, user=user, outcome="refused", detail=settled.refusal(how))
        if settled.lock is not None:
            self._audit(
                db,
                AuditAction.ACCOUNT_LOCKED,
                user=user,
                outcome="locked",
                detail=f"locked for {settled.lock.minutes} minutes (lock {settled.lock.number})",
            )

    # -- 4. phone enrolment -------------------------------------------------------

    def phone_country(self, fallback: str) -> str:
        """The country to offer first for the mobile number: the account's region's, else ``fallback``."""
        self._require(LoginStep.ENROL_PHONE)
        with self._services.transaction() as db:
            user = self._user(db)
            account = db.get(Account, user.account_id)
            region = account.region if account else ""
        return REGION_PHONE_COUNTRY.get(region, fallback)

    def enrol_phone(self, *, country: object, number: object) -> CodeSent | None:
        """Step 4 (first login): take the mobile number and send its first code.

        Refused, staying on this step, when no code could be sent now anyway
        (:class:`ResendTooSoon`, :class:`SendLimitReached`).

        Returns:
            Where the code went, or ``None`` when delivery failed (see :attr:`notice`).
        """
        self._require(LoginStep.ENROL_PHONE)
        e164 = parse_mobile(country=country, number=number)
        services = self._services
        box = secret_box(services)
        with services.transaction(immediate=True) as db:
            user = self._user(db)
            check_can_send(db, user_id=user.id, now=services.clock.now())  # type: ignore[arg-type]
            phone = new_phone(db, user=user, e164=e164, now=services.clock.now(), box=box)
            self._pending_phone_id = phone.id
        self.step = LoginStep.PASSCODE
        self._send_on_arrival()
        return self.code_sent

    def change_number(self) -> None:
        """From the passcode page during enrolment: back to type another number."""
        self._require(LoginStep.PASSCODE)
        if self._pending_phone_id is None:
            raise StepOutOfOrder('Your phone is already saved. If you lost it, choose "Login issues?".')
        with self._services.transaction() as db:
            revoke_live_passcodes(
                db,
                user_id=self._user_id,  # type: ignore[arg-type]  # set since the password step
                now=self._services.clock.now(),
                reason="number_changed",
            )
        self.code_sent = None
        self.step = LoginStep.ENROL_PHONE

    # -- 5. passcode --------------------------------------------------------------

    def _phone_for_codes(self, db: Session, user: AdminUser) -> Phone:
        if self._pending_phone_id is not None:
            phone = db.get(Phone, self._pending_phone_id)
        else:
            phone = saved_phone(db, user_id=user.id)  # type: ignore[arg-type]
        if phone is None:  # support reset the phone meanwhile
            self._reset_state()
            raise StepOutOfOrder()
        self.destination_ending = number_ending(phone.e164)
        return phone

    def _send(self) -> CodeSent:
        """Send a login code to the phone in play; refusals and failures raise."""
        services, now = self._services, self._services.clock.now()
        box = secret_box(services)
        with services.transaction(immediate=True) as db:  # the limits and the counter hold across kernels
            user = self._user(db)
            phone = self._phone_for_codes(db, user)
            issued = issue_passcode(db, user=user, phone=phone, purpose=Purpose.LOGIN, now=now, box=box)
        sent = deliver_passcode(services, issued, now=now)  # after the commit: no lock while the SMS goes
        self.code_sent, self.resend_at = sent, sent.resend_at
        if not sent.delivered:
            raise DeliveryFailed(
                f"We could not send the SMS to the number ending {sent.ending}. "
                f'Use Resend in {spoken(RESEND_AFTER)}, or choose "Login issues?".'
            )
        return sent

    def _send_on_arrival(self) -> None:
        """Send the first code on reaching the passcode page, never raising.

        The admin did their part (right password, valid number); a send that is
        refused or fails is told in :attr:`notice` and Resend is the way on. A
        code sent moments ago from another page stays valid and is reused.
        """
        self.notice = None
        try:
            self._send()
        except (ResendTooSoon, SendLimitReached) as refused:
            now = self._services.clock.now()
            self.resend_at = now + timedelta(seconds=refused.wait_seconds)
            with self._services.transaction() as db:
                user = self._user(db)
                phone = self._phone_for_codes(db, user)
                live = latest_passcode(db, user_id=user.id, purpose=Purpose.LOGIN)  # type: ignore[arg-type]
                if (
                    live
                    and live.phone_id == phone.id
                    and not (live.used_at or live.revoked_at)
                    and live.expires_at > now
                ):
                    ending = number_ending(phone.e164)
                    self.code_sent = CodeSent(
                        ending=ending, expires_at=live.expires_at, resend_at=self.resend_at, delivered=True
                    )
                    minutes = max(1, math.ceil((live.expires_at - now).total_seconds() / 60))
                    still_valid = (
                        f"The last code we sent to the number ending {ending} is still "
                        f"valid for {minutes} more minute{'s' if minutes != 1 else ''}: enter it below."
                    )
                    self.notice = (
                        f"We didn't send a new code. {still_valid}"
                        if isinstance(refused, ResendTooSoon)
                        else f"{refused.message} {still_valid}"
                    )
                    return
            self.code_sent = None
            self.notice = (
                f"We didn't send a new code: one went out less than {spoken(RESEND_AFTER)} ago. "
                "Use Resend code when the countdown ends."
                if isinstance(refused, ResendTooSoon)
                else refused.message
            )
        except DeliveryFailed as failed:
            self.notice = failed.message

    def resend_passcode(self) -> CodeSent:
        """Send a new code (allowed 30 seconds after the last); the old one dies."""
        self._require(LoginStep.PASSCODE)
        self.notice = None
        try:
            return self._send()
        except (ResendTooSoon, SendLimitReached) as refused:
            self.resend_at = self._services.clock.now() + timedelta(seconds=refused.wait_seconds)
            raise

    def back_to_method(self) -> None:
        """From the password page: choose Cloud or Domain again."""
        self._require(LoginStep.PASSWORD)
        self.step = LoginStep.METHOD

    def verify_passcode(self, code: object) -> None:
        """Step 5: check the code; only a correct, live code opens Log In."""
        self._require(LoginStep.PASSCODE)
        box = secret_box(self._services)
        with self._services.transaction(immediate=True) as db:  # tries and single use hold across kernels
            user = self._user(db)
            verify_passcode(db, user=user, purpose=Purpose.LOGIN, code=code, now=self._services.clock.now(), box=box)
        self.step = LoginStep.LOG_IN

    # -- 6. log in ----------------------------------------------------------------

    def log_in(self) -> LoginStep:
        """Step 6: start the session, save a newly enrolled phone.

        Returns:
            ``CHANGE_PASSWORD`` on the first login, else ``SIGNED_IN``.
        """
        self._require(LoginStep.LOG_IN)
        now = self._services.clock.now()
        enrolled_ending: str | None = None
        with self._services.transaction() as db:
            user = self._user(db)
            if self._pending_phone_id is not None:
                phone = db.get(Phone, self._pending_phone_id)
                if phone is None:
                    self._reset_state()
                    raise StepOutOfOrder()
                phone.verified_at = now
                db.add(phone)
                for other in db.exec(select(Phone).where(Phone.user_id == user.id, Phone.id != phone.id)):
                    db.delete(other)
                enrolled_ending = number_ending(phone.e164)
                self._audit(db, AuditAction.PHONE_ENROLLED, user=user, detail=f"number ending {enrolled_ending}")
            self._open_session(db, user, now, how=f"method {self.method.value}")
            must_change = user.must_change_password
        self._pending_phone_id = None
        self.step = LoginStep.CHANGE_PASSWORD if must_change else LoginStep.SIGNED_IN
        if enrolled_ending is not None:  # after the commit: a mail outage never undoes the login
            notices.phone_enrolled(self._services, user=user, ending=enrolled_ending, when=now)
        return self.step

    def _open_session(self, db: Session, user: AdminUser, now: datetime, *, how: str) -> None:
        """Start the admin's session: what every way of logging in ends with."""
        account = db.get(Account, user.account_id)
        self._personal_words = (
            user.email.split("@")[0],
            account.code.lower() if account else "",
            account.company if account else "",
        )
        self._token = start_session(db, user=user, now=now)
        user.last_login_at = now
        db.add(user)
        self._audit(db, AuditAction.LOGIN, user=user, detail=how)

    # -- from the Administration Console ----------------------------------------

    def mint_handoff(self, *, activity: bool = True) -> Handoff:
        """A single-use link into Connect for the signed-in admin (the console's switcher).

        The token is returned to put in the link and is kept nowhere else in clear.

        Args:
            activity: False when the page renews the link by itself (a timer): that
                is not the admin at work, so the session's idle clock keeps running.

        Raises:
            StepOutOfOrder: nobody is signed in on this page.
            SessionExpired: the session timed out.
        """
        self._require(LoginStep.SIGNED_IN)
        with self._services.transaction() as db:
            user = self._session_user(db, activity=activity)
            handoff = issue_handoff(db, user=user, now=self._services.clock.now())
            self._audit(
                db,
                AuditAction.HANDOFF_CREATED,
                user=user,
                detail=f"link to Connect valid until {handoff.expires_at:%H:%M:%S} UTC",
            )
        return handoff

    def sign_in_with_handoff(self, token: object) -> LoginStep:
        """Arrive signed in through the console's link, as a completed login would.

        Only on a fresh page (nothing typed yet). The link is used up whatever
        happens next; an admin who is locked out, or who still has to choose a new
        password or enrol a phone, logs in the normal way instead.

        Returns:
            ``SIGNED_IN``.

        Raises:
            HandoffRefused: the link is malformed, unknown, used, revoked (logged
                out) or expired, or the admin must log in normally; the flow stays
                at the email step.
        """
        self._require(LoginStep.EMAIL)
        if self.email is not None or self._token is not None:
            raise StepOutOfOrder()
        now = self._services.clock.now()
        with self._services.transaction() as db:
            redemption = redeem_handoff(db, token=token, now=now)
            user = db.get(AdminUser, redemption.user_id) if redemption.user_id is not None else None
            refused = redemption.refused
            if refused is None:
                if user is None:
                    refused = "admin removed"
                elif user.locked_until is not None and user.locked_until > now:
                    refused = "account locked"
                elif user.must_change_password:
                    refused = "password must change first"
                elif saved_phone(db, user_id=user.id) is None:  # type: ignore[arg-type]
                    refused = "no phone saved"
            if refused is not None:
                self._audit(db, AuditAction.HANDOFF_REFUSED, user=user, outcome="refused", detail=refused)
                raise HandoffRefused()
            assert user is not None
            account = db.get(Account, user.account_id)
            self.email, self._user_id = user.email, user.id
            self._account_code = account.code if account else None
            self._audit(db, AuditAction.HANDOFF_USED, user=user)
            self._open_session(db, user, now, how="from the Administration Console")
        self.step = LoginStep.SIGNED_IN
        return self.step

    @contextmanager
    def admin_session(self, *, immediate: bool = False) -> Iterator[tuple[Session, AdminUser]]:
        """A unit of work as the signed-in admin, after checking the session's timeouts.

        ``immediate``: hold the write lock from the start (see ``ConnectServices.transaction``).

        Raises:
            StepOutOfOrder: nobody is signed in on this page (or the password must change).
            SessionExpired: the session timed out; the flow is back at the email step.
        """
        self._require(LoginStep.SIGNED_IN)
        with self._services.transaction(immediate=immediate) as db:
            yield db, self._session_user(db)

    def live_session_conditions(self) -> tuple[Any, ...] | None:
        """SQL conditions on ``LoginSession`` true only while this page's session is live.

        Reading with them is not activity (a page that only looks still times out);
        ``None`` when nobody is signed in on this page. The session id never leaves
        the flow: the conditions compare its hash.
        """
        if self.step is not LoginStep.SIGNED_IN or self._token is None:
            return None
        return live_session(self._token, now=self._services.clock.now())

    def _session_user(self, db: Session, *, activity: bool = True) -> AdminUser:
        try:
            return resume_session(db, token=self._token or "", now=self._services.clock.now(), activity=activity)
        except SessionExpired:
            self._audit(db, AuditAction.SESSION_EXPIRED, outcome="ended")
            self._reset_state()
            raise

    # -- 7. change password -------------------------------------------------------

    def change_password(self, *, current: object, new: object, confirm: object) -> None:
        """Step 7 (first login, or any time signed in): replace the password.

        A wrong current password counts towards the lockout like a wrong login
        password (the try is counted before it is checked). When it locks the
        account, or the account is already locked, the session ends: the flow is
        back at the email step and :class:`SignedOutByLock` says why.

        Raises:
            CurrentPasswordWrong, SignedOutByLock, PasswordsDoNotMatch, PasswordRejected, InvalidInput.
        """
        self._require(LoginStep.CHANGE_PASSWORD, LoginStep.SIGNED_IN)
        services = self._services
        hasher, now = services.hasher, services.clock.now()
        current_text = read_password(current, field="current_password", label="current password")
        tried = try_password(
            services, ADMIN_LOCKOUT, lambda db: Candidate.of(self._session_user(db)), current_text, now=now
        )
        current_hash = tried.candidate.password_hash
        with services.transaction(immediate=True) as db:
            user = self._user(db)
            settled = ADMIN_LOCKOUT.settle(db, user, tried, now=now)
            if not settled.accepted:
                how = "current password wrong"
                self._refused(db, user, settled, how=how, action=AuditAction.PASSWORD_CHANGE_REFUSED)
                if settled.counted is not None and settled.lock is None:
                    raise CurrentPasswordWrong()
        if not settled.accepted:  # locked: the session ends with the lock
            self.log_out()
            raise SignedOutByLock(self._signed_out_by_lock(settled.lock))
        try:
            password = enforce_password_policy(
                new,
                confirm,
                personal_words=self._personal_words,
                current_hash=current_hash,
                hasher=hasher,
            )
        except ConnectError as exc:
            with services.transaction() as db:
                self._audit(
                    db, AuditAction.PASSWORD_CHANGE_REFUSED, user=self._user(db), outcome="refused", detail=exc.code
                )
            raise
        new_hash = hasher.hash(password)
        with services.transaction() as db:
            user = self._session_user(db)
            user.password_hash = new_hash
            user.must_change_password = False
            user.password_set_at = services.clock.now()
            db.add(user)
            self._audit(db, AuditAction.PASSWORD_CHANGED, user=user)
        self.step = LoginStep.SIGNED_IN

    @staticmethod
    def _signed_out_by_lock(lock: Lock | None) -> str:
        if lock is None:
            return (
                "Your account is locked after too many wrong passwords, so you have been logged out. "
                'Use "Login issues?" to reset your password, or log in again when the lock ends.'
            )
        # The longest lock has always read "24 hours" (spoken() would say "1 day").
        length = spoken(lock.duration) if lock.duration < timedelta(days=1) else f"{lock.minutes // 60} hours"
        return (
            f"That was the {MAX_FAILED_LOGINS}th wrong current password in a row, so your account is locked "
            f'for {length} and you have been logged out. Use "Login issues?" to reset your password.'
        )

    def review_new_password(self, candidate: object) -> list[PolicyCheck]:
        """The policy's rules, met or not, for a live indicator as the admin types."""
        self._require(LoginStep.CHANGE_PASSWORD, LoginStep.SIGNED_IN)
        text = candidate if isinstance(candidate, str) else ""
        return review_password(unicodedata.normalize("NFKC", text), personal_words=self._personal_words)

    # -- 8. landing ---------------------------------------------------------------

    def landing(self) -> Landing:
        """Where the signed-in admin lands: Welcome, or Welcome back with tasks."""
        with self.admin_session() as (db, user):
            return landing_for(db, account_id=user.account_id, catalogue=self._services.catalogue)

    def log_out(self) -> None:
        """End the session and go back to the email page."""
        if self._token is not None:
            with self._services.transaction() as db:
                user = self._typed_user(db)
                now = self._services.clock.now()
                end_session(db, token=self._token, now=now)
                if user is not None:  # the console's links stop working with the session
                    revoke_handoffs(db, user_id=user.id, now=now)  # type: ignore[arg-type]
                self._audit(db, AuditAction.LOGOUT, user=user)
        self._reset_state()
