"""The process's heap, told to give back what the state does not hold.

A service that applies thousands of events a second from many threads (partner requests, the
consumer, one sender per wall) leaves glibc's allocator with an arena per thread and freed pages
it keeps for later: measured over ten minutes at 3,000 events a second, the service grew about
half again as much as the state it held (docs/reliability.md). Two arenas are plenty for a
Python process (the interpreter lock serialises most allocation anyway), and trimming after
each snapshot hands the freed pages back. Elsewhere than glibc both are no-ops. And the cyclic
collector is kept off the state (`settle`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import time

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2


def _libc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def limit_arenas() -> None:
    """Call before the service's threads start: later arenas are capped at ARENAS."""
    libc = _libc()
    if libc is not None and not libc.mallopt(M_ARENA_MAX, ARENAS):
        log.warning("mallopt(M_ARENA_MAX) refused")


def settle() -> None:
    """After a snapshot: what has lived this long is the state, so it leaves the cyclic collector's
    care (gc.freeze: a full collection walks every object, seconds with the interpreter lock held
    once the state holds millions; the state has no cycles, and what it drops is freed by its
    count); then the heap's free pages go back to the system (glibc's malloc_trim)."""
    started = time.monotonic()
    gc.freeze()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
    log.debug("heap settled in %.3f s", time.monotonic() - started)
