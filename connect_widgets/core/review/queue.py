"""The Connect team's review queue: approve or reject what admins sent for validation.

What a decision does depends on the review's kind (:mod:`.handlers`, one handler
per :class:`~.kinds.ReviewKind`): approving a details correction applies it to the
account and hands the task back to the admin to confirm again; approving a user
import adds the users and completes Add Users Manually. Rejecting needs a reason,
which the admin sees, and returns the task to them in progress.
Either way the task's version moves on, so an admin page opened before the
decision is told to reload rather than overwrite it (and an open task page
notices the change and shows the decision). Every decision is audited with the
staff member's name, and emailed to the contact mailbox of the admin who sent it
(:func:`.notices.review_decided`), after the decision is committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlmodel import Session, col, select

from connect_widgets.core.audit import AuditAction, record_account_event
from connect_widgets.core.auth import notices
from connect_widgets.core.errors import ConnectError, InvalidInput
from connect_widgets.core.inputs import read_text
from connect_widgets.core.review.handlers import HandBack, handler_for
from connect_widgets.core.services import ConnectServices
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.store.models import Account, AdminUser, Review, TaskProgress


class ReviewNotPending(ConnectError):
    code = "review_not_pending"
    default_message = "That review was already decided (or does not exist). Refresh the queue."


@dataclass(frozen=True)
class PendingReview:
    id: int
    account_code: str
    company: str
    task_key: str
    kind: str
    payload: dict[str, Any]
    submitted_at: datetime


class ReviewQueue:
    """Pending reviews across accounts, decided by one named staff member."""

    def __init__(self, services: ConnectServices, *, staff: str) -> None:
        self._services = services
        self._staff = read_text(staff, field="staff", label="staff name", max_length=100)

    def pending(self) -> list[PendingReview]:
        with self._services.transaction() as db:
            rows = db.exec(
                select(Review, Account)
                .where(Review.state == "pending", Review.account_id == Account.id)
                .order_by(col(Review.submitted_at), col(Review.id))
            ).all()
            return [
                PendingReview(
                    r.id,  # type: ignore[arg-type]  # a stored review has its id
                    a.code,
                    a.company,
                    r.task_key,
                    r.kind,
                    dict(r.payload),
                    r.submitted_at,
                )
                for r, a in rows
            ]

    def _take(self, db: Session, review_id: int) -> Review:
        review = db.get(Review, review_id)
        if review is None or review.state != "pending":
            raise ReviewNotPending()
        return review

    def _recipient(self, db: Session, review: Review) -> AdminUser | None:
        """The admin who sent the review, else (removed since) the account's first admin with a mailbox."""
        sender = db.get(AdminUser, review.submitted_by_id) if review.submitted_by_id is not None else None
        if sender is not None and sender.contact_email:
            return sender
        return (
            db.exec(
                select(AdminUser)
                .where(AdminUser.account_id == review.account_id, col(AdminUser.contact_email).is_not(None))
                .order_by(col(AdminUser.id))
            ).first()
            or sender
        )

    def _notify(
        self,
        *,
        user: AdminUser | None,
        account_code: str,
        task_key: str,
        approved: bool,
        outcome: str,
        reason: str | None = None,
    ) -> None:
        """Email the decision (its own unit of work: a mail outage never undoes the decision)."""
        if user is None:
            return
        try:
            title = self._services.catalogue.get(task_key).title
        except KeyError:
            title = task_key
        notices.review_decided(
            self._services,
            user=user,
            task_title=title,
            approved=approved,
            outcome=outcome.format(task=title),
            reason=reason,
            url=self._services.settings.account_url(account_code),
        )

    def _hand_back(self, db: Session, review: Review, back: HandBack, now: datetime) -> None:
        """Move the review's task to the decision's state (and step, if given), merging its data."""
        row = db.exec(
            select(TaskProgress).where(
                TaskProgress.account_id == review.account_id, TaskProgress.task_key == review.task_key
            )
        ).first()
        if row is not None:
            row.state, row.data = back.state.value, {**row.data, **back.data}
            row.step = back.step or row.step
            row.completed_at = now if back.state is TaskState.COMPLETE else None
            row.version, row.updated_at, row.updated_by_id = row.version + 1, now, None
            db.add(row)

    def _conclude(
        self, db: Session, review: Review, back: HandBack, *, now: datetime, reason: str | None = None
    ) -> Callable[[], None]:
        """Hand the decided review's task back and audit the decision, in its unit of work.

        Returns the email to the admin, to send once the decision is committed.
        """
        self._hand_back(db, review, back, now)
        approved = review.state == "approved"
        record_account_event(
            db,
            review.account_id,
            AuditAction.REVIEW_APPROVED if approved else AuditAction.REVIEW_REJECTED,
            now=now,
            actor=f"staff:{self._staff}",
            detail=f"review {review.id} ({review.kind})",
        )
        account = db.get(Account, review.account_id)
        return partial(
            self._notify,
            user=self._recipient(db, review),
            account_code=account.code if account is not None else "",
            task_key=review.task_key,
            approved=approved,
            outcome=back.outcome,
            reason=reason,
        )

    def approve(self, review_id: int) -> None:
        """Apply the change (see :mod:`.handlers`): a details correction goes back to the admin
        to confirm; a user import's users are added and the task is complete."""
        now = self._services.clock.now()
        actor = f"staff:{self._staff}"
        with self._services.transaction() as db:
            review = self._take(db, review_id)
            handler = handler_for(review.kind)
            review.state, review.decided_by, review.decided_at = "approved", self._staff, now
            db.add(review)
            back = handler.approve(db, review, now=now, actor=actor)
            send_email = self._conclude(db, review, back, now=now)
        send_email()

    def reject(self, review_id: int, *, reason: object) -> None:
        """Refuse the change; the reason is shown to the admin."""
        text = read_text(reason, field="reason", label="reason for the admin", max_length=500)
        if len(text) < 5:
            raise InvalidInput("Give the admin a reason they can act on.", field="reason")
        now = self._services.clock.now()
        with self._services.transaction() as db:
            review = self._take(db, review_id)
            back = handler_for(review.kind).reject(review)
            review.state, review.staff_note = "rejected", text
            review.decided_by, review.decided_at = self._staff, now
            db.add(review)
            send_email = self._conclude(db, review, back, now=now, reason=text)
        send_email()
