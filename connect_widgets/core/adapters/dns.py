"""DNS checks for the setup tasks: domain verification (TXT), SPF and MX.

Each check asks the configured resolver (``CONNECT_DNS_NAMESERVERS``, else the
machine's) and returns a :class:`DnsCheck` saying whether the record is right,
what was found, and in plain words what to do next. A timeout, a name that does
not exist, a failing server, no record at all and a record that is close but wrong
each get their own message; none of them raises, so a task stays where it was and
the admin can check again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver

from connect_widgets.settings import Settings


class DnsOutcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"  # records exist, but not the one asked for
    MISSING = "missing"  # the name exists, with no record of that type
    NO_SUCH_NAME = "no_such_name"
    SERVER_FAILURE = "server_failure"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class DnsCheck:
    """The answer to one check, fit to show and to record."""

    name: str
    record_type: str
    outcome: DnsOutcome
    found: tuple[str, ...]
    message: str
    parts: tuple[DnsCheck, ...] = ()  # one check per name, when this one sums several up

    @property
    def ok(self) -> bool:
        return self.outcome is DnsOutcome.OK


class DnsChecker:
    """Looks records up through one resolver built from settings."""

    def __init__(self, settings: Settings) -> None:
        servers = settings.nameservers
        resolver = dns.resolver.Resolver(configure=not servers)
        if servers:
            resolver.nameservers = [dns.nameserver.Do53Nameserver(host, port) for host, port in servers]
        resolver.lifetime = settings.dns_timeout_seconds
        resolver.timeout = settings.dns_timeout_seconds
        self._resolver = resolver

    def _lookup(self, name: str, record_type: str) -> tuple[DnsOutcome, tuple[str, ...], str]:
        """(outcome, texts found, failure message) for one query."""
        try:
            answer = self._resolver.resolve(name, record_type, search=False)
        except dns.resolver.NXDOMAIN:
            return (
                DnsOutcome.NO_SUCH_NAME,
                (),
                (
                    f"{name} does not exist in DNS yet. Check the spelling, or wait for your DNS "
                    "change to be published, then check again."
                ),
            )
        except dns.resolver.NoAnswer:
            return DnsOutcome.MISSING, (), f"{name} has no {record_type} record yet."
        except dns.resolver.NoNameservers:
            return (
                DnsOutcome.SERVER_FAILURE,
                (),
                (
                    f"The DNS servers for {name} answered with an error (SERVFAIL). This is "
                    "usually a problem at your DNS provider; check again later."
                ),
            )
        except dns.exception.Timeout:
            return (
                DnsOutcome.TIMEOUT,
                (),
                (f"The DNS lookup for {name} took too long and was stopped. Check again in a minute."),
            )
        if record_type == "TXT":
            found = tuple(b"".join(r.strings).decode("utf-8", "replace") for r in answer)
        elif record_type == "MX":
            found = tuple(f"{r.preference} {str(r.exchange).rstrip('.').lower()}" for r in answer)
        else:
            found = tuple(r.to_text() for r in answer)
        return DnsOutcome.OK, found, ""

    def check_txt(self, name: str, expected: str) -> DnsCheck:
        """A TXT record with exactly ``expected`` (domain verification)."""
        outcome, found, message = self._lookup(name, "TXT")
        if outcome is DnsOutcome.OK:
            if expected in found:
                message = f"Found the record {expected} on {name}."
            else:
                outcome = DnsOutcome.WRONG
                prefix = expected.split("=", 1)[0] + "="
                near = [t for t in found if t.startswith(prefix)]
                message = (
                    f"{name} has {near[0]} but needs {expected}. Correct the value and check again."
                    if near
                    else f"{name} has TXT records, but not {expected}. Add it and check again."
                )
        return DnsCheck(name, "TXT", outcome, found, message)

    def check_spf(self, domain: str, include: str) -> DnsCheck:
        """One ``v=spf1`` record on ``domain`` that includes ``include:<include>``."""
        outcome, found, message = self._lookup(domain, "TXT")
        if outcome is DnsOutcome.OK or outcome is DnsOutcome.MISSING:
            spf = [t for t in found if t.lower().startswith("v=spf1")]
            wanted = f"include:{include}".lower()
            if not spf:
                outcome, message = (
                    DnsOutcome.MISSING,
                    (f"{domain} has no SPF record. Publish one with include:{include}."),
                )
            elif len(spf) > 1:
                outcome, message = (
                    DnsOutcome.WRONG,
                    (
                        f"{domain} has {len(spf)} SPF records; it must have exactly one. "
                        f"Merge them into one that has include:{include}."
                    ),
                )
            elif wanted not in spf[0].lower().split():
                outcome, message = (
                    DnsOutcome.WRONG,
                    (
                        f"Your SPF record ({spf[0]}) does not include {include}. Add include:{include} "
                        "before the final all."
                    ),
                )
            else:
                outcome, message = DnsOutcome.OK, f"Your SPF record includes {include}."
            found = tuple(spf) or found
        return DnsCheck(domain, "SPF", outcome, found, message)

    def check_mx(self, domain: str, hosts: tuple[str, ...]) -> DnsCheck:
        """MX records of ``domain`` point only at the service's ``hosts``."""
        outcome, found, message = self._lookup(domain, "MX")
        if outcome is DnsOutcome.OK:
            pointed = {entry.split(" ", 1)[1] for entry in found}
            wanted = {h.lower().rstrip(".") for h in hosts}
            if pointed <= wanted:
                message = f"{domain} receives mail through {', '.join(sorted(pointed))}."
            else:
                outcome = DnsOutcome.WRONG
                others = ", ".join(sorted(pointed - wanted))
                message = (
                    f"{domain} still sends mail to {others}. Point its MX records at "
                    f"{', '.join(hosts)} only, then check again."
                )
        return DnsCheck(domain, "MX", outcome, found, message)
