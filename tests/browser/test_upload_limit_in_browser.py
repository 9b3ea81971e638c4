"""A file over the upload limit is refused by the page before any of it is sent.

The widget would send the whole file in one websocket message; one over the server's
message limit closed the socket, and the page froze instead of saying "at most 5 MB".
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, WebSocket, expect

from connect_widgets.core import errors
from connect_widgets.core.tasks.uploads import MAX_UPLOAD_BYTES, read_upload
from tests.browser.conftest import RunningServer, shoot
from tests.browser.journeys import log_in, ready_for_tasks

pytestmark = pytest.mark.browser

MB = 1_048_576


def choose(page: Page, files: list) -> None:  # type: ignore[type-arg]
    """Choose files the way an admin does: click Choose file, pick them in the file chooser."""
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name=re.compile("Choose file")).click()
    chooser.value.set_files(files=files)


def test_a_50_mb_file_is_refused_in_the_page_with_the_core_message_and_the_page_keeps_working(
    page: Page, server: RunningServer, tmp_path: Path
) -> None:
    big = tmp_path / "everyone.csv"
    with big.open("wb") as out:  # a real 50 MB file on disk (sparse: zeros)
        out.truncate(50 * MB)
    with pytest.raises(errors.InvalidInput) as refused:  # the core's words for the same file
        read_upload(bytes(50 * MB), big.name, columns=())
    sent: list[int] = []  # the size of every websocket frame the page sends

    def record(socket: WebSocket) -> None:
        socket.on("framesent", lambda payload: sent.append(len(payload)))

    page.on("websocket", record)
    account = ready_for_tasks(server, "BIGUP")
    log_in(page, server, account)
    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name=re.compile("Add Users Manually")).click()
    page.get_by_role("button", name="Start task").click()
    refusal = page.locator(".connect-upload-refusal")
    expect(refusal).to_be_hidden()

    choose(page, [str(big)])
    expect(refusal).to_be_visible()
    expect(refusal.get_by_role("alert")).to_have_text(str(refused.value))
    assert "upload at most 5 MB" in str(refused.value)
    shoot(page, "upload-too-big")
    assert max(sent) < MAX_UPLOAD_BYTES // 10, "the page sent something as big as the file"
    expect(page.locator(".connect-chosen")).to_have_text("No file chosen")  # the kernel got nothing
    expect(page.get_by_role("alertdialog")).to_have_count(0)  # the connection is still up

    # The same page goes on working: a file within the limit is read, and the refusal goes.
    choose(
        page,
        [
            {
                "name": "users.csv",
                "mimeType": "text/csv",
                "buffer": b"email,first_name,last_name\nann@bigup.example,Ann,Lee\n",
            }
        ],
    )
    expect(page.locator(".connect-chosen")).to_have_text("users.csv, 1 row")
    expect(refusal).to_be_hidden()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
