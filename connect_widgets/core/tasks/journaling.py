"""Journaling (optional): the archive's journal address and the rule that sends to it.

The journal address is ``journaling@journal.<primary domain>``; the admin reads it
(``address``), adds a journal rule in their mail system and confirms it
(``confirm``), which completes the task (self-attested).
"""

from __future__ import annotations

from connect_widgets.core.errors import InvalidInput
from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.stepped import SteppedTask


class JournalingTask(SteppedTask):
    key = "journaling"

    def journal_address(self) -> str:
        return f"journaling@journal.{self.primary_domain()}"

    def read_address(self, *, version: int) -> TaskStatus:
        self._at("address")
        return self._save(version=version, step="confirm", data={"journal_address": self.journal_address()})

    def confirm_rule(self, *, version: int, confirmed: object) -> TaskStatus:
        self._at("confirm")
        if confirmed is not True:
            raise InvalidInput("Tick the box once the journal rule is saved in your mail system.", field="rule")
        return self._save(version=version, data={"journal_address": self.journal_address()}, state=TaskState.COMPLETE)
