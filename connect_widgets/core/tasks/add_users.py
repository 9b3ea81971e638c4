"""Add Users Manually: stage users from a CSV/XLSX file or one by one; the Connect team validates.

Steps: ``source`` (nothing staged yet), ``review`` (a batch is staged, with the
rows left out and why) and ``submit`` (the batch waits in the review queue).
Only rows that pass every check are staged: the address is well formed, in one
of the account's verified domains (or a subdomain of one), not twice in the
batch and not already a user; names are short and free of markup and formulas.
A new file replaces the rows staged from the last file; users added by hand
stay. The batch and its row errors are saved at every step. Submitting files a
``user_import`` review; approval adds the users and completes the task, a
rejection returns the batch to ``review`` with the staff's reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from connect_widgets.core.audit import AuditAction, record_admin_event
from connect_widgets.core.errors import InvalidInput, StepNotOpen
from connect_widgets.core.inputs import read_text
from connect_widgets.core.review.kinds import ReviewKind
from connect_widgets.core.tasks.board import OPEN, TaskStatus, latest_review
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.stepped import SteppedTask
from connect_widgets.core.tasks.uploads import (
    MAX_EMAIL_LENGTH,
    MAX_NAME_LENGTH,
    MAX_ROWS,
    CheckedFile,
    CheckedRows,
    Column,
    RowError,
    Upload,
    domain_of,
    parse_mail_address,
    parse_person_name,
    read_upload,
    within,
)
from connect_widgets.store.models import AdminUser, Domain, MailUser, Review

TASK = "add_users"
REVIEW_KIND = ReviewKind.USER_IMPORT

USER_COLUMNS = (
    Column("email", "email", ("email_address", "e_mail", "mail", "address"), required=True),
    Column("first_name", "first_name", ("first", "firstname", "given_name", "forename")),
    Column("last_name", "last_name", ("last", "lastname", "surname", "family_name")),
)
_NAMES = (("first_name", "first name"), ("last_name", "last name"))


@dataclass(frozen=True)
class UserBatch(CheckedFile):
    """The staged users as the page shows them, the file checked last, and where the batch stands."""

    users: tuple[dict[str, Any], ...]  # {"email", "first_name", "last_name", "row"}; row None: added by hand
    rejection: str | None  # the Connect team's reason, after a rejected batch
    users_added: int | None  # after approval
    users_skipped: int


def check_users(
    upload: Upload, *, domains: Iterable[str], existing: Iterable[str], staged: Iterable[str] = ()
) -> CheckedRows:
    """Check every row of an uploaded user list.

    Args:
        upload: the file's rows.
        domains: the account's verified domains.
        existing: addresses already users of the account.
        staged: addresses already in the batch (added by hand).

    Returns:
        The accepted rows (``email``, ``first_name``, ``last_name``, ``row``) and every row error.
    """
    domains, existing = tuple(domains), set(existing)
    seen: dict[str, int] = dict.fromkeys(staged, 0)  # 0: added by hand
    result = CheckedRows(rows_read=len(upload.rows))
    header = upload.headers
    for row in upload.rows:
        problems: list[RowError] = []
        email = ""
        try:
            email = parse_mail_address(row.values.get("email", ""))
        except InvalidInput as bad:
            problems.append(RowError(row.number, header["email"], bad.message))
        if email:
            first = seen.setdefault(email, row.number)
            if not within(domain_of(email), domains):
                problems.append(RowError(row.number, header["email"], _not_verified(email)))
            elif email in existing:
                problems.append(RowError(row.number, header["email"], "Already a user of your account."))
            elif first != row.number:
                problems.append(
                    RowError(
                        row.number, header["email"], f"Duplicate of row {first}." if first else "Already added by hand."
                    )
                )
        names: dict[str, str] = {}
        for key, label in _NAMES:
            try:
                names[key] = parse_person_name(row.values.get(key, ""), label=label, field=key)
            except InvalidInput as bad:
                problems.append(RowError(row.number, header[key], bad.message))
        if problems:
            result.errors.extend(problems)
        else:
            result.accepted.append({"email": email, **names, "row": row.number})
    return result


def _not_verified(email: str) -> str:
    return (
        f"{domain_of(email)} is not one of your verified domains. Verify it in Validate Your Domains, "
        "or correct the address."
    )


class AddUsersTask(SteppedTask):
    """Add Users Manually for the signed-in admin's account."""

    key = TASK

    def batch(self) -> UserBatch:
        status = self.status()
        data = status.data
        with self._flow.admin_session() as (db, user):
            latest = latest_review(db, account_id=user.account_id, task_key=TASK)
            rejection = latest.staff_note if latest is not None and latest.state == "rejected" else None
        return UserBatch(
            **CheckedFile.fields(data),
            users=tuple(data.get("users") or ()),
            rejection=rejection if status.state is TaskState.IN_PROGRESS else None,
            users_added=data.get("users_added"),
            users_skipped=int(data.get("users_skipped") or 0),
        )

    def verified_domains(self) -> list[str]:
        with self._flow.admin_session() as (db, user):
            return _verified_domains(db, user)

    def _editable(self) -> TaskStatus:
        status = self._board.require(
            TASK, allowed=OPEN | {TaskState.AWAITING_VALIDATION}, complete="these users were added already."
        )
        if status.state is TaskState.AWAITING_VALIDATION:
            raise StepNotOpen("Your users are with the Connect team. Wait for their answer before changing them.")
        return status

    def _domains_and_users(self) -> tuple[list[str], set[str]]:
        with self._flow.admin_session() as (db, user):
            domains = _verified_domains(db, user)
            existing = set(db.exec(select(MailUser.email).where(MailUser.account_id == user.account_id)))
        if not domains:
            raise InvalidInput(
                "Your account has no verified domain yet. Verify your domain in Validate Your "
                "Domains first: users' addresses must be in a verified domain.",
                field="file",
            )
        return domains, existing

    def check_file(self, *, version: int, filename: object, content: object) -> TaskStatus:
        """Check an uploaded CSV or XLSX list; stage its good rows and save every row error.

        Raises:
            InvalidInput: the file as a whole is unusable, or the account has no verified domain.
            StepOutOfOrder: the batch is with the Connect team, or the task is complete.
        """
        status = self._editable()
        domains, existing = self._domains_and_users()
        upload = read_upload(content, filename, columns=USER_COLUMNS)
        by_hand = [u for u in status.data.get("users") or () if u.get("row") is None]
        checked = check_users(upload, domains=domains, existing=existing, staged=[u["email"] for u in by_hand])
        if len(by_hand) + len(checked.accepted) > MAX_ROWS:
            raise InvalidInput(
                f"That would stage more than {MAX_ROWS:,} users. Submit these in smaller batches.", field="file"
            )
        data = {"users": [*by_hand, *checked.accepted], **checked.task_data(upload)}
        return self._board.save(TASK, version=version, step="review", data=data)

    def add_user(self, *, version: int, email: object, first_name: object = "", last_name: object = "") -> TaskStatus:
        """Add one user to the batch by hand, with the same checks as a file's rows.

        Raises:
            InvalidInput: the address or a name is unusable, or the user is a duplicate.
            StepOutOfOrder: the batch is with the Connect team, or the task is complete.
        """
        status = self._editable()
        address = parse_mail_address(
            read_text(email, field="email", label="email address", max_length=MAX_EMAIL_LENGTH)
        )
        names = {
            key: parse_person_name(
                read_text(value, field=key, label=label, max_length=MAX_NAME_LENGTH, required=False),
                label=label,
                field=key,
            )
            for (key, label), value in zip(_NAMES, (first_name, last_name), strict=True)
        }
        domains, existing = self._domains_and_users()
        users = list(status.data.get("users") or ())
        if not within(domain_of(address), domains):
            raise InvalidInput(_not_verified(address), field="email")
        if address in existing:
            raise InvalidInput(f"{address} is already a user of your account.", field="email")
        if any(u["email"] == address for u in users):
            raise InvalidInput(f"{address} is already in this batch.", field="email")
        if len(users) >= MAX_ROWS:
            raise InvalidInput(f"The batch already holds {MAX_ROWS:,} users. Submit it, then add more.", field="email")
        users.append({"email": address, **names, "row": None})
        return self._board.save(TASK, version=version, step="review", data={"users": users})

    def remove_user(self, *, version: int, email: object) -> TaskStatus:
        """Take one user out of the batch.

        Raises:
            InvalidInput: that address is not in the batch (any more).
        """
        status = self._editable()
        users = list(status.data.get("users") or ())
        kept = [u for u in users if u["email"] != email]
        if len(kept) == len(users):
            raise InvalidInput(
                "That user is not in the batch any more. The page now shows the batch as it is.", field="email"
            )
        return self._board.save(TASK, version=version, data={"users": kept})

    def submit(self, *, version: int) -> TaskStatus:
        """Send the staged users to the Connect team; the task waits for their answer.

        Rows that had errors are not in the batch: they are left out, not sent.

        Raises:
            InvalidInput: nothing is staged.
            StepOutOfOrder: the batch is already with the Connect team, or the task is complete.
        """
        status = self._editable()
        users = list(status.data.get("users") or ())
        if not users:
            raise InvalidInput(
                "There are no users to submit yet. Upload your list or add users one by one.", field="file"
            )

        def file_review(db: Session, user: AdminUser, now: datetime) -> None:
            review = Review(
                account_id=user.account_id,
                task_key=TASK,
                kind=REVIEW_KIND,
                payload={"users": users},
                submitted_by_id=user.id,
                submitted_at=now,
            )
            db.add(review)
            db.flush()
            record_admin_event(
                db, user, AuditAction.USERS_SUBMITTED, now=now, detail=f"{len(users)} users sent for review {review.id}"
            )

        return self._board.save(
            TASK,
            version=version,
            step="submit",
            state=TaskState.AWAITING_VALIDATION,
            data={"submitted": len(users)},
            also=file_review,
        )


