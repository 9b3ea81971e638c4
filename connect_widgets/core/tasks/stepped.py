"""What the step-by-step setup tasks share: where the admin is, Back, and DNS check records.

Every action names the step it belongs to and the version the page last read;
an action for another step than the saved one is refused (a page can send any
widget message, so the saved state, not the page, decides what may happen).
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any

from sqlmodel import Session

from connect_widgets.core.adapters.dns import DnsCheck, DnsChecker
from connect_widgets.core.adapters.service_values import ServiceValues, load_service_values
from connect_widgets.core.audit import AuditAction, record_admin_event
from connect_widgets.core.errors import InvalidInput, StepOutOfOrder
from connect_widgets.core.tasks.board import TaskBoard, TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.store.models import Account, AdminUser


class SteppedTask:
    """One setup task whose pages follow its catalogue steps."""

    key: str = ""

    def __init__(
        self, board: TaskBoard, *, service: ServiceValues | None = None, checker: DnsChecker | None = None
    ) -> None:
        self._board = board
        self._flow = board.flow
        self._given_service = service
        self._checker = checker

    @cached_property
    def _service(self) -> ServiceValues:
        """The service values, read from ``data/service.toml`` only by tasks that use them."""
        return self._given_service or load_service_values()

    @property
    def service(self) -> ServiceValues:
        return self._service

    def status(self) -> TaskStatus:
        return self._board.overview().get(self.key)

    def primary_domain(self) -> str:
        with self._flow.admin_session() as (db, user):
            account = db.get(Account, user.account_id)
            assert account is not None
            return account.primary_domain

    def _at(self, step: str) -> TaskStatus:
        """The task's status, provided it is unlocked, not complete, and in progress at ``step``.

        Raises:
            TaskLocked, TaskComplete, StepNotOpen: see :meth:`TaskBoard.require`.
        """
        return self._board.require(self.key, at=step)

    def _save(
        self,
        *,
        version: int,
        step: str | None = None,
        data: dict[str, Any] | None = None,
        state: TaskState = TaskState.IN_PROGRESS,
    ) -> TaskStatus:
        return self._board.save(self.key, version=version, step=step, data=data, state=state)

    def back(self, *, version: int) -> TaskStatus:
        """Return to the previous step (answers so far are kept)."""
        status = self._board.require(self.key)
        steps = status.task.steps
        index = steps.index(status.step or steps[0])
        if index == 0:
            raise StepOutOfOrder("This is the task's first step.")
        return self._save(version=version, step=steps[index - 1])

    def _dns_check(
        self,
        result: DnsCheck,
        *,
        version: int,
        data_key: str,
        next_step: str | None,
        state: TaskState = TaskState.IN_PROGRESS,
    ) -> TaskStatus:
        """Keep a check's outcome on the task and in the audit trail; move on only if it passed."""

        def audit(db: Session, user: AdminUser, now: datetime) -> None:
            audit_dns_check(db, user, result, now=now)

        data = {
            data_key: {
                "outcome": result.outcome.value,
                "message": result.message[:500],
                "found": list(result.found[:10]),
                "at": self._flow.services.clock.now().isoformat(),
                # one line per name the page lists, when the check covered several
                "each": [{"outcome": p.outcome.value, "message": p.message[:300]} for p in result.parts[:20]],
            }
        }
        return self._board.save(
            self.key,
            version=version,
            data=data,
            also=audit,
            step=next_step if result.ok else None,
            state=state if result.ok else TaskState.IN_PROGRESS,
        )


def audit_dns_check(db: Session, admin: AdminUser, result: DnsCheck, *, now: datetime) -> None:
    """The audit row of one DNS check the admin ran: its outcome, the record type and the name."""
    record_admin_event(
        db,
        admin,
        AuditAction.DNS_CHECK,
        now=now,
        outcome=result.outcome.value,
        detail=f"{result.record_type} {result.name}: {result.outcome.value}",
    )


def require_ticks(ticks: object, count: int, *, what: str) -> None:
    """Every one of ``count`` confirmations must be ticked (booleans, from the page)."""
    if not isinstance(ticks, list | tuple) or len(ticks) != count or not all(t is True for t in ticks):
        raise InvalidInput(f"Tick each {what} once it is done in your mail system.", field="ticks")
