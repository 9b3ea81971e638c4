"""Prepare for Inbound Email: the address ranges to trust, then each setting confirmed.

The admin reads the address ranges their mail system must trust (``ip_ranges``),
then confirms each setting (``settings``), which completes the task; it is
self-attested. Update Your MX Records (:mod:`.mx_records`) unlocks once it is complete.
"""

from __future__ import annotations

from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.stepped import SteppedTask, require_ticks


class InboundEmailTask(SteppedTask):
    key = "inbound_email"

    def read_ranges(self, *, version: int) -> TaskStatus:
        """The admin has read the ranges to trust: on to the settings."""
        self._at("ip_ranges")
        return self._save(
            version=version, step="settings", data={"ranges_shown": list(self._service.inbound_ip_ranges)}
        )

    def confirm_settings(self, *, version: int, ticks: object) -> TaskStatus:
        """Every setting is ticked: the task is complete."""
        self._at("settings")
        require_ticks(ticks, len(self._service.inbound_settings), what="setting")
        return self._save(
            version=version, data={"settings_confirmed": len(self._service.inbound_settings)}, state=TaskState.COMPLETE
        )
