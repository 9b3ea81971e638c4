"""Prepare for Inbound Email and Update Your MX Records.

Inbound: the admin reads the address ranges their mail system must trust
(``ip_ranges``), then confirms each setting (``settings``), which completes the
task; it is self-attested. MX: the admin points the MX records of their verified
domains at the service's hosts (``hosts``), then Check MX looks every one up
(``check``); the task completes when all of them point at the service.
"""

from __future__ import annotations

from sqlmodel import col, select

from connect_widgets.core.adapters.dns import DnsCheck, DnsOutcome
from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.stepped import SteppedTask, require_ticks
from connect_widgets.store.models import Domain


class InboundTask(SteppedTask):
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


class MxTask(SteppedTask):
    key = "mx_records"

    def domains(self) -> list[str]:
        """The account's verified domains, primary first: each needs its MX records moved."""
        primary = self.primary_domain()
        with self._flow.admin_session() as (db, user):
            names = [
                d.name
                for d in db.exec(
                    select(Domain)
                    .where(Domain.account_id == user.account_id, col(Domain.verified_at).is_not(None))
                    .order_by(col(Domain.id))
                )
            ]
        return sorted(names or [primary], key=lambda n: n != primary)

    def records(self) -> list[str]:
        """The MX records to publish on each domain, in zone-file form."""
        return [f"MX  {10 * (i + 1)}  {host}." for i, host in enumerate(self._service.mx_hosts)]

    def ready(self, *, version: int) -> TaskStatus:
        """The admin has changed the records: on to the check."""
        self._at("hosts")
        return self._save(version=version, step="check")

    def check_mx(self, *, version: int) -> TaskStatus:
        """Look up every domain's MX now; complete when all point at the service."""
        self._at("check")
        assert self._checker is not None, "MxTask needs a DnsChecker to check MX"
        results = [self._checker.check_mx(name, self._service.mx_hosts) for name in self.domains()]
        failed = [r for r in results if not r.ok]
        summary = failed[0] if failed else results[0]
        if len(results) > 1:
            summary = DnsCheck(
                ", ".join(r.name for r in results),
                "MX",
                summary.outcome if failed else DnsOutcome.OK,
                tuple(f"{r.name}: {'; '.join(r.found) or '-'}" for r in results),
                " ".join(r.message for r in (failed or results)),
                parts=tuple(results),
            )
        return self._dns_check(summary, version=version, data_key="mx_check", next_step=None, state=TaskState.COMPLETE)
