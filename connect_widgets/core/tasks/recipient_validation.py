"""Set Up Recipient Validation: which addresses the service accepts mail for.

"Known addresses" (the users and addresses the account has added) completes the
task; "Directory users only" needs Synchronize Your Directory complete, and is
refused with that reason until it is.
"""

from __future__ import annotations

from connect_widgets.core.errors import InvalidInput, TaskLocked
from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.stepped import SteppedTask

MODES = {
    "known": "Known addresses",
    "directory": "Directory users only",
}


class RecipientValidationTask(SteppedTask):
    key = "recipient_validation"

    def directory_ready(self) -> bool:
        return self._board.overview().get("directory_sync").state is TaskState.COMPLETE

    def choose(self, *, version: int, mode: object) -> TaskStatus:
        """Set the mode; the task is complete.

        Raises:
            InvalidInput: not one of :data:`MODES`.
            TaskLocked: "Directory users only" before the directory is synchronized.
        """
        self._at("mode")
        if not isinstance(mode, str) or mode not in MODES:  # a page can send any value
            raise InvalidInput("Choose Known addresses or Directory users only.", field="mode")
        if mode == "directory" and not self.directory_ready():
            raise TaskLocked(
                "Directory users only needs Synchronize Your Directory to be complete, so that the service "
                "knows your users. Choose Known addresses for now; you can change it later."
            )
        return self._save(version=version, data={"mode": mode}, state=TaskState.COMPLETE)
