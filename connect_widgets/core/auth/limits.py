"""The numbers behind the login's rules, in the one place the rules and their sentences read them.

Lockout (:mod:`.lockout`), passcodes (:mod:`.passcodes`) and the flow enforce these;
the errors an admin reads (:mod:`connect_widgets.core.errors`) state them through
:func:`~connect_widgets.core.clock.spoken`, so "locked for 15 minutes" can never
drift from the lock the database sets. Nothing here imports anything of the kit's,
so the lowest module (the errors) may import it.
"""

from __future__ import annotations

from datetime import timedelta

#: Wrong passwords in a row that lock an admin (and a staff member) out.
MAX_FAILED_LOGINS = 5
#: How long the first lock lasts; an admin's further locks double it.
FIRST_LOCK = timedelta(minutes=15)
#: Where the doubling stops.
LONGEST_LOCK = timedelta(hours=24)

#: The window in which at most ``SENDS_PER_WINDOW`` login codes go to one admin.
SEND_WINDOW = timedelta(minutes=15)
SENDS_PER_WINDOW = 5

#: How long the password Connect support supplies may wait for its first use.
TEMPORARY_PASSWORD_LIFETIME = timedelta(days=7)
