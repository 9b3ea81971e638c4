"""Journaling: the journal address, then the rule confirmed (self-attested)."""

from __future__ import annotations

import pytest

from connect_widgets.core import errors
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.journaling import JournalingTask
from tests.core.task_setup import signed_in_board


@pytest.fixture
def journaling(board_past_domains):  # type: ignore[no-untyped-def]
    return board_past_domains, JournalingTask(board_past_domains)


def test_the_address_is_read_then_the_confirmed_rule_completes_the_task(journaling):
    board, task = journaling
    assert task.journal_address() == "journaling@journal.acme.example"
    status = task.read_address(version=board.start("journaling").version)
    assert (status.step, status.data["journal_address"]) == ("confirm", "journaling@journal.acme.example")
    status = task.confirm_rule(version=status.version, confirmed=True)
    assert status.state is TaskState.COMPLETE
    with pytest.raises(errors.TaskComplete):
        task.confirm_rule(version=status.version, confirmed=True)


def test_back_returns_to_the_address_and_the_rule_cannot_be_confirmed_from_there(journaling):
    board, task = journaling
    status = task.read_address(version=board.start("journaling").version)
    status = task.back(version=status.version)
    assert status.step == "address"
    with pytest.raises(errors.StepNotOpen):
        task.confirm_rule(version=status.version, confirmed=True)
    with pytest.raises(errors.StepOutOfOrder, match="first step"):
        task.back(version=status.version)


@pytest.mark.parametrize("confirmed", [False, None, "true", 1, [True]])
def test_only_a_ticked_box_confirms_the_rule(journaling, confirmed):
    board, task = journaling
    status = task.read_address(version=board.start("journaling").version)
    with pytest.raises(errors.InvalidInput, match="Tick the box once the journal rule is saved"):
        task.confirm_rule(version=status.version, confirmed=confirmed)


def test_journaling_is_locked_until_validate_your_domains_is_complete(services, flow, account):
    task = JournalingTask(signed_in_board(services, flow, account))
    with pytest.raises(errors.TaskLocked):
        task.read_address(version=0)
