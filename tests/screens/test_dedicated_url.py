"""The dedicated URL's query string only ever pre-fills the Email field."""

from __future__ import annotations

import pytest

from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.pages.connect import ConnectApp, build_app, prefill_from_query
from connect_widgets.screens.login.email import EmailScreen
from connect_widgets.screens.login.method import MethodScreen

SUFFIX = "mimecast.connect"


def test_an_account_code_prefills_the_holding_domain():
    assert prefill_from_query("account=ACME", suffix=SUFFIX) == "@acme.mimecast.connect"


def test_the_configured_suffix_is_used():
    assert prefill_from_query("account=acme", suffix="connect.example") == "@acme.connect.example"


def test_a_full_connect_address_prefills_it_lower_cased():
    assert prefill_from_query("email=Jane@ACME.mimecast.connect", suffix=SUFFIX) == "jane@acme.mimecast.connect"


@pytest.mark.parametrize(
    "query",
    [
        "account=<script>alert(1)</script>",
        "account=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "account=" + "A" * 33,
        "account=" + "A" * 10_000,
        "account=-acme",
        "account=ac%00me",
        "email=evil@other.example",
        "email=jane@acme.mimecast.connect.evil.example",
        "email=" + "j" * 300 + "@acme.mimecast.connect",
        "email=%22%3E%3Cimg%20src%3Dx%3E@acme.mimecast.connect",
        "",
        "&&&==",
    ],
    ids=[
        "script",
        "encoded-script",
        "33-chars",
        "huge",
        "leading-hyphen",
        "nul",
        "other-domain",
        "suffix-in-the-middle",
        "long-email",
        "markup-email",
        "empty",
        "separators",
    ],
)
def test_junk_in_the_query_prefills_nothing(query):
    assert prefill_from_query(query, suffix=SUFFIX) == ""


def test_a_query_with_many_parameters_prefills_nothing_rather_than_failing():
    """A link with extra tracking parameters (utm_*, voila's own) is junk, not a crash."""
    query = "account=ACME&" + "&".join(f"utm_{i}=x" for i in range(12))
    assert prefill_from_query(query, suffix=SUFFIX) in ("", "@acme.mimecast.connect")


def test_a_prefilled_email_starts_at_the_email_screen(services, account):
    app = ConnectApp(services, prefill_email="jane@acme.mimecast.connect")
    assert isinstance(app.current, EmailScreen)
    assert app.current.email.value == "jane@acme.mimecast.connect"
    assert app.flow.step is LoginStep.EMAIL
    assert app.flow.email is None
    app.current.next_button.click()
    assert isinstance(app.current, MethodScreen)


def test_build_app_prefills_from_the_query_string_and_skips_nothing(settings, clock):
    app = build_app(settings, query_string="account=ACME", clock=clock)
    try:
        assert isinstance(app.current, EmailScreen)
        assert app.current.email.value == ""  # the cursor sits in an empty field: the name comes first
        assert "@acme.mimecast.connect" in app.current.domain.value
        assert app.current.domain.layout.display is None
        assert app.flow.step is LoginStep.EMAIL
    finally:
        app.services.engine.dispose()


def test_with_the_account_in_the_url_the_admin_types_only_their_name(services, account):
    app = ConnectApp(services, prefill_email="@acme.mimecast.connect")
    screen = app.current
    name = account.admin_email.split("@")[0]
    screen.email.value = name
    screen.next_button.click()
    assert isinstance(app.current, MethodScreen)
    assert app.flow.email == account.admin_email


def test_with_the_account_in_the_url_a_whole_address_typed_is_used_as_typed(services, account):
    app = ConnectApp(services, prefill_email="@other.mimecast.connect")
    screen = app.current
    screen.email.value = account.admin_email
    assert screen.domain.layout.display == "none"  # the domain beside the field steps aside
    screen.next_button.click()
    assert isinstance(app.current, MethodScreen)
    assert app.flow.email == account.admin_email


def test_with_the_account_in_the_url_an_empty_name_is_refused_and_the_domain_stays(services, account):
    app = ConnectApp(services, prefill_email="@acme.mimecast.connect")
    app.current.next_button.click()
    assert isinstance(app.current, EmailScreen)
    assert "Enter your email address" in app.message.value
    assert "@acme.mimecast.connect" in app.current.domain.value


def test_log_out_brings_back_the_account_domain_and_an_empty_name(services, account):
    app = ConnectApp(services, prefill_email="@acme.mimecast.connect")
    app.current.email.value = "someone"
    app.log_out()
    assert app.current.email.value == ""
    assert "@acme.mimecast.connect" in app.current.domain.value


def test_build_app_with_a_junk_query_string_leaves_the_field_empty(settings, clock):
    app = build_app(settings, query_string="email=evil@other.example", clock=clock)
    try:
        assert isinstance(app.current, EmailScreen)
        assert app.current.email.value == ""
    finally:
        app.services.engine.dispose()
