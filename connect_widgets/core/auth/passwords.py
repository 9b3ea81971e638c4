"""Password hashing (argon2id) and the password policy.

The policy follows NIST SP 800-63B: 12 to 128 characters with no truncation, no
composition rules, NFKC-normalised Unicode, and a refusal of passwords that are
common or easy to guess (zxcvbn, which ships frequency lists of common passwords,
names and words), that contain the admin's own name or account code, or that repeat
the current password.

zxcvbn's lists are large to load (tens of milliseconds and about 12 MiB per kernel),
and only a new password is ever checked against them: :func:`review_password` imports
it on first use, so the login pages never load it, and :func:`release_guess_checker`
drops it again once no new password is left to check (an admin signed in).
"""

from __future__ import annotations

import gc
import secrets
import sys
from dataclasses import dataclass
from functools import cached_property

import argon2

from connect_widgets.core.errors import PasswordRejected, PasswordsDoNotMatch
from connect_widgets.core.inputs import read_secret
from connect_widgets.settings import Settings

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_GUESS_SCORE = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from offline attack"
MIN_PERSONAL_WORD = 3  # shorter names ("al") are inside too many good passwords to refuse


class PasswordHasher:
    """argon2id hashing with the costs from settings (never below OWASP's floor)."""

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordHasher:
        return cls(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )

    def __repr__(self) -> str:
        p = self._hasher
        return f"PasswordHasher(argon2id, t={p.time_cost}, m={p.memory_cost} KiB, p={p.parallelism})"

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches; a malformed hash counts as no match."""
        try:
            return self._hasher.verify(password_hash, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except argon2.exceptions.InvalidHashError:
            return True

    @cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash(secrets.token_urlsafe(24))

    def burn_time(self, password: str) -> None:
        """Spend what a real check would (unknown email, unusable input): no timing leak."""
        self.verify(self._dummy_hash, password or "x")


@dataclass(frozen=True)
class PolicyCheck:
    """One rule of the policy and whether the candidate meets it (for a live indicator)."""

    rule: str
    met: bool
    message: str  # why a candidate is refused, when it is
    label: str  # the rule itself, for a checklist beside the field


def read_password(value: object, *, field: str = "password", label: str = "password") -> str:
    """Normalise a typed password (NFKC, no stripping); refuse control characters."""
    return read_secret(value, field=field, label=label)


def review_password(
    password: str,
    *,
    personal_words: tuple[str, ...] = (),
) -> list[PolicyCheck]:
    """Check a candidate against every cheap rule; the order is the order shown.

    Args:
        password: the normalised candidate.
        personal_words: the admin's name, account code and company; the first two
            must not appear in the password, all of them feed zxcvbn.
    """
    length_ok = MIN_LENGTH <= len(password) <= MAX_LENGTH
    if len(password) > MAX_LENGTH:
        length_message = f"Use at most {MAX_LENGTH} characters."
    else:
        length_message = f"Use at least {MIN_LENGTH} characters."
    checks = [PolicyCheck("length", length_ok, length_message, f"{MIN_LENGTH} to {MAX_LENGTH} characters")]

    lowered = password.casefold()
    banned = [w for w in personal_words[:2] if len(w) >= MIN_PERSONAL_WORD]
    found = [w for w in banned if w.casefold() in lowered]
    checks.append(
        PolicyCheck(
            "personal",
            not found,
            "Don't include your name or account code.",
            "Not your name or account code",
        )
    )

    if length_ok:
        import zxcvbn  # lazy: see the module's docstring

        result = zxcvbn.zxcvbn(
            password,
            user_inputs=[w for w in personal_words if w] + ["mimecast", "connect"],
            max_length=MAX_LENGTH,
        )
        guessable = result["score"] < MIN_GUESS_SCORE
        hint = result["feedback"].get("warning") or "It is too easy to guess."
        message = f"Choose something harder to guess. {hint}".strip()
        if not hint.endswith("."):
            message += "."
    else:
        guessable, message = True, "Choose something hard to guess, such as a few unrelated words."
    checks.append(PolicyCheck("unguessable", not guessable, message, "Hard to guess (not a common password)"))
    return checks


GUESS_CHECKER = "zxcvbn"


def release_guess_checker() -> bool:
    """Drop zxcvbn's modules and their frequency lists; True when they were loaded.

    For a kernel whose admin has set their password (see :mod:`connect_widgets.pages.memory`):
    the next :func:`review_password`, if one ever comes, imports zxcvbn afresh (a few
    tenths of a second). Nothing keeps a reference to its modules but ``sys.modules``
    (it is imported inside :func:`review_password` only); the lists are reachable
    through its functions' globals, a cycle, hence the collection.
    """
    names = [name for name in sys.modules if name == GUESS_CHECKER or name.startswith(GUESS_CHECKER + ".")]
    for name in names:
        del sys.modules[name]
    if names:
        gc.collect()
    return bool(names)


def enforce_password_policy(
    new: object,
    confirm: object,
    *,
    personal_words: tuple[str, ...],
    current_hash: str | None,
    hasher: PasswordHasher,
) -> str:
    """Validate a new password and its confirmation; return the normalised password.

    Raises:
        InvalidInput: a field is empty or has unusable characters.
        PasswordsDoNotMatch: the two differ.
        PasswordRejected: with every policy rule it breaks, each in plain words.
    """
    password = read_password(new, field="new_password", label="new password")
    confirmation = read_password(confirm, field="confirm_password", label="password again")
    if password != confirmation:
        raise PasswordsDoNotMatch()
    problems = [c.message for c in review_password(password, personal_words=personal_words) if not c.met]
    if not problems and current_hash is not None and hasher.verify(current_hash, password):
        problems.append("Choose a password different from your current one.")
    if problems:
        raise PasswordRejected(problems)
    return password


def generate_temporary_password(*, personal_words: tuple[str, ...] = ()) -> str:
    """A supplied password: 16 random characters in four groups, easy to read out.

    Drawn with :mod:`secrets` from an alphabet without look-alikes (about 93 bits),
    and checked against the same policy the admin's own password must meet.
    """
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    while True:
        raw = "".join(secrets.choice(alphabet) for _ in range(16))
        candidate = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
        if all(c.met for c in review_password(candidate, personal_words=personal_words)):
            return candidate
