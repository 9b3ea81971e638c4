"""How long a Domain password check takes, by outcome, against a real OpenLDAP server.

The Domain login must not tell an unknown address from a known one by its timing:
every outcome does one argon2id verification and one directory round (bind as the
bind account, search, bind as a user). This starts slapd as the integration tests
do (tests/servers.py; Debian packages ``slapd ldap-utils``), enables Domain for an
admin whose directory logon is ``jane``, and times ``submit_password`` for each
outcome, interleaved, with the production argon2 costs. Prints the medians and
their spread (the goal: the three main outcomes within 10 %); asserts nothing.

Run: ``.venv/bin/python benchmarks/domain_login_timing.py [tries]`` (default 30 each).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.servers and tests.conftest

from sqlalchemy import update
from sqlmodel import select

from connect_widgets.core import errors
from connect_widgets.core.accounts.create import create_account
from connect_widgets.core.adapters.secretbox import SecretBox
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.clock import FrozenClock
from connect_widgets.core.services import ConnectServices, build_services
from connect_widgets.settings import load_settings
from connect_widgets.store.models import Account, AdminUser, Directory
from connect_widgets.store.schema import upgrade_schema
from tests.conftest import first_login
from tests.servers import Slapd, running_slapd

TRIES = int(sys.argv[1]) if len(sys.argv) > 1 else 30
WRONG = "Wrong-Directory-Pass-9"
MAIN_CASES = ("unknown address", "known, wrong password", "known, right password")


def enable_domain(services: ConnectServices, slapd: Slapd, admin_email: str) -> None:
    """What Synchronize Your Directory and Set Up Your Authentication leave in the database."""
    box = SecretBox.from_settings(services.settings)
    with services.transaction() as db:
        user = db.exec(select(AdminUser).where(AdminUser.email == admin_email)).one()
        account = db.get(Account, user.account_id)
        assert account is not None and account.id is not None
        account.auth_mode, user.directory_logon = "domain", "jane"
        db.add(
            Directory(
                account_id=account.id,
                method="ldap",
                url=slapd.url,
                base_dn=slapd.base_dn,
                bind_dn=slapd.bind_dn,
                bind_password_encrypted=box.seal(slapd.bind_password),
                last_test_ok=True,
                updated_at=services.clock.now(),
            )
        )
        db.add_all([account, user])


def clear_failures(services: ConnectServices) -> None:
    """Outside the timed part: no lock builds up over the tries."""
    with services.transaction() as db:
        reset = update(AdminUser).values(failed_logins=0, lock_count=0, locked_until=None)
        db.execute(reset)


def one_try(services: ConnectServices, email: str, logon: str, password: str) -> float:
    flow = LoginFlow(services)
    flow.submit_email(email)
    flow.choose_method("domain")
    started = time.perf_counter()
    try:
        flow.submit_password(password, logon=logon)
    except errors.InvalidCredentials:
        pass
    elapsed = (time.perf_counter() - started) * 1000
    flow.restart()
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, running_slapd(Path(folder) / "slapd") as slapd:
        settings = load_settings(data_dir=Path(folder) / "data")  # production argon2 costs
        clock = FrozenClock()
        services = build_services(settings, clock=clock)
        upgrade_schema(services.engine)
        acme = create_account(
            services, code="ACME", company="Acme Ltd", primary_domain="acme.example", admin_name="jane"
        )
        flow = LoginFlow(services)
        first_login(flow, services, acme)  # a returning admin: phone saved, own password
        flow.log_out()
        enable_domain(services, slapd, acme.admin_email)

        cases = {
            "unknown address": ("nobody@acme.mimecast.connect", "jane", WRONG),
            "known, wrong password": (acme.admin_email, "jane", WRONG),
            "known, right password": (acme.admin_email, "jane", slapd.users["jane"]),
            "known, another's logon": (acme.admin_email, "sam", slapd.users["sam"]),
        }
        timings: dict[str, list[float]] = {name: [] for name in cases}
        one_try(services, *cases["known, right password"])  # warm up: connections, the dummy hash
        clear_failures(services)
        for _ in range(TRIES):
            for name, (email, logon, password) in cases.items():  # interleaved: drift hits all alike
                clock.advance(minutes=4)  # the passcode sender's limits never refuse the right password
                timings[name].append(one_try(services, email, logon, password))
                clear_failures(services)
        services.engine.dispose()

    print(f"{settings.argon2_time_cost=} {settings.argon2_memory_kib=} {settings.argon2_parallelism=}")
    print(f"slapd at {slapd.url}; {TRIES} tries each, interleaved")
    print(f"{'case':<26}{'median ms':>10}{'p10 ms':>9}{'p90 ms':>9}")
    medians = {}
    for name, values in timings.items():
        values.sort()
        medians[name] = statistics.median(values)
        print(f"{name:<26}{medians[name]:>10.1f}{values[int(TRIES * 0.1)]:>9.1f}{values[int(TRIES * 0.9)]:>9.1f}")
    main = [medians[name] for name in MAIN_CASES]
    spread = (max(main) - min(main)) / min(main) * 100
    every = list(medians.values())
    print(
        f"spread of the three main medians: {spread:.1f} % (goal < 10 %); "
        f"of all four: {(max(every) - min(every)) / min(every) * 100:.1f} %"
    )


if __name__ == "__main__":
    main()
