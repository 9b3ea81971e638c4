"""Mobile numbers for 2-step authentication, parsed with ``phonenumbers``."""

from __future__ import annotations

import re
from functools import cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

from connect_widgets.core.errors import InvalidInput
from connect_widgets.core.inputs import read_text

_ACCEPTED_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_SEPARATORS = re.compile(r"[\s\-.()/]")


@cache
def country_choices() -> tuple[tuple[str, str], ...]:
    """(label, region) pairs for a country drop-down, e.g. ("United Kingdom (+44)", "GB"), by label.

    The list is the same on every call, so it is built once per process (it parses an
    example number of every region); it is a tuple of tuples, so no caller can change
    what the next one gets.
    """
    from phonenumbers.geocoder import country_name_for_number  # lazy: loads locale data

    choices = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        example = phonenumbers.example_number(region)
        name = country_name_for_number(example, "en") if example else ""
        code = phonenumbers.country_code_for_region(region)
        choices.append((f"{name or region} (+{code})", region))
    return tuple(sorted(choices))


def example_mobile(region: str) -> str:
    """A mobile number of ``region`` as the admin would type it: national, no leading 0."""
    example = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    if example is None:
        return ""
    national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
    return national[1:].lstrip() if national.startswith("0") else national


def parse_mobile(*, country: object, number: object) -> str:
    """Turn a country and a national mobile number into E.164 (``+447400123456``).

    Args:
        country: ISO region code chosen from the drop-down ("GB").
        number: the national number as typed, without the leading 0.

    Raises:
        InvalidInput: with one clear reason (leading zero, letters, too short, too long,
            not valid for the country, not a mobile).
    """
    region = read_text(country, field="country", label="country", max_length=3).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput("Choose your country from the list.", field="country")
    text = read_text(number, field="number", label="mobile number", max_length=32)
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+"):
        raise InvalidInput(
            "Enter the number without the country code; choose the country from the list instead.",
            field="number",
        )
    if not digits.isascii() or not digits.isdigit():
        raise InvalidInput("Use digits only in the mobile number.", field="number")
    if digits.startswith("0"):
        raise InvalidInput("Enter the number without the leading 0.", field="number")
    try:
        parsed = phonenumbers.parse(digits, region)
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.TOO_LONG:
            raise InvalidInput("That number is too long.", field="number") from None
        raise InvalidInput("That number is too short.", field="number") from None
    # Length is judged against the country's mobile numbers, not any number type.
    reason = phonenumbers.is_possible_number_for_type_with_reason(parsed, PhoneNumberType.MOBILE)
    if reason in (ValidationResult.TOO_SHORT, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        raise InvalidInput("That number is too short.", field="number")
    if reason == ValidationResult.TOO_LONG:
        raise InvalidInput("That number is too long.", field="number")
    if reason != ValidationResult.IS_POSSIBLE or not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(
            "That is not a valid number for the country chosen. Check the country and the number.",
            field="number",
        )
    if phonenumbers.number_type(parsed) not in _ACCEPTED_TYPES:
        raise InvalidInput(
            "That is not a mobile number. Enter a mobile number that can receive SMS.",
            field="number",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def number_ending(e164: str) -> str:
    """The last two digits, the only part of a number shown outside the phone table."""
    return e164[-2:]
