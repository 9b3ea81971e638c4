"""The page shell every notebook page is built on: the message area, ``run``, the busy state.

Connect (and the Administration Console), the Connect Team console and the trainer
page are each one :class:`PageShell`. The shell is a base class rather than a part
the pages hold, because each page *is* the widget its notebook displays, and tests
and the browser reach the same few things on every page: ``page.message`` (the
message area), ``page.busy``, ``page.show_message(...)`` and ``page.run_action(...)``.

What the shell does, the same way on every page:

* **The stylesheet, once.** The kit's one stylesheet (:mod:`connect_widgets.screens.style`)
  is the page's first widget; :meth:`PageShell.lay_out` puts the page's parts after it.
* **The message area.** :meth:`PageShell.show_message` shows words of one kind:
  ``error`` (read out at once, ``role="alert"``), ``info`` and ``success`` (a status,
  read when idle), or ``busy`` (a status with a spinner, while a slow step runs). The
  text is always escaped. Which kind shows is kept in :attr:`PageShell.message_kind`,
  the shell's own field: a browser can set the area's CSS classes, never that field.
* **One action at a time.** :meth:`PageShell.run_action` refuses an action while
  another runs (a queued or forged event), sets the busy state (a Python field; the
  page may name a part to grey out and controls to disable while it is set), shows
  ``busy`` words with the spinner, and runs the action. A refusal (a
  :class:`~connect_widgets.core.errors.ConnectError`, storage failures included, as
  :class:`~connect_widgets.core.errors.StorageUnavailable`'s words) is shown in its
  own words; anything unexpected is logged on the server and the reader sees the
  page's plain ``unexpected`` sentence, never a traceback.

Each page then does what only it knows: Connect shows the screen the login flow calls
for, the team console redraws its review queue, the trainer redraws the demo phone.
"""

from __future__ import annotations

import html
import json
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any, Literal

import ipywidgets as widgets

from connect_widgets.core.errors import ConnectError, StorageUnavailable
from connect_widgets.screens.style import STYLESHEET

log = logging.getLogger(__name__)

MessageKind = Literal["error", "info", "success", "busy"]
STORAGE_UNAVAILABLE = StorageUnavailable.default_message
_SPINNER = '<span class="connect-spinner" aria-hidden="true"></span>'
_KINDS: tuple[MessageKind, ...] = ("error", "info", "success", "busy")


class PageHeader(widgets.HBox):  # type: ignore[misc]  # ipywidgets ships no types: its classes are Any to mypy
    """The product name on the left; who is signed in and Log out on the right."""

    def __init__(self, product: str, *, on_log_out: Callable[[], None]) -> None:
        self.product = widgets.HTML(f"<h1>{html.escape(product)}</h1>")
        self.product.add_class("connect-brand")
        self.signed_in_as = widgets.HTML()
        self.signed_in_as.add_class("connect-user")
        self.log_out_button = widgets.Button(description="Log out", layout=widgets.Layout(width="auto"))
        self.log_out_button.on_click(lambda _b: on_log_out())
        super().__init__([self.product, widgets.HBox([self.signed_in_as, self.log_out_button])])
        self.add_class("connect-header")

    def show_signed_in(self, name: str | None) -> None:
        """Name who is signed in and offer Log out, or show neither (``None``)."""
        self.signed_in_as.value = "" if name is None else f"Signed in as {html.escape(name)}"
        self.log_out_button.layout.display = "none" if name is None else None


