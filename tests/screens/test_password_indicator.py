"""The Change password screen's live indicator: each rule, and whether the two match."""

from __future__ import annotations

import re

from tests.conftest import NEW_PASSWORD
from tests.screens.conftest import reach_change_password

LENGTH = "12 to 128 characters"
PERSONAL = "Not your name or account code"
UNGUESSABLE = "Hard to guess (not a common password)"
MATCH = "The two new passwords match"


def ticks(screen) -> dict[str, bool]:
    """Each indicator line's label and whether it shows ✓ (met) or ✗."""
    lines = re.findall(r'<li class="(met|unmet)">([✓✗]) (.*?)</li>', screen.indicator.value)
    result = {}
    for css, mark, label in lines:
        assert (css == "met") == (mark == "✓"), f"{label}: class {css} but mark {mark}"
        result[label] = mark == "✓"
    return result


def test_every_line_starts_unmet_before_anything_is_typed(app, services, account):
    screen = reach_change_password(app, services, account)
    assert ticks(screen) == {LENGTH: False, PERSONAL: False, UNGUESSABLE: False, MATCH: False}


def test_lines_turn_met_as_the_new_password_meets_each_rule(app, services, account):
    screen = reach_change_password(app, services, account)
    screen.new.value = "jane"
    assert ticks(screen) == {LENGTH: False, PERSONAL: False, UNGUESSABLE: False, MATCH: False}
    screen.new.value = "jane harbour kettle"
    assert ticks(screen)[LENGTH] is True
    assert ticks(screen)[PERSONAL] is False
    screen.new.value = "password1234"
    assert ticks(screen) == {LENGTH: True, PERSONAL: True, UNGUESSABLE: False, MATCH: False}
    screen.new.value = NEW_PASSWORD
    assert ticks(screen) == {LENGTH: True, PERSONAL: True, UNGUESSABLE: True, MATCH: False}
    screen.new.value = "x" * 129
    assert ticks(screen)[LENGTH] is False


def test_match_is_met_only_while_the_confirmation_is_the_same(app, services, account):
    screen = reach_change_password(app, services, account)
    screen.new.value = NEW_PASSWORD
    screen.confirm.value = NEW_PASSWORD[:-1]
    assert ticks(screen)[MATCH] is False
    screen.confirm.value = NEW_PASSWORD
    assert ticks(screen)[MATCH] is True
    screen.new.value = NEW_PASSWORD + "!"
    assert ticks(screen)[MATCH] is False


def test_the_indicator_never_echoes_the_typed_password(app, services, account):
    screen = reach_change_password(app, services, account)
    screen.new.value = NEW_PASSWORD
    screen.confirm.value = NEW_PASSWORD
    assert NEW_PASSWORD not in screen.indicator.value
    assert "harbour" not in screen.indicator.value
