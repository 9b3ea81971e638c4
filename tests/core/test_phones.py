"""Mobile numbers: each mistake gets its own message; numbers are stored as E.164."""

from __future__ import annotations

import pytest

from connect_widgets.core.auth.phones import country_choices, number_ending, parse_mobile
from connect_widgets.core.errors import InvalidInput


@pytest.mark.parametrize(
    ("country", "number", "e164"),
    [
        ("GB", "7400123456", "+447400123456"),
        ("gb", "7400 123 456", "+447400123456"),
        ("GB", "(7400) 123-456", "+447400123456"),
        ("US", "2015550123", "+12015550123"),  # fixed-line-or-mobile is accepted
        ("FR", "612345678", "+33612345678"),
        ("ZA", "711234567", "+27711234567"),
    ],
)
def test_valid_mobiles_become_e164(country, number, e164):
    assert parse_mobile(country=country, number=number) == e164


@pytest.mark.parametrize(
    ("country", "number", "message"),
    [
        ("GB", "07400123456", "without the leading 0"),
        ("GB", "74OO123456", "digits only"),
        ("GB", "+447400123456", "without the country code"),
        ("GB", "74001", "too short"),
        ("GB", "740012345678901", "too long"),
        ("GB", "1212345678", "not a mobile number"),  # a fixed line
        ("GB", "", "Enter your mobile number"),
        ("ZZ", "7400123456", "Choose your country"),
        ("", "7400123456", "Enter your country"),
        ("GB", "9999999999", "not a valid number for the country"),
    ],
)
def test_each_mistake_gets_its_own_message(country, number, message):
    with pytest.raises(InvalidInput) as refused:
        parse_mobile(country=country, number=number)
    assert message in refused.value.message


def test_only_the_last_two_digits_are_shown():
    assert number_ending("+447400123456") == "56"


def test_country_choices_label_the_calling_code():
    choices = dict((region, label) for label, region in country_choices())
    assert choices["GB"] == "United Kingdom (+44)"
    assert len(choices) > 200
