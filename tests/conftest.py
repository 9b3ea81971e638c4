"""Shared fixtures: a fresh SQLite file per test, a frozen clock, real services."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlmodel import Session, col, select

from connect_widgets.core.accounts.create import NewAccount, create_account
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.clock import FrozenClock
from connect_widgets.core.review.queue import ReviewQueue
from connect_widgets.core.services import ConnectServices, build_services
from connect_widgets.core.tasks.board import TaskBoard, TaskStatus
from connect_widgets.core.tasks.confirm_details import ConfirmDetailsTask
from connect_widgets.settings import ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_TIME_COST, Settings, load_settings
from connect_widgets.store.engine import make_engine, new_session
from connect_widgets.store.models import Account, AdminUser, Domain, Message, TaskProgress
from connect_widgets.store.schema import upgrade_schema

hypothesis_settings.register_profile(
    "connect",
    deadline=None,  # argon2 hashing is slow on purpose
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.load_profile("connect")

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GB_MOBILE = "7400123456"  # phonenumbers' example GB mobile, national form
GB_MOBILE_E164 = "+447400123456"
NEW_PASSWORD = "harbour kettle violin 42"
# What the admin reads when the first code's SMS (to GB_MOBILE) could not be sent.
SMS_NOT_SENT = 'We could not send the SMS to the number ending 56. Use Resend in 30 seconds, or choose "Login issues?".'
# ACME's details as the ``account`` fixture creates them (Confirm Your Details shows these).
ACME_DETAILS = {"company": "Acme Ltd", "primary_domain": "acme.example", "platform": "microsoft_365", "region": "uk"}

# The cheapest argon2id that still meets OWASP's floor keeps the suite fast.
FAST_ARGON2 = {
    "argon2_time_cost": ARGON2_MIN_TIME_COST,
    "argon2_memory_kib": ARGON2_MIN_MEMORY_KIB,
    "argon2_parallelism": 1,
}


INTEGRATION_DIR = Path(__file__).parent / "integration"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/integration is marked ``integration`` (``-m "not integration"`` leaves them out)."""
    for item in items:
        if item.path.is_relative_to(INTEGRATION_DIR):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def _no_connect_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests build their own settings; a developer's CONNECT_* must not leak in."""
    import os

    for name in list(os.environ):
        if name.startswith("CONNECT_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database migrated to head, copied for each test (faster than migrating)."""
    folder = tmp_path_factory.mktemp("template")
    engine = make_engine(load_settings(data_dir=folder))
    upgrade_schema(engine)
    engine.dispose()  # checkpoints the WAL into the main file
    return folder / "connect.db"


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    shutil.copy(migrated_template, tmp_path / "connect.db")
    return load_settings(data_dir=tmp_path, **FAST_ARGON2)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def services(settings: Settings, clock: FrozenClock) -> Iterator[ConnectServices]:
    built = build_services(settings, clock=clock)
    yield built
    built.engine.dispose()


@pytest.fixture
def contact_email() -> str | None:
    """ACME's contact mailbox: none, so the welcome goes to the admin's own address.

    A module whose tests read the mail the contact receives overrides this fixture.
    """
    return None


@pytest.fixture
def account(services: ConnectServices, contact_email: str | None) -> NewAccount:
    return create_account(
        services,
        code="ACME",
        company="Acme Ltd",
        primary_domain="acme.example",
        admin_name="jane",
        contact_email=contact_email,
    )


@pytest.fixture
def flow(services: ConnectServices) -> LoginFlow:
    return LoginFlow(services)


@pytest.fixture
def enrolled(flow, services, account, clock) -> NewAccount:
    """An admin who finished a first login (password NEW_PASSWORD) and logged out a minute ago."""
    first_login(flow, services, account)
    flow.log_out()
    clock.advance(minutes=1)
    return account


@pytest.fixture
def board(flow: LoginFlow, services: ConnectServices, account: NewAccount) -> TaskBoard:
    """ACME's admin signed in after a first login: their task board, nothing started."""
    first_login(flow, services, account)
    return TaskBoard(flow)


@pytest.fixture
def correction(board: TaskBoard, services: ConnectServices) -> int:
    """ACME's admin asked to rename the company to Acme Group plc; returns the pending review's id."""
    send_correction(board, company="Acme Group plc")
    [pending] = ReviewQueue(services, staff="setup").pending()
    return pending.id


# --- helpers -------------------------------------------------------------------


def user_by_email(services: ConnectServices, email: str) -> AdminUser:
    with new_session(services.engine) as db:
        user = db.exec(select(AdminUser).where(AdminUser.email == email)).one()
        return user


def last_sms(services: ConnectServices, *, user_id: int | None = None) -> Message:
    with new_session(services.engine) as db:
        query = select(Message).where(Message.channel == "sms")
        if user_id is not None:
            query = query.where(Message.user_id == user_id)
        return db.exec(query.order_by(col(Message.id).desc())).first()  # type: ignore[return-value]


def code_from_sms(services: ConnectServices) -> str:
    """The passcode as the admin reads it on their phone (the outbox message)."""
    message = last_sms(services)
    assert message is not None, "no SMS was sent"
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match, "the SMS carries no 6-digit code"
    return match.group(1)


def send_correction(board: TaskBoard, **changes: str) -> TaskStatus:
    """Confirm Your Details sent to the Connect team: ACME's details with ``changes``."""
    status = board.start("confirm_details")
    return ConfirmDetailsTask(board).send_for_review(version=status.version, **{**ACME_DETAILS, **changes})


def _account_id(db: Session, code: str) -> int:
    account_id = db.exec(select(Account.id).where(Account.code == code)).one()
    assert account_id is not None, f"no account {code}"
    return account_id


def record_progress(services: ConnectServices, states: Mapping[str, str], *, account_code: str = "ACME") -> None:
    """Tasks left in ``states`` by earlier sessions (each task's own pages are tested elsewhere)."""
    now = services.clock.now()
    with new_session(services.engine) as db:
        account_id = _account_id(db, account_code)
        for key, state in states.items():
            db.add(
                TaskProgress(
                    account_id=account_id,
                    task_key=key,
                    state=state,
                    created_at=now,
                    updated_at=now,
                    completed_at=now if state == "complete" else None,
                )
            )
        db.commit()


def use_domain_logins(services: ConnectServices, account_code: str = "ACME") -> None:
    """Test set-up: the account switched to Domain authentication, as its Set Up task would leave it."""
    with new_session(services.engine) as db:
        account = db.exec(select(Account).where(Account.code == account_code)).one()
        account.auth_mode = "domain"
        db.add(account)
        db.commit()


def verify_domain(services: ConnectServices, name: str = "acme.example", *, account_code: str = "ACME") -> None:
    """Test set-up: ``name`` marked verified for the account without a DNS lookup."""
    with new_session(services.engine) as db:
        account_id = _account_id(db, account_code)
        db.add(Domain(account_id=account_id, name=name, verification_token="t", created_at=START, verified_at=START))
        db.commit()


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def reach_password(flow: LoginFlow, email: str) -> None:
    flow.submit_email(email)
    flow.choose_method("cloud")


def first_login(
    flow: LoginFlow, services: ConnectServices, account: NewAccount, *, new_password: str = NEW_PASSWORD
) -> None:
    """Every step of a first login, ending signed in with the password changed."""
    reach_password(flow, account.admin_email)
    assert flow.submit_password(account.temporary_password) is LoginStep.ENROL_PHONE
    flow.enrol_phone(country="GB", number=GB_MOBILE)
    flow.verify_passcode(code_from_sms(services))
    assert flow.log_in() is LoginStep.CHANGE_PASSWORD
    flow.change_password(current=account.temporary_password, new=new_password, confirm=new_password)
    assert flow.step is LoginStep.SIGNED_IN


def stopped_by_the_send_limit(services: ConnectServices, clock: FrozenClock, email: str, password: str) -> LoginFlow:
    """Log in and ask for new codes until "Too many codes were sent in the last 15 minutes"."""
    from connect_widgets.core.auth.limits import SENDS_PER_WINDOW
    from connect_widgets.core.auth.passcodes import RESEND_AFTER
    from connect_widgets.core.errors import SendLimitReached

    flow = LoginFlow(services)
    flow.submit_email(email)
    flow.choose_method("cloud")
    assert flow.submit_password(password) is LoginStep.PASSCODE
    for _ in range(SENDS_PER_WINDOW + 1):
        clock.advance(RESEND_AFTER)
        try:
            flow.resend_passcode()
        except SendLimitReached:
            return flow
    pytest.fail("the send limit never refused a code")
