"""The committed country table is exactly what the installed ``phonenumbers`` gives.

The Enrol screen's list comes from :mod:`connect_widgets.core.auth.country_codes`, a
generated module, so a kernel need not load every region's metadata and the geocoder.
After a ``phonenumbers`` upgrade these tests fail until the table is regenerated
(``python -m connect_widgets.core.auth.country_codes_generator``).
"""

from __future__ import annotations

import phonenumbers

from connect_widgets.core.auth import country_codes_generator
from connect_widgets.core.auth.country_codes import COUNTRY_CHOICES
from connect_widgets.core.auth.phones import country_choices


def test_the_table_equals_what_phonenumbers_gives_now() -> None:
    """Regenerating the list with phonenumbers and its geocoder gives the committed one."""
    assert country_codes_generator.country_choices_from_phonenumbers() == COUNTRY_CHOICES


def test_the_committed_module_is_the_generator_s_output() -> None:
    """Nobody edited the generated file by hand: its text is what the generator writes."""
    written = country_codes_generator.TABLE_MODULE.read_text(encoding="utf-8")
    assert written == country_codes_generator.table_source(COUNTRY_CHOICES)


def test_every_supported_region_is_offered_once_sorted_by_label() -> None:
    regions = [region for _, region in COUNTRY_CHOICES]
    assert sorted(regions) == sorted(phonenumbers.SUPPORTED_REGIONS)
    assert len(set(regions)) == len(regions)
    assert list(COUNTRY_CHOICES) == sorted(COUNTRY_CHOICES)


def test_the_drop_down_reads_the_table() -> None:
    """country_choices() is the table itself (one tuple per process, nothing rebuilt)."""
    assert country_choices() is COUNTRY_CHOICES
    assert ("United Kingdom (+44)", "GB") in country_choices()
