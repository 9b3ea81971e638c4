"""Prepare for Inbound Email, then Update Your MX Records (its MX checks against a live DNS zone on loopback)."""

from __future__ import annotations

import pytest

from connect_widgets.core import errors
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.inbound_email import InboundEmailTask
from connect_widgets.core.tasks.mx_records import MxRecordsTask
from tests.core.task_setup import SERVICE, audit_rows, checker_for, mark_complete

SETTINGS = len(SERVICE.inbound_settings)


@pytest.fixture
def board(board_past_domains):  # type: ignore[no-untyped-def]
    """Inbound Email's tests start past Validate Your Domains."""
    return board_past_domains


def test_inbound_shows_the_ranges_then_completes_once_every_setting_is_ticked(board):
    task = InboundEmailTask(board, service=SERVICE)
    status = task.read_ranges(version=board.start("inbound_email").version)
    assert status.step == "settings" and status.data["ranges_shown"] == list(SERVICE.inbound_ip_ranges)
    status = task.confirm_settings(version=status.version, ticks=[True] * SETTINGS)
    assert status.state is TaskState.COMPLETE and status.data["settings_confirmed"] == SETTINGS
    assert board.overview().get("mx_records").state is TaskState.NOT_STARTED  # unlocked


def test_inbound_settings_cannot_be_confirmed_before_the_ranges_are_read(board):
    task = InboundEmailTask(board, service=SERVICE)
    with pytest.raises(errors.StepNotOpen):
        task.confirm_settings(version=board.start("inbound_email").version, ticks=[True] * SETTINGS)


@pytest.mark.parametrize(
    "ticks", [None, [], [True] * (SETTINGS - 1), [True] * (SETTINGS + 1), ["yes"] * SETTINGS, "all", [1] * SETTINGS]
)
def test_inbound_needs_exactly_one_true_tick_per_setting(board, ticks):
    task = InboundEmailTask(board, service=SERVICE)
    status = task.read_ranges(version=board.start("inbound_email").version)
    with pytest.raises(errors.InvalidInput, match="Tick each setting"):
        task.confirm_settings(version=status.version, ticks=ticks)


@pytest.fixture
def mx(board, services, zone):  # type: ignore[no-untyped-def]
    mark_complete(board, "inbound_email")
    records, port = zone
    return board, MxRecordsTask(board, checker=checker_for(services, port), service=SERVICE), records


def test_mx_lists_the_records_then_completes_when_the_primary_points_at_the_service(mx, services):
    board, task, records = mx
    assert task.domains() == ["acme.example"]  # nothing verified yet: the primary domain
    assert task.records() == [f"MX  {10 * (i + 1)}  {host}." for i, host in enumerate(SERVICE.mx_hosts)]
    status = task.ready(version=board.start("mx_records").version)
    assert status.step == "check"
    records.mx["acme.example"] = [(10, "mx.oldhost.example")]
    status = task.check_mx(version=status.version)
    assert (status.state, status.step) == (TaskState.IN_PROGRESS, "check")
    assert status.data["mx_check"]["outcome"] == "wrong" and "mx.oldhost.example" in status.data["mx_check"]["message"]
    records.mx["acme.example"] = [(10 * (i + 1), host) for i, host in enumerate(SERVICE.mx_hosts)]
    status = task.check_mx(version=status.version)
    assert status.state is TaskState.COMPLETE and status.data["mx_check"]["outcome"] == "ok"
    assert [e.outcome for e in audit_rows(services, "dns_check")] == ["wrong", "ok"]


def test_mx_cannot_be_checked_before_the_records_are_changed(mx):
    board, task, _records = mx
    with pytest.raises(errors.StepNotOpen):
        task.check_mx(version=board.start("mx_records").version)


def test_mx_is_locked_until_inbound_email_is_complete(board, services):
    task = MxRecordsTask(board, checker=checker_for(services, 53), service=SERVICE)
    with pytest.raises(errors.TaskLocked, match="until Prepare for Inbound Email is complete"):
        task.ready(version=0)
