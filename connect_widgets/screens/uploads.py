"""The upload parts the import pages share: a template link, a one-shot file picker, the row-error table."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import ipywidgets as widgets

ERRORS_SHOWN = 100
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_link(label: str, filename: str, content: bytes, mime: str) -> str:
    """An ``<a download>`` carrying the file itself, so the browser saves it without a server route."""
    data = base64.b64encode(content).decode("ascii")
    return (f'<a download="{html.escape(filename)}" href="data:{mime};base64,{data}" '
            f'target="_blank">{html.escape(label)}</a>')


def file_picker(on_file: Callable[[object, object], None], *, accept: str) -> widgets.FileUpload:
    """A one-file upload control that hands ``(name, content)`` to ``on_file`` and then empties itself.

    Emptying it means the file's bytes neither linger in the kernel nor get sent
    back to the browser, and choosing the same file again is a new change.
    """
    upload = widgets.FileUpload(accept=accept, multiple=False, description="Choose file")
    upload.add_class("connect-upload")

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
    return (f'<p class="connect-rejected">{count:,} {rows_word} and {"was" if count == 1 else "were"} left out. '
            "Correct them in your file and upload it again.</p>"
            f'<table class="connect-table connect-errors"><thead><tr><th>Row</th><th>Column</th><th>Problem</th>'
            f"</tr></thead><tbody>{lines}</tbody></table>"
            + (f"<p>… and {more:,} more.</p>" if more > 0 else ""))


def file_line(filename: str | None, rows_read: int) -> str:
    return (f"<p>Last file checked: <b>{html.escape(filename)}</b> ({rows_read:,} rows).</p>"
            if filename else "")
