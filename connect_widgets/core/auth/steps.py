"""The login's steps, in the order the seed describes them.

Apart from the flow (:mod:`connect_widgets.core.auth.flow`), which moves through
them, so a page can name them (which screen each step shows) before it loads the
flow and the database behind it.
"""

from __future__ import annotations

from enum import StrEnum


class LoginStep(StrEnum):
    EMAIL = "email"
    METHOD = "method"
    PASSWORD = "password"
    ENROL_PHONE = "enrol_phone"
    PASSCODE = "passcode"
    LOG_IN = "log_in"
    CHANGE_PASSWORD = "change_password"
    SIGNED_IN = "signed_in"