class ScreenStack(widgets.VBox):  # type: ignore[misc]  # ipywidgets ships no types: its classes are Any to mypy
    """A page's screens, one showing; the next one can be drawn, hidden, before it shows.

    ipywidgets' ``Stack`` draws only its selected child: each switch throws away the
    shown screen's DOM and builds the next one's, tens of milliseconds of the browser's
    time at every Next (``benchmarks/round_trip.py``), and a screen built ahead has
    only sent its models. Here two slots take turns: the shown screen sits in one,
    and a screen built ahead (:meth:`draw_ahead`) is drawn in the other while hidden,
    so showing it is two ``display`` updates on views that exist already. The slot
    left behind is emptied, so the page never holds more than the shown screen and
    the next one (hidden fields with the same label would confuse a reader's tools).
    A screen that was not drawn ahead is drawn when shown, as ``Stack`` does.

    Which screen shows is :attr:`selected_index` (into :attr:`screens`, every screen
    built, in order: indexes never move), the kernel's own field, never synced: a page
    that shows or hides a slot itself (a forged ``display`` update) gets it put back.
    """

    def __init__(self) -> None:
        self.slots = (widgets.VBox(), widgets.VBox())
        for slot in self.slots:
            slot.layout.display = "none"
            slot.layout.observe(self._put_back, "display")
        super().__init__(self.slots)
        self.screens: list[widgets.DOMWidget] = []
        self.selected_index: int | None = None
        self.ahead: widgets.DOMWidget | None = None  # the screen last drawn ahead

    def add(self, screen: widgets.DOMWidget) -> None:
        """Count ``screen`` among the page's screens (after the others); not drawn until shown or drawn ahead."""
        self.screens.append(screen)

    def draw_ahead(self, screen: widgets.DOMWidget) -> None:
        """Draw ``screen`` hidden in the slot not showing, ready to show."""
        self.ahead = screen
        spare = self._spare_slot()
        if spare.children != (screen,):
            spare.children = (screen,)

    def select(self, index: int) -> bool:
        """Show ``screens[index]``: in its slot if drawn ahead, else drawn now, and hide the other slot.

        Returns whether it was drawn ahead (hidden until now). Then the screen it replaced stays in the
        other slot, hidden, until :meth:`tidy` (emptying it now would be one more
        update, and the browser's work of removing a view, before the switch is seen);
        otherwise the other slot empties at once.
        """
        self.selected_index = index
        screen = self.screens[index]
        showing = next((slot for slot in self.slots if slot.children == (screen,)), None)
        drawn_ahead = showing is not None and showing.layout.display == "none"
        if showing is None:
            showing = self._spare_slot()
            showing.children = (screen,)
        other = self.slots[1] if showing is self.slots[0] else self.slots[0]
        other.layout.display = "none"  # hidden first: never two screens at once
        showing.layout.display = None
        if not drawn_ahead:
            other.children = ()
        return drawn_ahead

    def tidy(self) -> None:
        """Empty the slot not showing, unless it holds the screen drawn ahead (kept: it shows next)."""
        spare = self._spare_slot()
        if spare.children and spare.children != (self.ahead,):
            spare.children = ()

    def _showing_slot(self) -> widgets.VBox | None:
        return next((slot for slot in self.slots if slot.layout.display != "none"), None)

    def _spare_slot(self) -> widgets.VBox:
        return self.slots[1] if self._showing_slot() is self.slots[0] else self.slots[0]

    def _put_back(self, change: dict[str, Any]) -> None:
        slot = next(slot for slot in self.slots if slot.layout is change["owner"])
        shown = self.selected_index is not None and slot.children == (self.screens[self.selected_index],)
        wanted = None if shown else "none"
        if change["new"] != wanted:
            log.info("put back a screen slot after the page set its display to %r", change["new"])
            slot.layout.display = wanted


