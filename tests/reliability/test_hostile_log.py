"""Hostile input in the Redis log: hypothesis fuzzes entries written straight into the stream (valid,
repeated, broken, random bytes, wrong fields), before the start and while running; then single
entries the consumer cannot write back or describe (nested past what orjson writes, a live line
without a stream id) and the count of a bad entry in /healthz. What must hold is in
`hostile_strategies`' docstring."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import orjson
import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from dashboard.app import create_app, service_of, stop_app
from feeds.keys import PortKeys
from feeds.publisher import Publisher
from tests.helpers import wait_for
from tests.reliability.hostile_requests import (  # noqa: F401  (fuzz_config: the `config` fixture)
    assert_still_serves, fuzz_config, poison_items, state_of)
from tests.reliability.hostile_strategies import (
    JSON_VALUES, PARTNER, Tally, broken_v1, dumps, fuzz, nest, simple_event, valid_v1)


# -- the Redis log -------------------------------------------------------------------------------
# XADD and, when asked, PUBLISH the entry's `event` field as the contract's live line, atomically:
# a producer that keeps docs/redis-contract.md's protocol but writes anything at all.
# KEYS: stream, channel. ARGV: announce (1/0), the announced payload, then field, value, …
_RAW_WRITE = """
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
if ARGV[1] == '1' then redis.call('PUBLISH', KEYS[2], id .. ' ' .. ARGV[2]) end
return id
"""
WRONG_FIELDS = st.sampled_from(["evnt", "Event", "EVENT", "event ", " event", "", "events", "data", "payload", "\x00"])


@dataclass
class LogOp:
    kind: str  # publish | republish | direct | direct-dup | extra-fields | bad
    events: list = field(default_factory=list)
    fields: list = field(default_factory=list)  # (field, value) pairs of a direct write
    what: str = ""
    pick: int | None = None  # republish, direct-dup: which of the events applied so far


@st.composite
def log_ops(draw) -> LogOp:
    choice = draw(st.integers(0, 99))
    if choice < 20:
        return LogOp("publish", draw(st.lists(valid_v1(None, "log"), min_size=1, max_size=5)))
    if choice < 24:
        return LogOp("republish", pick=draw(st.integers(0, 2**31)))
    if choice < 34:
        event = draw(valid_v1(None, "log"))
        return LogOp("direct", [event], [("event", dumps(event))])
    if choice < 38:
        return LogOp("direct-dup", pick=draw(st.integers(0, 2**31)))
    if choice < 42:
        event = draw(valid_v1(None, "log"))
        junk = draw(st.lists(st.tuples(WRONG_FIELDS, st.binary(max_size=50)), min_size=1, max_size=3))
        return LogOp("extra-fields", [event], [("event", dumps(event))] + junk)
    if choice < 56:
        return LogOp("bad", fields=[("event", draw(st.binary(max_size=2000)))], what="random bytes")
    if choice < 64:
        return LogOp("bad", fields=[("event", dumps(draw(JSON_VALUES)))], what="random JSON")
    if choice < 82:
        event, _, what = draw(broken_v1(None, "log"))
        return LogOp("bad", fields=[("event", dumps(event))], what=f"broken event: {what}")
    if choice < 88:
        return LogOp("bad", fields=[("event", draw(poison_items(PARTNER)).raw)], what="not JSON")
    if choice < 92:
        return LogOp("bad", fields=[("event", draw(st.sampled_from([b"", b" ", b"null", b"[]", b"{}"])))],
                     what="empty")
    event = draw(valid_v1(None, "log"))
    name = draw(WRONG_FIELDS)
    return LogOp("bad", fields=[(name, dumps(event))], what=f"wrong field {name!r}")


class LogWriter:
    """Writes ops into one port's log and keeps the count of what the consumer must make of them.

    Two memories of `(source, id)`: the Publisher's seen set (only what it appended) and the
    state's (every valid entry it applied, however it got into the log)."""

    def __init__(self, client: redis.Redis, port_id: str, tally: Tally):
        self.client, self.keys, self.tally = client, PortKeys(port_id), tally
        self.publisher = Publisher(client, port_id)
        self.raw_write = client.register_script(_RAW_WRITE)
        self.published: set[tuple[str, str]] = set()
        self.seen: set[tuple[str, str]] = set()
        self.pool: list[dict] = []
        self.counts = Counter()  # entries, valid, duplicates, bad, other

    def write(self, op: LogOp, announce: bool) -> None:
        if op.pick is not None:  # an event written before, again
            if not self.pool:
                return
            event = self.pool[op.pick % len(self.pool)]
            op = LogOp(op.kind, [event], [("event", dumps(event))])
        if op.kind in ("publish", "republish"):
            ids = self.publisher.publish(op.events)
            for event, stream_id in zip(op.events, ids):
                key = (event["source"], event["id"])
                assert (stream_id is None) == (key in self.published), \
                    f"Publisher: stream id {stream_id!r} for {'a' if key in self.published else 'no'} repeat of {key}"
                self.published.add(key)
                self.tally.entry(op.kind)
                if stream_id is not None:
                    self._count_valid(event)
            return
        fields = list(op.fields)
        if announce:  # the live line must hold no raw newline (JSON never does; garbage may)
            fields = [(name, value.replace(b"\n", b"\x01")) for name, value in fields]
        payload = dict(fields).get("event", b"")
        argv = [b"1" if announce else b"0", payload]
        for name, value in fields:
            argv += [name, value]
        self.raw_write(keys=[self.keys.events, self.keys.live], args=argv)
        self.tally.entry(op.kind if op.kind != "bad" else "bad: " + op.what.split(":")[0])
        if op.kind == "bad":
            self.counts["entries"] += 1
            self.counts["bad"] += 1
        elif op.kind == "other":  # either applied or rejected: only that it is consumed is known
            self.counts["entries"] += 1
            self.counts["other"] += 1
        else:
            self._count_valid(op.events[0])

    def _count_valid(self, event: dict) -> None:
        self.counts["entries"] += 1
        key = (event["source"], event["id"])
        if key in self.seen:
            self.counts["duplicates"] += 1
        else:
            self.seen.add(key)
            self.pool.append(event)
            self.counts["valid"] += 1


