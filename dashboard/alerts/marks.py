"""The open alerts as the wall's push reads them: a copy kept for a second, read again only when
the store's version moved, so the slow update costs one GET a second, not a hash read per push."""

from __future__ import annotations

import threading
import time

from feeds.redis_client import STORE_ERRORS

KEEP_SECONDS = 1.0


class AlertMarks:
    def __init__(self, store, keep_seconds: float = KEEP_SECONDS):
        self.store, self.keep_seconds = store, keep_seconds
        self._version: int | None = None
        self._by_key: dict[str, dict] = {}
        self._read_at = -1e9
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        with self._lock:
            if time.monotonic() - self._read_at < self.keep_seconds:
                return
            self._read_at = time.monotonic()
            try:
                version = self.store.version()
                if version != self._version:
                    self._by_key = {alert["key"]: alert for alert in self.store.open_alerts()}
                    self._version = version
            except STORE_ERRORS:
                pass  # keep the last ones: the heartbeat tells the wall that Redis is away

    def version(self) -> int | None:
        self._refresh()
        return self._version

    def by_key(self) -> dict[str, dict]:
        """Condition key → its open alert."""
        self._refresh()
        return self._by_key
