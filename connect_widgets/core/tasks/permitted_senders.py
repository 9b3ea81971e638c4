"""Import Permitted Senders (optional): a CSV of external addresses whose mail is always accepted.

Steps: ``upload`` then ``review``. Each row's ``address`` must be a well-formed
address outside the account's own domains (the primary domain and every
claimed domain, with their subdomains), not twice in the file and not imported
before. The good addresses are staged and counted with the row errors; a new
file replaces them. Import stores the staged addresses and completes the task.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, func, select

from connect_widgets.core.audit import AuditAction, record_admin_event
from connect_widgets.core.errors import InvalidInput
from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.stepped import SteppedTask
from connect_widgets.core.tasks.uploads import (
    CheckedFile,
    CheckedRows,
    Column,
    RowError,
    Upload,
    domain_of,
    parse_mail_address,
    read_upload,
    within,
)
from connect_widgets.store.models import Account, AdminUser, Domain, PermittedSender

TASK = "permitted_senders"

SENDER_COLUMNS = (
    Column("address", "address", ("email", "email_address", "e_mail", "sender", "sender_address"), required=True),
)


@dataclass(frozen=True)
class SenderBatch(CheckedFile):
    """The staged addresses as the page shows them, and the file checked last."""

    addresses: tuple[str, ...]
    imported: int | None  # after the import


def check_senders(upload: Upload, *, own_domains: Iterable[str], existing: Iterable[str]) -> CheckedRows:
    """Check every row of an uploaded sender list.

    Args:
        upload: the file's rows.
        own_domains: the account's domains (permitted senders are outside them).
        existing: addresses imported before.

    Returns:
        The accepted rows (``address``, ``row``) and every row error.
    """
    own_domains, existing = tuple(own_domains), set(existing)
    seen: dict[str, int] = {}
    result = CheckedRows(rows_read=len(upload.rows))
    column = upload.headers["address"]
    for row in upload.rows:
        try:
            address = parse_mail_address(row.values.get("address", ""))
        except InvalidInput as bad:
            result.errors.append(RowError(row.number, column, bad.message))
            continue
        first = seen.setdefault(address, row.number)
        message = None
        if within(domain_of(address), own_domains):
            message = (
                f"{domain_of(address)} is one of your own domains. Permitted senders are addresses "
                "outside your organisation."
            )
        elif first != row.number:
            message = f"Duplicate of row {first}."
        elif address in existing:
            message = "Already a permitted sender."
        if message:
            result.errors.append(RowError(row.number, column, message))
        else:
            result.accepted.append({"address": address, "row": row.number})
    return result


class PermittedSendersTask(SteppedTask):
    """Import Permitted Senders for the signed-in admin's account."""

    key = TASK

    def batch(self) -> SenderBatch:
        data = self.status().data
        return SenderBatch(
            **CheckedFile.fields(data),
            addresses=tuple(data.get("senders") or ()),
            imported=data.get("imported"),
        )

    def sender_count(self) -> int:
        """How many permitted senders the account has."""
        with self._flow.admin_session() as (db, user):
            return db.exec(
                select(func.count()).select_from(PermittedSender).where(PermittedSender.account_id == user.account_id)
            ).one()

    def _in_progress(self) -> TaskStatus:
        return self._board.require(TASK, complete="the permitted senders were imported already.")

    def _own_domains_and_senders(self) -> tuple[list[str], set[str]]:
        with self._flow.admin_session() as (db, user):
            account = db.get(Account, user.account_id)
            assert account is not None
            domains = {account.primary_domain, *db.exec(select(Domain.name).where(Domain.account_id == account.id))}
            existing = set(db.exec(select(PermittedSender.address).where(PermittedSender.account_id == account.id)))
        return sorted(domains), existing

    def check_file(self, *, version: int, filename: object, content: object) -> TaskStatus:
        """Check an uploaded CSV; stage its good addresses and save every row error.

        Raises:
            InvalidInput: the file as a whole is unusable.
            StepOutOfOrder: the task is complete or not started.
        """
        self._in_progress()
        own, existing = self._own_domains_and_senders()
        upload = read_upload(content, filename, columns=SENDER_COLUMNS)
        checked = check_senders(upload, own_domains=own, existing=existing)
        data = {"senders": [r["address"] for r in checked.accepted], **checked.task_data(upload)}
        return self._board.save(TASK, version=version, step="review", data=data)

    def import_senders(self, *, version: int) -> TaskStatus:
        """Store the staged addresses and complete the task with their count.

        Addresses imported meanwhile, or now inside a domain the account claimed
        since the check, are skipped.

        Raises:
            InvalidInput: nothing is staged.
            StepOutOfOrder: the task is complete or not started.
        """
        status = self._in_progress()
        own, existing = self._own_domains_and_senders()
        staged = [a for a in status.data.get("senders") or () if isinstance(a, str)]
        fresh = list(dict.fromkeys(a for a in staged if a not in existing and not within(domain_of(a), own)))
        if not staged:
            raise InvalidInput("No addresses are ready to import. Upload your list first.", field="file")

        def store(db: Session, user: AdminUser, now: datetime) -> None:
            if fresh:
                db.execute(
                    insert(PermittedSender),
                    [
                        {"account_id": user.account_id, "address": a, "created_at": now, "created_by_id": user.id}
                        for a in fresh
                    ],
                )
            record_admin_event(
                db,
                user,
                AuditAction.SENDERS_IMPORTED,
                now=now,
                detail=f"{len(fresh)} permitted senders imported ({len(staged) - len(fresh)} skipped)",
            )

        return self._board.save(
            TASK, version=version, state=TaskState.COMPLETE, also=store, data={"imported": len(fresh), "senders": []}
        )
