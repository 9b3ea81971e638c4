"""An account's setup progress as the signed-in admin sees it: the "Connect Progress".

Every call goes through the login flow's session check, so a page whose session
timed out cannot read or change progress.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from connect_widgets.core.audit import AuditAction, record_event
from connect_widgets.core.errors import TaskLocked, UnknownTask
from connect_widgets.core.login import LoginFlow
from connect_widgets.core.tasks import TaskDefinition, TaskState, task_states
from connect_widgets.store.models import AdminUser, TaskProgress


@dataclass(frozen=True)
class TaskStatus:
    """One task on the panel: what it is, where it stands, what it waits for."""

    task: TaskDefinition
    state: TaskState
    waiting_for: tuple[str, ...]  # titles of prerequisites not yet complete
    step: str | None


@dataclass(frozen=True)
class ProgressOverview:
    tasks: tuple[TaskStatus, ...]

    @property
    def required_total(self) -> int:
        return sum(1 for s in self.tasks if s.task.required)

    @property
    def required_done(self) -> int:
        return sum(1 for s in self.tasks if s.task.required and s.state is TaskState.COMPLETE)

    def get(self, key: str) -> TaskStatus:
        for status in self.tasks:
            if status.task.key == key:
                return status
        raise UnknownTask()


class TaskBoard:
    """Reads and starts the signed-in admin's account tasks."""

    def __init__(self, flow: LoginFlow) -> None:
        self._flow = flow
        self._catalogue = flow.services.catalogue

    def _overview(self, db: Session, user: AdminUser) -> ProgressOverview:
        states = task_states(db, account_id=user.account_id, catalogue=self._catalogue)
        rows = {
            r.task_key: r
            for r in db.exec(select(TaskProgress).where(TaskProgress.account_id == user.account_id))
        }
        statuses = []
        for task in self._catalogue:
            waiting = tuple(
                self._catalogue.get(p).title for p in task.prerequisites if states[p] is not TaskState.COMPLETE
            )
            row = rows.get(task.key)
            statuses.append(TaskStatus(task, states[task.key], waiting, row.step if row else None))
        return ProgressOverview(tuple(statuses))

    def overview(self) -> ProgressOverview:
        with self._flow.admin_session() as (db, user):
            return self._overview(db, user)

    def start(self, key: str) -> TaskStatus:
        """Open a task: a not-started task becomes in progress at its first step.

        Raises:
            UnknownTask: no such task.
            TaskLocked: a prerequisite is not complete (the message names it).
        """
        with self._flow.admin_session() as (db, user):
            status = self._overview(db, user).get(key)
            if status.state is TaskState.LOCKED:
                raise TaskLocked(
                    f"Complete {' and '.join(status.waiting_for)} first: "
                    f"{status.task.title} needs it."
                )
            if status.state is TaskState.NOT_STARTED:
                now = self._flow.services.clock.now()
                row = db.exec(
                    select(TaskProgress).where(
                        TaskProgress.account_id == user.account_id, TaskProgress.task_key == key
                    )
                ).first() or TaskProgress(account_id=user.account_id, task_key=key, state="", created_at=now)
                row.state, row.step = TaskState.IN_PROGRESS.value, status.task.steps[0]
                row.updated_at, row.updated_by_id = now, user.id
                db.add(row)
                record_event(db, action=AuditAction.TASK_STARTED, now=now, actor=user.email,
                             account_id=user.account_id, user_id=user.id, detail=key)
                db.flush()
                return self._overview(db, user).get(key)
            return status
