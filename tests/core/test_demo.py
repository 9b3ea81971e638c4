"""Demo accounts: seeded from the data file, reset to each stage through Connect's own steps."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlmodel import col, func, select

from connect_widgets.core import errors
from connect_widgets.core.accounts.create import create_account
from connect_widgets.core.adapters.dns import DnsOutcome
from connect_widgets.core.adapters.service_values import load_service_values
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.limits import MAX_FAILED_LOGINS
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.delivery.courier import Courier
from connect_widgets.core.review.queue import ReviewQueue
from connect_widgets.core.tasks.board import TaskBoard
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.demo.dns import demo_records
from connect_widgets.demo.stages import (
    STAGES,
    DemoDnsChecker,
    DemoStageFailed,
    NotADemoAccount,
    clear_passcode_limits,
    delete_demo_account,
    load_demo_accounts,
    reset_demo_account,
    seed_demo_accounts,
)
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import (
    Account,
    AuditEvent,
    Domain,
    LoginSession,
    MailUser,
    Message,
    PermittedSender,
    Phone,
)
from tests.conftest import GB_MOBILE, NEW_PASSWORD, code_from_sms, last_sms, stopped_by_the_send_limit, user_by_email

DEMOS = load_demo_accounts()
HARBOUR = next(d for d in DEMOS if d.code == "HARBOURSIDE")
SERVICE = load_service_values()


def log_in(services, email: str, password: str) -> LoginFlow:
    """A returning admin's login: email, Cloud, password, the passcode from the demo phone, Log In."""
    flow = LoginFlow(services)
    flow.submit_email(email)
    flow.choose_method("cloud")
    assert flow.submit_password(password) is LoginStep.PASSCODE, "the phone should be saved already"
    flow.verify_passcode(code_from_sms(services))
    assert flow.log_in() is LoginStep.SIGNED_IN, "the password should be changed already"
    return flow


def states(services, code: str) -> dict[str, TaskState]:
    """Every task's state as the demo admin sees it after logging in."""
    demo = next(d for d in DEMOS if d.code == code)
    flow = log_in(services, demo.admin_email(services.settings.holding_suffix), demo.password)
    try:
        return {s.task.key: s.state for s in TaskBoard(flow).overview().tasks}
    finally:
        flow.log_out()


def count(services, model, *where) -> int:  # type: ignore[no-untyped-def]
    with new_session(services.engine) as db:
        return db.exec(select(func.count()).select_from(model).where(*where)).one()


def account_row(services, code: str) -> Account | None:
    with new_session(services.engine) as db:
        return db.exec(select(Account).where(Account.code == code)).first()


# --- the data file -----------------------------------------------------------------------


def test_the_demo_data_spans_several_companies_platforms_and_regions():
    assert len(DEMOS) >= 3
    assert len({d.platform for d in DEMOS}) >= 3 and len({d.region for d in DEMOS}) >= 3
    assert all(d.primary_domain.endswith(".example") for d in DEMOS)
    assert all(u.email.endswith("@" + d.primary_domain) for d in DEMOS for u in d.users)


# --- seeding -------------------------------------------------------------------------------


def test_seed_creates_every_demo_account_marked_demo_and_repeating_it_changes_nothing(services):
    first = seed_demo_accounts(services)
    assert [s.account_code for s in first] == [d.code for d in DEMOS]
    assert all(s.created and s.password for s in first)
    assert all(account_row(services, d.code).is_demo for d in DEMOS)

    again = seed_demo_accounts(services)
    assert not any(s.created for s in again) and all(s.password is None for s in again)
    assert count(services, Account) == len(DEMOS)
    assert first[0].password not in repr(first[0])  # a supplied password never reaches a repr


def test_seed_leaves_a_real_account_that_holds_a_demo_code_alone(services):
    create_account(
        services, code="HARBOURSIDE", company="Real Harbour plc", primary_domain="realharbour.example", admin_name="kim"
    )
    outcome = next(s for s in seed_demo_accounts(services) if s.account_code == "HARBOURSIDE")
    assert not outcome.created and "not a demo account" in outcome.note
    row = account_row(services, "HARBOURSIDE")
    assert (row.company, row.is_demo) == ("Real Harbour plc", False)


