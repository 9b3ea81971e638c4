"""An account's setup progress as the signed-in admin sees it: the "Connect Progress".

Every call goes through the session check of the page's signed-in admin (a
:class:`SignedInAdmin`: the login flow, which satisfies it), so a page whose
session timed out cannot read or change progress. The board knows the admin only
through that small interface, so the tasks never import the login.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, update
from sqlmodel import Session, col, select

from connect_widgets.core.audit import AuditAction, record_admin_event
from connect_widgets.core.errors import (
    ConnectError,
    StepNotOpen,
    StepOutOfOrder,
    TaskComplete,
    TaskConflict,
    TaskLocked,
    UnknownTask,
)
from connect_widgets.core.services import ConnectServices
from connect_widgets.core.tasks.catalogue import TaskDefinition, TaskState
from connect_widgets.core.tasks.progress import task_states
from connect_widgets.store.engine import rows_matched
from connect_widgets.store.models import AdminUser, LoginSession, Review, TaskProgress


class SignedInAdmin(Protocol):
    """The page's signed-in admin, as the board and the task cores use it.

    :class:`~connect_widgets.core.auth.flow.LoginFlow` is the one implementation;
    see it for what each member checks.
    """

    @property
    def services(self) -> ConnectServices: ...

    def admin_session(self, *, immediate: bool = False) -> AbstractContextManager[tuple[Session, AdminUser]]:
        """A unit of work as the signed-in admin, after the session's timeouts are checked."""
        ...

    def live_session_conditions(self) -> tuple[Any, ...] | None:
        """SQL conditions on ``LoginSession`` true only while the page's session is live."""
        ...


@dataclass(frozen=True)
class TaskStatus:
    """One task on the panel: what it is, where it stands, what it waits for."""

    task: TaskDefinition
    state: TaskState
    waiting_for: tuple[str, ...]  # titles of prerequisites not yet complete
    step: str | None
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0  # 0: never saved; pass it back to save() to detect others' edits


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


@dataclass(frozen=True)
class TaskStamp:
    """What an open task page compares to notice a change: the saved version, and by whom.

    ``by_staff`` is true when the last change was not made by an admin (the
    Connect team's decision, which hands the task back with no admin as author).
    """

    version: int  # 0: never saved
    state: TaskState | None  # None: never saved
    by_staff: bool


#: The states in which an admin may act on a task's page (a locked task is never one of them).
OPEN = frozenset({TaskState.IN_PROGRESS})
UNLOCKED = frozenset(set(TaskState) - {TaskState.LOCKED})


def _listed(titles: tuple[str, ...]) -> str:
    return " and ".join(titles) if len(titles) < 3 else f"{', '.join(titles[:-1])} and {titles[-1]}"


def refusal(
    status: TaskStatus, *, allowed: frozenset[TaskState] = OPEN, at: str | None = None, complete: str = ""
) -> ConnectError | None:
    """Why an action on the task may not run now, or ``None`` when it may.

    Args:
        status: the task as saved now.
        allowed: the states the action runs in.
        at: the step the action belongs to (checked while the task is in progress).
        complete: what to tell the admin when the task is complete (after "<title> is complete; ").
    """
    title = status.task.title
    if status.state is TaskState.LOCKED:
        needs = _listed(status.waiting_for)
        return TaskLocked(
            f"{title} is locked until {needs} {'is' if len(status.waiting_for) == 1 else 'are'} complete."
        )
    if status.state not in allowed:
        if status.state is TaskState.COMPLETE:
            return TaskComplete(
                f"{title} is complete; "
                + (
                    complete
                    or "nothing on it can be changed from this "
                    "page. If something in it must change, contact Connect support."
                )
            )
        if status.state is TaskState.AWAITING_VALIDATION:
            return StepNotOpen(
                f"That step is not open: {title} is waiting for validation, and its answer appears on its page."
            )
        if status.state is TaskState.NOT_STARTED:
            return StepNotOpen(f"That step is not open: start {title} first.")
        return StepNotOpen(f"That step is not open: {title} is in progress. The page shows where it is now.")
    if at is not None and status.state is TaskState.IN_PROGRESS and status.step != at:
        where = status.step.replace("_", " ") if status.step else "its first step"
        return StepNotOpen(
            f"That step is not open: {title} is not at that step (it is at {where}). The page shows where it is now."
        )
    return None


