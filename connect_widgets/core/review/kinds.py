"""The kinds of review an admin's task sends to the Connect team (``Review.kind`` in the store)."""

from __future__ import annotations

from enum import StrEnum


class ReviewKind(StrEnum):
    """What a review asks the Connect team to check; its handler says what a decision does."""

    DETAILS_CORRECTION = "details_correction"  # Confirm Your Details: corrected account details
    USER_IMPORT = "user_import"  # Add Users Manually: a batch of users to add
    DIRECTORY_DETAILS = "directory_details"  # Synchronize Your Directory: a cloud directory's tenant