# --- each stage's landing ---------------------------------------------------------------


def test_fresh_shows_the_email_screen_then_welcome_after_the_password_change(services):
    done = reset_demo_account(services, "harbourside", "fresh")
    assert (done.stage, done.account_code) == ("fresh", "HARBOURSIDE")
    assert done.password != HARBOUR.password and done.password not in repr(done)
    assert account_row(services, "HARBOURSIDE").is_demo

    flow = LoginFlow(services)
    assert flow.step is LoginStep.EMAIL
    flow.submit_email(done.admin_email)
    flow.choose_method("cloud")
    assert flow.submit_password(done.password) is LoginStep.ENROL_PHONE  # never logged in: no phone yet
    flow.enrol_phone(country="GB", number=GB_MOBILE)
    flow.verify_passcode(code_from_sms(services))
    assert flow.log_in() is LoginStep.CHANGE_PASSWORD
    flow.change_password(current=done.password, new=HARBOUR.password, confirm=HARBOUR.password)
    assert flow.landing().kind == "welcome"


def test_enrolled_asks_for_the_passcode_on_the_saved_phone_then_shows_welcome(services):
    done = reset_demo_account(services, "HARBOURSIDE", "enrolled")
    assert done.password == HARBOUR.password
    user = user_by_email(services, done.admin_email)
    assert not user.must_change_password and user.last_login_at is not None
    assert count(services, Phone, Phone.user_id == user.id, col(Phone.verified_at).is_not(None)) == 1

    flow = LoginFlow(services)  # straight after the reset: no cooldown from the build's own code
    flow.submit_email(done.admin_email)
    flow.choose_method("cloud")
    assert flow.submit_password(done.password) is LoginStep.PASSCODE
    assert flow.code_sent is not None and flow.destination_ending == "56"
    flow.verify_passcode(code_from_sms(services))
    assert flow.log_in() is LoginStep.SIGNED_IN
    assert flow.landing().kind == "welcome"


def test_mid_tasks_shows_welcome_back_with_outbound_in_progress(services):
    done = reset_demo_account(services, "HARBOURSIDE", "mid-tasks")
    flow = log_in(services, done.admin_email, done.password)
    landing = flow.landing()
    assert landing.kind == "returning"
    assert landing.last_completed is not None and landing.last_completed.key == "validate_domains"
    assert [t.title for t in landing.in_progress] == ["Set Up Your Outbound Email"]
    assert landing.next_task is not None and landing.next_task.key == "outbound_email"
    overview = TaskBoard(flow).overview()
    assert overview.get("confirm_details").state is TaskState.COMPLETE
    outbound = overview.get("outbound_email")
    assert outbound.step == "spf" and outbound.data["ip_ranges"] == list(HARBOUR.outbound_ranges)
    with new_session(services.engine) as db:
        domain = db.exec(select(Domain).where(Domain.name == HARBOUR.primary_domain)).one()
    assert domain.verified_at is not None and domain.last_outcome == "ok"


def test_awaiting_review_leaves_a_company_correction_in_the_review_queue(services):
    done = reset_demo_account(services, "HARBOURSIDE", "awaiting-review")
    pending = [r for r in ReviewQueue(services, staff="pat").pending() if r.account_code == "HARBOURSIDE"]
    assert [(r.kind, r.payload) for r in pending] == [("details_correction", {"company": HARBOUR.corrected_company})]
    flow = log_in(services, done.admin_email, done.password)
    landing = flow.landing()
    assert landing.kind == "returning" and landing.in_progress == ()
    assert TaskBoard(flow).overview().get("confirm_details").state is TaskState.AWAITING_VALIDATION