def wait_consumed(app, writer: LogWriter, what: str) -> None:
    state = state_of(app)
    consumer = service_of(app).consumer
    try:
        wait_for(lambda: state.entries_consumed >= writer.counts["entries"], timeout=30,
                 what=f"{writer.counts['entries']} log entries ({what}) to be consumed")
    except AssertionError:
        raise AssertionError(f"the consumer stopped at {state.entries_consumed} of {writer.counts['entries']} "
                             f"entries; thread alive: {consumer._thread.is_alive()}; health: {consumer.health}")
    with service_of(app).store.lock:
        counters = state.counters()
    assert counters["events_applied"] == writer.counts["valid"], (counters, dict(writer.counts))
    assert counters["rejected_in_log"] == writer.counts["bad"], (counters, dict(writer.counts))
    assert counters["duplicates_in_log"] == writer.counts["duplicates"], (counters, dict(writer.counts))


def test_redis_log_fuzz_consumer_survives_garbage_applies_valid_entries_and_dead_letters_bad_ones(
        config, redis_url, tally):
    client = redis.Redis.from_url(redis_url)
    writer = LogWriter(client, config.port_id, tally)

    @fuzz(max_examples=50)
    @given(ops=st.lists(log_ops(), min_size=1, max_size=8))
    def before_start(ops):  # read by the consumer's catch-up (XRANGE)
        for op in ops:
            writer.write(op, announce=False)

    before_start()
    app = create_app(config)
    try:
        wait_consumed(app, writer, "written before the start, read by the catch-up")

        @fuzz(max_examples=50)
        @given(ops=st.lists(log_ops(), min_size=1, max_size=8))
        def while_running(ops):  # read from the live channel
            for op in ops:
                writer.write(op, announce=True)

        while_running()
        wait_consumed(app, writer, "written while running, announced live")
        http = app.server.test_client()
        health = http.get("/healthz").json
        assert health["consumer"]["connected"] and health["consumer"]["caught_up"], health["consumer"]
        assert health["lag"] == 0, health
        assert health["events_applied"] == writer.counts["valid"], health
        assert health["duplicates_in_log"] == writer.counts["duplicates"], health
        dead = client.xlen(writer.keys.deadletter)
        assert dead == writer.counts["bad"], f"{dead} dead-letter entries for {writer.counts['bad']} bad log entries"
        assert_still_serves(http)
        tally.valid_applied = writer.counts["valid"]
        tally.finished = True
    finally:
        stop_app(app)
        client.close()


