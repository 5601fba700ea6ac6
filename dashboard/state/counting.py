"""The minimal port state of the backbone: it counts what it is handed, once per `(source, id)`.

Pure Python (no Dash, Flask or Redis): the consumer feeds it log entries in stream order, and it
keeps the stream id it has applied up to, so a restart resumes exactly there.
"""

from __future__ import annotations

import pickle
from collections import Counter


class CountingState:
    SNAPSHOT_VERSION = 1

    def __init__(self) -> None:
        self.last_stream_id = "0-0"
        self.entries_consumed = 0  # every log entry handed over: applied, duplicate or rejected
        self.applied = 0
        self.duplicates = 0
        self.rejected = 0
        self.by_type: Counter[str] = Counter()
        self._seen: set[tuple[str, str]] = set()

    def apply(self, event: dict) -> bool:
        """Apply one valid event; False (and counted) when its `(source, id)` came before."""
        key = (event["source"], event["id"])
        if key in self._seen:
            self.duplicates += 1
            return False
        self._seen.add(key)
        self.applied += 1
        self.by_type[event["type"]] += 1
        return True

    def apply_entries(self, entries: list[tuple[str, dict | None]]) -> None:
        for stream_id, event in entries:
            if event is None:
                self.rejected += 1
            else:
                self.apply(event)
            self.entries_consumed += 1
            self.last_stream_id = stream_id

    def counters(self) -> dict:
        return {
            "events_applied": self.applied,
            "duplicates_in_log": self.duplicates,
            "rejected_in_log": self.rejected,
            "entries_consumed": self.entries_consumed,
            "last_stream_id": self.last_stream_id,
            "by_type": dict(self.by_type),
        }

    def to_snapshot(self) -> bytes:
        return pickle.dumps((self.SNAPSHOT_VERSION, self.__dict__), protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_snapshot(cls, blob: bytes) -> "CountingState":
        version, fields = pickle.loads(blob)  # only ever our own snapshot, from our own Redis
        if version != cls.SNAPSHOT_VERSION:
            raise ValueError(f"snapshot version {version}, expected {cls.SNAPSHOT_VERSION}")
        state = cls()
        state.__dict__.update(fields)
        return state
