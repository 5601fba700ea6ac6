"""The state, its lock, and its snapshots in Redis: load on start, save periodically, trim the log.

A snapshot is taken the way Redis' own BGSAVE does it: the process forks while holding the state
lock (a few milliseconds), and the child pickles its frozen copy and writes it to Redis on a
connection of its own while the parent goes on applying events. The snapshot is written in
chunks under a new generation and then switched to atomically, so a crash mid-write leaves the
previous snapshot intact. The log is trimmed only behind the latest snapshot, and never closer
to now than the retention, so a restart (snapshot + the log after it) finds every entry it needs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid

import redis

from feeds.consumer import parse_id
from feeds.redis_client import STORE_ERRORS, connect
from feeds.keys import PortKeys

log = logging.getLogger(__name__)

CHUNK = 64 * 1024 * 1024  # Redis takes bulk strings of at most 512 MB: stay well below


class StateStore:
    def __init__(self, client: redis.Redis, url: str, port_id: str, *, retention_hours: int, state_factory,
                 cluster: bool = False):
        self.client = client
        self.url, self.cluster = url, cluster
        self.keys = PortKeys(port_id)
        self.retention_ms = retention_hours * 3_600_000
        self.state_factory = state_factory
        self.state = state_factory()
        self.lock = threading.Lock()
        self.snapshot_lock = threading.Lock()  # held while a snapshot is being written
        self.last_snapshot_id: str | None = None
        self.last_snapshot_at: float | None = None
        self.last_snapshot_seconds: float | None = None

    def load(self) -> bool:
        """Start from the snapshot in Redis if there is one; → whether one was loaded."""
        meta = self.client.hgetall(self.keys.snapshot)
        if not meta or b"generation" not in meta:
            return False
        generation, chunks = meta[b"generation"].decode(), int(meta[b"chunks"])
        blob = b"".join(self.client.get(self._chunk_key(generation, i)) or b"" for i in range(chunks))
        try:
            state = type(self.state).from_snapshot(blob)
        except Exception as exc:  # an old or damaged snapshot: replay the whole log instead
            log.warning("snapshot ignored (%s); replaying the log", exc)
            return False
        with self.lock:
            self.state = state
        self.last_snapshot_id = state.last_stream_id
        return True

    def _chunk_key(self, generation: str, index: int) -> str:
        return f"{self.keys.snapshot}:{generation}:{index}"

    def save_snapshot(self) -> str | None:
        """Fork; the child writes the snapshot. → the stream id it covers, or None if it failed."""
        with self.snapshot_lock:
            return self._save_snapshot()

    def _save_snapshot(self) -> str | None:
        started = time.monotonic()
        with self.lock:
            stream_id = self.state.last_stream_id
            pid = os.fork()
            if pid == 0:
                self._child_write(stream_id)  # never returns
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            log.warning("snapshot child failed (status %s)", status)
            return None
        self.last_snapshot_id, self.last_snapshot_at = stream_id, time.time()
        self.last_snapshot_seconds = time.monotonic() - started
        self.trim(stream_id)
        return stream_id

    def _child_write(self, stream_id: str) -> None:
        code = 1
        try:
            os.nice(10)  # a background copy: the service and its walls come first for the CPU
            blob = self.state.to_snapshot()
            client = connect(self.url, cluster=self.cluster, timeout=60)  # not the parent's sockets
            generation = uuid.uuid4().hex[:12]
            old = client.hget(self.keys.snapshot, "generation")
            old_chunks = int(client.hget(self.keys.snapshot, "chunks") or 0)
            count = max(1, -(-len(blob) // CHUNK))
            for index in range(count):
                client.set(self._chunk_key(generation, index), blob[index * CHUNK:(index + 1) * CHUNK])
            client.hset(self.keys.snapshot, mapping={
                "generation": generation, "chunks": count, "stream_id": stream_id,
                "bytes": len(blob), "saved_at": int(time.time() * 1000)})
            if old:
                client.delete(*[self._chunk_key(old.decode(), i) for i in range(old_chunks)] or ["-"])
            code = 0
        finally:
            os._exit(code)

    def trim(self, snapshot_id: str) -> None:
        now_ms = int(time.time() * 1000)
        retention_cut = (now_ms - self.retention_ms, 0)
        keep_from = min(parse_id(snapshot_id), retention_cut)
        if keep_from > (0, 0):
            self.client.xtrim(self.keys.events, minid=f"{keep_from[0]}-{keep_from[1]}", approximate=False)
        self.client.zremrangebyscore(self.keys.seen, "-inf", now_ms - self.retention_ms)


class Every:
    """Runs `task` every `seconds` on its own thread while the service runs, and once at stop."""

    def __init__(self, name: str, seconds: float, task, *, at_stop: bool = True):
        self.seconds, self.task, self.at_stop = seconds, task, at_stop
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> "Every":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            self._safely()

    def _safely(self) -> None:
        try:
            self.task()
        except STORE_ERRORS as exc:
            log.warning("%s skipped: %s", self._thread.name, exc)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(30)
        if self.at_stop:
            self._safely()


def snapshot_if_changed(store: StateStore) -> bool:
    """→ whether a snapshot was written."""
    if store.state.last_stream_id != store.last_snapshot_id:
        return store.save_snapshot() is not None
    return False
