"""Update Your MX Records: point every verified domain's MX records at the service.

The admin publishes the MX records for the service's hosts on each verified
domain, primary first (``hosts``); then Check MX looks every one up (``check``).
The task completes when all of them point at the service; a failed check keeps
the admin on the check step with one line per domain saying what was found.
"""

from __future__ import annotations

from sqlmodel import col, select

from connect_widgets.core.adapters.dns import DnsCheck, DnsOutcome
from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.stepped import SteppedTask
from connect_widgets.store.models import Domain


class MxRecordsTask(SteppedTask):
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
        assert self._checker is not None, "MxRecordsTask needs a DnsChecker to check MX"
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
