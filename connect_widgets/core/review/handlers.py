"""What the Connect team's decision on each kind of review does, one handler per kind.

The :class:`~.queue.ReviewQueue` takes the review, records the decision and emails
it; the review's handler (:func:`handler_for`) applies what an approval changes and
says where the task goes back to and what the admin's email tells them:

* a **details correction** approved is applied to the account and goes back to the
  admin to confirm; refused, the admin keeps the values they sent to correct them;
* a **user import** approved adds its users and completes Add Users Manually;
  refused, the batch stays staged at the task's review step;
* a **directory's details** (a cloud tenant) approved complete Synchronize Your
  Directory; refused, the tenant waits at the connection step.

Handlers import downward only (the task modules whose data they apply); nothing
below the review queue imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from connect_widgets.core.audit import AuditAction, record_account_event
from connect_widgets.core.errors import ConnectError
from connect_widgets.core.review.kinds import ReviewKind
from connect_widgets.core.tasks.add_users import add_approved_users
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.store.models import Account, Review

#: The account details a correction may change (the payload's other keys are ignored).
CORRECTABLE_DETAILS = ("company", "primary_domain", "platform", "region")


class UnknownReviewKind(ConnectError):
    code = "unknown_review_kind"
    default_message = (
        "This review is of a kind this version of the kit cannot decide, so nothing was changed. "
        "Ask the kit's maintainers to update it."
    )


@dataclass(frozen=True)
class HandBack:
    """Where a decision leaves the review's task, and what the admin's email says.

    Attributes:
        data: merged over the task's saved answers.
        outcome: the email's sentence; ``{task}`` stands for the task's title.
        state: the task's state after the decision.
        step: the step the task goes back to; ``None`` keeps its step.
    """

    outcome: str
    data: dict[str, Any] = field(default_factory=dict)
    state: TaskState = TaskState.IN_PROGRESS
    step: str | None = None


class ReviewHandler(Protocol):
    """One kind of review: its label for the Connect team, and what a decision does."""

    @property
    def label(self) -> str: ...

    def approve(self, db: Session, review: Review, *, now: datetime, actor: str) -> HandBack:
        """Apply the approved change in the decision's unit of work (``actor``: the staff member)."""
        ...

    def reject(self, review: Review) -> HandBack:
        """Where a refused review leaves the task (nothing is applied)."""
        ...


class DetailsCorrection:
    """Confirm Your Details: the admin sent corrected account details."""

    label = "Details correction"

    def approve(self, db: Session, review: Review, *, now: datetime, actor: str) -> HandBack:
        account = db.get(Account, review.account_id)
        if account is not None:
            for name, value in review.payload.items():
                if name in CORRECTABLE_DETAILS:
                    setattr(account, name, value)
            db.add(account)
        return HandBack(
            "Your corrections are applied to the account: open {task} to check them and confirm.",
            {"correction": None, "review": "approved"},
        )

    def reject(self, review: Review) -> HandBack:
        return HandBack(
            "Nothing was changed. {task} keeps the values you sent: correct them there and "
            "send them again, or confirm the details as they are.",
            {"correction": None, "review": "rejected"},
        )


class UserImport:
    """Add Users Manually: the admin sent a batch of users to add."""

    label = "User import"

    def approve(self, db: Session, review: Review, *, now: datetime, actor: str) -> HandBack:
        added, skipped = add_approved_users(db, review, now=now)
        detail = f"{added} users added from review {review.id} ({skipped} already there)"
        record_account_event(db, review.account_id, AuditAction.USERS_ADDED, now=now, actor=actor, detail=detail)
        return HandBack(
            f"{added} {'user was' if added == 1 else 'users were'} added to your account"
            + (f" ({skipped} already there)" if skipped else "")
            + ", and {task} is complete.",
            {"review": "approved", "users_added": added, "users_skipped": skipped},
            state=TaskState.COMPLETE,
        )

    def reject(self, review: Review) -> HandBack:  # the batch stays staged for the admin to correct
        return HandBack(
            "Your users are still in {task}: correct the batch there and submit it again.",
            {"review": "rejected"},
            step="review",
        )


class DirectoryDetails:
    """Synchronize Your Directory: a cloud directory's tenant, which staff check."""

    label = "Directory details"

    def approve(self, db: Session, review: Review, *, now: datetime, actor: str) -> HandBack:
        return HandBack(
            "Your directory is connected, and {task} is complete.", {"review": "approved"}, state=TaskState.COMPLETE
        )

    def reject(self, review: Review) -> HandBack:
        return HandBack(
            "The tenant you sent is still in {task}: correct it there and send it again.",
            {"review": "rejected"},
            step="connection",
        )


#: Every kind of review and its handler (a test checks that each kind has one).
REVIEW_HANDLERS: dict[ReviewKind, ReviewHandler] = {
    ReviewKind.DETAILS_CORRECTION: DetailsCorrection(),
    ReviewKind.USER_IMPORT: UserImport(),
    ReviewKind.DIRECTORY_DETAILS: DirectoryDetails(),
}


def handler_for(kind: str) -> ReviewHandler:
    """The handler of a review's kind.

    Raises:
        UnknownReviewKind: the stored kind is none this kit knows.
    """
    try:
        return REVIEW_HANDLERS[ReviewKind(kind)]
    except ValueError:
        raise UnknownReviewKind() from None


def review_label(kind: str) -> str:
    """The kind's name as the Connect team reads it ("User import"); an unknown kind, spelt out."""
    try:
        return REVIEW_HANDLERS[ReviewKind(kind)].label
    except ValueError:
        return kind.replace("_", " ").capitalize()
