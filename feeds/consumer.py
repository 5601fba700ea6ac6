"""The log consumer: live events from pub/sub, gaps filled from the stream, by itself, forever.

A session subscribes to the live channel and waits for the confirmation, then reads the log after
the last stream id its sink applied, then applies live messages. A subscription loses messages
only by losing its connection, and every connection loss starts a new session, so nothing is
missed; an entry seen both ways is skipped by its stream id. Redis restarts, dropped connections
and the cut-off of a slow subscriber (client-output-buffer-limit) all end up as a reconnect with
backoff.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

import orjson
import redis

from feeds.events import validate_event
from feeds.keys import PortKeys

log = logging.getLogger(__name__)

CATCH_UP_BATCH = 5000


class LogSink(Protocol):
    """Where the consumer hands entries: in stream order, each exactly once per sink."""

    last_stream_id: str

    def apply_entries(self, entries: list[tuple[str, dict | None]]) -> None:
        """(stream id, valid event) pairs; None marks an entry that failed its check."""


def parse_id(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


@dataclass
class ConsumerHealth:
    connected: bool = False
    caught_up: bool = False
    sessions: int = 0
    last_error: str | None = None
    last_error_at: float | None = None
    last_message_at: float | None = None
    started_at: float = field(default_factory=time.time)
    first_caught_up_at: float | None = None  # start → first catch-up done: the cold start


def decode_entry(raw: bytes) -> tuple[dict | None, list[dict], str]:
    """Log entry bytes → (event or None, problems, source for the dead-letter log)."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, [{"field": "", "problem": "log entry is not JSON"}], "unknown"
    event, problems = validate_event(obj, allow_ticks=True)
    source = obj.get("source") if isinstance(obj, dict) and isinstance(obj.get("source"), str) else "unknown"
    return event, problems, source


class LogConsumer:
    def __init__(self, url: str, port_id: str, sink: LogSink, *,
                 on_rejected: Callable[[str, list[dict], bytes], None] | None = None,
                 lock: threading.Lock | None = None, max_backoff: float = 5.0):
        self.url = url
        self.keys = PortKeys(port_id)
        self.sink = sink
        self.on_rejected = on_rejected
        self.lock = lock or threading.Lock()  # held while the sink changes
        self.max_backoff = max_backoff
        self.health = ConsumerHealth()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pubsub = None

    def start(self) -> "LogConsumer":
        self._thread = threading.Thread(target=self._run, name="log-consumer", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            try:
                self._session()
                backoff = 0.1
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                self._note_error(exc)
            except redis.RedisError as exc:  # e.g. LOADING while the server reads its file
                self._note_error(exc)
            except Exception as exc:  # a bug must not end the consumer: say so, start over
                log.exception("log consumer failed")
                self._note_error(exc)
            self.health.connected = self.health.caught_up = False
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    def _note_error(self, exc: Exception) -> None:
        self.health.last_error = f"{type(exc).__name__}: {exc}"[:300]
        self.health.last_error_at = time.time()
        log.warning("log consumer: %s; reconnecting", self.health.last_error)

    def _session(self) -> None:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=10,
                                      health_check_interval=0)
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(self.keys.live)
            self._await_subscription(pubsub)
            self.health.connected = True
            self.health.sessions += 1
            self._catch_up(client)
            self.health.caught_up = True
            self.health.first_caught_up_at = self.health.first_caught_up_at or time.time()
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message and message["type"] == "message":
                    self._apply_live(message["data"])
        finally:
            pubsub.close()
            client.close()

    @staticmethod
    def _await_subscription(pubsub) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=1.0)
            if message and message["type"] == "subscribe":
                return
        raise redis.TimeoutError("no subscription confirmation")

    def _catch_up(self, client: redis.Redis) -> None:
        while not self._stop.is_set():
            entries = client.xrange(self.keys.events, min=f"({self.sink.last_stream_id}",
                                    count=CATCH_UP_BATCH)
            if not entries:
                return
            self._apply([(sid.decode(), fields.get(b"event", b"")) for sid, fields in entries])

    def _apply_live(self, data: bytes) -> None:
        last = parse_id(self.sink.last_stream_id)
        batch = []
        for line in data.split(b"\n"):
            sid, _, raw = line.partition(b" ")
            try:
                sid_text = sid.decode()
                position = parse_id(sid_text)
            except ValueError:  # not our line format: the log itself is the truth, catch-up reads it
                log.warning("live line without a stream id skipped: %r", line[:80])
                continue
            if position > last:  # older ones came through the catch-up already
                batch.append((sid_text, raw))
        if batch:
            self._apply(batch)
        self.health.last_message_at = time.time()

    def _apply(self, raw_entries: list[tuple[str, bytes]]) -> None:
        entries: list[tuple[str, dict | None]] = []
        for sid, raw in raw_entries:
            event, problems, source = decode_entry(raw)
            if event is None and self.on_rejected:
                self.on_rejected(source, problems, raw)
            entries.append((sid, event))
        with self.lock:  # only entries after the sink's position: it may have moved meanwhile
            last = parse_id(self.sink.last_stream_id)
            self.sink.apply_entries([entry for entry in entries if parse_id(entry[0]) > last])
