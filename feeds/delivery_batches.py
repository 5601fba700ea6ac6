"""What one delivery carries: log entries mapped once to DCSA events, the window of recent ones
in memory, and a subscription's next batch (feeds/deliveries.py sends it)."""

from __future__ import annotations

import bisect
import logging
import threading
from dataclasses import dataclass, field
from typing import Callable

import orjson

from feeds.consumer import decode_entry, parse_id
from feeds.dcsa_out import matches, to_dcsa

log = logging.getLogger(__name__)

BATCH_EVENTS = 500  # events in one callback at most
WINDOW_ENTRIES = 20_000  # recent mapped entries kept in memory

Entry = tuple  # (stream id, DCSA event or None, its JSON bytes, the port event's (source, id))
Retracted = Callable[[list[tuple[str, str]]], set[tuple[str, str]]]  # (source, id)s → those taken back


def map_entry(stream_id: str, raw: bytes, locode: str | None) -> Entry:
    """A log entry → (its id, its DCSA event, that event's JSON, (source, id)); Nones when it has
    no DCSA event."""
    try:
        event = decode_entry(raw)[0]
        dcsa = to_dcsa(event, stream_id, locode) if event is not None else None
    except Exception:  # a mapping bug must not stop every delivery at this entry: skip it, say so
        log.exception("log entry %s not mapped to DCSA: not delivered", stream_id)
        dcsa = None
    if dcsa is None:
        return stream_id, None, None, None
    return stream_id, dcsa, orjson.dumps(dcsa), (event["source"], event["id"])


class LogWindow:
    """The newest mapped log entries in order, all of them after `base`: whoever stands at or
    after `base` reads what follows from memory."""

    def __init__(self, base: str, size: int = WINDOW_ENTRIES):
        self.base, self.size = base, size
        self.keys: list[tuple[int, int]] = []
        self.entries: list[Entry] = []
        self.lock = threading.Lock()

    @property
    def last(self) -> str:
        return self.entries[-1][0] if self.entries else self.base

    def extend(self, entries: list[Entry]) -> None:
        with self.lock:
            self.entries += entries
            self.keys += [parse_id(entry[0]) for entry in entries]
            if len(self.entries) > 2 * self.size:
                cut = len(self.entries) - self.size
                self.base = self.entries[cut - 1][0]
                self.entries, self.keys = self.entries[cut:], self.keys[cut:]

    def after(self, cursor: str, limit: int) -> list[Entry] | None:
        """The entries after `cursor`; None when it stands before the window (read the log)."""
        key = parse_id(cursor)
        with self.lock:
            if key < parse_id(self.base):
                return None
            start = bisect.bisect_right(self.keys, key)
            return self.entries[start:start + limit]


@dataclass
class Batch:
    end: str  # the last log entry looked at: the new position once the subscriber took it
    events: list[dict] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    keys: list[tuple[str, str]] = field(default_factory=list)

    def body(self) -> bytes:
        return b"[" + b",".join(self.bodies) + b"]"

    def drop(self, gone: set[tuple[str, str]]) -> None:
        """Leave out the events whose senders took them back (the position still moves past them)."""
        kept = [i for i, key in enumerate(self.keys) if key not in gone]
        self.events, self.bodies, self.keys = ([items[i] for i in kept]
                                               for items in (self.events, self.bodies, self.keys))


def collect(entries: list[Entry], filters, cursor: str) -> Batch:
    batch = Batch(end=cursor)
    for stream_id, dcsa, encoded, key in entries:
        batch.end = stream_id
        if dcsa is not None and matches(dcsa, filters):
            batch.events.append(dcsa)
            batch.bodies.append(encoded)
            batch.keys.append(key)
            if len(batch.events) == BATCH_EVENTS:
                break
    return batch
