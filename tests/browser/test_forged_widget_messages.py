"""Forged widget messages against a real `connect-kit serve`: a second websocket client on the
page's own kernel speaks the Jupyter widget protocol, as an attacker's script would.

With Validate Your Domains locked, it sets the hidden "Domain" field and clicks the hidden
"Add domain" button: the page shows the refusal in words and no domain is claimed.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select
from websockets.sync.client import connect

from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AuditEvent, Domain
from tests.browser.conftest import RunningServer
from tests.browser.journeys import a_later_visit, log_in, returning_admin
from tests.servers import wait_until

pytestmark = pytest.mark.browser


class KernelClient:
    """A bare Jupyter kernel websocket client (JSON messages on /api/kernels/<id>/channels)."""

    def __init__(self, socket: Any, session: str) -> None:
        self.socket, self.session = socket, session

    def send(self, msg_type: str, content: dict[str, Any], *, channel: str = "shell") -> str:
        msg_id = uuid.uuid4().hex
        self.socket.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": msg_type,
                        "username": "mallory",
                        "session": self.session,
                        "date": datetime.now(UTC).isoformat(),
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": content,
                    "channel": channel,
                    "buffers": [],
                }
            )
        )
        return msg_id

    def replies(self, msg_id: str, *, msg_type: str, count: int = 1, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The first ``count`` messages of ``msg_type`` answering ``msg_id``."""
        found: list[dict[str, Any]] = []
        while len(found) < count:
            raw = self.socket.recv(timeout=timeout)
            if isinstance(raw, bytes):  # binary frames carry buffers; none of ours
                continue
            message = json.loads(raw)
            if message.get("parent_header", {}).get("msg_id") == msg_id and message["msg_type"] == msg_type:
                found.append(message)
        return found

    def widget_states(self) -> dict[str, dict[str, Any]]:
        """Every widget model of the page's kernel, by comm id, with its full state."""
        asked = self.send("comm_info_request", {"target_name": "jupyter.widget"})
        [info] = self.replies(asked, msg_type="comm_info_reply")
        states: dict[str, dict[str, Any]] = {}
        for comm_id in info["content"]["comms"]:
            asked = self.send("comm_msg", {"comm_id": comm_id, "data": {"method": "request_state"}})
            [update] = self.replies(asked, msg_type="comm_msg")
            states[comm_id] = update["content"]["data"]["state"]
        return states

    def forge(self, comm_id: str, data: dict[str, Any]) -> None:
        """Send a widget message and wait until the kernel has handled it (its status goes idle)."""
        sent = self.send("comm_msg", {"comm_id": comm_id, "data": data})
        while True:
            [status] = self.replies(sent, msg_type="status")
            if status["content"]["execution_state"] == "idle":
                return


def the_one(states: dict[str, dict[str, Any]], model: str, description: str) -> str:
    [comm_id] = [c for c, s in states.items() if s.get("_model_name") == model and s.get("description") == description]
    return comm_id


def test_a_forged_add_domain_on_the_locked_task_is_refused_and_claims_nothing(page: Page, server: RunningServer):
    account = returning_admin(server, "FORGE")  # Confirm Your Details started, not complete
    a_later_visit(server, account.admin_email)
    log_in(page, server, account)
    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name=re.compile("Validate Your Domains")).click()
    expect(page.get_by_role("heading", name="Validate Your Domains")).to_be_visible()
    expect(page.get_by_text("Complete Confirm Your Details first.")).to_be_visible()
    expect(page.get_by_role("button", name="Add domain")).to_have_count(0)  # the view is not shown

    kernel_id = re.search(r'"kernelId":\s*"([0-9a-f-]+)"', page.content()).group(1)  # type: ignore[union-attr]
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
    session = uuid.uuid4().hex
    url = f"{server.url.replace('http', 'ws', 1)}/api/kernels/{kernel_id}/channels?session_id={session}"
    with connect(url, additional_headers={"Cookie": cookies}, max_size=None, open_timeout=20) as socket:
        client = KernelClient(socket, session)
        states = client.widget_states()
        field = the_one(states, "TextModel", "Domain")
        button = the_one(states, "ButtonModel", "Add domain")
        client.forge(field, {"method": "update", "state": {"value": "eps.example"}, "buffer_paths": []})
        client.forge(button, {"method": "custom", "content": {"event": "click"}})
        client.forge(field, {"method": "custom", "content": {"event": "submit"}})  # Enter in the hidden field

    expect(page.get_by_text("Validate Your Domains is locked until Confirm Your Details is complete.")).to_be_visible()
    expect(page.get_by_text("Something went wrong")).to_have_count(0)

    def refusals() -> int:
        with new_session(server.services.engine) as db:
            return len(
                db.exec(
                    select(AuditEvent).where(
                        AuditEvent.action == "task_refused", AuditEvent.actor == account.admin_email
                    )
                ).all()
            )

    assert wait_until(lambda: refusals() == 2, timeout=20), refusals()  # the click and the Enter
    with new_session(server.services.engine) as db:
        assert db.exec(select(Domain).where(Domain.name.in_(["eps.example"]))).all() == []  # type: ignore[attr-defined]
        assert (
            db.exec(
                select(AuditEvent).where(AuditEvent.action == "domain_added", AuditEvent.actor == account.admin_email)
            ).all()
            == []
        )
