"""The Connect Team console: the review queue, behind a staff login.

``build_console()`` is all ``notebooks/connect_team.ipynb`` needs. Any visitor of
the Voila server can open that notebook, so the page starts with a login form and
nothing else: the queue is read and its cards are built only after a staff member
logged in with their own name and password (:class:`~connect_widgets.core.staff.members.StaffDoor`).

The page is a :class:`~connect_widgets.pages.shell.PageShell` (message area, one
action at a time). Every action goes through :meth:`StaffConsole.run`, which first
checks, in Python, that a staff session is alive; a browser can send any widget event (click a card's
button after logging out, or one that is not shown), so what is shown is never the
guard. After each action the queue is read again, so a review another team member
decided meanwhile disappears.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from connect_widgets.core.clock import Clock
from connect_widgets.core.errors import ConnectError, SessionExpired
from connect_widgets.core.review.kinds import ReviewKind
from connect_widgets.core.services import ConnectServices, build_services
from connect_widgets.core.staff.members import NotLoggedIn, ReviewSummary, StaffDoor, StaffSession
from connect_widgets.kernel_log import keep_kernel_log_on_server
from connect_widgets.pages.shell import PageHeader, PageShell
from connect_widgets.screens.kit import link_button, paragraph, primary_button, text_field
from connect_widgets.settings import Settings, load_settings

log = logging.getLogger(__name__)

UNEXPECTED = "Something went wrong on our side and nothing was changed. Refresh and try again."


def describe(summary: ReviewSummary) -> str:
    """A review card's text as HTML, every value escaped (admins typed them)."""
    review, e = summary.review, html.escape
    when = review.submitted_at.strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"<h3>{e(review.account_code)} · {e(review.company)}</h3>",
        f"<p><b>{e(summary.task_title)}</b> — {e(summary.kind_label)}, sent {e(when)}</p>",
    ]
    if review.kind == ReviewKind.USER_IMPORT:
        plural = "user" if summary.user_count == 1 else "users"
        lines.append(f"<p>{summary.user_count} {plural} to add:</p>")
        items = "".join(f"<li>{e(address)}</li>" for address in summary.users_shown)
        more = summary.user_count - len(summary.users_shown)
        if more > 0:
            items += f"<li>and {more} more</li>"
        lines.append(f"<ul>{items}</ul>")
    else:
        items = "".join(
            f"<li>{e(c.label)}: {e(c.new)}" + (f" (now: {e(c.current)})" if c.current else "") + "</li>"
            for c in summary.changes
        )
        lines.append(f"<p>Asked for:</p><ul>{items}</ul>")
    return "".join(lines)


class ReviewCard(widgets.VBox):  # type: ignore[misc]  # ipywidgets ships no types: its classes are Any to mypy
    """One pending review: what it changes, Approve, and Reject with a reason."""

    def __init__(self, console: StaffConsole, summary: ReviewSummary) -> None:
        super().__init__()
        self.add_class("connect-review")
        self.review_id = summary.review.id
        self.summary = widgets.HTML()
        self.approve_button = primary_button("Approve")
        self.reason = text_field("Reason for the admin (needed to reject)", width="28em")
        self.reject_button = widgets.Button(description="Reject", button_style="warning")
        self.reject_button.add_class("connect-secondary")
        self.approve_button.on_click(lambda _b: console.approve(self.review_id))
        self.reject_button.on_click(lambda _b: console.reject(self.review_id, self.reason.value))
        self.show(summary)
        self.children = (
            self.summary,
            widgets.HBox([self.approve_button]),
            widgets.HBox([self.reason, self.reject_button], layout=widgets.Layout(align_items="center")),
        )

    def show(self, summary: ReviewSummary) -> None:
        self.described = summary
        self.summary.value = describe(summary)

    def close(self) -> None:
        """Close the card and every control in it (their browser views go away)."""
        for part in (self.summary, self.approve_button, self.reason, self.reject_button, *self.children):
            part.close()
        super().close()


