"""Confirm Your Details: the admin confirms the account's details or sends corrections.

Confirming completes the task (the gate for every other task). Sending
corrections puts the task in ``awaiting_validation`` with a pending review for
the Connect team; when staff approve, the change is applied and the task comes
back for the admin to confirm again; when they reject, their reason is shown
beside the values the admin sent, so they correct them rather than type them again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from connect_widgets.core.accounts.create import PLATFORMS, REGIONS, parse_domain
from connect_widgets.core.audit import AuditAction, record_admin_event
from connect_widgets.core.errors import InvalidInput, StepOutOfOrder
from connect_widgets.core.inputs import read_text
from connect_widgets.core.review.kinds import ReviewKind
from connect_widgets.core.tasks.board import OPEN, TaskStatus, latest_review
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.stepped import SteppedTask
from connect_widgets.store.models import Account, AdminUser, Review

TASK = "confirm_details"
FIELDS = ("company", "primary_domain", "platform", "region")


@dataclass(frozen=True)
class AccountDetails:
    """The details the admin checks, and any word from staff about corrections."""

    company: str
    primary_domain: str
    platform: str
    region: str
    pending_review: bool
    rejection: str | None  # the staff's reason, after a rejected correction
    approved: bool  # a correction was applied: confirm again
    rejected_values: dict[str, str] = field(default_factory=dict)  # what the refused correction asked for


class ConfirmDetailsTask(SteppedTask):
    """Confirm Your Details for the signed-in admin's account.

    Its two steps share one page: the admin reviews the details (``review``) and
    confirms them or sends corrections from there; corrections wait at ``review``.
    """

    key = TASK

    def details(self) -> AccountDetails:
        with self._flow.admin_session() as (db, user):
            account = db.get(Account, user.account_id)
            assert account is not None
            latest = latest_review(db, account_id=user.account_id, task_key=TASK)
            return AccountDetails(
                company=account.company,
                primary_domain=account.primary_domain,
                platform=account.platform,
                region=account.region,
                pending_review=bool(latest and latest.state == "pending"),
                rejection=latest.staff_note if latest and latest.state == "rejected" else None,
                approved=bool(latest and latest.state == "approved"),
                rejected_values=(
                    {k: str(v) for k, v in latest.payload.items() if k in FIELDS}
                    if latest and latest.state == "rejected" and isinstance(latest.payload, dict)
                    else {}
                ),
            )

    def _open(self) -> None:
        """Confirming or correcting needs the task open: never once it is complete (nothing reopens it)."""
        self._board.require(
            TASK,
            allowed=OPEN | {TaskState.NOT_STARTED, TaskState.AWAITING_VALIDATION},
            complete="to change your details now, contact Connect support.",
        )

    def confirm(self, *, version: int) -> TaskStatus:
        """The details are right: the task is complete.

        Raises:
            TaskComplete: they were confirmed already.
            StepOutOfOrder: corrections are waiting for the Connect team.
        """
        self._open()
        if self.details().pending_review:
            raise StepOutOfOrder("Your corrections are with the Connect team; wait for their answer.")
        return self._board.save(TASK, version=version, state=TaskState.COMPLETE, data={"confirmed": True})

    def send_for_review(
        self, *, version: int, company: object, primary_domain: object, platform: object, region: object
    ) -> TaskStatus:
        """Send corrected details to the Connect team; the task waits for them.

        Raises:
            InvalidInput: a field is unusable, or nothing was changed.
            StepOutOfOrder: corrections are already waiting.
            TaskComplete: the details were confirmed already.
        """
        self._open()
        current = self.details()
        if current.pending_review:
            raise StepOutOfOrder("Your corrections are already with the Connect team.")
        wanted = {
            "company": read_text(company, field="company", label="company name", max_length=200),
            "primary_domain": parse_domain(primary_domain, label="primary domain"),
            "platform": _choice(platform, "platform", PLATFORMS),
            "region": _choice(region, "region", REGIONS),
        }
        changes = {k: v for k, v in wanted.items() if v != getattr(current, k)}
        if not changes:
            raise InvalidInput("Nothing was changed. If the details are right, confirm them instead.", field="company")

        def file_review(db: Session, user: AdminUser, now: datetime) -> None:
            db.add(
                Review(
                    account_id=user.account_id,
                    task_key=TASK,
                    kind=ReviewKind.DETAILS_CORRECTION,
                    payload=changes,
                    submitted_by_id=user.id,
                    submitted_at=now,
                )
            )
            record_admin_event(
                db,
                user,
                AuditAction.REVIEW_REQUESTED,
                now=now,
                detail=f"details correction: {', '.join(sorted(changes))}",
            )

        status = self._board.save(
            TASK,
            version=version,
            state=TaskState.AWAITING_VALIDATION,
            step="review",
            data={"correction": changes},
            also=file_review,
        )
        return status


def _choice(value: object, field: str, choices: dict[str, str]) -> str:
    text = read_text(value, field=field, label=field, max_length=40).lower().replace("-", "_")
    if text not in choices:
        raise InvalidInput(f"Choose the {field} from the list.", field=field)
    return text
