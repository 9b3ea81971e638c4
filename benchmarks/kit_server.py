"""What the capacity benchmarks share: the kit's ``serve()`` in a subprocess, and its memory.

:class:`KitServer` starts ``connect_widgets.serving.serve`` in a child interpreter on a
free loopback port (the kit's configuration: pre-heated kernels, stripped sources, the
``connect`` template), over a folder the benchmark prepared, and returns once the kit
prints its ready line. Options the benchmark asks for (``pool_sizes``, ``max_kernels``)
are passed only when this version of ``serve()`` accepts them (``inspect.signature``);
when it does not accept ``pool_sizes``, the child appends Voila's own per-notebook pool
setting (``VoilaKernelManager.kernel_pools_config``) to the kit's Voila arguments, so a
larger pool can still be measured; the server's first output line says which options
were applied, emulated or left out (:attr:`KitServer.options_line`).

Memory is read from ``/proc`` (Linux): a process's ``VmRSS``; the server's total is the
sum over the serve process and all its descendants (the kernels are its children). A
page's kernel is found from the page itself: Voila writes the kernel's id into the
page's ``jupyter-config-data`` script (``kernelId``), and the kernel process is the one
whose command line names its connection file ``kernel-<id>.json``.

Not a benchmark itself: ``classroom.py`` and ``kernel_footprint.py`` import it.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from connect_widgets.paths import project_path
from connect_widgets.serving import READY_LINE
from tests.conftest import FAST_ARGON2
from tests.servers import free_port, stop_process

BENCH_DIR = Path(os.environ.get("BENCH_DIR", "/work/shared/bench"))
START_TIMEOUT = float(os.environ.get("START_TIMEOUT", "300"))
OPTIONS_LINE = "serve options:"

# Runs in the child: serve() with the options it accepts; a pool emulated through Voila when not.
SERVE = """
import inspect, json, sys
from pathlib import Path
import connect_widgets.serving as serving
from connect_widgets.settings import load_settings

wanted = json.loads(sys.argv[3])
accepted = inspect.signature(serving.serve).parameters
applied = {k: v for k, v in wanted.items() if k in accepted and v is not None}
emulated, left_out = [], sorted(k for k in wanted if k not in accepted and wanted[k] is not None)
pools = wanted.get("pool_sizes")
if pools and "pool_sizes" in left_out:
    left_out.remove("pool_sizes")
    emulated.append("pool_sizes")
    kit_arguments = serving.voila_arguments
    config = {"default": {"pool_size": 1}, **{nb: {"pool_size": n} for nb, n in pools.items()}}

    def with_pools(*args, **kwargs):
        return [*kit_arguments(*args, **kwargs), "--VoilaKernelManager.kernel_pools_config=" + json.dumps(config)]

    serving.voila_arguments = with_pools
print(f"serve options: applied {sorted(applied)}, emulated {emulated}, not available {left_out}", flush=True)
serving.serve(load_settings(), notebooks=Path(sys.argv[1]), port=int(sys.argv[2]), **applied)
"""


def prepare_folder(folder: Path, baselines: tuple[str, ...]) -> Path:
    """The kit's notebooks plus copies of the named baseline notebooks, in ``folder``."""
    shutil.copytree(project_path("notebooks"), folder)
    for name in baselines:
        shutil.copy(BENCH_DIR / name, folder / name)
    return folder


class KitServer:
    """``serve()`` over ``folder`` in a subprocess; returns from the constructor once ready."""

    def __init__(
        self,
        folder: Path,
        data_dir: Path,
        *,
        pool_sizes: Mapping[str, int] | None = None,
        max_kernels: int | None = None,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        """``settings``: more ``CONNECT_*`` variables for this server (e.g. a per-client start rate)."""
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECT_")}
        env.update(
            {"CONNECT_DATA_DIR": str(data_dir), **{f"CONNECT_{k.upper()}": str(v) for k, v in FAST_ARGON2.items()}}
        )
        env.update(settings or {})
        wanted = {"pool_sizes": dict(pool_sizes) if pool_sizes else None, "max_kernels": max_kernels}
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(folder), str(self.port), json.dumps(wanted)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:  # keeps reading, so the server never blocks on a full pipe
            for line in self.process.stdout or ():
                lines.put(line)
            lines.put("")

        threading.Thread(target=pump, daemon=True).start()
        self.options_line = ""
        seen: list[str] = []
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = ""
            seen.append(line)
            if line.startswith(OPTIONS_LINE):
                self.options_line = line.strip()
            if READY_LINE in line:
                break
            if (line == "" and self.process.poll() is not None) or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the kit's serve() did not get ready:\n" + "".join(seen))
        self.ready_seconds = time.perf_counter() - started

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, notebook: str, query: str = "") -> str:
        return f"{self.base}/voila/render/{notebook}" + (f"?{query}" if query else "")

    def kernels(self) -> int:
        """Live kernels, as ``/connect/health`` counts them (pre-heated ones included)."""
        with urllib.request.urlopen(f"{self.base}/connect/health", timeout=10) as answer:
            return int(json.load(answer)["kernels"])

    def total_rss_mib(self) -> float:
        """RSS of the serve process and all its descendants (its kernels), MiB."""
        return sum(rss_mib(pid) for pid in [self.process.pid, *descendants(self.process.pid)])

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the serve process and its live descendants."""
        return sum(cpu_seconds(pid) for pid in [self.process.pid, *descendants(self.process.pid)])

    def wait_for_kernels(self, count: int, timeout: float = 180) -> bool:
        """Wait until ``count`` kernels are live (e.g. closed pages' kernels shut down, pools refilled)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.kernels() == count:
                return True
            time.sleep(0.5)
        return False

    def wait_until_quiet(self, *, below: float = 0.15, window: float = 2.0, timeout: float = 180) -> bool:
        """Wait until the server tree uses less than ``below`` of a core over ``window`` seconds.

        A refilled pool's kernels run their notebook after the kernel count is back to its
        idle level; the next measurement should not share the cores with them.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = self.cpu_seconds()
            time.sleep(window)
            used = self.cpu_seconds() - before  # negative when a process ended meanwhile: look again
            if 0 <= used / window < below:
                return True
        return False

    def stop(self) -> None:
        stop_process(self.process, timeout=30)


# --- /proc --------------------------------------------------------------------------------


def proc_status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # gone meanwhile
        return {}
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def rss_mib(pid: int) -> float:
    """``VmRSS`` of a process, MiB (0 when it is gone)."""
    value = proc_status(pid).get("VmRSS", "0 kB").split()[0]
    return int(value) / 1024


def _stat_fields(pid: int) -> list[str]:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return text.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces


def cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    if not fields:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def descendants(root: int) -> list[int]:
    """Every live process below ``root``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))  # ppid
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kernel_pid(kernel_id: str) -> int | None:
    """The kernel process whose command line names ``kernel-<kernel_id>.json``."""
    marker = f"kernel-{kernel_id}.json".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker in cmdline:
            return int(entry.name)
    return None


KERNEL_ID_SCRIPT = "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"


def page_kernel_id(config: Any) -> str:
    """The kernel id from a page's ``jupyter-config-data`` (evaluated with :data:`KERNEL_ID_SCRIPT`)."""
    if not isinstance(config, str) or not config:
        raise RuntimeError(f"the page names no kernel (jupyter-config-data kernelId: {config!r})")
    return config
