"""The state, its lock, and its snapshots in Redis: load on start, save periodically, trim the log.

The log is trimmed only behind the latest snapshot, and never closer to now than the retention,
so a restart (snapshot + the log after it) always finds every entry it needs.
"""

from __future__ import annotations

import logging
import threading
import time

import redis

from dashboard.state.counting import CountingState
from feeds.consumer import parse_id
from feeds.keys import PortKeys

log = logging.getLogger(__name__)


class StateStore:
    def __init__(self, client: redis.Redis, port_id: str, *, retention_hours: int,
                 state_class=CountingState):
        self.client = client
        self.keys = PortKeys(port_id)
        self.retention_ms = retention_hours * 3_600_000
        self.state_class = state_class
        self.state = state_class()
        self.lock = threading.Lock()
        self.last_snapshot_id: str | None = None
        self.last_snapshot_at: float | None = None

    def load(self) -> bool:
        """Start from the snapshot in Redis if there is one; → whether one was loaded."""
        saved = self.client.hgetall(self.keys.snapshot)
        if not saved:
            return False
        try:
            state = self.state_class.from_snapshot(saved[b"state"])
        except Exception as exc:  # an old or damaged snapshot: replay the whole log instead
            log.warning("snapshot ignored (%s); replaying the log", exc)
            return False
        with self.lock:
            self.state = state
        self.last_snapshot_id = state.last_stream_id
        return True

    def save_snapshot(self) -> str:
        """Write the state with the stream id it covers, then trim what no restart needs."""
        with self.lock:
            blob = self.state.to_snapshot()
            stream_id = self.state.last_stream_id
        self.client.hset(self.keys.snapshot, mapping={
            "state": blob, "stream_id": stream_id, "saved_at": int(time.time() * 1000)})
        self.last_snapshot_id, self.last_snapshot_at = stream_id, time.time()
        self.trim(stream_id)
        return stream_id

    def trim(self, snapshot_id: str) -> None:
        now_ms = int(time.time() * 1000)
        retention_cut = (now_ms - self.retention_ms, 0)
        keep_from = min(parse_id(snapshot_id), retention_cut)
        if keep_from > (0, 0):
            self.client.xtrim(self.keys.events, minid=f"{keep_from[0]}-{keep_from[1]}", approximate=False)
        self.client.zremrangebyscore(self.keys.seen, "-inf", now_ms - self.retention_ms)


class SnapshotTimer:
    """Saves a snapshot every `seconds` while the service runs, and once more at stop."""

    def __init__(self, store: StateStore, seconds: float):
        self.store = store
        self.seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="snapshots", daemon=True)

    def start(self) -> "SnapshotTimer":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            self._save()

    def _save(self) -> None:
        try:
            if self.store.state.last_stream_id != self.store.last_snapshot_id:
                self.store.save_snapshot()
        except redis.RedisError as exc:
            log.warning("snapshot not saved: %s", exc)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._save()
