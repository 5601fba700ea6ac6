"""When a process reads its copy of something kept in Redis again (the organisations' directory,
the watchlists): at most every `check_seconds`, one thread at a time, and only the first reading
is waited for (afterwards the other threads go on with the copy they have). With Redis away the
last copy stays, with a warning."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from feeds.redis_client import STORE_ERRORS

log = logging.getLogger(__name__)


class RefreshGate:
    def __init__(self, what: str, check_seconds: float):
        self.what, self.check_seconds = what, check_seconds
        self.loaded = False  # a first copy has been read
        self._checked_at = -math.inf
        self._lock = threading.Lock()

    def refresh(self, load: Callable[[], None], force: bool = False) -> None:
        """`load()` reads the version and, when it moved (or nothing is loaded yet), the copy."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.check_seconds:
            return
        if not self._lock.acquire(blocking=force or not self.loaded):
            return
        try:
            self._checked_at = now
            load()
            self.loaded = True
        except STORE_ERRORS as exc:
            log.warning("%s not re-read (Redis: %s); the last copy stays", self.what, exc)
        finally:
            self._lock.release()
