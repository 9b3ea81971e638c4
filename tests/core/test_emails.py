"""Connect addresses: name@<accountcode>.<suffix>, case-insensitive."""

from __future__ import annotations

import pytest

from connect_widgets.core.auth.addresses import parse_connect_address, parse_contact_email
from connect_widgets.core.errors import InvalidInput


def test_address_is_lower_cased_and_split():
    address = parse_connect_address("  Jane.Doe@ACME.Mimecast.Connect ", suffix="mimecast.connect")
    assert (address.name, address.account_code, address.email) == ("jane.doe", "acme", "jane.doe@acme.mimecast.connect")


def test_the_suffix_comes_from_settings():
    assert parse_connect_address("jane@acme.connect.test", suffix="connect.test").account_code == "acme"
    with pytest.raises(InvalidInput):
        parse_connect_address("jane@acme.mimecast.connect", suffix="connect.test")


@pytest.mark.parametrize(
    "typed",
    [
        "jane@acme.sub.mimecast.connect",
        "jane@-acme.mimecast.connect",
        "jane..doe@acme.mimecast.connect",
        ".jane@acme.mimecast.connect",
        "jane.@acme.mimecast.connect",
        "jane@acme.mimecast.connect.evil.example",
    ],
)
def test_look_alike_addresses_are_refused(typed):
    with pytest.raises(InvalidInput):
        parse_connect_address(typed, suffix="mimecast.connect")


def test_fullwidth_characters_normalise_to_ascii():
    assert parse_connect_address("ｊａｎｅ@acme.mimecast.connect", suffix="mimecast.connect").name == "jane"


def test_contact_email_is_any_real_mailbox():
    assert parse_contact_email("IT@Acme.Example") == "it@acme.example"
    with pytest.raises(InvalidInput):
        parse_contact_email("it@localhost")