@pytest.mark.parametrize("code", [d.code for d in DEMOS])
def test_complete_finishes_every_task_that_needs_no_real_directory(services, code):
    demo = next(d for d in DEMOS if d.code == code)
    reset_demo_account(services, code, "complete")
    found = states(services, code)
    assert {k for k, s in found.items() if s is not TaskState.COMPLETE} == {"directory_sync"}  # needs a live one
    account = account_row(services, code)
    assert account.auth_mode == "cloud"  # Set Up Your Authentication done with Cloud only
    assert count(services, MailUser, MailUser.account_id == account.id) == len(demo.users)
    assert count(services, PermittedSender, PermittedSender.account_id == account.id) == len(demo.permitted_senders)
    assert ReviewQueue(services, staff="pat").pending() == []  # the user import was approved by "demo"
    assert count(services, LoginSession, col(LoginSession.ended_at).is_(None)) == 0  # every build logged out


def test_complete_lands_the_admin_on_setup_complete(services):
    done = reset_demo_account(services, "HARBOURSIDE", "complete")
    landing = log_in(services, done.admin_email, done.password).landing()
    assert landing.kind == "complete"
    assert [t.key for t in landing.optional_left] == ["directory_sync"]
    assert "user_authentication" in {t.key for t in landing.completed}


# --- refusals and repeats --------------------------------------------------------------


def test_a_real_account_is_never_reset_or_deleted(services, account):
    for stage in STAGES:
        with pytest.raises(NotADemoAccount, match="ACME is not a demo account"):
            reset_demo_account(services, "ACME", stage)
    with pytest.raises(NotADemoAccount):
        delete_demo_account(services, code="acme")
    with pytest.raises(NotADemoAccount):
        DemoDnsChecker(services, "ACME")
    assert account_row(services, "ACME").company == "Acme Ltd"


def test_a_real_account_holding_a_demo_code_is_refused_and_untouched(services):
    create_account(
        services, code="HARBOURSIDE", company="Real Harbour plc", primary_domain="realharbour.example", admin_name="kim"
    )
    with pytest.raises(NotADemoAccount):
        reset_demo_account(services, "HARBOURSIDE", "complete")
    assert account_row(services, "HARBOURSIDE").company == "Real Harbour plc"


def test_an_unknown_account_or_stage_is_refused_with_the_choices(services):
    with pytest.raises(NotADemoAccount, match="HARBOURSIDE"):
        reset_demo_account(services, "NOPE", "fresh")
    with pytest.raises(errors.InvalidInput, match="fresh, enrolled, mid-tasks, awaiting-review, complete"):
        reset_demo_account(services, "HARBOURSIDE", "half-way")
    assert account_row(services, "HARBOURSIDE") is None  # nothing was built


def test_resetting_twice_gives_the_same_account(services):
    reset_demo_account(services, "HARBOURSIDE", "mid-tasks")
    before = states(services, "HARBOURSIDE")
    reset_demo_account(services, "HARBOURSIDE", "mid-tasks")
    assert states(services, "HARBOURSIDE") == before
    assert count(services, Account, Account.code == "HARBOURSIDE") == 1
    assert count(services, Domain, Domain.name == HARBOUR.primary_domain) == 1


def test_resetting_a_complete_account_to_fresh_starts_it_over_and_is_audited(services):
    reset_demo_account(services, "HARBOURSIDE", "complete")
    done = reset_demo_account(services, "HARBOURSIDE", "fresh", actor="trainer:robin")
    user = user_by_email(services, done.admin_email)
    assert user.must_change_password and count(services, Phone, Phone.user_id == user.id) == 0
    assert count(services, MailUser) == 0 and count(services, Domain) == 0
    with new_session(services.engine) as db:
        resets = db.exec(select(AuditEvent).where(AuditEvent.action == "demo_reset").order_by(col(AuditEvent.id))).all()
    assert [(e.actor, e.detail) for e in resets][-1] == ("trainer:robin", "demo account HARBOURSIDE reset to fresh")
    assert resets[-1].at == services.clock.now()


def test_a_build_sends_its_texts_and_mail_to_the_outbox_whatever_is_configured(services):
    class Unreachable:
        name = "webhook"

        def deliver(self, message):  # type: ignore[no-untyped-def]
            raise errors.DeliveryFailed("the gateway is down")

    gone = replace(services, courier=Courier(sms=Unreachable(), email=Unreachable()))
    reset_demo_account(gone, "HARBOURSIDE", "enrolled")  # a real gateway would have been asked otherwise
    assert count(services, Message, Message.transport != "outbox") == 0
    assert count(services, Message, Message.channel == "sms") == 1


