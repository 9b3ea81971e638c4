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
from connect_widgets.core.tasks.board import TaskBoard
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.confirm_details import ConfirmDetailsTask
from connect_widgets.core.tasks.validate_domains import ValidateDomainsTask
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AuditEvent
from tests.conftest import first_login

SERVICE = load_service_values()


def signed_in_board(services: ConnectServices, flow: LoginFlow, account: object) -> TaskBoard:
    """The ACME admin after a first login, with Confirm Your Details complete."""
    first_login(flow, services, account)
    board = TaskBoard(flow)
    ConfirmDetailsTask(board).confirm(version=board.start("confirm_details").version)
    return board


def mark_complete(board: TaskBoard, *keys: str) -> None:
    """Complete tasks the test is not about, as their last page would save them."""
    for key in keys:
        status = board.start(key)
        board.save(key, version=status.version, state=TaskState.COMPLETE)


def checker_for(services: ConnectServices, port: int) -> DnsChecker:
    """A DNS checker that asks the test's zone on loopback."""
    return DnsChecker(services.settings.model_copy(update={"dns_nameservers": f"127.0.0.1:{port}"}))


def domains_task(board: TaskBoard, services: ConnectServices, port: int) -> ValidateDomainsTask:
    return ValidateDomainsTask(board, checker=checker_for(services, port), service=SERVICE)


def audit_rows(services: ConnectServices, action: str) -> list[AuditEvent]:
    with new_session(services.engine) as db:
        return list(db.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))))
