"""The setup-task catalogue: the tasks, their states, and the resources the landing pages list.

The catalogue lives in ``data/tasks.toml``. Where an account stands on it (stored
per account in ``task_progress``) is read by :mod:`connect_widgets.core.tasks.progress`;
this module touches no database, so the screens' kit can use its types without
loading the store (a page draws its first screen before it needs the database).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from connect_widgets.paths import project_path

VALIDATION_KINDS = frozenset({"none", "self", "staff", "dns_txt", "dns_spf", "dns_mx", "ldap", "test_login", "rows"})


class TaskState(StrEnum):
    LOCKED = "locked"
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    AWAITING_VALIDATION = "awaiting_validation"
    COMPLETE = "complete"


class CatalogueError(Exception):
    """The task catalogue file is wrong (a packaging or editing mistake, not user input)."""


@dataclass(frozen=True)
class TaskDefinition:
    key: str
    title: str
    area: str
    required: bool
    prerequisites: tuple[str, ...]
    steps: tuple[str, ...]
    validation: str
    intro: str = ""  # what the admin should know before starting; empty: opening the task starts it


@dataclass(frozen=True)
class TaskCatalogue:
    tasks: tuple[TaskDefinition, ...]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.tasks)

    def get(self, key: str) -> TaskDefinition:
        for task in self.tasks:
            if task.key == key:
                return task
        raise KeyError(key)

    @property
    def required(self) -> tuple[TaskDefinition, ...]:
        return tuple(t for t in self.tasks if t.required)


def data_file(name: str) -> Path:
    """``data/<name>`` of the kit (checkout or wheel)."""
    try:
        return project_path(f"data/{name}")
    except FileNotFoundError as exc:
        raise CatalogueError(str(exc)) from None


def default_catalogue_path() -> Path:
    return data_file("tasks.toml")


@dataclass(frozen=True)
class Resource:
    """A help link for the Welcome screen."""

    title: str
    summary: str
    url: str


def load_resources(path: Path | None = None) -> tuple[Resource, ...]:
    """The Welcome screen's links, from ``data/resources.toml``."""
    path = path or data_file("resources.toml")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return tuple(
            Resource(str(r["title"]), str(r.get("summary", "")), str(r["url"])) for r in raw.get("resources", [])
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise CatalogueError(f"{path}: {exc}") from None


def load_catalogue(path: Path | None = None) -> TaskCatalogue:
    """Read and check the catalogue: unique keys, known prerequisites listed earlier."""
    path = path or default_catalogue_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"{path}: {exc}") from None
    tasks: list[TaskDefinition] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw.get("tasks", []), start=1):
        try:
            task = TaskDefinition(
                key=str(entry["key"]),
                title=str(entry["title"]),
                area=str(entry["area"]),
                required=bool(entry["required"]),
                prerequisites=tuple(entry.get("prerequisites", ())),
                steps=tuple(entry["steps"]),
                validation=str(entry["validation"]),
                intro=str(entry.get("intro", "")).strip(),
            )
        except KeyError as exc:
            raise CatalogueError(f"{path}: task #{index} has no {exc.args[0]!r}") from None
        if task.key in seen:
            raise CatalogueError(f"{path}: task key {task.key!r} appears twice")
        unknown = [p for p in task.prerequisites if p not in seen]
        if unknown:
            raise CatalogueError(f"{path}: {task.key!r} needs {unknown}, not listed before it")
        if not task.steps:
            raise CatalogueError(f"{path}: {task.key!r} has no steps")
        if task.validation not in VALIDATION_KINDS:
            raise CatalogueError(f"{path}: {task.key!r} has unknown validation {task.validation!r}")
        seen.add(task.key)
        tasks.append(task)
    if not tasks:
        raise CatalogueError(f"{path}: no tasks")
    return TaskCatalogue(tuple(tasks))
