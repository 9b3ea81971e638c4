"""The pure parts of `serve`'s kernel limits: the per-client window, the client's address, the default cap.

The window's clock is a number the test moves: nothing sleeps.
"""

from __future__ import annotations

import pytest

from connect_widgets.serving import (
    BUSY_MESSAGE,
    FALLBACK_MAX_KERNELS,
    KERNEL_MIB,
    KERNEL_STARTS_PER_MINUTE,
    MIN_MAX_KERNELS,
    SERVER_RESERVE_MIB,
    TOO_MANY_MESSAGE,
    KernelLimits,
    StartsPerClient,
    busy_page,
    capacity_line,
    client_address,
    default_max_kernels,
    memory_available_mib,
)
from connect_widgets.settings import SettingsError, load_settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_twenty_starts_a_minute_then_the_twenty_first_is_refused() -> None:
    clock = Clock()
    window = StartsPerClient(clock=clock)
    assert window.limit == KERNEL_STARTS_PER_MINUTE == 20
    for _ in range(20):
        assert window.admit("203.0.113.7")
        clock.now += 1
    assert not window.admit("203.0.113.7")
    assert not window.allows("203.0.113.7")
    assert window.admit("198.51.100.1")  # another address has its own window


def test_the_window_slides_one_start_at_a_time() -> None:
    clock = Clock()
    window = StartsPerClient(limit=3, window=60, clock=clock)
    for second in (0, 10, 20):
        clock.now = 1000 + second
        assert window.admit("a")
    clock.now = 1000 + 59
    assert not window.admit("a")
    assert window.retry_after("a") == 1  # the start at second 0 leaves at second 60
    clock.now = 1000 + 60
    assert window.admit("a")  # the first start left the window
    assert not window.admit("a")
    assert window.retry_after("a") == 10  # next to leave: the one at second 10
    clock.now = 1000 + 200
    assert all(window.admit("a") for _ in range(3))


def test_a_refused_start_is_not_remembered() -> None:
    clock = Clock()
    window = StartsPerClient(limit=1, window=60, clock=clock)
    assert window.admit("a")
    for _ in range(50):  # hammering while refused does not push the window out
        clock.now += 1
        assert not window.admit("a")
    clock.now = 1000 + 60
    assert window.admit("a")


def test_idle_addresses_are_forgotten() -> None:
    clock = Clock()
    window = StartsPerClient(limit=1, window=60, clock=clock)
    for n in range(StartsPerClient.SWEEP_ABOVE + 1):
        window.record(f"10.0.{n // 256}.{n % 256}")
    clock.now += 61
    window.record("192.0.2.1")
    assert len(window._starts) == 1


def test_the_peer_is_the_client_when_no_proxy_is_trusted() -> None:
    assert client_address("203.0.113.7", "198.51.100.9", ()) == "203.0.113.7"


def test_an_untrusted_peers_forwarded_for_is_ignored() -> None:
    assert client_address("203.0.113.7", "198.51.100.9", ["10.0.0.5"]) == "203.0.113.7"


def test_a_trusted_proxy_names_the_right_most_untrusted_address() -> None:
    # The client wrote "1.2.3.4" itself; 198.51.100.9 is who connected to the first proxy.
    forwarded = "1.2.3.4, 198.51.100.9, 10.0.0.6"
    assert client_address("10.0.0.5", forwarded, ["10.0.0.5", "10.0.0.6"]) == "198.51.100.9"
    assert client_address("10.0.0.5", forwarded, ["10.0.0.0/24"]) == "198.51.100.9"
    assert client_address("10.0.0.5", "198.51.100.9", ["10.0.0.5"]) == "198.51.100.9"


def test_a_trusted_proxy_without_a_header_is_the_client() -> None:
    assert client_address("10.0.0.5", None, ["10.0.0.5"]) == "10.0.0.5"
    assert client_address("10.0.0.5", "10.0.0.6", ["10.0.0.0/24"]) == "10.0.0.6"  # only proxies: the first


def test_an_ipv4_mapped_peer_matches_its_ipv4_proxy() -> None:
    assert client_address("::ffff:10.0.0.5", "198.51.100.9", ["10.0.0.5"]) == "198.51.100.9"


MEMINFO = """MemTotal:       32768000 kB
MemFree:         1024000 kB
MemAvailable:   {kib} kB
Buffers:          123456 kB
"""


@pytest.mark.parametrize(
    ("available_kib", "expected"),
    [
        (24 * 1024 * 1024, (24 * 1024 - SERVER_RESERVE_MIB) // KERNEL_MIB),  # 24 GiB: 150
        (4 * 1024 * 1024, (4 * 1024 - SERVER_RESERVE_MIB) // KERNEL_MIB),  # 4 GiB: 22
        (600 * 1024, MIN_MAX_KERNELS),  # almost nothing free: still 2
    ],
)
def test_the_default_cap_comes_from_memavailable(available_kib: int, expected: int) -> None:
    text = MEMINFO.format(kib=available_kib)
    assert memory_available_mib(text) == available_kib // 1024
    assert default_max_kernels(memory_available_mib(text)) == expected


def test_without_memavailable_the_default_cap_is_fixed() -> None:
    assert memory_available_mib("MemTotal: 100 kB\n") is None
    assert default_max_kernels(None) == FALLBACK_MAX_KERNELS


def test_the_start_line_says_how_many_pages_and_why() -> None:
    assert capacity_line(188, 24 * 1024, derived=True) == (
        f"Up to 188 pages at once (max kernels; about {KERNEL_MIB} MiB each, 24.0 GiB available; "
        "set --max-kernels to change)"
    )
    assert capacity_line(2, None, derived=False) == "Up to 2 pages at once (max kernels as set; free memory unknown)"


def test_pool_sizes_by_notebook_name() -> None:
    limits = KernelLimits(max_kernels=4, pool_sizes={"connect.ipynb": 3})
    assert limits.pool_size("connect.ipynb") == 3
    assert limits.pool_size("sub/connect.ipynb") == 3
    assert limits.pool_size("trainer.ipynb") == 1


def test_the_busy_pages_are_offline_and_say_what_to_do() -> None:
    busy = busy_page(503, BUSY_MESSAGE)
    assert "<title>Connect is busy</title>" in busy
    assert "Connect is busy — try again in a minute." in busy
    assert "Nothing was lost" in busy
    too_many = busy_page(429, TOO_MANY_MESSAGE)
    assert "Too many pages opened from your address — try again in a minute." in too_many
    for page in (busy, too_many):
        assert "http" not in page.replace("HTTP 503", "").replace("HTTP 429", "")  # no link, font or CSS from outside
        assert "<script" not in page
        assert "$" not in page  # every placeholder filled


def test_settings_for_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECT_MAX_KERNELS", "12")
    monkeypatch.setenv("CONNECT_POOL_SIZE", "3")
    monkeypatch.setenv("CONNECT_KERNEL_STARTS_PER_MINUTE", "5")
    monkeypatch.setenv("CONNECT_TRUSTED_PROXIES", " 10.0.0.5, 10.1.0.0/16 ")
    settings = load_settings()
    assert (settings.max_kernels, settings.pool_size, settings.kernel_starts_per_minute) == (12, 3, 5)
    assert settings.trusted_proxy_list == ["10.0.0.5", "10.1.0.0/16"]
    monkeypatch.setenv("CONNECT_TRUSTED_PROXIES", "proxy.example.com")
    with pytest.raises(SettingsError, match="^CONNECT_TRUSTED_PROXIES: 'proxy.example.com' is not an IP address"):
        load_settings()
