"""A check that repeats every few seconds while a page is open, on the kernel's event loop.

Voilà runs each page's kernel on an asyncio event loop, the same loop (and
thread) that handles the page's widget messages. A check scheduled with
``loop.call_later`` therefore runs between two clicks, never during one, and
may change widgets like any click handler: ipywidgets sends the new state to
the browser from there. No thread is started, so nothing touches a widget from
another thread and nothing outlives the kernel.

Two habits keep it from dying silently or running for nobody: an exception in
the check is logged and the next check is still scheduled, and the check says
itself when to stop (it returns ``False`` once the page is gone or the session
over), besides :meth:`PagePoll.stop` on log out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class PagePoll:
    """Calls ``check`` every ``seconds`` while started; ``check`` returns False to stop.

    Without a running event loop (tests build screens outside a kernel) nothing
    is scheduled; the tests call the check themselves.
    """

    def __init__(self, check: Callable[[], bool], *, seconds: float, name: str = "page check") -> None:
        self._check = check
        self.seconds = seconds
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None

    @property
    def running(self) -> bool:
        return self._handle is not None

    def start(self) -> bool:
        """Schedule the checks (once: a second start while running changes nothing); True if scheduled."""
        if self._handle is not None:
            return True
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop: not in a kernel
            return False
        self._arm()
        return True

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = None
        self._loop = None

    def _arm(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._handle = self._loop.call_later(self.seconds, self._fire)

    def _fire(self) -> None:
        self._handle = None
        try:
            keep = self._check()
        except Exception:  # logged, and the next check still runs: one bad read must not end the watch
            log.exception("%s failed; trying again in %.0f s", self._name, self.seconds)
            keep = True
        if not keep:
            self.stop()
        elif self._handle is None:  # the check may have started the poll again itself (a redraw)
            self._arm()
