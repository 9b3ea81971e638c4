"""Where the task-core unit tests start: a signed-in admin whose tasks are unlocked as far as needed.

Prerequisites a test is not about are marked complete through the board (the
way a page saves them); the ones it is about are walked through their own core.
"""

from __future__ import annotations

from sqlmodel import col, select

from connect_widgets.core.adapters.dns import DnsChecker
from connect_widgets.core.adapters.service_values import load_service_values
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.services import ConnectServices
from connect_widgets.core.tasks.board import TaskBoard, TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.confirm_details import ConfirmDetailsTask
from connect_widgets.core.tasks.directory_sync import DirectorySyncTask
from connect_widgets.core.tasks.validate_domains import ValidateDomainsTask
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AuditEvent
from tests.conftest import first_login
from tests.servers import Slapd

SERVICE = load_service_values()


def signed_in_board(services: ConnectServices, flow: LoginFlow, account: object, *complete: str) -> TaskBoard:
    """The ACME admin after a first login, with Confirm Your Details complete.

    ``complete``: further tasks the test is not about, marked complete (see :func:`mark_complete`).
    """
    first_login(flow, services, account)
    board = TaskBoard(flow)
    ConfirmDetailsTask(board).confirm(version=board.start("confirm_details").version)
    mark_complete(board, *complete)
    return board


def mark_complete(board: TaskBoard, *keys: str) -> None:
    """Complete tasks the test is not about, as their last page would save them."""
    for key in keys:
        status = board.start(key)
        board.save(key, version=status.version, state=TaskState.COMPLETE)


def ldap_connection(slapd: Slapd, **changes: str) -> dict[str, str]:
    """The test OpenLDAP's connection as an admin types it on the directory page; ``changes`` alter fields."""
    return {
        "url": slapd.url,
        "base_dn": slapd.base_dn,
        "bind_dn": slapd.bind_dn,
        "bind_password": slapd.bind_password,
        **changes,
    }


def connect_directory(
    board: TaskBoard, slapd: Slapd, *, password: str | None = None
) -> tuple[DirectorySyncTask, TaskStatus]:
    """Synchronize Your Directory walked to its test against the test OpenLDAP; returns the task and
    the test's outcome (complete, unless ``password`` is a wrong bind password)."""
    task = DirectorySyncTask(board)
    status = task.choose_method(version=board.start("directory_sync").version, method="ldap")
    connection = ldap_connection(slapd, bind_password=password or slapd.bind_password)
    status = task.save_ldap(version=status.version, **connection)
    return task, task.run_test(version=status.version)


def checker_for(services: ConnectServices, port: int) -> DnsChecker:
    """A DNS checker that asks the test's zone on loopback."""
    return DnsChecker(services.settings.model_copy(update={"dns_nameservers": f"127.0.0.1:{port}"}))


def domains_task(board: TaskBoard, services: ConnectServices, port: int) -> ValidateDomainsTask:
    return ValidateDomainsTask(board, checker=checker_for(services, port), service=SERVICE)


def audit_rows(services: ConnectServices, action: str) -> list[AuditEvent]:
    with new_session(services.engine) as db:
        return list(db.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))))
