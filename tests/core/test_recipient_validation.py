"""Set Up Recipient Validation: Known addresses at once; Directory users only once the directory syncs."""

from __future__ import annotations

import pytest

from connect_widgets.core import errors
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.recipient_validation import RecipientValidationTask
from tests.core.task_setup import mark_complete


@pytest.fixture
def recipients(board_past_domains):  # type: ignore[no-untyped-def]
    return board_past_domains, RecipientValidationTask(board_past_domains)


def test_known_addresses_completes_the_task(recipients):
    board, task = recipients
    status = task.choose(version=board.start("recipient_validation").version, mode="known")
    assert status.state is TaskState.COMPLETE and status.data["mode"] == "known"
    with pytest.raises(errors.TaskComplete):  # a second, stale click changes nothing
        task.choose(version=status.version, mode="directory")


def test_directory_users_only_is_refused_until_the_directory_is_synchronized_then_accepted(recipients):
    board, task = recipients
    status = board.start("recipient_validation")
    with pytest.raises(errors.TaskLocked, match="needs Synchronize Your Directory to be complete"):
        task.choose(version=status.version, mode="directory")
    assert board.overview().get("recipient_validation").state is TaskState.IN_PROGRESS
    mark_complete(board, "directory_sync")
    assert task.choose(version=status.version, mode="directory").data["mode"] == "directory"


def test_choosing_before_the_task_is_started_is_refused(recipients):
    _board, task = recipients
    with pytest.raises(errors.StepNotOpen):
        task.choose(version=0, mode="known")


@pytest.mark.parametrize("mode", ["", "everyone'; --", None, ["known"], {"known": True}])
def test_a_mode_not_offered_is_refused_in_words(recipients, mode):
    board, task = recipients
    with pytest.raises(errors.InvalidInput, match="Choose Known addresses or Directory users only"):
        task.choose(version=board.start("recipient_validation").version, mode=mode)
