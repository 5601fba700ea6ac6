"""Publishing: append events to the log and announce them live, atomically; keep what was refused.

One Lua script does, per event: drop it if its `(source, id)` was accepted before, else XADD it to
the log; then one PUBLISH (SPUBLISH on a Redis Cluster) of all appended events. A partner's retry
after a timeout is therefore safe, and a subscriber never sees an event that is not in the log.
With `replicas` > 0 a publish is acknowledged only once `WAIT` saw that many replicas take it.
`known(keys)` reads the same dedupe set: the ingest checks that a retraction names an event
that was accepted.
"""

from __future__ import annotations

import functools
import time
from contextlib import contextmanager
from typing import Any, Iterable

import orjson
import redis
from redis.exceptions import MovedError

from feeds.events import idempotency_key, utc_text
from feeds.keys import PortKeys
from feeds.redis_client import (TRANSIENT_ERRORS, NotReplicated, StoreUnavailable, node_client,
                                refresh_slots)

RAW_LIMIT = 64 * 1024  # a dead-letter entry keeps at most this much of the raw input

# KEYS: log stream, seen zset, stats hash, live channel. ARGV: now ms, then (idempotency key, json)…
# The channel is declared as a key so that on a Redis Cluster the script, whose keys all carry the
# port's hash tag, runs on the port's shard and may SPUBLISH there (a sharded channel is routed by
# its slot like a key). `PUBLISH_COMMAND` is PUBLISH on one server, SPUBLISH on a cluster.
# Bulk ZMSCORE / ZADD instead of one ZADD NX per event: each redis.call from Lua costs far more
# than the command itself. A key repeated inside one call is caught by `fresh` as well.
_PUBLISH_SCRIPT = """
local n = (#ARGV - 1) / 2
local members = {}
for j = 1, n do members[j] = ARGV[2 * j] end
local scores = redis.call('ZMSCORE', KEYS[2], unpack(members))
local ids, lines, fresh, added = {}, {}, {}, {}
for j = 1, n do
  local key = members[j]
  if scores[j] or fresh[key] then
    ids[j] = ''
  else
    fresh[key] = true
    local id = redis.call('XADD', KEYS[1], '*', 'event', ARGV[1 + 2 * j])
    ids[j] = id
    lines[#lines + 1] = id .. ' ' .. ARGV[1 + 2 * j]
    added[#added + 1] = ARGV[1]
    added[#added + 1] = key
  end
end
if #lines > 0 then
  redis.call('ZADD', KEYS[2], unpack(added))
  redis.call('PUBLISH_COMMAND', KEYS[4], table.concat(lines, '\\n'))
  redis.call('HINCRBY', KEYS[3], 'accepted', #lines)
end
if n > #lines then redis.call('HINCRBY', KEYS[3], 'duplicates', n - #lines) end
return ids
"""

SCRIPT_BATCH = 1000  # events per script call: keeps each call short for the server


def encode(event: dict) -> bytes:
    return orjson.dumps(event)


