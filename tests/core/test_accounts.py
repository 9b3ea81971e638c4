"""Creating an account: its first admin, the supplied password, the welcome email."""

from __future__ import annotations

import pytest
from sqlmodel import select

from connect_widgets.core import errors
from connect_widgets.core.accounts.create import create_account
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import Account, AdminUser, AuditEvent, Message


def test_account_admin_and_welcome_email_are_created(services, account):
    assert account.admin_email == "jane@acme.mimecast.connect"
    assert account.url == "http://127.0.0.1:8866/voila/render/connect.ipynb?account=ACME"
    with new_session(services.engine) as db:
        acme = db.exec(select(Account)).one()
        admin = db.exec(select(AdminUser)).one()
        email = db.exec(select(Message)).one()
        audit = db.exec(select(AuditEvent)).one()
    assert (acme.code, acme.company, acme.primary_domain, acme.platform, acme.region, acme.auth_mode) == (
        "ACME",
        "Acme Ltd",
        "acme.example",
        "microsoft_365",
        "uk",
        "cloud",
    )
    assert admin.must_change_password and admin.password_hash.startswith("$argon2id$")
    assert services.hasher.verify(admin.password_hash, account.temporary_password)
    assert email.channel == "email" and email.status == "sent"
    assert account.url in email.body and account.admin_email in email.body
    assert account.temporary_password not in email.body  # handed over separately
    assert audit.action == "account_created"


def test_welcome_goes_to_the_contact_email_when_given(services):
    create_account(
        services,
        code="globex",
        company="Globex",
        primary_domain="globex.example",
        admin_name="hank",
        contact_email="it@globex.example",
        platform="google-workspace",
        region="US",
    )
    with new_session(services.engine) as db:
        assert db.exec(select(Message)).one().recipient == "it@globex.example"
        globex = db.exec(select(Account)).one()
    assert (globex.code, globex.platform, globex.region) == ("GLOBEX", "google_workspace", "us")


def test_a_taken_code_is_refused_whatever_its_case(services, account):
    with pytest.raises(errors.AccountExists, match="ACME already exists"):
        create_account(services, code="acme", company="Other", primary_domain="other.example", admin_name="bob")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "ac me"),
        ("code", "-acme"),
        ("primary_domain", "acme"),
        ("primary_domain", "acme..example"),
        ("admin_name", "ja ne"),
        ("platform", "lotus"),
        ("region", "mars"),
        ("company", ""),
    ],
)
def test_bad_fields_are_refused_with_nothing_stored(services, field, value):
    fields = dict(code="ACME", company="Acme Ltd", primary_domain="acme.example", admin_name="jane")
    fields[field] = value
    with pytest.raises(errors.InvalidInput):
        create_account(services, **fields)
    with new_session(services.engine) as db:
        assert db.exec(select(Account)).first() is None


def test_repr_of_the_result_hides_the_password(account):
    assert account.temporary_password not in repr(account)
