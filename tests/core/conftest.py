"""Fixtures for the core unit tests: boards at the points where most task tests start."""

from __future__ import annotations

import pytest

from connect_widgets.core.accounts.create import NewAccount
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.services import ConnectServices
from connect_widgets.core.tasks.board import TaskBoard
from tests.core.task_setup import signed_in_board


@pytest.fixture
def board_past_domains(services: ConnectServices, flow: LoginFlow, account: NewAccount) -> TaskBoard:
    """ACME's admin signed in, details confirmed and Validate Your Domains complete: the mail tasks are open."""
    return signed_in_board(services, flow, account, "validate_domains")