# -- the log consumer against entries it cannot write back or describe --------------------------
def _running_app_with_writer(config, redis_url, tally):
    app = create_app(config)
    client = redis.Redis.from_url(redis_url)
    writer = LogWriter(client, config.port_id, tally)
    wait_for(lambda: service_of(app).consumer.health.caught_up, what="the consumer to catch up")
    return app, client, writer


def _assert_consumer_goes_on(app, writer: LogWriter, what: str) -> None:
    """After the hostile entry, one valid event: every entry must be consumed (the hostile one
    applied or rejected, the valid one applied) and /healthz must say so truthfully."""
    writer.write(LogOp("publish", [simple_event("after")]), announce=True)
    consumer = service_of(app).consumer
    state = state_of(app)
    try:
        wait_for(lambda: state.entries_consumed >= writer.counts["entries"] and state.applied >= writer.counts["valid"],
                 timeout=5, what=f"the entries after {what} to be consumed")
    except AssertionError:
        health = app.server.test_client().get("/healthz").json
        raise AssertionError(
            f"after {what} the log consumer takes nothing more: {state.entries_consumed} of "
            f"{writer.counts['entries']} entries consumed, {state.applied} of {writer.counts['valid']} valid events "
            f"applied; consumer thread alive: {consumer._thread.is_alive()}; /healthz says "
            f"status={health['status']!r}, consumer={health['consumer']}, lag={health['lag']}") from None
    assert state.applied + state.rejected == writer.counts["entries"], (state.counters(), dict(writer.counts))
    assert state.rejected >= writer.counts["bad"], (state.counters(), dict(writer.counts))


LOG_NESTING_CASES = {
    "type nested 1000 deep": (lambda: b'{"id":"x","type":' + nest(1000) + b"}", "bad"),
    "source nested 1000 deep": (lambda: b'{"id":"x","source":' + nest(1000) + b"}", "bad"),
    "valid event with data nested 300 deep": (
        lambda: orjson.dumps(simple_event("deep-log"))[:-1] + b',"data":{"x":' + nest(300) + b"}}", "other"),
}


@pytest.mark.parametrize("what", list(LOG_NESTING_CASES), ids=[w.replace(" ", "-") for w in LOG_NESTING_CASES])
def test_log_entry_nested_deep_does_not_stop_the_consumer(config, redis_url, what, tally):
    app, client, writer = _running_app_with_writer(config, redis_url, tally)
    try:
        make, kind = LOG_NESTING_CASES[what]
        writer.write(LogOp(kind, fields=[("event", make())], what=what), announce=True)
        _assert_consumer_goes_on(app, writer, f"a log entry with {what}")
        tally.finished = True
    finally:
        stop_app(app)
        client.close()


def test_live_line_without_a_stream_id_does_not_stop_the_consumer(config, redis_url, tally):
    """A producer that announces a payload holding a raw newline (garbage, not JSON) sends a live
    line with no stream id; the entry itself is in the log."""
    app, client, writer = _running_app_with_writer(config, redis_url, tally)
    try:
        garbage = b"garbage\nnot a stream id"
        writer.raw_write(keys=[writer.keys.events, writer.keys.live], args=[b"1", garbage, b"event", garbage])
        tally.entry("bad: raw newline in the live line")
        writer.counts["entries"] += 1
        writer.counts["bad"] += 1
        _assert_consumer_goes_on(app, writer, "a live line without a stream id")
        tally.finished = True
    finally:
        stop_app(app)
        client.close()


def test_healthz_events_rejected_counts_a_bad_log_entry_once(config, redis_url, tally):
    """docs/api.md: `events_rejected` counts rejects at ingest and entries of the log that failed
    their check. One bad entry in the log, nothing rejected at ingest → 1."""
    app, client, writer = _running_app_with_writer(config, redis_url, tally)
    try:
        writer.write(LogOp("bad", fields=[("event", b"not json")], what="not JSON"), announce=True)
        wait_for(lambda: state_of(app).rejected == 1, what="the bad entry to be counted")
        wait_for(lambda: client.xlen(writer.keys.deadletter) == 1, what="the bad entry to be dead-lettered")
        health = app.server.test_client().get("/healthz").json
        assert health["events_rejected"] == 1, (
            f"/healthz events_rejected={health['events_rejected']} for one bad log entry and no ingest reject "
            f"(state rejected_in_log={state_of(app).rejected}, ingest stats "
            f"rejected={writer.publisher.ingest_stats().get('rejected', 0)})")
        tally.finished = True
    finally:
        stop_app(app)
        client.close()
