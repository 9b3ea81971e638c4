"""What the Administration Console's home shows a signed-in admin about their account."""

from __future__ import annotations

from dataclasses import dataclass

from connect_widgets.core.accounts.create import PLATFORMS, REGIONS
from connect_widgets.core.tasks.board import TaskBoard
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.store.models import Account


@dataclass(frozen=True)
class ConsoleFacts:
    company: str
    account_code: str
    region: str
    platform: str
    admin_email: str
    required_done: int
    required_total: int
    in_progress: tuple[str, ...]


def console_facts(board: TaskBoard) -> ConsoleFacts:
    """The signed-in admin's account and setup progress (the session is checked)."""
    overview = board.overview()
    with board.flow.admin_session() as (db, user):
        account = db.get(Account, user.account_id)
        assert account is not None
        return ConsoleFacts(
            company=account.company,
            account_code=account.code,
            region=REGIONS.get(account.region, account.region),
            platform=PLATFORMS.get(account.platform, account.platform),
            admin_email=user.email,
            required_done=overview.required_done,
            required_total=overview.required_total,
            in_progress=tuple(s.task.title for s in overview.tasks if s.state is TaskState.IN_PROGRESS),
        )
