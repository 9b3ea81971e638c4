"""The task catalogue and the landing page after login."""

from __future__ import annotations

from pathlib import Path

import pytest

from connect_widgets.core.tasks.catalogue import CatalogueError, TaskState, load_catalogue
from connect_widgets.core.tasks.progress import landing_for, task_states
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import Account
from tests.conftest import record_progress

ORDER = [
    "confirm_details",
    "validate_domains",
    "directory_sync",
    "add_users",
    "user_authentication",
    "outbound_email",
    "inbound_email",
    "mx_records",
    "permitted_senders",
    "recipient_validation",
    "journaling",
]


def test_catalogue_holds_the_designs_tasks_in_order():
    catalogue = load_catalogue()
    assert [t.key for t in catalogue] == ORDER
    assert {t.key for t in catalogue if not t.required} == {"directory_sync", "permitted_senders", "journaling"}
    assert catalogue.get("user_authentication").prerequisites == ("validate_domains",)
    assert catalogue.get("mx_records").prerequisites == ("inbound_email",)
    assert catalogue.get("confirm_details").title == "Confirm Your Details"


def test_catalogue_refuses_a_prerequisite_listed_later(tmp_path: Path):
    bad = tmp_path / "tasks.toml"
    bad.write_text(
        '[[tasks]]\nkey="a"\ntitle="A"\narea="X"\nrequired=true\nprerequisites=["b"]\nsteps=["s"]\nvalidation="self"\n'
        '[[tasks]]\nkey="b"\ntitle="B"\narea="X"\nrequired=true\nprerequisites=[]\nsteps=["s"]\nvalidation="self"\n'
    )
    with pytest.raises(CatalogueError, match="not listed before it"):
        load_catalogue(bad)


def record(services, key: str, state: str) -> None:
    """One task's progress, saved a minute before the next one's."""
    record_progress(services, {key: state})
    services.clock.advance(minutes=1)


@pytest.fixture
def acme_id(services, account) -> int:
    with new_session(services.engine) as db:
        from sqlmodel import select

        return db.exec(select(Account)).one().id


def test_locked_is_derived_from_prerequisites(services, acme_id):
    with new_session(services.engine) as db:
        states = task_states(db, account_id=acme_id, catalogue=services.catalogue)
    assert states["confirm_details"] is TaskState.NOT_STARTED
    assert all(states[k] is TaskState.LOCKED for k in ORDER[1:])
    record(services, "confirm_details", "complete")
    with new_session(services.engine) as db:
        states = task_states(db, account_id=acme_id, catalogue=services.catalogue)
    assert states["validate_domains"] is TaskState.NOT_STARTED
    assert states["user_authentication"] is TaskState.LOCKED


def test_welcome_until_a_task_is_started(services, acme_id):
    with new_session(services.engine) as db:
        landing = landing_for(db, account_id=acme_id, catalogue=services.catalogue)
    assert landing.kind == "welcome" and landing.next_task.key == "confirm_details"


def test_returning_shows_last_completed_next_and_in_progress(services, acme_id):
    record(services, "confirm_details", "complete")
    record(services, "add_users", "in_progress")
    record(services, "validate_domains", "complete")
    record(services, "journaling", "in_progress")
    with new_session(services.engine) as db:
        landing = landing_for(db, account_id=acme_id, catalogue=services.catalogue)
    assert landing.kind == "returning"
    assert landing.last_completed.key == "validate_domains"
    assert landing.next_task.key == "journaling"  # where the admin left off: the last task worked on
    assert [t.key for t in landing.in_progress] == ["add_users", "journaling"]


def test_with_nothing_in_progress_the_next_task_is_the_first_required_one_not_started(services, acme_id):
    record(services, "confirm_details", "complete")
    record(services, "journaling", "complete")
    with new_session(services.engine) as db:
        landing = landing_for(db, account_id=acme_id, catalogue=services.catalogue)
    assert landing.next_task.key == "validate_domains" and landing.in_progress == ()


def test_a_task_awaiting_validation_counts_as_started_but_is_not_next(services, acme_id):
    record(services, "confirm_details", "awaiting_validation")
    with new_session(services.engine) as db:
        landing = landing_for(db, account_id=acme_id, catalogue=services.catalogue)
    assert landing.kind == "returning" and landing.last_completed is None
    assert landing.next_task is None  # everything else waits on confirm_details


REQUIRED = [k for k in ORDER if k not in ("directory_sync", "permitted_senders", "journaling")]


def land(services, account_id: int):
    with new_session(services.engine) as db:
        return landing_for(db, account_id=account_id, catalogue=services.catalogue)


def test_every_required_task_complete_lands_on_setup_complete(services, acme_id):
    for key in REQUIRED:
        record(services, key, "complete")
    record(services, "journaling", "complete")
    landing = land(services, acme_id)
    assert landing.kind == "complete"
    assert [t.key for t in landing.completed] == [k for k in ORDER if k in REQUIRED or k == "journaling"]
    assert [t.key for t in landing.optional_left] == ["directory_sync", "permitted_senders"]
    assert landing.awaiting == () and landing.in_progress == ()


def test_complete_and_awaiting_with_nothing_to_do_is_welcome_back_naming_what_waits(services, acme_id):
    for key in REQUIRED:
        if key != "add_users":
            record(services, key, "complete")
    record(services, "add_users", "awaiting_validation")
    for key in ("directory_sync", "permitted_senders", "journaling"):
        record(services, key, "complete")
    landing = land(services, acme_id)
    assert landing.kind == "returning" and landing.next_task is None
    assert [t.key for t in landing.awaiting] == ["add_users"] and landing.locked == ()


def test_an_optional_task_still_open_keeps_welcome_back(services, acme_id):
    for key in REQUIRED:
        record(services, key, "complete")
    record(services, "directory_sync", "awaiting_validation")
    assert land(services, acme_id).kind == "returning"
    record(services, "journaling", "in_progress")
    landing = land(services, acme_id)
    assert landing.kind == "returning" and landing.next_task.key == "journaling"


def test_a_task_awaiting_names_the_tasks_locked_behind_it(services, acme_id):
    record(services, "confirm_details", "awaiting_validation")
    landing = land(services, acme_id)
    assert [t.key for t in landing.awaiting] == ["confirm_details"]
    assert [t.key for t in landing.locked] == ORDER[1:]


def test_service_values_come_from_the_data_file():
    from connect_widgets.core.adapters.service_values import load_service_values

    values = load_service_values()
    assert values.spf_include == "_spf.service.example"
    assert values.mx_hosts == ("mx1.service.example", "mx2.service.example")
    assert all("/" in cidr for cidr in values.inbound_ip_ranges)


def test_service_values_with_a_bad_range_are_refused(tmp_path: Path):
    from connect_widgets.core.adapters.service_values import load_service_values

    bad = tmp_path / "service.toml"
    bad.write_text('spf_include="x"\nmx_hosts=["m"]\ninbound_ip_ranges=["10.0.0.0/33"]\nverification_prefix="v="\n')
    with pytest.raises(CatalogueError):
        load_service_values(bad)