def latest_review(db: Session, *, account_id: int, task_key: str) -> Review | None:
    """The newest review an account sent for a task (its state says what staff decided)."""
    return db.exec(
        select(Review)
        .where(Review.account_id == account_id, Review.task_key == task_key)
        .order_by(col(Review.id).desc())
    ).first()


class TaskBoard:
    """Reads and starts the signed-in admin's account tasks."""

    def __init__(self, flow: SignedInAdmin) -> None:
        self._flow = flow
        self._catalogue = flow.services.catalogue

    @property
    def flow(self) -> SignedInAdmin:
        """The page's signed-in admin (its login flow)."""
        return self._flow

    def _overview(self, db: Session, user: AdminUser) -> ProgressOverview:  # noqa: D102
        states = task_states(db, account_id=user.account_id, catalogue=self._catalogue)
        rows = {r.task_key: r for r in db.exec(select(TaskProgress).where(TaskProgress.account_id == user.account_id))}
        statuses = []
        for task in self._catalogue:
            waiting = tuple(
                self._catalogue.get(p).title for p in task.prerequisites if states[p] is not TaskState.COMPLETE
            )
            row = rows.get(task.key)
            statuses.append(
                TaskStatus(
                    task,
                    states[task.key],
                    waiting,
                    row.step if row else None,
                    dict(row.data) if row else {},
                    row.version if row else 0,
                )
            )
        return ProgressOverview(tuple(statuses))

    def overview(self) -> ProgressOverview:
        with self._flow.admin_session() as (db, user):
            return self._overview(db, user)

    def require_in(
        self,
        db: Session,
        user: AdminUser,
        key: str,
        *,
        allowed: frozenset[TaskState] = OPEN,
        at: str | None = None,
        complete: str = "",
    ) -> TaskStatus:
        """The task as saved now, provided the action may run on it (inside the caller's unit of work).

        Every task action calls this (or :meth:`require`) whatever the page sent: a
        browser can send a click for a hidden or stale control.

        Raises:
            TaskLocked: a prerequisite is not complete.
            TaskComplete: the task is complete and the action would change it.
            StepNotOpen: the task is not started, waiting, or at another step.
        """
        status = self._overview(db, user).get(key)
        refused = refusal(status, allowed=allowed, at=at, complete=complete)
        if refused is not None:
            record_admin_event(
                db,
                user,
                AuditAction.TASK_REFUSED,
                now=self._flow.services.clock.now(),
                outcome="refused",
                detail=f"{key}: {refused.code} ({status.state.value} at {status.step})",
            )
            raise refused
        return status

    def require(
        self, key: str, *, allowed: frozenset[TaskState] = OPEN, at: str | None = None, complete: str = ""
    ) -> TaskStatus:
        """:meth:`require_in` in a unit of work of its own (before slow work: parsing, DNS, LDAP)."""
        with self._flow.admin_session() as (db, user):
            return self.require_in(db, user, key, allowed=allowed, at=at, complete=complete)

    def glance(self, key: str) -> TaskStamp | None:
        """The task's version in one small query, for a page that checks every few seconds.

        Looking is not activity: the session's idle timer is not reset, so a page
        left open still times out. Returns ``None`` once the page's session is
        over (logged out, timed out), so the caller stops looking.
        """
        live = self._flow.live_session_conditions()
        if live is None:
            return None
        with self._flow.services.transaction() as db:
            row = db.exec(
                select(TaskProgress.version, TaskProgress.state, TaskProgress.updated_by_id)
                .select_from(LoginSession)
                .join(AdminUser, col(AdminUser.id) == col(LoginSession.user_id))
                .outerjoin(
                    TaskProgress,
                    and_(col(TaskProgress.account_id) == col(AdminUser.account_id), col(TaskProgress.task_key) == key),
                )
                .where(*live)
            ).first()
        if row is None:
            return None
        version, state, by = row
        if version is None:
            return TaskStamp(0, None, False)
        return TaskStamp(version, TaskState(state), by is None)

    def start(self, key: str) -> TaskStatus:
        """Open a task: a not-started task becomes in progress at its first step.

        Raises:
            UnknownTask: no such task.
            TaskLocked: a prerequisite is not complete (the message names it).
        """
        status = self.require(key, allowed=UNLOCKED)
        if status.state is not TaskState.NOT_STARTED:
            return status
        return self.save(key, version=status.version, step=status.task.steps[0])

    def save(
        self,
        key: str,
        *,
        version: int,
        step: str | None = None,
        data: dict[str, Any] | None = None,
        state: TaskState = TaskState.IN_PROGRESS,
        also: Callable[[Session, AdminUser, datetime], None] | None = None,
    ) -> TaskStatus:
        """Record where the admin is in a task and what they entered, at every step.

        ``version`` is the one the admin's page last read: if another admin saved
        the task since, nothing is written and :class:`TaskConflict` asks this
        admin to reload (never a silent overwrite). The write itself is one
        ``UPDATE ... WHERE version = ?``, so two pages saving at once cannot both win.

        Args:
            key: the task.
            version: :attr:`TaskStatus.version` as the page last saw it.
            step: the step to resume at (one of the task's steps); unchanged if None.
            data: the task's answers so far (JSON-safe); merged over what is stored.
            state: ``in_progress``, ``awaiting_validation`` (staff or DNS must act) or
                ``complete`` (the summary page).
            also: more writes that must commit or fail with this save (e.g. a review).

        Raises:
            TaskLocked, TaskComplete, UnknownTask, StepOutOfOrder (an unknown step), TaskConflict.
        """
        if state not in (TaskState.IN_PROGRESS, TaskState.AWAITING_VALIDATION, TaskState.COMPLETE):
            raise StepOutOfOrder("A task can only be saved as in progress, awaiting validation or complete.")
        with self._flow.admin_session() as (db, user):
            # A complete task is never changed by an admin's save (no page reopens one).
            status = self.require_in(db, user, key, allowed=UNLOCKED - {TaskState.COMPLETE})
            if step is not None and step not in status.task.steps:
                raise StepOutOfOrder(f"{status.task.title} has no step called {step!r}.")
            now = self._flow.services.clock.now()
            merged = {**status.data, **(data or {})}
            values: dict[str, Any] = {
                "state": state.value,
                "data": merged,
                "version": status.version + 1,
                "updated_at": now,
                "updated_by_id": user.id,
                "step": step if step is not None else (status.step or status.task.steps[0]),
                "completed_at": now if state is TaskState.COMPLETE else None,
            }
            if status.version == 0 and version == 0:
                db.add(TaskProgress(account_id=user.account_id, task_key=key, created_at=now, **values))
                db.flush()
            else:
                written = rows_matched(
                    db.execute(
                        update(TaskProgress)
                        .where(
                            col(TaskProgress.account_id) == user.account_id,
                            col(TaskProgress.task_key) == key,
                            col(TaskProgress.version) == version,
                        )
                        .values(**values)
                    )
                )
                if written != 1:
                    record_admin_event(
                        db,
                        user,
                        AuditAction.TASK_CONFLICT,
                        now=now,
                        outcome="refused",
                        detail=f"{key}: saved from version {version}, now {status.version}",
                    )
                    raise TaskConflict()
            if also is not None:
                also(db, user, now)
            record_admin_event(
                db,
                user,
                AuditAction.TASK_SAVED,
                now=now,
                detail=f"{key}: {state.value} at {values['step']} (version {values['version']})",
            )
            db.flush()  # expire_all() would drop unflushed changes made by ``also``
            db.expire_all()
            return self._overview(db, user).get(key)
