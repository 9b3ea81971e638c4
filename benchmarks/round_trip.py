"""The single-page round trip: Connect's Email → Next beside the toy wizard's Next, and its comm traffic.

One ``serve()`` (the kit's configuration: pre-heated kernels, the ``connect``
template) serves ``connect.ipynb`` and the baseline ``toy_wizard.ipynb`` of
``/work/shared/bench`` side by side. For ROUNDS rounds, interleaved, the system
Chromium opens each page, fills its first step (Connect: the email address; the
wizard: its two fields), waits until the page and the server are quiet (an admin
takes a second or more to type: whatever the page does after its first screen is
done by then), then clicks Next and times the click to the next step on screen
(Connect: the heading "Choose how to authenticate"; the wizard: "step 2/5").

Meanwhile it records every websocket frame of the page's kernel channel
(``page.on("websocket")``) and, for the frames of the step (from the click until
the page is quiet again), counts the Jupyter messages by kind — ``comm_open``
(a new widget model), ``update`` (a state change), ``echo_update``, ``custom``,
``status``... — and their bytes, in each direction. That shows where the traffic
goes: a step that builds its next screen at click time opens a model per widget,
layout and style; one that only flips what shows sends a few small updates.

Prints the medians, the Connect / wizard ratio, and the message counts of the
last round of each page. Asserts nothing: absolute times move with the machine's
load; compare the ratio of one run.

Run: ``.venv/bin/python benchmarks/round_trip.py``
(``BENCH_DIR`` points elsewhere for the baselines; ``ROUNDS``, default 7.)
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, WebSocket, sync_playwright

from connect_widgets.paths import project_path
from connect_widgets.settings import load_settings
from connect_widgets.store.engine import make_engine
from connect_widgets.store.schema import upgrade_schema
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, wait_until_ready
from tests.conftest import FAST_ARGON2
from tests.servers import free_port, stop_process

BENCH_DIR = Path(os.environ.get("BENCH_DIR", "/work/shared/bench"))
ROUNDS = int(os.environ.get("ROUNDS", "7"))
QUIET_SECONDS = 0.5  # no frame for this long (and the server's CPU idle): the page has settled
SETTLE_TIMEOUT = 60.0

SERVE = """
import sys
from pathlib import Path
from connect_widgets.serving import serve
from connect_widgets.settings import load_settings
serve(load_settings(), notebooks=Path(sys.argv[1]), port=int(sys.argv[2]))
"""


def decode(payload: str | bytes) -> tuple[str, str]:
    """The Jupyter message kind of one websocket frame (``comm_msg`` split by its method)."""
    try:
        if isinstance(payload, bytes):  # the v1 binary protocol: offsets, channel, header, parent, metadata, content
            count = struct.unpack_from("<Q", payload, 0)[0]
            offsets = struct.unpack_from(f"<{count}Q", payload, 8)
            parts = [payload[offsets[i] : offsets[i + 1]] for i in range(min(count - 1, 5))]
            channel = parts[0].decode()
            header, content = json.loads(parts[1]), json.loads(parts[4])
        else:
            message = json.loads(payload)
            channel, header, content = message.get("channel", ""), message["header"], message.get("content", {})
    except (ValueError, KeyError, IndexError, struct.error):
        return "?", "undecoded"
    kind = header.get("msg_type", "?")
    if kind == "comm_msg":
        kind = str(content.get("data", {}).get("method", "comm_msg"))
    return channel, kind


@dataclass
class Frames:
    """Every frame of a page's kernel websocket, with when it passed."""

    seen: list[tuple[float, str, str, str, int]] = field(default_factory=list)  # time, direction, channel, kind, bytes

    def attach(self, page: Page) -> None:
        def on_socket(socket: WebSocket) -> None:
            if "/api/kernels/" not in socket.url:
                return
            socket.on("framesent", lambda payload: self.add("sent", payload))
            socket.on("framereceived", lambda payload: self.add("received", payload))

        page.on("websocket", on_socket)

    def add(self, direction: str, payload: str | bytes) -> None:
        channel, kind = decode(payload)
        self.seen.append((time.perf_counter(), direction, channel, kind, len(payload)))

    def since(self, start: float) -> list[tuple[float, str, str, str, int]]:
        return [frame for frame in self.seen if frame[0] >= start]


def server_cpu(server: int) -> float:
    """CPU seconds used so far by the server and its kernels (every descendant, read from /proc)."""
    parent: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended meanwhile
            continue
        pid = int(entry.name)
        parent[pid], ticks[pid] = int(fields[1]), int(fields[11]) + int(fields[12])  # ppid; utime + stime

    def under_server(pid: int) -> bool:
        while pid > 1:
            if pid == server:
                return True
            pid = parent.get(pid, 0)
        return False

    return sum(used for pid, used in ticks.items() if under_server(pid)) / os.sysconf("SC_CLK_TCK")


def settle(page: Page, frames: Frames, server: int) -> None:
    """Wait until no frame has passed for QUIET_SECONDS and the server (kernels, pool refill) is idle."""
    deadline = time.perf_counter() + SETTLE_TIMEOUT
    cpu, at = server_cpu(server), time.perf_counter()
    while time.perf_counter() < deadline:
        page.wait_for_timeout(QUIET_SECONDS * 1000)  # lets Playwright deliver the frames meanwhile
        now = time.perf_counter()
        used, cpu, elapsed, at = server_cpu(server) - cpu, server_cpu(server), now - at, now
        last = frames.seen[-1][0] if frames.seen else 0.0
        if now - last >= QUIET_SECONDS and used < 0.1 * elapsed:
            return


