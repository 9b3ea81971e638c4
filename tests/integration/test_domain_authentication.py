"""Synchronize Your Directory, Set Up Your Authentication and the Domain login, against a real slapd."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from connect_widgets.core import errors
from connect_widgets.core.adapters.ldap import DirectoryLoginRefused
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.review.queue import ReviewQueue
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.directory_sync import DirectorySyncTask
from connect_widgets.core.tasks.recipient_validation import RecipientValidationTask
from connect_widgets.core.tasks.user_authentication import UserAuthenticationTask
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import Account, AdminUser, AuditEvent
from tests.conftest import NEW_PASSWORD, code_from_sms, reach_password
from tests.core.task_setup import connect_directory, ldap_connection
from tests.integration.conftest import domain_password_page


def everything_stored(services) -> str:
    """Every value of every row of every table, as text (to look for a secret anywhere)."""
    from sqlmodel import SQLModel

    with services.engine.connect() as connection:
        return " ".join(
            str(value)
            for table in SQLModel.metadata.sorted_tables
            for row in connection.execute(table.select())
            for value in row
        )


def test_a_failed_test_says_why_and_stays_then_the_right_password_completes_the_task(ready, slapd, services):
    board, *_ = ready
    task, status = connect_directory(board, slapd, password="not the bind password")
    assert status.state is TaskState.IN_PROGRESS and status.step == "test"
    assert status.data["last_test"]["ok"] is False and status.data["last_test"]["message"]
    status = task.back(version=status.version)
    status = task.save_ldap(version=status.version, **ldap_connection(slapd))
    status = task.run_test(version=status.version)
    assert status.state is TaskState.COMPLETE and status.data["user_count"] >= 3
    stored = everything_stored(services)
    assert slapd.bind_password not in stored and "not the bind password" not in stored
    with new_session(services.engine) as db:
        events = db.exec(select(AuditEvent).where(col(AuditEvent.action).startswith("directory"))).all()
    assert [e.outcome for e in events if e.action == "directory_tested"] == ["failed", "ok"]
    assert all(slapd.bind_password not in e.detail for e in events)


def test_editing_with_an_empty_password_keeps_the_saved_one(ready, slapd):
    board, *_ = ready
    task, status = connect_directory(board, slapd)
    assert status.state is TaskState.COMPLETE
    saved = task.saved()
    assert saved.has_password and "bind_password" not in repr(saved)
    assert slapd.bind_password not in repr(task.connection())


def test_a_cloud_directory_waits_for_staff_and_a_rejection_shows_the_reason(ready, services):
    board, *_ = ready
    task = DirectorySyncTask(board)
    status = task.choose_method(version=board.start("directory_sync").version, method="azure_ad")
    with pytest.raises(errors.StepOutOfOrder):
        task.save_ldap(
            version=status.version, url="ldap://x.example", base_dn="dc=x", bind_dn="cn=x", bind_password="pw"
        )
    status = task.save_cloud(version=status.version, tenant="7f3c2a9e-1b2d-4c5e-8f90-123456789abc")
    assert status.state is TaskState.AWAITING_VALIDATION
    queue = ReviewQueue(services, staff="Priya")
    queue.reject(queue.pending()[0].id, reason="That tenant ID is not yours; check it in Entra.")
    assert task.status().state is TaskState.IN_PROGRESS and "not yours" in task.rejection()
    status = task.save_cloud(version=task.status().version, tenant="0a1b2c3d-0000-4c5e-8f90-abcdefabcdef")
    queue.approve(queue.pending()[0].id)
    assert task.status().state is TaskState.COMPLETE


def test_domain_needs_the_directory_and_a_successful_test_login_before_enable(ready, slapd, services):
    board, *_ = ready
    auth = UserAuthenticationTask(board)
    status = board.start("user_authentication")
    with pytest.raises(errors.TaskLocked, match="Synchronize Your Directory"):
        auth.choose_mode(version=status.version, mode="domain")
    connect_directory(board, slapd)
    status = auth.choose_mode(version=auth.status().version, mode="domain")
    with pytest.raises(errors.StepOutOfOrder):  # a forged click on Enable before any test
        auth.enable(version=status.version)
    with pytest.raises(DirectoryLoginRefused):
        auth.test_login(version=status.version, logon="jane", password="wrong password")
    status = auth.test_login(version=auth.status().version, logon="jane", password=slapd.users["jane"])
    status = auth.enable(version=status.version)
    assert status.state is TaskState.COMPLETE
    with new_session(services.engine) as db:
        assert db.exec(select(Account)).one().auth_mode == "domain"
        assert db.exec(select(AdminUser)).one().directory_logon == "jane"
    assert slapd.users["jane"] not in everything_stored(services)


def test_cloud_only_completes_at_once(ready, services):
    board, *_ = ready
    auth = UserAuthenticationTask(board)
    status = auth.choose_mode(version=board.start("user_authentication").version, mode="cloud")
    assert status.state is TaskState.COMPLETE and status.data["mode"] == "cloud"


def test_directory_users_only_becomes_possible_once_the_directory_syncs(ready, slapd):
    board, *_ = ready
    connect_directory(board, slapd)
    task = RecipientValidationTask(board)
    status = task.choose(version=board.start("recipient_validation").version, mode="directory")
    assert status.state is TaskState.COMPLETE and status.data["mode"] == "directory"


def test_a_full_domain_login_with_the_directory_password_and_the_passcode(domain_enabled, slapd, services):
    flow = domain_password_page(services, domain_enabled.admin_email)
    assert flow.submit_password(slapd.users["jane"], logon="JANE") is LoginStep.PASSCODE
    flow.verify_passcode(code_from_sms(services))
    assert flow.log_in() is LoginStep.SIGNED_IN


@pytest.mark.parametrize("logon", ["*", ")(uid=*", "jane)(|(uid=*", "*)(objectClass=*", "sam"])
def test_another_logon_or_an_injection_never_logs_in(domain_enabled, slapd, services, logon):
    flow = domain_password_page(services, domain_enabled.admin_email)
    for password in (slapd.users["jane"], slapd.users["sam"]):
        with pytest.raises(errors.InvalidCredentials):
            flow.submit_password(password, logon=logon)
    assert flow.step is LoginStep.PASSWORD


@pytest.mark.parametrize("logon", ["\x00", "jane\x00", ""])
def test_a_logon_with_nul_bytes_or_empty_is_refused_before_the_directory(domain_enabled, slapd, services, logon):
    slapd.stop()
    try:
        flow = domain_password_page(services, domain_enabled.admin_email)
        with pytest.raises(errors.InvalidInput):
            flow.submit_password(slapd.users["jane"], logon=logon)
    finally:
        slapd.start()


def test_an_empty_password_is_refused_before_any_bind(domain_enabled, slapd, services):
    slapd.stop()  # if a bind were tried, the answer would be "directory unavailable"
    try:
        flow = domain_password_page(services, domain_enabled.admin_email)
        with pytest.raises(errors.InvalidInput):
            flow.submit_password("", logon="jane")
    finally:
        slapd.start()


def test_wrong_domain_passwords_lock_like_cloud_ones(domain_enabled, slapd, services):
    for _ in range(5):
        flow = domain_password_page(services, domain_enabled.admin_email)
        with pytest.raises(errors.InvalidCredentials):
            flow.submit_password("wrong directory password", logon="jane")
    flow = domain_password_page(services, domain_enabled.admin_email)
    with pytest.raises(errors.InvalidCredentials):  # locked: even the right password waits
        flow.submit_password(slapd.users["jane"], logon="jane")
    with new_session(services.engine) as db:
        assert db.exec(select(AdminUser)).one().locked_until is not None


def test_a_stopped_directory_says_so_counts_nothing_and_cloud_still_works(domain_enabled, slapd, services):
    flow = domain_password_page(services, domain_enabled.admin_email)
    slapd.stop()
    try:
        with pytest.raises(errors.DirectoryUnavailable, match='Choose "Cloud"'):
            flow.submit_password(slapd.users["jane"], logon="jane")
    finally:
        slapd.start()
    with new_session(services.engine) as db:
        assert db.exec(select(AdminUser)).one().failed_logins == 0
    flow.back_to_method()
    flow.choose_method("cloud")
    assert flow.submit_password(NEW_PASSWORD) is LoginStep.PASSCODE


def test_domain_is_refused_at_the_method_step_until_enabled(ready, services, account):
    board, *_ = ready
    flow = LoginFlow(services)
    reach_password(flow, account.admin_email)  # Cloud works
    flow.back_to_method()
    with pytest.raises(errors.MethodNotAvailable):
        flow.choose_method("domain")


def test_directory_passwords_reach_no_log_audit_row_error_or_stored_value(domain_enabled, slapd, services, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    wrong = "Wrong-Directory-Pass-9"
    refused = []
    flow = domain_password_page(services, domain_enabled.admin_email)
    with pytest.raises(errors.InvalidCredentials) as failed:
        flow.submit_password(wrong, logon="jane")
    refused.append(failed.value)
    slapd.stop()
    try:
        with pytest.raises(errors.DirectoryUnavailable) as down:
            flow.submit_password(slapd.users["jane"], logon="jane")
        refused.append(down.value)
    finally:
        slapd.start()
    flow.submit_password(slapd.users["jane"], logon="jane")
    stored = everything_stored(services)
    for secret in (wrong, slapd.users["jane"], slapd.bind_password):
        assert secret not in caplog.text and secret not in stored and secret not in repr(flow)
        assert all(secret not in str(e) and secret not in repr(e) for e in refused)
