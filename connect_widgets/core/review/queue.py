"""The Connect team's review queue: approve or reject what admins sent for validation.

Approving a details correction applies it to the account and hands the task back
to the admin to confirm again; approving a user import adds the users and
completes Add Users Manually. Rejecting needs a reason, which the admin sees,
and returns the task to them in progress.
Either way the task's version moves on, so an admin page opened before the
decision is told to reload rather than overwrite it (and an open task page
notices the change and shows the decision). Every decision is audited with the
staff member's name, and emailed to the contact mailbox of the admin who sent it
(:func:`.notices.review_decided`), after the decision is committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from connect_widgets.core.audit import AuditAction, record_event
from connect_widgets.core.auth import notices
from connect_widgets.core.errors import ConnectError, InvalidInput
from connect_widgets.core.inputs import read_text
from connect_widgets.core.services import ConnectServices
from connect_widgets.core.tasks.add_users import REVIEW_KIND as USER_IMPORT
from connect_widgets.core.tasks.add_users import add_approved_users
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.store.models import Account, AdminUser, Review, TaskProgress

DIRECTORY_DETAILS = "directory_details"  # a cloud directory's tenant, checked by staff


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
                    r.id,
                    a.code,
                    a.company,
                    r.task_key,
                    r.kind,
                    dict(r.payload),  # type: ignore[arg-type]
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

    def _hand_back(
        self,
        db: Session,
        review: Review,
        data: dict[str, Any],
        now: datetime,
        *,
        state: TaskState = TaskState.IN_PROGRESS,
        step: str | None = None,
    ) -> None:
        """Move the review's task to ``state`` (and ``step``, if given), merging ``data``."""
        row = db.exec(
            select(TaskProgress).where(
                TaskProgress.account_id == review.account_id, TaskProgress.task_key == review.task_key
            )
        ).first()
        if row is not None:
            row.state, row.data = state.value, {**row.data, **data}
            row.step = step or row.step
            row.completed_at = now if state is TaskState.COMPLETE else None
            row.version, row.updated_at, row.updated_by_id = row.version + 1, now, None
            db.add(row)

    def approve(self, review_id: int) -> None:
        """Apply the change: a details correction goes back to the admin to confirm;
        a user import's users are added and the task is complete."""
        now = self._services.clock.now()
        actor = f"staff:{self._staff}"
        with self._services.transaction() as db:
            review = self._take(db, review_id)
            account = db.get(Account, review.account_id)
            if review.kind == "details_correction" and account is not None:
                for name, value in review.payload.items():
                    if name in ("company", "primary_domain", "platform", "region"):
                        setattr(account, name, value)
                db.add(account)
            review.state, review.decided_by, review.decided_at = "approved", self._staff, now
            db.add(review)
            if review.kind == USER_IMPORT:
                added, skipped = add_approved_users(db, review, now=now)
                self._hand_back(
                    db,
                    review,
                    {"review": "approved", "users_added": added, "users_skipped": skipped},
                    now,
                    state=TaskState.COMPLETE,
                )
                record_event(
                    db,
                    action=AuditAction.USERS_ADDED,
                    now=now,
                    actor=actor,
                    account_id=review.account_id,
                    detail=f"{added} users added from review {review.id} ({skipped} already there)",
                )
                outcome = (
                    f"{added} {'user was' if added == 1 else 'users were'} added to your account"
                    + (f" ({skipped} already there)" if skipped else "")
                    + ", and {task} is complete."
                )
            elif review.kind == DIRECTORY_DETAILS:  # staff checked the tenant: the directory task is done
                self._hand_back(db, review, {"review": "approved"}, now, state=TaskState.COMPLETE)
                outcome = "Your directory is connected, and {task} is complete."
            else:
                self._hand_back(db, review, {"correction": None, "review": "approved"}, now)
                outcome = "Your corrections are applied to the account: open {task} to check them and confirm."
            record_event(
                db,
                action=AuditAction.REVIEW_APPROVED,
                now=now,
                actor=actor,
                account_id=review.account_id,
                detail=f"review {review.id} ({review.kind})",
            )
            recipient, task_key = self._recipient(db, review), review.task_key
            code = account.code if account is not None else ""
        self._notify(user=recipient, account_code=code, task_key=task_key, approved=True, outcome=outcome)

    def reject(self, review_id: int, *, reason: object) -> None:
        """Refuse the change; the reason is shown to the admin."""
        text = read_text(reason, field="reason", label="reason for the admin", max_length=500)
        if len(text) < 5:
            raise InvalidInput("Give the admin a reason they can act on.", field="reason")
        now = self._services.clock.now()
        with self._services.transaction() as db:
            review = self._take(db, review_id)
            review.state, review.staff_note = "rejected", text
            review.decided_by, review.decided_at = self._staff, now
            db.add(review)
            if review.kind == USER_IMPORT:  # the batch stays staged for the admin to correct
                self._hand_back(db, review, {"review": "rejected"}, now, step="review")
                outcome = "Your users are still in {task}: correct the batch there and submit it again."
            elif review.kind == DIRECTORY_DETAILS:
                self._hand_back(db, review, {"review": "rejected"}, now, step="connection")
                outcome = "The tenant you sent is still in {task}: correct it there and send it again."
            else:
                self._hand_back(db, review, {"correction": None, "review": "rejected"}, now)
                outcome = (
                    "Nothing was changed. {task} keeps the values you sent: correct them there and "
                    "send them again, or confirm the details as they are."
                )
            record_event(
                db,
                action=AuditAction.REVIEW_REJECTED,
                now=now,
                actor=f"staff:{self._staff}",
                account_id=review.account_id,
                detail=f"review {review.id} ({review.kind})",
            )
            recipient, task_key = self._recipient(db, review), review.task_key
            account = db.get(Account, review.account_id)
            code = account.code if account is not None else ""
        self._notify(user=recipient, account_code=code, task_key=task_key, approved=False, outcome=outcome, reason=text)
