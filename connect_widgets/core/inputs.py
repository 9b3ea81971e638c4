"""First contact with text typed by an admin: type, characters, length.

Every entry point passes raw widget values through here before anything else, so
that ``None``, NUL bytes, lone surrogates or a 10,000-character paste come back as
an :class:`~connect_widgets.core.errors.InvalidInput` the admin can act on.
"""

from __future__ import annotations

import unicodedata

from connect_widgets.core.errors import InvalidInput


def _has_unusable_characters(text: str, *, allowed: str = "") -> bool:
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Cn", "Co") and ch not in allowed for ch in text):
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def read_text(
    value: object,
    *,
    field: str,
    label: str,
    max_length: int,
    required: bool = True,
    multiline: bool = False,
) -> str:
    """Return ``value`` stripped and NFKC-normalised, or raise :class:`InvalidInput`.

    Args:
        value: what the widget held (anything a browser can send).
        field: the field's machine name, for screens to place the message.
        label: the field's name as the admin reads it ("email address").
        max_length: longest accepted value, in characters after normalising.
        required: whether an empty value is an error.
        multiline: accept line breaks and tabs (a text area).
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"Enter your {label} as text.", field=field)
    if _has_unusable_characters(value, allowed="\n\r\t" if multiline else ""):
        raise InvalidInput(
            f"The {label} contains characters that can't be used (such as control characters).",
            field=field,
        )
    text = unicodedata.normalize("NFKC", value).strip()
    if required and not text:
        raise InvalidInput(f"Enter your {label}.", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"The {label} is too long: use at most {max_length} characters.", field=field)
    return text


def read_secret(value: object, *, field: str, label: str) -> str:
    """Return a password-like value NFKC-normalised but otherwise untouched.

    Spaces are kept (they are part of a passphrase); length is the caller's rule.
    The value never appears in the error.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"Enter your {label} as text.", field=field)
    if _has_unusable_characters(value):
        raise InvalidInput(
            f"The {label} contains characters that can't be used (such as control characters).",
            field=field,
        )
    text = unicodedata.normalize("NFKC", value)
    if not text:
        raise InvalidInput(f"Enter your {label}.", field=field)
    return text