def test_a_dns_check_that_does_not_pass_stops_the_build_with_the_reason_and_logs_out(services):
    seed_demo_accounts(services)
    elsewhere = DemoDnsChecker(services, "NORDLICHT")  # answers only for NORDLICHT's domains
    with pytest.raises(DemoStageFailed, match=f"DNS check of {HARBOUR.primary_domain} did not pass"):
        reset_demo_account(services, "HARBOURSIDE", "mid-tasks", checker=elsewhere)
    assert count(services, LoginSession, col(LoginSession.ended_at).is_(None)) == 0


# --- the demo DNS ---------------------------------------------------------------------------


def test_the_demo_dns_answers_only_for_its_own_demo_domains_with_the_records_asked_for(services, account):
    reset_demo_account(services, "HARBOURSIDE", "mid-tasks")
    checker = DemoDnsChecker(services, "HARBOURSIDE")
    with new_session(services.engine) as db:
        token = db.exec(select(Domain.verification_token).where(Domain.name == HARBOUR.primary_domain)).one()
    right = f"{SERVICE.verification_prefix}{token}"
    assert checker.check_txt(HARBOUR.primary_domain, right).ok
    assert checker.check_txt(HARBOUR.primary_domain, right + "x").outcome is DnsOutcome.WRONG
    assert checker.check_spf(HARBOUR.primary_domain, SERVICE.spf_include).ok
    assert checker.check_mx(HARBOUR.primary_domain, SERVICE.mx_hosts).ok
    assert checker.check_txt("acme.example", right).outcome is DnsOutcome.NO_SUCH_NAME  # a real account's domain
    other = next(d for d in DEMOS if d.code != "HARBOURSIDE")
    assert checker.check_mx(other.primary_domain, SERVICE.mx_hosts).outcome is DnsOutcome.NO_SUCH_NAME


def test_the_demo_checker_answers_with_the_records_the_demo_zone_serves(services, account):
    """Both answer with demo_records(): the verification TXT, the SPF include, MX at the service's hosts."""
    reset_demo_account(services, "HARBOURSIDE", "mid-tasks")
    with new_session(services.engine) as db:
        token = db.exec(select(Domain.verification_token).where(Domain.name == HARBOUR.primary_domain)).one()
    records = demo_records(token, SERVICE)
    assert records.texts == (
        f"{SERVICE.verification_prefix}{token}",
        f"v=spf1 include:{SERVICE.spf_include} ~all",
    )
    assert records.mx == tuple((10 * (i + 1), host) for i, host in enumerate(SERVICE.mx_hosts))
    checker = DemoDnsChecker(services, "HARBOURSIDE")
    assert checker._lookup(HARBOUR.primary_domain, "TXT") == (DnsOutcome.OK, records.texts, "")
    assert checker._lookup(HARBOUR.primary_domain, "MX") == (
        DnsOutcome.OK,
        tuple(f"{preference} {host}" for preference, host in records.mx),
        "",
    )


# --- clearing passcode limits ---------------------------------------------------------------


def code_on_phone(services, email: str) -> str:
    """The last passcode texted to this admin (the demo phone, i.e. the outbox)."""
    match = re.search(r"\b(\d{6})\b", last_sms(services, user_id=user_by_email(services, email).id).body)
    assert match, "the SMS carries no 6-digit code"
    return match.group(1)


def limits_cleared_events(services) -> list[AuditEvent]:
    with new_session(services.engine) as db:
        return list(db.exec(select(AuditEvent).where(AuditEvent.action == "demo_limits_cleared")))


