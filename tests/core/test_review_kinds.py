"""Review kinds: each has one handler (what a decision does, and its label); an unknown one changes nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from connect_widgets.core.review.handlers import REVIEW_HANDLERS, UnknownReviewKind, handler_for, review_label
from connect_widgets.core.review.kinds import ReviewKind
from connect_widgets.core.review.queue import ReviewQueue
from connect_widgets.core.tasks.add_users import REVIEW_KIND as USER_IMPORT
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import Account, Review


def test_every_kind_has_a_handler_with_a_label():
    """A new kind without a handler would reach the queue with nothing to apply."""
    assert set(REVIEW_HANDLERS) == set(ReviewKind)
    assert {kind: handler_for(kind.value).label for kind in ReviewKind} == {
        ReviewKind.DETAILS_CORRECTION: "Details correction",
        ReviewKind.USER_IMPORT: "User import",
        ReviewKind.DIRECTORY_DETAILS: "Directory details",
    }


def test_the_kinds_are_the_values_the_store_holds():
    """The enum's values are the strings in ``Review.kind`` (a StrEnum compares equal to them)."""
    assert USER_IMPORT == "user_import" and USER_IMPORT is ReviewKind.USER_IMPORT
    assert [kind.value for kind in ReviewKind] == ["details_correction", "user_import", "directory_details"]


def test_an_unknown_kind_is_spelt_out_for_the_team():
    assert review_label("mailbox_move") == "Mailbox move"


@pytest.mark.parametrize("decide", ["approve", "reject"])
def test_a_review_of_an_unknown_kind_is_refused_and_stays_pending(services, account, decide):
    """A kind this kit does not know is not decided by guesswork: nothing changes, the review waits."""
    with new_session(services.engine) as db:
        acme = db.exec(select(Account).where(Account.code == "ACME")).one()
        review = Review(
            account_id=acme.id,
            task_key="confirm_details",
            kind="mailbox_move",
            payload={"company": "Someone Else Ltd"},
            submitted_at=services.clock.now(),
        )
        db.add(review)
        db.commit()
        review_id = review.id
    queue = ReviewQueue(services, staff="Priya (Connect team)")
    with pytest.raises(UnknownReviewKind, match="nothing was changed"):
        if decide == "approve":
            queue.approve(review_id)
        else:
            queue.reject(review_id, reason="Not something we do here.")
    with new_session(services.engine) as db:
        assert db.get(Review, review_id).state == "pending"
        assert db.exec(select(Account).where(Account.code == "ACME")).one().company == "Acme Ltd"