class PageShell(widgets.VBox):  # type: ignore[misc]  # ipywidgets ships no types: its classes are Any to mypy
    """A page: the stylesheet, the message area, and one action at a time.

    Args:
        unexpected: what the reader is told after a failure nobody planned for (each
            page says what to do next in its own words).
        classes: CSS classes of the page (``connect-app`` and any of its own).
    """

    def __init__(self, *, unexpected: str, classes: Iterable[str] = ("connect-app",)) -> None:
        super().__init__()
        for css in classes:
            self.add_class(css)
        self.unexpected = unexpected
        self.busy = False  # the shell's record, never read back from the page
        self.message_kind = ""  # what show_message last showed: "" or a MessageKind
        self.message = widgets.HTML()
        self.message.add_class("connect-message")
        self.stylesheet = widgets.HTML(STYLESHEET)
        self.busy_area: widgets.DOMWidget | None = None  # greyed out while busy (Connect: its screens)
        self.busy_controls: tuple[widgets.DOMWidget, ...] = ()  # disabled while busy (Connect: Log out)

    def lay_out(self, *parts: widgets.Widget) -> None:
        """Show ``parts`` under the stylesheet (the page's children are reassigned)."""
        self.children = (self.stylesheet, *parts)

    # -- the message area ---------------------------------------------------------

    def show_message(self, text: str, *, kind: MessageKind = "error") -> None:
        """Show ``text`` (escaped) as ``error``, ``info``, ``success`` or ``busy`` (with a spinner); "" clears."""
        spinner = _SPINNER if kind == "busy" else ""
        role = ' role="alert"' if kind == "error" else ' role="status"'
        self.message.value = f"<p{role}>{spinner}{html.escape(text)}</p>" if text else ""
        self.message_kind = kind if text else ""
        for other in _KINDS:
            self.message.remove_class(other)
        if text:
            self.message.add_class(kind)

    def words_for(self, failed: BaseException) -> str:
        """What the reader is told after an exception nobody planned for (it is logged, never shown).

        Always the page's ``unexpected`` sentence: every read and write the pages start
        (core and the demo tools alike) goes through ``ConnectServices.transaction()``,
        which turns a storage failure into :class:`StorageUnavailable`, a refusal shown
        in its own words before this is asked.
        """
        return self.unexpected

    # -- one action at a time -----------------------------------------------------

    def set_busy(self, busy: bool) -> None:
        """Record whether a step runs; grey out the busy area and disable the busy controls meanwhile."""
        self.busy = busy
        for control in self.busy_controls:
            control.disabled = busy
        if self.busy_area is not None:
            if busy:
                self.busy_area.add_class("connect-busy")
            else:
                self.busy_area.remove_class("connect-busy")

    def attempt(self, action: Callable[[], Any], *, what: str) -> bool:
        """Run ``action``; a refusal shows its words, anything else is logged and said plainly.

        Args:
            action: the work.
            what: names the work in the server's log ("a staff login").

        Returns:
            True when the action went through.
        """
        try:
            action()
        except ConnectError as refused:
            self.show_message(refused.message)
        except Exception as failed:
            log.exception("unexpected error in %s", what)
            self.show_message(self.words_for(failed))
        else:
            return True
        return False

    def run_action(
        self, action: Callable[[], Any], *, busy: str = "", what: str = "an action", quick: bool = False
    ) -> bool:
        """Run one user action as one step; False when it was refused (the message area says why).

        Refused without running while another action runs. While it runs the page is
        busy (the busy state is sent to the browser before the action starts) and
        ``busy``, when given, shows beside a spinner; if the action said nothing of its
        own, those words go when it ends. The message area is cleared first otherwise.

        ``quick``: the step only reads and writes the database (no hashing, no network),
        so it ends within milliseconds: the page is not greyed out for it (greying out
        and back would be four updates for the browser to draw at every such click,
        ``benchmarks/round_trip.py``). The shell still refuses any other action meanwhile.
        """
        if self.busy:
            log.info("ignored %s while another one runs", what)
            return False
        self.busy = True
        if not quick:
            self.set_busy(True)
        self.show_message(busy, kind="busy")
        try:
            ok = self.attempt(action, what=what)
            if ok and self.message_kind == "busy":  # the step said nothing of its own
                self.show_message("")
        finally:
            self.set_busy(False)
        return ok


def page_query_string() -> str:
    """The page's query string, as Voila hands it to the kernel.

    A pre-heated kernel (``connect-kit serve --preheat``) runs the notebook before
    anyone asks for the page; it waits here for the request, so everything above
    (imports, building the first screen) is already done when the admin arrives.
    """
    if is_pre_heated():
        wait_for_the_request()
    return os.environ.get("QUERY_STRING", "")


def is_pre_heated() -> bool:
    """Whether this kernel was started ahead of any request (Voila's pool), to wait for one."""
    return os.environ.get("VOILA_PREHEAT", "False") != "False"


def wait_for_the_request() -> None:
    """Wait until Voila hands this pre-heated kernel its page's request, and take its variables.

    What ``voila.utils.wait_for_request`` does (Voila 0.5: one websocket to
    ``<server>/voila/query/<kernel id>``, which sends the request's variables as one JSON
    object when a page takes this kernel), without importing ``voila.utils``: that
    module brings jupyter_server and jupyterlab_server into the kernel, about 48 MiB
    and 700 modules in every page's kernel, for one websocket. ``websockets`` (which
    Voila uses for this too) costs about 1 MiB. If the server cannot be reached, the
    page goes on without the request's variables, as Voila's does.
    """
    from websockets.exceptions import WebSocketException
    from websockets.sync.client import connect

    protocol = os.environ.get("VOILA_WS_PROTOCOL", "ws")
    host = os.environ.get("VOILA_APP_IP", "127.0.0.1")
    port = os.environ.get("VOILA_APP_PORT", "8866")
    base = os.environ.get("VOILA_WS_BASE_URL", os.environ.get("VOILA_SERVER_URL", "/"))
    url = f"{protocol}://{host}:{port}{base}voila/query/{os.environ.get('VOILA_KERNEL_ID', '')}"
    try:
        with connect(url, open_timeout=5, max_size=None) as websocket:
            request = websocket.recv()
    except (OSError, TimeoutError, WebSocketException) as failed:
        log.warning("could not get this page's request from Voila at %s: %s", url, failed)
        return
    for name, value in json.loads(request).items():
        os.environ[name] = value
