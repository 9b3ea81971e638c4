"""Set Up Your Outbound Email: the admin's sending addresses, SPF, and the connector.

Steps (``data/tasks.toml``): ``ip_ranges`` — the public addresses the admin's
mail leaves from, as CIDR ranges; ``spf`` — publish an SPF record that includes
the service, then Check SPF (a DNS lookup, recorded every time); ``connector`` —
confirm the outbound connector to the service's smart host, which completes the task.
"""

from __future__ import annotations

import ipaddress
import re

from connect_widgets.core.errors import InvalidInput, StepOutOfOrder
from connect_widgets.core.inputs import read_text
from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.stepped import SteppedTask

MAX_RANGES = 50
WIDEST_IPV4 = 16  # a /15 or wider is a provider's whole block, not a company's mail servers
WIDEST_IPV6 = 32


PROBLEMS_TOLD = 10  # in the message; the page lists every one
ADVICE = "List the public addresses your mail servers send from, one per line, as address/prefix."


class BadRanges(InvalidInput):
    """Some of the typed ranges cannot be used: every one of them, with its line and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        told = "; ".join(problems[:PROBLEMS_TOLD])
        more = len(problems) - PROBLEMS_TOLD
        if len(problems) == 1:
            message = f"{problems[0]}."
        else:
            message = f"{len(problems)} entries need correcting: {told}" + (f"; and {more} more." if more > 0 else ".")
        super().__init__(f"{message} {ADVICE}", field="ip_ranges")


def _range_problem(entry: str) -> tuple[str | None, str]:
    """(the canonical range, "") or (None, what is wrong with ``entry``)."""
    shown = entry[:60]
    try:
        network = ipaddress.ip_network(entry, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return None, f"{shown} is not an IP address or range"
        return None, f"{shown} has bits set after the prefix (did you mean {loose}?)"
    if not network.is_global:
        return None, f"{network} is a private or reserved range, not a public one"
    widest = WIDEST_IPV4 if network.version == 4 else WIDEST_IPV6
    if network.prefixlen < widest:
        return None, f"{network} is too wide (wider than /{widest}): list only your mail servers' ranges"
    return str(network), ""


def parse_ip_ranges(value: object) -> list[str]:
    """Public IPv4/IPv6 ranges in CIDR form (a bare address counts as /32 or /128).

    Raises:
        InvalidInput: nothing typed, or too many entries.
        BadRanges: naming every entry that is not usable, by line, and why.
    """
    text = read_text(
        value, field="ip_ranges", label="outbound IP ranges", max_length=4000, multiline=True, required=False
    )
    entries = [
        (number, e) for number, line in enumerate(text.splitlines(), start=1) for e in re.split(r"[\s,;]+", line) if e
    ]
    if not entries:
        raise InvalidInput(
            "Enter the public IP ranges your mail leaves from, as address/prefix (a /28, say).", field="ip_ranges"
        )
    if len(entries) > MAX_RANGES:
        raise InvalidInput(
            f"Enter at most {MAX_RANGES} ranges; combine neighbouring ones into wider ranges.", field="ip_ranges"
        )
    ranges: list[str] = []
    problems: list[str] = []
    for number, entry in entries:
        network, problem = _range_problem(entry)
        if network is None:
            problems.append(f"Line {number}: {problem}")
        elif network not in ranges:
            ranges.append(network)
    if problems:
        raise BadRanges(problems)
    return ranges


class OutboundEmailTask(SteppedTask):
    key = "outbound_email"

    def spf_record(self, ranges: list[str] | None = None) -> str:
        """The SPF record to publish on the primary domain (one record, ending in ~all)."""
        own = " ".join(("ip6:" if ":" in r else "ip4:") + r for r in (ranges or []))
        return f"v=spf1 {own + ' ' if own else ''}include:{self._service.spf_include} ~all"

    def save_ranges(self, *, version: int, ranges: object) -> TaskStatus:
        """Keep the admin's outbound ranges and move on to SPF."""
        self._at("ip_ranges")
        parsed = parse_ip_ranges(ranges)
        return self._save(version=version, step="spf", data={"ip_ranges": parsed})

    def check_spf(self, *, version: int) -> TaskStatus:
        """Look the primary domain's SPF up now; on success move on to the connector."""
        self._at("spf")
        assert self._checker is not None, "OutboundEmailTask needs a DnsChecker to check SPF"
        result = self._checker.check_spf(self.primary_domain(), self._service.spf_include)
        return self._dns_check(result, version=version, data_key="spf_check", next_step="connector")

    def confirm_connector(self, *, version: int, confirmed: object) -> TaskStatus:
        """The connector to the smart host exists: the task is complete."""
        status = self._at("connector")
        if (status.data.get("spf_check") or {}).get("outcome") != "ok":
            raise StepOutOfOrder("Check your SPF record first: it must pass before the connector step.")
        if confirmed is not True:
            raise InvalidInput(
                f"Tick the box once the connector to {self._service.outbound_smarthost} is saved in your mail system.",
                field="connector",
            )
        return self._save(
            version=version, data={"connector": self._service.outbound_smarthost}, state=TaskState.COMPLETE
        )
