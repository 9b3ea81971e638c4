"""How long a password check takes, by outcome: unknown address, wrong, locked, right.

The login must not tell an unknown address from a known one by its timing, so
the four medians should be close (all are one argon2id verification). Prints
figures; asserts nothing. Run: ``.venv/bin/python benchmarks/login_timing.py``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from connect_widgets.core import errors
from connect_widgets.core.accounts.create import create_account
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.clock import FrozenClock
from connect_widgets.core.services import build_services
from connect_widgets.settings import load_settings
from connect_widgets.store.schema import upgrade_schema

ROUNDS = 15


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(data_dir=Path(folder))  # production argon2 costs
        clock = FrozenClock()
        services = build_services(settings, clock=clock)
        upgrade_schema(services.engine)
        acme = create_account(
            services, code="ACME", company="Acme Ltd", primary_domain="acme.example", admin_name="jane"
        )
        right = create_account(
            services, code="RIGHT", company="Right Ltd", primary_domain="right.example", admin_name="rita"
        )
        create_account(services, code="LOCKD", company="Locked Ltd", primary_domain="locked.example", admin_name="lee")
        for _ in range(5):  # lock lee
            flow = LoginFlow(services)
            flow.submit_email("lee@lockd.mimecast.connect")
            flow.choose_method("cloud")
            try:
                flow.submit_password("wrong password 1")
            except errors.InvalidCredentials:
                pass

        cases = {
            "unknown address": ("nobody@acme.mimecast.connect", "wrong password 1"),
            "wrong password": (acme.admin_email, "wrong password 1"),
            "locked account": ("lee@lockd.mimecast.connect", "wrong password 1"),
            "right password": (right.admin_email, right.temporary_password),
        }
        print(f"{settings.argon2_time_cost=} {settings.argon2_memory_kib=} {settings.argon2_parallelism=}")
        print(f"{'case':<18}{'median ms':>10}{'p90 ms':>10}")
        for name, (email, password) in cases.items():
            timings = []
            for _ in range(ROUNDS):
                flow = LoginFlow(services)
                flow.submit_email(email)
                flow.choose_method("cloud")
                started = time.perf_counter()
                try:
                    flow.submit_password(password)
                except errors.ConnectError:
                    pass
                timings.append((time.perf_counter() - started) * 1000)
                clock.advance(seconds=31)  # keep the passcode sender happy for "right password"
            timings.sort()
            print(f"{name:<18}{statistics.median(timings):>10.1f}{timings[int(ROUNDS * 0.9)]:>10.1f}")
        services.engine.dispose()


if __name__ == "__main__":
    main()
