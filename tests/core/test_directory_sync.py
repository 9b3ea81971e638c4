"""Synchronize Your Directory: method, connection, test, against a real OpenLDAP on loopback."""

from __future__ import annotations

import pytest
from sqlmodel import select

from connect_widgets.core import errors
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.directory_sync import DirectorySyncTask
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import Directory, Review
from tests.core.task_setup import audit_rows, ldap_connection, signed_in_board


@pytest.fixture
def directory(services, flow, account):  # type: ignore[no-untyped-def]
    board = signed_in_board(services, flow, account)
    return board, DirectorySyncTask(board), board.start("directory_sync")


def test_an_ldap_directory_is_chosen_saved_and_tested_then_the_task_is_complete(directory, slapd, services):
    _board, task, status = directory
    assert status.step == "method"
    status = task.choose_method(version=status.version, method="ldap")
    assert status.step == "connection"
    status = task.save_ldap(version=status.version, **ldap_connection(slapd))
    assert status.step == "test"
    saved = task.saved()
    assert saved is not None and (saved.url, saved.has_password) == (slapd.url, True)
    status = task.run_test(version=status.version)
    assert status.state is TaskState.COMPLETE and status.data["last_test"]["ok"] is True
    assert status.data["user_count"] >= len(slapd.users)
    assert [e.outcome for e in audit_rows(services, "directory_tested")] == ["ok"]
    with new_session(services.engine) as db:  # the bind password is kept sealed, never as typed
        row = db.exec(select(Directory)).one()
        assert row.bind_password_encrypted and slapd.bind_password not in row.bind_password_encrypted


def test_a_failed_test_stays_on_the_test_step_and_says_why(directory, slapd):
    _board, task, status = directory
    status = task.choose_method(version=status.version, method="ldap")
    status = task.save_ldap(version=status.version, **ldap_connection(slapd, bind_password="not the password"))
    status = task.run_test(version=status.version)
    assert (status.state, status.step, status.data["last_test"]["ok"]) == (TaskState.IN_PROGRESS, "test", False)
    assert status.data["last_test"]["message"]


def test_a_cloud_directory_waits_for_the_connect_team(directory, services):
    _board, task, status = directory
    status = task.choose_method(version=status.version, method="azure_ad")
    status = task.save_cloud(version=status.version, tenant="  contoso.onmicrosoft.com ")
    assert status.state is TaskState.AWAITING_VALIDATION and status.data["tenant"] == "contoso.onmicrosoft.com"
    with new_session(services.engine) as db:
        assert [r.task_key for r in db.exec(select(Review))] == ["directory_sync"]


def test_steps_out_of_order_are_refused(directory, slapd):
    _board, task, status = directory
    with pytest.raises(errors.StepNotOpen):  # a forged Save before a method is chosen
        task.save_ldap(version=status.version, **ldap_connection(slapd))
    with pytest.raises(errors.StepNotOpen):
        task.run_test(version=status.version)
    status = task.choose_method(version=status.version, method="ldap")
    with pytest.raises(errors.StepOutOfOrder, match="Choose a cloud directory first"):
        task.save_cloud(version=status.version, tenant="contoso")


@pytest.mark.parametrize("method", ["", "ftp", None, ["ldap"]])
def test_a_method_not_on_the_list_is_refused(directory, method):
    _board, task, status = directory
    with pytest.raises(errors.InvalidInput, match="Choose how your directory is reached"):
        task.choose_method(version=status.version, method=method)


def test_a_connection_that_cannot_be_used_is_refused_before_anything_is_saved(directory, slapd):
    _board, task, status = directory
    status = task.choose_method(version=status.version, method="ldap")
    with pytest.raises(errors.InvalidInput):
        task.save_ldap(version=status.version, **ldap_connection(slapd, url="http://dc1.acme.example"))
    assert task.saved() is None