def _store_call(method):
    """A Publisher method whose retryable failures are raised as StoreUnavailable."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        with self._unavailable():
            return method(self, *args, **kwargs)
    return call


class Publisher:
    """Writes one port's log, live channel and dead-letter log. Thread-safe (redis-py pools).

    `client` is a `redis.Redis` or, for a Redis Cluster, a `redis.RedisCluster`: there the script
    runs on the port's shard and announces with SPUBLISH. With `replicas` > 0 each publish is
    followed by `WAIT replicas wait_timeout_ms` on the same connection, and `NotReplicated` is
    raised when fewer replicas acknowledged. Every failure that a retry may cure (connection lost,
    failover, stale slot map) is raised as `StoreUnavailable`, a `redis.ConnectionError`."""

    def __init__(self, client: redis.Redis | redis.RedisCluster, port_id: str, *,
                 deadletter_max: int = 100_000, replicas: int = 0, wait_timeout_ms: int = 1000):
        self.client = client
        self.keys = PortKeys(port_id)
        self.deadletter_max = deadletter_max
        self.replicas = replicas
        self.wait_timeout_ms = wait_timeout_ms
        self.cluster = isinstance(client, redis.RedisCluster)
        command = "SPUBLISH" if self.cluster else "PUBLISH"
        self._script = client.register_script(_PUBLISH_SCRIPT.replace("PUBLISH_COMMAND", command))

    def publish(self, events: Iterable[dict]) -> list[str | None]:
        """Append valid events; → the stream id of each, or None where it was a duplicate.

        Large batches go as several script calls in one pipeline: each call stays short for the
        server, and the client packs the next while the server runs the last."""
        events = list(events)
        if not events:
            return []
        with self._unavailable():
            if not self.cluster:
                ids, acknowledged = self._publish_on(self.client, events)
            else:
                try:
                    ids, acknowledged = self._publish_on(node_client(self.client, self.keys.events), events)
                except MovedError:  # the slot moved (a failover): nothing ran; again on the new map
                    refresh_slots(self.client)
                    ids, acknowledged = self._publish_on(node_client(self.client, self.keys.events), events)
        if acknowledged is not None and acknowledged < self.replicas:
            raise NotReplicated(acknowledged, self.replicas, ids)
        return ids

    def _publish_on(self, client: redis.Redis, events: list[dict]) -> tuple[list[str | None], int | None]:
        """The script calls, then WAIT when asked, in one pipeline on one connection of `client`
        (the port's primary on a cluster); → (ids, replicas that acknowledged or None)."""
        keys = [self.keys.events, self.keys.seen, self.keys.stats, self.keys.live]
        pipe = client.pipeline(transaction=False)
        for start in range(0, len(events), SCRIPT_BATCH):
            args: list[Any] = [int(time.time() * 1000)]
            for event in events[start:start + SCRIPT_BATCH]:
                args += [idempotency_key(event), encode(event)]
            self._script(keys=keys, args=args, client=pipe)
        if self.replicas:
            pipe.execute_command("WAIT", self.replicas, self.wait_timeout_ms)
        replies = pipe.execute()
        acknowledged = int(replies.pop()) if self.replicas else None
        return [(i.decode() if isinstance(i, bytes) else i) or None
                for ids in replies for i in ids], acknowledged

    @_store_call
    def known(self, keys: list[str]) -> list[bool]:
        """Which idempotency keys (`source id`) were accepted before, and are still within the
        log's retention (the dedupe set is trimmed with the log): a retraction must name one."""
        if not keys:
            return []
        return [score is not None for score in self.client.zmscore(self.keys.seen, keys)]

    @contextmanager
    def _unavailable(self):
        """Failures a retry may cure → StoreUnavailable (the slot map re-read on a cluster)."""
        try:
            yield
        except StoreUnavailable:
            raise
        except TRANSIENT_ERRORS as exc:
            if self.cluster:
                refresh_slots(self.client)
            raise StoreUnavailable(f"event store unavailable: {type(exc).__name__}: {exc}") from exc

    @_store_call
    def dead_letter(self, source: str, reasons: list[dict], raw: bytes | str | Any,
                    *, status: int | None = None, at_ingest: bool = True) -> str:
        """Keep one rejected input with every reason; the raw input is cut at 64 KB. `at_ingest`
        False: an entry of the log that failed its check (counted by the state, not here)."""
        if not isinstance(raw, (bytes, str)):
            try:
                raw = orjson.dumps(raw, option=orjson.OPT_NON_STR_KEYS)
            except (orjson.JSONEncodeError, TypeError):  # nested past what JSON writers take
                raw = b'"(the input is nested too deep to be kept)"'
        raw_bytes = raw.encode("utf-8", "replace") if isinstance(raw, str) else raw
        entry = {
            "source": source,
            "reasons": orjson.dumps(reasons),
            "raw": raw_bytes[:RAW_LIMIT],
            "truncated": int(len(raw_bytes) > RAW_LIMIT),
            "received": utc_text(time.time()),
        }
        if status is not None:
            entry["status"] = status
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(self.keys.deadletter, entry, maxlen=self.deadletter_max, approximate=True)
        if at_ingest:
            pipe.hincrby(self.keys.stats, "rejected", 1)
        pipe.hincrby(self.keys.rejects, source, 1)
        return pipe.execute()[0].decode()

    @_store_call
    def dead_letters(self, count: int = 100, source: str | None = None, *, page: int = 1000) -> list[dict]:
        """The newest dead-letter entries first, decoded; optionally one partner's only (read
        page by page back through the whole log until `count` are found)."""
        found: list[dict] = []
        upper = "+"
        while len(found) < count:
            batch = self.client.xrevrange(self.keys.deadletter, max=upper, count=page if source else count)
            for entry_id, fields in batch:
                entry = {k.decode(): v for k, v in fields.items()}
                if source and entry["source"].decode() != source:
                    continue
                found.append(_dead_letter_view(entry_id, entry))
                if len(found) == count:
                    break
            if len(batch) < (page if source else count):
                break
            upper = "(" + batch[-1][0].decode()  # exclusive: on before the oldest of this page
        return found

    @_store_call
    def rejects_by_source(self) -> dict[str, int]:
        return {k.decode(): int(v) for k, v in self.client.hgetall(self.keys.rejects).items()}

    @_store_call
    def ingest_stats(self) -> dict[str, int]:
        raw = self.client.hgetall(self.keys.stats)
        return {k.decode(): int(v) for k, v in raw.items()}


def _dead_letter_view(entry_id: bytes, entry: dict) -> dict:
    return {
        "id": entry_id.decode(), "source": entry["source"].decode(),
        "reasons": orjson.loads(entry["reasons"]), "raw": entry["raw"].decode("utf-8", "replace"),
        "truncated": entry.get("truncated") == b"1", "received": entry["received"].decode(),
        "status": int(entry["status"]) if "status" in entry else None,
    }
