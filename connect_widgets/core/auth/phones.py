"""Mobile numbers for 2-step authentication, parsed with ``phonenumbers``.

``phonenumbers`` is imported by the two functions that parse or format a number
(:func:`example_mobile`, :func:`parse_mobile`), the first time the Enrol screen needs
one, and then loads only the metadata of the regions asked about. The country list
comes from a generated table (:mod:`.country_codes`), so showing it loads nothing:
building it from ``phonenumbers`` took every region's metadata and the geocoder's
names, about 100 MiB per kernel.
"""

from __future__ import annotations

import re

from connect_widgets.core.auth.country_codes import COUNTRY_CHOICES
from connect_widgets.core.errors import InvalidInput
from connect_widgets.core.inputs import read_text

_SEPARATORS = re.compile(r"[\s\-.()/]")


def country_choices() -> tuple[tuple[str, str], ...]:
    """(label, region) pairs for a country drop-down, e.g. ("United Kingdom (+44)", "GB"), by label.

    One tuple of tuples for the whole process (see :mod:`.country_codes`), so no caller
    can change what the next one gets.
    """
    return COUNTRY_CHOICES


def example_mobile(region: str) -> str:
    """A mobile number of ``region`` as the admin would type it: national, no leading 0."""
    import phonenumbers  # lazy: see the module's docstring

    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
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
    import phonenumbers  # lazy: see the module's docstring
    from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

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
    if phonenumbers.number_type(parsed) not in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise InvalidInput(
            "That is not a mobile number. Enter a mobile number that can receive SMS.",
            field="number",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def number_ending(e164: str) -> str:
    """The last two digits, the only part of a number shown outside the phone table."""
    return e164[-2:]
