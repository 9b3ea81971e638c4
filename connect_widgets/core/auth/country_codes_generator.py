"""Write :mod:`.country_codes`, the Enrol screen's country list, from ``phonenumbers``.

Building the list at run time meant parsing an example number of every region and
loading the geocoder's names: about 100 MiB and a second of CPU in each kernel. The
list only changes with ``phonenumbers`` itself, so it is generated once and
committed; ``tests/core/test_country_codes.py`` regenerates it and fails when the
installed ``phonenumbers`` would give a different list.

Regenerate after upgrading ``phonenumbers``::

    python -m connect_widgets.core.auth.country_codes_generator

The kit never imports this module at run time (only the command above and the test do).
"""

from __future__ import annotations

import json
from pathlib import Path

import phonenumbers
from phonenumbers.geocoder import country_name_for_number

TABLE_MODULE = Path(__file__).with_name("country_codes.py")

_HEADER = '''"""The countries an admin can choose when enrolling a mobile phone (generated: do not edit).

``COUNTRY_CHOICES`` holds (label, region) pairs sorted by label, such as
("United Kingdom (+44)", "GB"): the country's English name from ``phonenumbers``'
geocoder (the region code when it has none) and its calling code, for every region
``phonenumbers`` supports. Data only, so the Enrol screen's list costs nothing to load.

Regenerate with ``python -m connect_widgets.core.auth.country_codes_generator`` after
upgrading ``phonenumbers``; ``tests/core/test_country_codes.py`` fails until then.
"""

from __future__ import annotations

COUNTRY_CHOICES: tuple[tuple[str, str], ...] = (
'''


def country_choices_from_phonenumbers() -> tuple[tuple[str, str], ...]:
    """(label, region) for every region ``phonenumbers`` supports, sorted by label.

    The label is the country's English name and its calling code, "United Kingdom (+44)";
    a region without an example number (or a name) is labelled with its code.
    """
    choices = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        example = phonenumbers.example_number(region)
        name = country_name_for_number(example, "en") if example else ""
        code = phonenumbers.country_code_for_region(region)
        choices.append((f"{name or region} (+{code})", region))
    return tuple(sorted(choices))


def table_source(choices: tuple[tuple[str, str], ...]) -> str:
    """The text of :mod:`.country_codes` holding ``choices``."""
    rows = "".join(f"    ({_quoted(label)}, {_quoted(region)}),\n" for label, region in choices)
    return f"{_HEADER}{rows})\n"


def _quoted(text: str) -> str:
    """A double-quoted Python literal, as ``ruff format`` writes one (names keep their accents)."""
    return json.dumps(text, ensure_ascii=False)


def main() -> None:
    """Write the table module next to this one and say how many countries it holds."""
    choices = country_choices_from_phonenumbers()
    TABLE_MODULE.write_text(table_source(choices), encoding="utf-8")
    print(f"wrote {len(choices)} countries to {TABLE_MODULE}")


if __name__ == "__main__":
    main()
