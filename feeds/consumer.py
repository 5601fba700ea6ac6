"""The log consumer: live events from pub/sub, gaps filled from the stream, by itself, forever.

A session subscribes to the live channel and waits for the confirmation, then reads the log after
the last stream id its sink applied, then applies live messages. A subscription loses messages
only by losing its connection, and every connection loss starts a new session, so nothing is
missed; an entry seen both ways is skipped by its stream id. Redis restarts, dropped connections
and the cut-off of a slow subscriber (client-output-buffer-limit) all end up as a reconnect with
backoff. The subscription is never re-made behind the consumer's back (redis-py re-subscribes
by itself on a connection it reconnects, and messages in between would be lost): its connection
does not retry, and a subscription confirmation in the middle of a session ends it. A live channel
that stays silent while the log moves on ends the session too.

On a Redis Cluster (`cluster=True`) the live channel is a sharded channel: SSUBSCRIBE on the
primary that holds the port's slot, read with the same session logic. A failover closes that
subscription (the node died, or it tells its subscribers `sunsubscribe` when the slot moves away);
the next session re-reads the slot map and subscribes on the new primary.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

import orjson
import redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisClusterException
from redis.retry import Retry

from feeds.events import validate_event
from feeds.keys import PortKeys
from feeds.redis_client import connect, node_client

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


class SubscriptionLost(redis.ConnectionError):
    """The live channel went quiet in a way only a lost subscription explains."""


class LogConsumer:
    """`cluster=True`: `url` is any node of a Redis Cluster; the log is read through the cluster
    client and the live channel is a sharded one (SSUBSCRIBE on the port's primary)."""

    def __init__(self, url: str, port_id: str, sink: LogSink, *,
                 on_rejected: Callable[[str, list[dict], bytes], None] | None = None,
                 lock: threading.Lock | None = None, max_backoff: float = 5.0,
                 cluster: bool = False, watch_seconds: float = 2.0):
        self.url = url
        self.keys = PortKeys(port_id)
        self.sink = sink
        self.on_rejected = on_rejected
        self.lock = lock or threading.Lock()  # held while the sink changes
        self.max_backoff = max_backoff
        self.cluster = cluster
        self.watch_seconds = watch_seconds  # a silence this long makes the consumer look at the log
        self.health = ConsumerHealth()
        self._stop = threading.Event()
        self._resync = threading.Event()
        self._thread: threading.Thread | None = None
        self._cluster_client: redis.RedisCluster | None = None  # kept: its nodes seed the next map

    def start(self) -> "LogConsumer":
        self._thread = threading.Thread(target=self._run, name="log-consumer", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    def resync(self) -> None:
        """Start a new session (catch up from the sink's position again): its sink was replaced
        by one placed elsewhere in the log."""
        self._resync.set()

    def _run(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            try:
                self._session()
                backoff = 0.1
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                self._note_error(exc)
            except (redis.RedisError, RedisClusterException) as exc:  # LOADING, CLUSTERDOWN, MOVED…
                self._note_error(exc)
            except Exception as exc:  # a bug must not end the consumer: say so, start over
                log.exception("log consumer failed")
                self._note_error(exc)
            self.health.connected = self.health.caught_up = False
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self.max_backoff)
        if self._cluster_client is not None:
            self._cluster_client.close()

    def _note_error(self, exc: Exception) -> None:
        self.health.last_error = f"{type(exc).__name__}: {exc}"[:300]
        self.health.last_error_at = time.time()
        log.warning("log consumer: %s; reconnecting", self.health.last_error)

    def _connect(self) -> tuple[redis.Redis | redis.RedisCluster, redis.Redis]:
        """→ (client for the log, client for the live channel). Neither retries by itself: a
        subscription that reconnected silently would have missed messages, so any loss ends the
        session and the next one catches up from the log."""
        if not self.cluster:
            client = redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=10,
                                          health_check_interval=0, retry=Retry(NoBackoff(), 0))
            return client, client
        if self._cluster_client is None:
            self._cluster_client = connect(self.url, cluster=True, timeout=5.0)
        else:  # a new session after a loss: the slot map first (a failover may have moved it)
            self._cluster_client.nodes_manager.initialize()
        return self._cluster_client, node_client(self._cluster_client, self.keys.live)

    def _session(self) -> None:
        client, live = self._connect()
        pubsub = live.pubsub()
        try:
            if self.cluster:
                pubsub.ssubscribe(self.keys.live)
            else:
                pubsub.subscribe(self.keys.live)
            self._await_subscription(pubsub)
            self.health.connected = True
            self.health.sessions += 1
            self._catch_up(client)
            self.health.caught_up = True
            self.health.first_caught_up_at = self.health.first_caught_up_at or time.time()
            self._listen(pubsub, client)
        finally:
            pubsub.close()
            if not self.cluster:  # the cluster client is kept for the next session
                client.close()

    def _listen(self, pubsub, client) -> None:
        """Apply live messages until stopped; a lost subscription raises (a new session starts)."""
        watch = _Watch(self.watch_seconds)
        while not self._stop.is_set():
            if self._resync.is_set():
                self._resync.clear()
                return
            message = pubsub.get_message(timeout=1.0)
            if message is None:
                if watch.due():
                    self._check_heard(client, watch)
                continue
            kind = message["type"]
            if kind in ("message", "smessage"):
                watch.heard()
                self._apply_live(message["data"])
            elif kind in ("subscribe", "ssubscribe", "unsubscribe", "sunsubscribe"):
                # a server-side unsubscribe (the slot moved away) or a re-subscription: messages
                # may have passed unseen in between
                raise SubscriptionLost(f"{kind} {message['channel']!r} in the middle of a session")

    def _check_heard(self, client, watch: "_Watch") -> None:
        """Nothing heard for a while: if the log moved past what was applied twice in a row, the
        subscription is dead without having said so (a failover, a cut the socket never saw)."""
        head = _head(client, self.keys.events)
        behind = head is not None and parse_id(head) > parse_id(self.sink.last_stream_id)
        if behind and watch.suspect:
            raise SubscriptionLost(f"the log reached {head} while the live channel stayed silent")
        watch.suspect = behind

    @staticmethod
    def _await_subscription(pubsub) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=1.0)
            if message and message["type"] in ("subscribe", "ssubscribe"):
                return
        raise redis.TimeoutError("no subscription confirmation")

    def _catch_up(self, client: redis.Redis | redis.RedisCluster) -> None:
        while not self._stop.is_set():
            entries = client.xrange(self.keys.events, min=f"({self.sink.last_stream_id}",
                                    count=CATCH_UP_BATCH)
            if not entries:
                break
            self._apply([(sid.decode(), fields.get(b"event", b"")) for sid, fields in entries])
        head = _head(client, self.keys.events)
        if head is not None and parse_id(head) < parse_id(self.sink.last_stream_id):
            log.warning("the log ends at %s, before the last entry applied (%s): entries were lost "
                        "(a failover before they reached a replica?) or the log was replaced",
                        head, self.sink.last_stream_id)

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


class _Watch:
    """When the live loop last heard a message, and whether the last look at the log worried it."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.heard_at = self.checked_at = time.monotonic()
        self.suspect = False

    def heard(self) -> None:
        self.heard_at = time.monotonic()
        self.suspect = False

    def due(self) -> bool:
        now = time.monotonic()
        if now - self.heard_at < self.seconds or now - self.checked_at < self.seconds:
            return False
        self.checked_at = now
        return True


def _head(client, key: str) -> str | None:
    """The id of the log's newest entry, or None for an empty log."""
    newest = client.xrevrange(key, count=1)
    return newest[0][0].decode() if newest else None
