"""The upload parts the import pages share: a template link, a one-shot file picker, the row-error table.

:class:`FileCheck` puts them together as both import pages use them: Choose file,
the file checked last beside it, and that file's row errors.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import ipywidgets as widgets

from connect_widgets.core.tasks.uploads import MAX_UPLOAD_BYTES, CheckedFile
from connect_widgets.screens.tasks.page import TaskScreen

ERRORS_SHOWN = 100
# The page's script (the `connect` Voila template) reads a picker's limit from this class
# and refuses a bigger file before any of it is sent: the widget would send the whole
# file in one websocket message, and a message over the server's limit closes the socket.
MAX_BYTES_CLASS = "connect-max-bytes-"
REFUSAL_CLASS = "connect-upload-refusal"  # where the page's script says why it refused a file
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_link(label: str, filename: str, content: bytes, mime: str) -> str:
    """An ``<a download>`` carrying the file itself, so the browser saves it without a server route."""
    data = base64.b64encode(content).decode("ascii")
    return (
        f'<a download="{html.escape(filename)}" href="data:{mime};base64,{data}" '
        f'target="_blank">{html.escape(label)}</a>'
    )


def file_picker(
    on_file: Callable[[object, object], None], *, accept: str, max_bytes: int = MAX_UPLOAD_BYTES
) -> widgets.FileUpload:
    """A one-file upload control that hands ``(name, content)`` to ``on_file`` and then empties itself.

    Emptying it means the file's bytes neither linger in the kernel nor get sent
    back to the browser, and choosing the same file again is a new change. A file
    over ``max_bytes`` is refused by the page before it is sent (the core refuses
    it again if it arrives anyway).
    """
    # No icon: Font Awesome is not loaded (pages work offline). The stylesheet shows the
    # description without the widget's "(0)" count, which reads wrong once the file is
    # taken out again; the chosen file's name is shown beside the button instead.
    upload = widgets.FileUpload(accept=accept, multiple=False, description="Choose file", icon="")
    upload.add_class("connect-upload")
    upload.add_class(f"{MAX_BYTES_CLASS}{max_bytes}")

    def changed(change: dict[str, Any]) -> None:
        files = change["new"]
        if not files:
            return
        first = files[0]
        name, content = first.get("name"), first.get("content")
        upload.value = ()
        on_file(name, content)

    upload.observe(changed, "value")
    return upload


def error_table(errors: Iterable[Mapping[str, Any]], count: int, *, shown: int = ERRORS_SHOWN) -> str:
    """The row errors as a table (row, column, problem), the first ``shown`` of ``count``."""
    listed = list(errors)[:shown]
    if not count:
        return ""
    lines = "".join(
        f"<tr><td>{html.escape(str(e.get('row', '')))}</td><td>{html.escape(str(e.get('column', '')))}</td>"
        f"<td>{html.escape(str(e.get('message', '')))}</td></tr>"
        for e in listed
    )
    more = count - len(listed)
    rows_word = "row has a problem" if count == 1 else "rows have problems"
    return (
        f'<p class="connect-rejected">{count:,} {rows_word} and {"was" if count == 1 else "were"} left out. '
        f"Correct {'it' if count == 1 else 'them'} in your file and upload it again.</p>"
        f'<table class="connect-table connect-errors"><thead><tr><th>Row</th><th>Column</th><th>Problem</th>'
        f"</tr></thead><tbody>{lines}</tbody></table>" + (f"<p>… and {more:,} more.</p>" if more > 0 else "")
    )


def file_line(filename: str | None, rows_read: int, *, unusable: str | None = None) -> str:
    """What sits beside Choose file: the file checked last and its row count ("users.csv, 3 rows").

    ``unusable`` names a file just chosen that could not be used (the message says why);
    it replaces the last file's line, since that file is no longer the chosen one.
    """
    if unusable is not None:
        return f'<span class="connect-chosen"><b>{html.escape(unusable)}</b>: not used (see the message above)</span>'
    if not filename:
        return '<span class="connect-chosen connect-unavailable">No file chosen</span>'
    return (
        f'<span class="connect-chosen"><b>{html.escape(filename)}</b>, '
        f"{rows_read:,} {'row' if rows_read == 1 else 'rows'}</span>"
    )


def picker_row(upload: widgets.FileUpload, chosen: widgets.HTML) -> widgets.HBox:
    """Choose file with the chosen file's name beside it, and room for the page's "too big" message.

    The kernel never writes the last part: only the page's script does, when it
    refuses a file over the limit without sending it.
    """
    refusal = widgets.HTML()
    refusal.add_class(REFUSAL_CLASS)
    row = widgets.HBox([upload, chosen, refusal])
    row.add_class("connect-upload-row")
    return row


def busy_words(name: object) -> str:
    """What shows while an uploaded file is read and each row checked."""
    return f"Reading {str(name or 'your file')[:80]} and checking each row…"


class FileCheck:
    """Choose file, the file checked last beside it (``chosen``) and its row errors (``errors``).

    A chosen file goes to ``check(name, content)`` as one step of the page, with
    :func:`busy_words`. The last file's results go as soon as another file is
    chosen, even one that cannot be used: its name then stays beside Choose file
    ("not used") until a file is checked. ``clears`` are other parts of the view
    that speak of the last file, emptied at the same moment.
    """

    def __init__(
        self,
        page: TaskScreen,
        check: Callable[[object, object], object],
        *,
        accept: str,
        clears: tuple[widgets.HTML, ...] = (),
    ) -> None:
        self.page = page
        self._check = check
        self._clears = clears
        self.upload = file_picker(self.choose, accept=accept)
        self.chosen = widgets.HTML()
        self.picker = picker_row(self.upload, self.chosen)
        self.errors = widgets.HTML()
        self.unusable: str | None = None  # a file just chosen that could not be used

    def show(self, checked: CheckedFile) -> None:
        """Show the file checked last and its row errors (none while a just-chosen file is unusable)."""
        self.chosen.value = file_line(checked.filename, checked.rows_read, unusable=self.unusable)
        self.errors.value = "" if self.unusable else error_table(checked.errors, checked.error_count)

    def choose(self, name: object, content: object) -> None:
        """Check a chosen file (what the picker calls; a test may call it directly)."""
        self.unusable = str(name or "That file")
        self.chosen.value = file_line(None, 0, unusable=self.unusable)
        for part in (self.errors, *self._clears):
            part.value = ""

        def run() -> None:
            self._check(name, content)
            self.unusable = None

        self.page.submit(run, busy=busy_words(name))
