"""A read-only data folder, seen from a real kernel running the Connect notebook's code.

The kernel is started by jupyter_client as Voila starts one (ipykernel, its standard
error captured and forwarded on iopub), inside a private mount namespace where the
data folder is a read-only bind mount: even root cannot write there, and nothing
outside the kernel is affected. The test then acts as the page's browser does: it
learns the widgets from ``comm_open``/``comm_msg`` messages and sends widget
messages (type an address, click Next). Every iopub message the kernel sends is
kept and searched: none may carry a traceback, a source line or SQL. The kernel's
own standard error (the server's log, which the page never receives) must say why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from queue import Empty
from typing import Any

import pytest

from connect_widgets.core.accounts.create import create_account
from connect_widgets.core.services import build_services
from connect_widgets.paths import project_path
from connect_widgets.settings import load_settings
from connect_widgets.store.models import AuditEvent
from connect_widgets.store.schema import upgrade_schema
from tests.conftest import FAST_ARGON2
from tests.screens.conftest import count_rows

STORAGE_MESSAGE = "Connect cannot save right now; nothing was changed — try again in a minute."
UNEXPECTED_START = "Something went wrong on our side and nothing was changed."
LEAKS = (
    "Traceback",
    'File "',
    "[SQL:",
    "INSERT INTO",
    "SELECT ",
    "sqlite3",
    "OperationalError",
    "sqlalchemy",
    "RuntimeError",
    "ZeroDivisionError",
    "connect.db",
)
TIMEOUT = 120.0  # a kernel start on 2 busy cores

# unshare: a private mount namespace (as a user namespace when not root), the data folder
# bind-mounted read-only in it, then the kernel itself.
READ_ONLY_SCRIPT = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'


def read_only_prefix(folder: Path) -> list[str]:
    user_namespace = [] if os.geteuid() == 0 else ["--map-root-user"]
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        *user_namespace,
        "sh",
        "-c",
        READ_ONLY_SCRIPT,
        str(folder),
    ]


def can_make_read_only(folder: Path) -> bool:
    if shutil.which("unshare") is None or not sys.platform.startswith("linux"):
        return False
    probe = f"touch {folder}/probe 2>/dev/null && exit 1 || exit 0"
    done = subprocess.run([*read_only_prefix(folder), "sh", "-c", probe], capture_output=True, timeout=30, check=False)
    return done.returncode == 0 and not (folder / "probe").exists()


class PageKernel:
    """A kernel and the browser's side of it: the widget models, and every iopub message."""

    def __init__(self, client: Any, server_log: Path) -> None:
        self.client = client
        self.server_log = server_log  # the kernel's own stderr: what `connect-kit serve` would log
        self.messages: list[dict[str, Any]] = []
        self.models: dict[str, dict[str, Any]] = {}

    def _take(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        content = message["content"]
        if message["msg_type"] == "comm_open":
            self.models[content["comm_id"]] = dict(content["data"].get("state", {}))
        elif message["msg_type"] == "comm_msg" and content["data"].get("method") in ("update", "echo_update"):
            self.models.setdefault(content["comm_id"], {}).update(content["data"].get("state", {}))

    def pump(self, done: Callable[[dict[str, Any]], bool], what: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                message = self.client.get_iopub_msg(timeout=1)
            except Empty:
                continue
            self._take(message)
            if done(message):
                return
        raise AssertionError(f"the kernel did not finish {what}")

    def wait_idle(self, msg_id: str, what: str) -> None:
        self.pump(
            lambda m: (
                m["msg_type"] == "status"
                and m["content"]["execution_state"] == "idle"
                and m["parent_header"].get("msg_id") == msg_id
            ),
            what,
        )

    def execute(self, code: str) -> None:
        self.wait_idle(self.client.execute(code), f"running {code[:40]!r}")

    def send(self, comm_id: str, data: dict[str, Any], what: str) -> None:
        """A widget message, as the page's JavaScript sends it on the shell channel."""
        message = self.client.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        self.client.shell_channel.send(message)
        self.wait_idle(message["header"]["msg_id"], what)

    def drain(self) -> None:
        """Wait until everything the kernel wrote to stderr (Python's or the descriptor) has arrived.

        Also proves that the kernel forwards descriptor 2 to the page, as a served kernel does.
        """
        self.client.execute(
            "import os, sys\nsys.stderr.write('drained-python\\n')\nsys.stderr.flush()\n"
            "_ = os.write(2, b'drained-descriptor\\n')"
        )
        seen: set[str] = set()

        def both(message: dict[str, Any]) -> bool:
            if message["msg_type"] == "stream":
                seen.update(w for w in ("drained-python", "drained-descriptor") if w in message["content"]["text"])
            return len(seen) == 2

        self.pump(both, "forwarding its standard error")

    # -- the page's widgets, as the browser knows them ---------------------------------------

    def model(self, predicate: Callable[[dict[str, Any]], bool]) -> str:
        [found] = [comm_id for comm_id, state in self.models.items() if predicate(state)]
        return found

    def children(self, comm_id: str) -> list[str]:
        return [child.removeprefix("IPY_MODEL_") for child in self.models[comm_id].get("children", [])]

    def screen_titled(self, title: str) -> str:
        heading = self.model(lambda s: s.get("_model_name") == "HTMLModel" and s.get("value") == f"<h2>{title}</h2>")
        return self.model(lambda s: f"IPY_MODEL_{heading}" in s.get("children", []))

    def message_text(self) -> str:
        area = self.model(lambda s: "connect-message" in s.get("_dom_classes", []))
        return str(self.models[area].get("value", ""))

    def leaks(self) -> list[str]:
        """Every iopub message that carries traceback, source or SQL text."""
        return [
            json.dumps(m["content"])[:300]
            for m in self.messages
            if m["msg_type"] != "execute_input"  # the test's own code, echoed
            and any(leak in json.dumps(m["content"], ensure_ascii=False) for leak in LEAKS)
        ]


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("read-only-data")
    services = build_services(load_settings(data_dir=folder, **FAST_ARGON2))
    upgrade_schema(services.engine)
    create_account(services, code="ACME", company="Acme Ltd", primary_domain="acme.example", admin_name="jane")
    services.engine.dispose()  # checkpoints the WAL: the kernel finds one plain file
    if not can_make_read_only(folder):
        # CI must not pass by skipping: this machine kind (root, Debian) can do it.
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            "cannot make a read-only mount here (needs unshare and mount namespaces)"
        )
    yield folder


@pytest.fixture(scope="module")
def kernel(data_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PageKernel]:
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    outside = tmp_path_factory.mktemp("kernel")
    spec = outside / "kernels" / "connect-read-only"
    spec.mkdir(parents=True)
    argv = [*read_only_prefix(data_folder), sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Connect", "language": "python"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECT_") and k != "PYTEST_CURRENT_TEST"}
    env.update(
        {"CONNECT_DATA_DIR": str(data_folder), **{f"CONNECT_{k.upper()}": str(v) for k, v in FAST_ARGON2.items()}}
    )
    manager = KernelManager(
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)]), kernel_name="connect-read-only"
    )
    server_log = (outside / "server-stderr.log").open("w")
    # PYTEST_CURRENT_TEST is left out: ipykernel does not capture descriptor 2 under pytest, a served kernel does.
    manager.start_kernel(env=env, cwd=str(outside), stderr=server_log)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT)
        page = PageKernel(client, outside / "server-stderr.log")
        notebook = json.loads(project_path("notebooks/connect.ipynb").read_text(encoding="utf-8"))
        page.execute("\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"))
        yield page
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
        server_log.close()


