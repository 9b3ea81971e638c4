"""A kernel hands back the memory its page no longer needs, once a screen has settled.

Voilà gives every visitor a kernel of their own, so what one kernel holds decides how
many admins one server holds (``benchmarks/kernel_footprint.py``). Two things a
Connect kernel kept after a first login that it never needed again:

* **Freed memory the allocator keeps.** A screen switch leaves freed blocks behind:
  the widgets' messages, SQL compilation, argon2, the new-password check. glibc's
  ``malloc`` gives memory back to the system only from the top of its heap, so a
  freed block below a live one stays in the process. ``malloc_trim(0)`` gives back
  every whole free page. Measured on this machine: a kernel after a first login to
  Welcome held 19 MiB of such pages (132 → 113 MiB), the Email page a few.
* **The new-password check's dictionaries** (zxcvbn's frequency lists, about 10 MiB):
  needed only while a new password is typed; once the admin is signed in,
  :func:`~connect_widgets.core.auth.passwords.release_guess_checker` drops them.

:func:`return_free_memory` is the first; the page (:class:`~connect_widgets.pages.connect.ConnectApp`)
calls both a moment after a screen shows, from the kernel's event loop, so never while
the admin waits for a click.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own symbols, the C library's among them
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def return_free_memory() -> bool:
    """Give the allocator's free pages back to the system; True when it could (glibc only)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)  # 0: keep no spare room at the top of the heap
    return True