class StaffConsole(PageShell):
    """The Connect Team page: a login form, then the review queue of the member logged in."""

    def __init__(self, services: ConnectServices) -> None:
        super().__init__(unexpected=UNEXPECTED)
        self.services = services
        self.session: StaffSession | None = None
        self.cards: dict[int, ReviewCard] = {}

        self.header = PageHeader("Connect Team", on_log_out=self.log_out)
        self.signed_in_as = self.header.signed_in_as
        self.log_out_button = self.header.log_out_button

        self.name = text_field("Staff name")
        self.password = text_field("Password", password=True)
        self.log_in_button = primary_button("Log in", self.log_in, enter_in=(self.name, self.password))
        self.login_form = widgets.VBox(
            [
                widgets.HTML("<h2>Staff log in</h2>"),
                paragraph(
                    "For the Connect team only: log in with your own staff name and password to work the review queue."
                ),
                self.name,
                self.password,
                self.log_in_button,
            ]
        )
        self.login_form.add_class("connect-screen")

        self.queue_heading = widgets.HTML()
        self.refresh_button = link_button("Refresh", self.refresh)
        self.queue_list = widgets.VBox()
        self.queue_view = widgets.VBox([self.queue_heading, self.refresh_button, self.queue_list])
        self.queue_view.add_class("connect-screen")

        self.body = widgets.VBox()
        self.lay_out(self.header, self.message, self.body)
        self.draw()

    def __repr__(self) -> str:
        who = self.session.name if self.session is not None else None
        return f"StaffConsole(logged_in_as={who!r}, cards={len(self.cards)})"

    @property
    def logged_in(self) -> bool:
        return self.session is not None

    # -- what is shown ------------------------------------------------------------

    def draw(self) -> None:
        """Show the login form, or the queue read afresh (which re-checks the session)."""
        if self.session is not None:
            try:
                summaries = self.session.summaries()
            except SessionExpired as expired:
                self._forget_session()
                self.show_message(expired.message)
            except ConnectError as refused:  # e.g. the database cannot be read now
                self.show_message(refused.message)
            except Exception as failed:
                log.exception("could not read the review queue")
                self.show_message(self.words_for(failed))
            else:
                self._show_queue(summaries)
        if self.session is None:
            self.body.children = (self.login_form,)
            self.header.show_signed_in(None)
            self.name.focus()
        else:
            self.body.children = (self.queue_view,)
            self.header.show_signed_in(self.session.name)

    def _show_queue(self, summaries: list[ReviewSummary]) -> None:
        wanted = {s.review.id: s for s in summaries}
        for review_id in set(self.cards) - set(wanted):
            self.cards.pop(review_id).close()
        for review_id, summary in wanted.items():
            card = self.cards.get(review_id)
            if card is None:
                self.cards[review_id] = ReviewCard(self, summary)
            else:
                card.show(summary)  # keeps a reason being typed
        self.queue_list.children = tuple(self.cards[i] for i in wanted)
        count = len(summaries)
        if count:
            self.queue_heading.value = f"<h2>Reviews waiting ({count})</h2>"
        else:
            self.queue_heading.value = "<h2>Reviews waiting</h2><p>Nothing is waiting for review.</p>"

    # -- actions ------------------------------------------------------------------

    def run(self, action: Callable[[StaffSession], Any], *, done: str = "") -> bool:
        """Run one staff action as the logged-in member; refusals become the message line.

        An expired session is forgotten (its cards closed) before the member reads why.

        Returns:
            True when the action went through.
        """

        def as_member() -> None:
            if self.session is None:
                raise NotLoggedIn()
            try:
                action(self.session)
            except SessionExpired:
                self._forget_session()
                raise

        ok = self.run_action(as_member, what="a staff action")
        if ok and done:
            self.show_message(done, kind="info")
        self.draw()
        return ok

    def log_in(self) -> bool:
        """Check the typed name and password; the password field is emptied either way."""
        name, password = self.name.value, self.password.value
        self.password.value = ""
        if self.busy:
            return False
        if self.session is not None:
            self.show_message(f"You are already logged in as {self.session.name}.", kind="info")
            return False

        def check() -> None:
            self.session = StaffDoor(self.services).log_in(name=name, password=password)

        self.run_action(check, what="a staff login")
        if self.session is not None:
            self.name.value = ""
        self.draw()
        return self.session is not None

    def _title(self, review_id: int) -> str:
        card = self.cards.get(review_id)
        if card is None:
            return f"Review {review_id}"
        review = card.described.review
        return f"{review.account_code}'s {card.described.task_title} ({card.described.kind_label.lower()})"

    def approve(self, review_id: int) -> bool:
        """Apply the change and hand the task back to the admin."""
        card = self.cards.get(review_id)
        if card is not None and card.described.review.kind == ReviewKind.USER_IMPORT:
            outcome = "The users were added and the task is complete."
        else:
            outcome = "The task is back with the admin."
        done = f"Approved: {self._title(review_id)}. {outcome}"
        return self.run(lambda s: s.approve(review_id), done=done)

    def reject(self, review_id: int, reason: object) -> bool:
        """Refuse the change; the reason (at least 5 characters) is shown to the admin."""
        done = f"Rejected: {self._title(review_id)}. The admin will see your reason."
        return self.run(lambda s: s.reject(review_id, reason=reason), done=done)

    def refresh(self) -> bool:
        return self.run(lambda s: None)

    def log_out(self) -> None:
        """End the session; the queue's cards are closed and forgotten."""
        if self.session is not None:
            try:
                self.session.log_out()
            except Exception:
                log.exception("could not record the staff logout")
        self._forget_session()
        self.name.value = self.password.value = ""
        self.show_message("You have logged out.", kind="info")
        self.draw()

    def _forget_session(self) -> None:
        self.session = None
        for card in self.cards.values():
            card.close()
        self.cards = {}
        self.queue_list.children = ()
        self.queue_heading.value = ""


def build_console(settings: Settings | None = None, *, clock: Clock | None = None) -> StaffConsole:
    """Build the Connect Team console for one page.

    Args:
        settings: defaults to the environment (``CONNECT_*``).
        clock: a frozen clock for tests and demos.
    """
    settings = settings or load_settings()
    keep_kernel_log_on_server(settings)
    return StaffConsole(build_services(settings, clock=clock))
