"""The trainer page: off by default, demo accounts only, a reset in one click, the demo phone."""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import select

from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.delivery.message import Channel, OutgoingMessage
from connect_widgets.core.services import build_services
from connect_widgets.pages.trainer import TrainerConsole, load_presenter_notes
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import Account, AdminUser, AuditEvent
from tests.conftest import stopped_by_the_send_limit
from tests.screens.conftest import plain


@pytest.fixture
def trainer(services) -> TrainerConsole:
    services.settings = services.settings.model_copy(update={"trainer_enabled": True})
    return TrainerConsole(services)


def test_the_trainer_page_is_off_unless_the_server_turns_it_on(services):
    page = TrainerConsole(services)
    assert "turned off" in page.children[-1].value
    assert not hasattr(page, "stage_buttons")


def test_seed_then_reset_to_fresh_shows_the_password_and_the_phone_shows_the_code(trainer, services, clock):
    trainer.seed_button.click()
    assert "ready" in plain(trainer.message.value)
    codes = [value for _label, value in trainer.account.options]
    assert len(codes) >= 3
    trainer.account.value = codes[0]
    trainer.stage_buttons["fresh"].click()
    shown = plain(trainer.result.value)
    email = re.search(r"Email: (\S+)", shown).group(1)
    password = re.search(r"Password: (.+?)\s*Open Connect", shown).group(1)
    assert "No SMS yet" in trainer.phone.value

    flow = LoginFlow(build_services(services.settings, clock=clock, engine=services.engine))
    flow.submit_email(email)
    flow.choose_method("cloud")
    assert flow.submit_password(password) is LoginStep.ENROL_PHONE
    flow.enrol_phone(country="GB", number="7400123456")
    trainer.refresh()  # the page refreshes by itself every 2 s; here the test calls it
    code = re.search(r'<span class="code">(\d{6})</span>', trainer.phone.value).group(1)
    flow.verify_passcode(code)
    assert flow.log_in() is LoginStep.CHANGE_PASSWORD


def test_a_non_demo_account_is_never_listed_or_reset(trainer, services, account):
    trainer.seed_button.click()
    assert account.account_code not in [v for _l, v in trainer.account.options]
    assert not trainer.run(lambda: trainer.reset("complete", code=account.account_code))
    assert "demo" in plain(trainer.message.value).lower()
    with new_session(services.engine) as db:
        assert db.exec(select(Account).where(Account.code == account.account_code)).one().company == "Acme Ltd"


def test_publishing_demo_dns_is_one_click_and_resetting_withdraws_it(trainer):
    trainer.seed_button.click()
    trainer.dns_button.click()
    assert "published" in plain(trainer.dns_state.value) and trainer.dns_button.description.startswith("Withdraw")
    trainer.stage_buttons["fresh"].click()
    assert trainer.dns_button.description.startswith("Publish")


def test_presenter_notes_cover_every_step_in_order():
    notes = load_presenter_notes()
    assert [t for t, _s, _p in notes][0].startswith("1.") and len(notes) >= 10
    assert all(sees and point for _t, sees, point in notes)


def test_clear_passcode_limits_lets_a_stuck_demo_send_a_new_code_at_once(trainer, services, clock):
    trainer.seed_button.click()
    trainer.account.value = "HARBOURSIDE"
    trainer.stage_buttons["enrolled"].click()
    shown = plain(trainer.result.value)
    email, password = re.search(r"Email: (\S+) Password: (.+?) Open Connect", shown).groups()
    flow = stopped_by_the_send_limit(services, clock, email, password)

    trainer.clear_limits_button.click()
    message = plain(trainer.message.value)
    assert "info" in trainer.message._dom_classes
    assert message.startswith(
        "Passcode limits cleared for HARBOURSIDE: 5 codes sent in the last 15 minutes no longer count."
    )
    assert "click Resend code" in message
    flow.resend_passcode()  # at once: no 30-second wait, no 15-minute limit
    with new_session(services.engine) as db:
        [event] = db.exec(select(AuditEvent).where(AuditEvent.action == "demo_limits_cleared")).all()
    assert event.actor == "trainer" and "HARBOURSIDE" in event.detail

    clock.advance(minutes=16)
    trainer.clear_limits_button.click()  # nothing left to clear: said so, not an error
    assert "info" in trainer.message._dom_classes
    assert "Nothing was holding HARBOURSIDE back" in plain(trainer.message.value)


def test_clear_passcode_limits_refuses_a_real_account_even_if_the_page_is_forged(trainer, services, account):
    trainer.seed_button.click()
    assert not trainer.run(lambda: trainer.clear_limits(code=account.account_code))
    assert "error" in trainer.message._dom_classes
    assert "ACME is not a demo account" in plain(trainer.message.value)
    with new_session(services.engine) as db:
        assert db.exec(select(AuditEvent).where(AuditEvent.action == "demo_limits_cleared")).all() == []


def test_the_demo_inbox_shows_each_mail_whole_and_escaped(trainer, services, clock):
    trainer.seed_button.click()
    trainer.account.value = "HARBOURSIDE"
    url = "https://connect.example/voila/render/connect.ipynb?account=HARBOURSIDE&" + "x" * 300
    with services.transaction() as db:
        user = db.exec(select(AdminUser).where(AdminUser.email.startswith("sam@"))).one()
        services.courier.send(
            db,
            OutgoingMessage(
                Channel.EMAIL,
                "it@harbourside.example",
                f"Open <{url}>\nEnd.",
                subject="A <b>very</b> long subject " * 8,
                user_id=user.id,
            ),
            now=clock.now(),
        )
    trainer.refresh()
    first = trainer.inbox.value.split('<div class="connect-mail">')[1]
    assert html.escape(url) in first and first.count("…") == 0  # not cut at a few hundred characters
    assert "<b>very</b>" not in first and "&lt;b&gt;very&lt;/b&gt;" in first
    assert "To it@harbourside.example" in plain(first)