@dataclass
class Trip:
    seconds: float
    first_reply: float  # click to the kernel's first message of the step
    last_before: float  # click to the kernel's last message before the next step showed
    timeline: str  # each frame until the next step showed: +ms, direction, kind
    counts: Counter[tuple[str, str, str]]
    sizes: Counter[tuple[str, str, str]]


@dataclass
class Round:
    notebook: str
    first_control: Callable[[Page], object]
    fill: Callable[[Page], None]
    next_shown: Callable[[Page], object]


def fill_wizard(page: Page) -> None:
    page.get_by_placeholder("alice", exact=True).fill("alice")
    page.get_by_placeholder("alice@example.org", exact=True).fill("alice@example.org")


PAGES = (
    Round(
        "connect.ipynb",
        lambda page: page.get_by_label("Email address", exact=True).wait_for(timeout=120_000),
        lambda page: page.get_by_label("Email address", exact=True).fill("someone@acme.mimecast.connect"),
        lambda page: page.get_by_role("heading", name="Choose how to authenticate").wait_for(timeout=60_000),
    ),
    Round(
        "toy_wizard.ipynb",
        lambda page: page.get_by_role("button", name="Next").wait_for(timeout=120_000),
        lambda page: fill_wizard(page),
        lambda page: page.get_by_text("step 2/5").wait_for(timeout=60_000),
    ),
)


def round_trip(browser: Browser, url: str, spec: Round, server: int) -> Trip:
    page = browser.new_page()
    frames = Frames()
    frames.attach(page)
    page.goto(url, timeout=120_000)
    spec.first_control(page)
    spec.fill(page)
    settle(page, frames, server)
    started = time.perf_counter()
    page.get_by_role("button", name="Next").click()
    spec.next_shown(page)
    shown = time.perf_counter()
    seconds = shown - started
    settle(page, frames, server)  # the step's last messages are counted too
    counts: Counter[tuple[str, str, str]] = Counter()
    sizes: Counter[tuple[str, str, str]] = Counter()
    for at, direction, _channel, kind, size in frames.since(started):
        when = "until shown" if at <= shown else "after"
        counts[when, direction, kind] += 1
        sizes[when, direction, kind] += size
    replies = [at - started for at, direction, *_ in frames.since(started) if direction == "received" and at <= shown]
    page.goto("about:blank")  # the page's kernel is shut down
    page.close()
    timeline = " ".join(
        f"+{(at - started) * 1000:.0f}{'<' if direction == 'received' else '>'}{kind}"
        for at, direction, _channel, kind, _size in frames.since(started)
        if at <= shown
    )
    return Trip(
        seconds,
        min(replies, default=seconds),
        max(replies, default=seconds),
        timeline + f" +{seconds * 1000:.0f} shown",
        counts,
        sizes,
    )


def describe(trip: Trip) -> list[str]:
    lines = []
    for when in ("until shown", "after"):
        for direction in ("received", "sent"):
            kinds = sorted(
                (k for w, d, k in trip.counts if (w, d) == (when, direction)),
                key=lambda k: -trip.counts[when, direction, k],
            )
            total = sum(trip.counts[when, direction, k] for k in kinds)
            size = sum(trip.sizes[when, direction, k] for k in kinds)
            detail = ", ".join(
                f"{k} {trip.counts[when, direction, k]} ({trip.sizes[when, direction, k]} B)" for k in kinds
            )
            label = "kernel → page" if direction == "received" else "page → kernel"
            lines.append(f"    {when:<11} {label}: {total:2} messages, {size:6} B: {detail}")
    return lines


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        folder = root / "pages"
        folder.mkdir()
        shutil.copy(project_path("notebooks") / "connect.ipynb", folder)
        shutil.copy(BENCH_DIR / "toy_wizard.ipynb", folder)
        data_dir = root / "data"
        upgrade_schema(make_engine(load_settings(data_dir=data_dir)))
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECT_")}
        env.update(
            {"CONNECT_DATA_DIR": str(data_dir), **{f"CONNECT_{k.upper()}": str(v) for k, v in FAST_ARGON2.items()}}
        )
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(folder), str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        trips: dict[str, list[Trip]] = {spec.notebook: [] for spec in PAGES}
        try:
            wait_until_ready(process)
            server = process.pid
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for _ in range(ROUNDS):
                    for spec in PAGES:
                        url = f"http://127.0.0.1:{port}/voila/render/{spec.notebook}"
                        trips[spec.notebook].append(round_trip(browser, url, spec, server))
                browser.close()
        finally:
            stop_process(process)

    print(f"machine load (1/5/15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    print(f"click Next to the next step on screen, {ROUNDS} rounds interleaved, page and server settled first:")
    medians = {}
    for notebook, done in trips.items():
        values = [trip.seconds for trip in done]
        medians[notebook] = statistics.median(values)
        print(
            f"  {notebook:<18} median {medians[notebook] * 1000:6.0f} ms"
            f" (best {min(values) * 1000:.0f}, worst {max(values) * 1000:.0f});"
            f" kernel's first message {statistics.median(t.first_reply for t in done) * 1000:.0f} ms,"
            f" last before the step showed {statistics.median(t.last_before for t in done) * 1000:.0f} ms"
        )
    print(f"  ratio connect / toy_wizard: {medians['connect.ipynb'] / medians['toy_wizard.ipynb']:.2f}")
    print("messages of the step, last round: from the click until the next step showed, then until quiet:")
    for notebook, done in trips.items():
        print(f"  {notebook}")
        print(f"    timeline (< from the kernel, > to it): {done[-1].timeline}")
        for line in describe(done[-1]):
            print(line)


if __name__ == "__main__":
    main()
