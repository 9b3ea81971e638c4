"""Release several callers at the same instant, as several Voila kernels would act.

Each caller gets its own :class:`ConnectServices` (its own engine and connection
pool on the same database file), because each kernel has its own. A barrier lets
them all go at once; the results (return values or the exceptions raised) come
back in caller order, so a test can count how many were evaluated.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from connect_widgets.core.clock import Clock
from connect_widgets.core.services import ConnectServices, build_services
from connect_widgets.settings import Settings

T = TypeVar("T")


@contextmanager
def kernels(settings: Settings, clock: Clock, count: int) -> Iterator[list[ConnectServices]]:
    """``count`` independent services on one database, disposed of afterwards."""
    built = [build_services(settings, clock=clock) for _ in range(count)]
    try:
        yield built
    finally:
        for services in built:
            services.engine.dispose()


def all_at_once(calls: list[Callable[[], T]], *, timeout: float = 60.0) -> list[T | BaseException]:
    """Run every call on a thread of its own, released together; results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[T | BaseException | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], T]) -> None:
        barrier.wait(timeout=timeout)
        try:
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - the test inspects what each caller met
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError("a concurrent caller did not finish")
    return results  # type: ignore[return-value]
