"""Where an account stands on the setup-task catalogue: each task's state, and where an admin lands.

A task's state is stored per account in ``task_progress``; ``locked`` is never
stored but derived: a task is locked while any of its prerequisites is not complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, select

from connect_widgets.core.tasks.catalogue import TaskCatalogue, TaskDefinition, TaskState
from connect_widgets.store.models import TaskProgress


def task_states(db: Session, *, account_id: int, catalogue: TaskCatalogue) -> dict[str, TaskState]:
    """Every catalogue task's state for the account, ``locked`` derived."""
    rows = {row.task_key: row for row in db.exec(select(TaskProgress).where(TaskProgress.account_id == account_id))}
    states: dict[str, TaskState] = {}
    for task in catalogue:
        row = rows.get(task.key)
        stored = TaskState(row.state) if row else TaskState.NOT_STARTED
        if stored is not TaskState.COMPLETE and any(
            states.get(p) is not TaskState.COMPLETE for p in task.prerequisites
        ):
            states[task.key] = TaskState.LOCKED
        else:
            states[task.key] = stored
    return states


@dataclass(frozen=True)
class Landing:
    """Where a signed-in admin lands: Welcome, Welcome back, or Setup complete.

    ``kind`` is ``"welcome"`` until a task is started, ``"complete"`` once every
    required task is complete and no task is in progress or waiting for
    validation, and ``"returning"`` otherwise.
    """

    kind: str  # "welcome" | "returning" | "complete"
    last_completed: TaskDefinition | None
    next_task: TaskDefinition | None
    in_progress: tuple[TaskDefinition, ...]
    awaiting: tuple[TaskDefinition, ...] = ()  # sent for validation (staff or a check must act)
    completed: tuple[TaskDefinition, ...] = ()  # catalogue order
    optional_left: tuple[TaskDefinition, ...] = ()  # optional tasks not complete (Setup complete offers them)
    locked: tuple[TaskDefinition, ...] = ()  # waiting for a prerequisite to be complete


def landing_for(db: Session, *, account_id: int, catalogue: TaskCatalogue) -> Landing:
    """Welcome until the account has started a task; then Welcome back, or Setup complete when done."""
    rows = list(db.exec(select(TaskProgress).where(TaskProgress.account_id == account_id)))
    started = [r for r in rows if r.state != TaskState.NOT_STARTED]
    states = task_states(db, account_id=account_id, catalogue=catalogue)
    # The next step to perform: where the admin left off (the task they last worked on
    # that is still in progress), else the first task not started, required ones first.
    touched = {r.task_key: r.updated_at for r in rows if r.updated_at is not None}
    resumable = sorted(
        (t for t in catalogue if states[t.key] is TaskState.IN_PROGRESS),
        key=lambda t: touched.get(t.key) or datetime.min.replace(tzinfo=UTC),
        reverse=True,
    )
    fresh = sorted(
        (t for t in catalogue if states[t.key] is TaskState.NOT_STARTED), key=lambda t: not t.required
    )  # stable: catalogue order, required first
    actionable = resumable + fresh
    next_task = actionable[0] if actionable else None
    if not started:
        return Landing("welcome", None, next_task, ())
    known = {t.key for t in catalogue}
    completed = sorted(
        (r for r in rows if r.state == TaskState.COMPLETE and r.completed_at and r.task_key in known),
        key=lambda r: r.completed_at,  # type: ignore[arg-type,return-value]
    )
    last = catalogue.get(completed[-1].task_key) if completed else None
    in_progress = tuple(t for t in catalogue if states[t.key] is TaskState.IN_PROGRESS)
    awaiting = tuple(t for t in catalogue if states[t.key] is TaskState.AWAITING_VALIDATION)
    done = tuple(t for t in catalogue if states[t.key] is TaskState.COMPLETE)
    finished = all(states[t.key] is TaskState.COMPLETE for t in catalogue.required)
    # Finished, but an optional task still open or waiting keeps Welcome back: it says where they left off.
    kind = "complete" if finished and not in_progress and not awaiting else "returning"
    optional_left = tuple(t for t in catalogue if not t.required and states[t.key] is not TaskState.COMPLETE)
    locked = tuple(t for t in catalogue if states[t.key] is TaskState.LOCKED)
    return Landing(kind, last, next_task, in_progress, awaiting, done, optional_left, locked)