def type_and_click_next(page: PageKernel, text: str) -> None:
    screen = page.screen_titled("Log in to Connect")
    parts = page.children(screen)
    row = next(
        p
        for p in parts
        if page.models[p].get("_model_name") == "HBoxModel"
        and any(page.models[c].get("_model_name") == "TextModel" for c in page.children(p))
    )
    field = next(c for c in page.children(row) if page.models[c].get("_model_name") == "TextModel")
    next_button = next(p for p in parts if page.models[p].get("description") == "Next")
    page.send(field, {"method": "update", "state": {"value": text}, "buffer_paths": []}, "typing the address")
    page.send(next_button, {"method": "custom", "content": {"event": "click"}}, "the click on Next")


def test_a_read_only_data_folder_says_connect_cannot_save_and_sends_no_traceback(kernel, data_folder):
    kernel.drain()  # proves the kernel forwards its stderr, as a served one does
    audit_rows = count_rows(build_services(load_settings(data_dir=data_folder, **FAST_ARGON2)), AuditEvent)
    type_and_click_next(kernel, "jane@acme.mimecast.connect")
    kernel.drain()
    assert STORAGE_MESSAGE in kernel.message_text()
    assert kernel.leaks() == []
    assert count_rows(build_services(load_settings(data_dir=data_folder, **FAST_ARGON2)), AuditEvent) == audit_rows
    server_log = kernel.server_log.read_text()  # in full: logs/connect.log in the data folder cannot be written
    assert "the database could not be used" in server_log
    assert "attempt to write a readonly database" in server_log