def _verified_domains(db: Session, user: AdminUser) -> list[str]:
    return list(
        db.exec(
            select(Domain.name)
            .where(Domain.account_id == user.account_id, col(Domain.verified_at).is_not(None))
            .order_by(col(Domain.name))
        )
    )


def add_approved_users(db: Session, review: Review, *, now: datetime) -> tuple[int, int]:
    """Add an approved import's users to the account, skipping any that exist by now.

    Returns:
        How many users were added and how many were skipped.
    """
    existing = set(db.exec(select(MailUser.email).where(MailUser.account_id == review.account_id)))
    rows: list[dict[str, Any]] = []
    skipped = 0
    for entry in review.payload.get("users") or ():
        email = entry.get("email") if isinstance(entry, dict) else None
        if not isinstance(email, str) or not email or email in existing:
            skipped += 1
            continue
        existing.add(email)
        rows.append(
            {
                "account_id": review.account_id,
                "email": email[:MAX_EMAIL_LENGTH],
                "first_name": str(entry.get("first_name") or "")[:MAX_NAME_LENGTH],
                "last_name": str(entry.get("last_name") or "")[:MAX_NAME_LENGTH],
                "review_id": review.id,
                "created_at": now,
            }
        )
    if rows:
        db.execute(insert(MailUser), rows)
    return len(rows), skipped
