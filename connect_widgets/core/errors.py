"""Domain errors: what went wrong, in words an admin can act on.

Every entry point of ``core`` raises only subclasses of :class:`ConnectError` for
anything the user did (bad input, wrong order, wrong code). Each carries a stable
``code`` for screens and tests and a plain ``message``; screens may choose other
words, but the default is fit to show. No error ever carries a secret: never put a
password, a passcode, an OTP secret or a full phone number into one.
"""

from __future__ import annotations

from connect_widgets.core.auth.limits import (
    FIRST_LOCK,
    MAX_FAILED_LOGINS,
    SEND_WINDOW,
    TEMPORARY_PASSWORD_LIFETIME,
)
from connect_widgets.core.clock import spoken


class ConnectError(Exception):
    """Base of every domain error."""

    code = "connect_error"
    default_message = "Something went wrong. Try again."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class InvalidInput(ConnectError):
    """A field's value cannot be used as typed."""

    code = "invalid_input"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class StepOutOfOrder(ConnectError):
    code = "step_out_of_order"
    default_message = "That step isn't available now. Start again from the email address."


# --- login -----------------------------------------------------------------------


class MethodNotAvailable(ConnectError):
    code = "method_not_available"
    default_message = (
        'Cloud authentication must be used until the Set Up Your Authentication task is complete. Choose "Cloud".'
    )


class DirectoryUnavailable(ConnectError):
    """Domain was chosen and the account's directory did not answer."""

    code = "directory_unavailable"
    default_message = (
        "Your directory did not answer, so your domain password could not be checked. Choose "
        '"Cloud" and log in with your Connect password, or try Domain again later.'
    )


class InvalidCredentials(ConnectError):
    """One answer for unknown email, wrong password and locked account."""

    code = "invalid_credentials"
    default_message = (
        f"The email address or password is not right. After {MAX_FAILED_LOGINS} wrong passwords in a row an "
        f"account is locked for {spoken(FIRST_LOCK)} (twice as long after each further lock), and until then even the "
        'right password gets this answer. Wait and try again, or choose "Login issues?" to reset '
        "your password, which also unlocks the account."
    )


class TemporaryPasswordExpired(ConnectError):
    code = "temporary_password_expired"
    default_message = (
        "Your supplied password has expired because it was not used within "
        f"{spoken(TEMPORARY_PASSWORD_LIFETIME)}. Ask Connect support for a new one."
    )


class SessionExpired(ConnectError):
    code = "session_expired"
    default_message = "You have been signed out. Log in again to carry on."


class HandoffRefused(ConnectError):
    """The Administration Console's link into Connect cannot sign anyone in (any reason)."""

    code = "handoff_refused"
    default_message = "That link from the Administration Console has expired or was already used. Log in to continue."


# --- passcodes -------------------------------------------------------------------


class PasscodeError(ConnectError):
    code = "passcode_error"


class NoActivePasscode(PasscodeError):
    code = "no_active_passcode"
    default_message = "There is no passcode waiting to be checked. Ask for a new code."


class PasscodeWrong(PasscodeError):
    code = "passcode_wrong"

    def __init__(self, *, tries_left: int) -> None:
        self.tries_left = tries_left
        plural = "try" if tries_left == 1 else "tries"
        super().__init__(f"That passcode is not right. You have {tries_left} {plural} left.")


class PasscodeExpired(PasscodeError):
    code = "passcode_expired"
    default_message = "That passcode has expired. Ask for a new code."


class PasscodeUsed(PasscodeError):
    code = "passcode_used"
    default_message = "That passcode has already been used. Ask for a new code."


class PasscodeLocked(PasscodeError):
    code = "passcode_locked"
    default_message = "Too many wrong tries for this passcode. Ask for a new code."


class ResendTooSoon(PasscodeError):
    code = "resend_too_soon"

    def __init__(self, *, wait_seconds: int) -> None:
        self.wait_seconds = wait_seconds
        super().__init__(f"You can ask for a new code in {wait_seconds} seconds.")


class SendLimitReached(PasscodeError):
    code = "send_limit_reached"

    def __init__(self, *, wait_seconds: int) -> None:
        self.wait_seconds = wait_seconds
        minutes = max(1, -(-wait_seconds // 60))
        super().__init__(
            f"Too many codes were sent in the last {spoken(SEND_WINDOW)}. Try again in {minutes} "
            f"minute{'s' if minutes != 1 else ''}."
        )


# --- passwords -------------------------------------------------------------------


class PasswordRejected(ConnectError):
    """The new password breaks the policy; ``problems`` says every reason."""

    code = "password_rejected"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems))


class PasswordsDoNotMatch(ConnectError):
    code = "passwords_do_not_match"
    default_message = "The new password and its confirmation are not the same."


class CurrentPasswordWrong(ConnectError):
    code = "current_password_wrong"
    default_message = "Your current password is not right."


class SignedOutByLock(SessionExpired):
    """Wrong current passwords locked the account while signed in: the session has ended."""

    code = "signed_out_by_lock"
    default_message = (
        f"That was the {MAX_FAILED_LOGINS}th wrong current password in a row, so your account is locked for "
        f'{spoken(FIRST_LOCK)} and you have been logged out. Use "Login issues?" to reset your password.'
    )


# --- accounts, delivery, support ----------------------------------------------------


class AccountExists(ConnectError):
    code = "account_exists"


class UserNotFound(ConnectError):
    """Only for staff tools; the login flow never says an address is unknown."""

    code = "user_not_found"


class DeliveryFailed(ConnectError):
    code = "delivery_failed"
    default_message = "We could not send the message. Try again in a minute."


# --- tasks -----------------------------------------------------------------------


class TaskLocked(ConnectError):
    """A task was opened before its prerequisites were complete."""

    code = "task_locked"


class UnknownTask(ConnectError):
    code = "unknown_task"
    default_message = "That task does not exist. Choose one from Connect Progress."


class TaskConflict(ConnectError):
    """Another admin of the account saved the task after this page read it."""

    code = "task_conflict"
    default_message = (
        "Another admin of your account changed this task while you were working on it. "
        "Reload the task to see their changes; nothing was overwritten."
    )


class UnknownDomain(ConnectError):
    code = "unknown_domain"
    default_message = "That domain is not on your account's list. Add it first."


# --- what a task allows now (issue 11) ------------------------------------------------


class TaskComplete(StepOutOfOrder):
    """An action that would change a task that is already complete."""

    code = "task_complete"
    default_message = (
        "That task is complete, so it cannot be changed from this page. If something in it must change, "
        "contact Connect support."
    )


class StepNotOpen(StepOutOfOrder):
    """An action for a step the task is not at (the page was stale, or the message was forged)."""

    code = "step_not_open"
    default_message = "That step is not open. The page now shows where the task is."


class DomainClaimExpired(ConnectError):
    """An unverified domain claim outlived its time; the admin adds the domain again."""

    code = "domain_claim_expired"


# --- storage ---------------------------------------------------------------------


class StorageUnavailable(ConnectError):
    """The database could not be read or written (disk full, read-only, locked too long, unreachable).

    Raised by :meth:`ConnectServices.transaction` after the unit of work was rolled
    back, so nothing of it was saved; the cause is logged on the server, never shown.
    """

    code = "storage_unavailable"
    default_message = "Connect cannot save right now; nothing was changed — try again in a minute."
