"""The trainer page: off by default, demo accounts only, a reset in one click, the demo phone."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from connect_widgets.core.login import LoginFlow, LoginStep
from connect_widgets.core.services import build_services
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import Account
from connect_widgets.trainer import TrainerConsole, load_presenter_notes
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