def test_an_unexpected_error_in_a_step_or_a_widget_callback_sends_no_traceback(kernel):
    kernel.execute(
        "import gc\nfrom connect_widgets.pages.connect import ConnectApp\n"
        "app = next(o for o in gc.get_objects() if isinstance(o, ConnectApp))\n"
        "def _broken(*_args, **_kwargs):\n"
        "    raise RuntimeError('broken at /srv/connect/secret/place')\n"
        "app.flow.submit_email = _broken\n"
        "_raises = lambda _b: 1 / 0\n"
        "app.log_out_button.on_click(_raises)"
    )
    try:
        type_and_click_next(kernel, "jane@acme.mimecast.connect")
        assert kernel.message_text().startswith(f'<p role="alert">{UNEXPECTED_START}')
        log_out = kernel.model(lambda s: s.get("description") == "Log out")
        kernel.send(log_out, {"method": "custom", "content": {"event": "click"}}, "a click whose handler raises")
        kernel.drain()
    finally:  # the module's other tests share this kernel, in any order: put the page back as it was
        kernel.execute("del app.flow.submit_email\napp.log_out_button.on_click(_raises, remove=True)")
    assert kernel.leaks() == []
    assert not [m for m in kernel.messages if m["msg_type"] == "error"]
    server_log = kernel.server_log.read_text()
    assert "unexpected error in EmailScreen" in server_log
    assert "while handling a page's event" in server_log and "ZeroDivisionError" in server_log


def test_a_screen_shown_or_hidden_by_the_page_is_put_back_by_the_kernel(kernel):
    """Finding 9 over the real protocol: the kernel answers a forged ``display`` of a screen's slot with its own."""
    email = kernel.screen_titled("Log in to Connect")
    showing = kernel.model(lambda s: s.get("children") == [f"IPY_MODEL_{email}"])  # the shown screen's slot
    stack = kernel.model(lambda s: f"IPY_MODEL_{showing}" in s.get("children", []))
    [spare] = [slot for slot in kernel.children(stack) if slot != showing]  # the slot a next screen is drawn in

    def layout(slot: str) -> str:
        return str(kernel.models[slot]["layout"]).removeprefix("IPY_MODEL_")

    assert kernel.models[layout(spare)].get("display") == "none"
    assert kernel.models[layout(showing)].get("display") is None
    for slot, forged in ((spare, None), (showing, "none")):
        update = {"method": "update", "state": {"display": forged}, "buffer_paths": []}
        kernel.send(layout(slot), update, f"a forged display {forged!r}")
    kernel.drain()
    assert kernel.models[layout(spare)].get("display") == "none"
    assert kernel.models[layout(showing)].get("display") is None