def test_clearing_the_limits_lets_a_new_code_be_sent_at_once_and_kills_the_old_one(services, clock):
    done = reset_demo_account(services, "HARBOURSIDE", "enrolled")
    flow = stopped_by_the_send_limit(services, clock, done.admin_email, done.password)
    old_code = code_on_phone(services, done.admin_email)

    cleared = clear_passcode_limits(services, code="harbourside")
    assert (cleared.account_code, cleared.codes_cleared, cleared.lockout_lifted) == ("HARBOURSIDE", 5, False)

    flow.resend_passcode()  # no wait: neither the 15-minute limit nor the 30-second rule holds it back
    new_code = code_on_phone(services, done.admin_email)
    assert new_code != old_code
    with pytest.raises(errors.PasscodeWrong):  # a code sent before the clearing never works again
        flow.verify_passcode(old_code)
    with pytest.raises(errors.ResendTooSoon):  # the rules count again from the new code
        flow.resend_passcode()
    flow.verify_passcode(new_code)
    assert flow.log_in() is LoginStep.SIGNED_IN


def test_clearing_the_limits_also_lifts_a_password_lockout(services, clock):
    done = reset_demo_account(services, "HARBOURSIDE", "enrolled")
    for _ in range(MAX_FAILED_LOGINS):
        flow = LoginFlow(services)
        flow.submit_email(done.admin_email)
        flow.choose_method("cloud")
        with pytest.raises(errors.InvalidCredentials):
            flow.submit_password("not the demo password")
    assert user_by_email(services, done.admin_email).locked_until > clock.now()

    assert clear_passcode_limits(services, code="HARBOURSIDE").lockout_lifted
    user = user_by_email(services, done.admin_email)
    assert (user.failed_logins, user.lock_count, user.locked_until) == (0, 0, None)
    flow = LoginFlow(services)
    flow.submit_email(done.admin_email)
    flow.choose_method("cloud")
    assert flow.submit_password(done.password) is LoginStep.PASSCODE


def test_clearing_the_limits_refuses_a_real_account_and_leaves_its_limits_alone(services, clock, enrolled):
    done = reset_demo_account(services, "HARBOURSIDE", "enrolled")
    real = stopped_by_the_send_limit(services, clock, enrolled.admin_email, NEW_PASSWORD)
    stopped_by_the_send_limit(services, clock, done.admin_email, done.password)

    for code in ("ACME", "acme"):
        with pytest.raises(NotADemoAccount, match="ACME is not a demo account"):
            clear_passcode_limits(services, code=code)
    with pytest.raises(NotADemoAccount, match="no account NOPE"):
        clear_passcode_limits(services, code="NOPE")
    with pytest.raises(errors.InvalidInput):
        clear_passcode_limits(services, code=None)
    clear_passcode_limits(services, code="HARBOURSIDE")

    with pytest.raises(errors.SendLimitReached):  # the real admin still waits out the 15 minutes
        real.resend_passcode()
    assert [e.detail for e in limits_cleared_events(services)] == [
        "demo account HARBOURSIDE: 5 passcode(s) sent in the last 15 minutes cleared; no password lockout"
    ]


def test_a_real_account_holding_a_demo_code_never_has_its_limits_cleared(services, clock):
    real = create_account(
        services, code="HARBOURSIDE", company="Real Harbour plc", primary_domain="realharbour.example", admin_name="kim"
    )
    with pytest.raises(NotADemoAccount):
        clear_passcode_limits(services, code="HARBOURSIDE")
    assert limits_cleared_events(services) == []
    assert user_by_email(services, real.admin_email).account_id == account_row(services, "HARBOURSIDE").id


def test_clearing_the_limits_is_audited_without_a_code_or_a_number(services, clock):
    done = reset_demo_account(services, "HARBOURSIDE", "enrolled")
    stopped_by_the_send_limit(services, clock, done.admin_email, done.password)
    codes = [m.group(1) for m in (re.search(r"\b(\d{6})\b", body) for body in sms_bodies(services)) if m]
    clear_passcode_limits(services, code="HARBOURSIDE", actor="trainer:robin")

    [event] = limits_cleared_events(services)
    user = user_by_email(services, done.admin_email)
    assert (event.actor, event.account_id, event.user_id, event.outcome) == (
        "trainer:robin",
        user.account_id,
        user.id,
        "ok",
    )
    assert event.at == clock.now()
    assert not any(code in event.detail for code in codes)
    assert GB_MOBILE not in event.detail and HARBOUR.password not in event.detail


def sms_bodies(services) -> list[str]:
    with new_session(services.engine) as db:
        return list(db.exec(select(Message.body).where(Message.channel == "sms")))
