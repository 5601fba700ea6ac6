"""The Redis wire contract (docs/redis-contract.md) on a real server: log + live channel written
together, idempotency, dead letters, snapshots and trimming, and replaying a recorded feed."""

from __future__ import annotations

import subprocess
import sys
import time

import orjson
import pytest
import redis

from dashboard.state.port import PortState
from dashboard.store import StateStore
from feeds.keys import PortKeys
from feeds.profile import load_profile
from feeds.publisher import RAW_LIMIT, Publisher
from feeds.replay import replay
from tests.helpers import gate_event, wait_for
from tests.process import ROOT


@pytest.fixture
def client(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def publisher(client, port_id):
    return Publisher(client, port_id)


def test_keys_carry_the_port_as_a_hash_tag():
    keys = PortKeys("xiamen")
    assert keys.events == "dp:{xiamen}:events"
    assert keys.live == "dp:{xiamen}:live"
    assert keys.deadletter == "dp:{xiamen}:deadletter"


def test_publish_appends_to_log_and_announces_each_event_with_its_stream_id(client, publisher):
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(publisher.keys.live)
    wait_for(lambda: pubsub.get_message(timeout=0.1) is None and pubsub.subscribed, what="subscription")
    events = [gate_event(1), gate_event(2), gate_event(3)]
    ids = publisher.publish(events)
    message = wait_for(lambda: pubsub.get_message(timeout=0.5), what="the live message")
    lines = message["data"].split(b"\n")
    announced = [(line.partition(b" ")[0].decode(), orjson.loads(line.partition(b" ")[2])) for line in lines]
    logged = [(sid.decode(), orjson.loads(fields[b"event"]))
              for sid, fields in client.xrange(publisher.keys.events)]
    assert announced == logged
    assert [sid for sid, _ in logged] == ids
    assert [event["id"] for _, event in logged] == ["gate-1", "gate-2", "gate-3"]
    pubsub.close()


def test_duplicate_publish_returns_none_and_appends_nothing(client, publisher):
    first = publisher.publish([gate_event(1)])
    second = publisher.publish([gate_event(1), gate_event(2)])
    assert first[0] and second[0] is None and second[1]
    assert client.xlen(publisher.keys.events) == 2
    assert publisher.ingest_stats() == {"accepted": 2, "duplicates": 1}


def test_batches_larger_than_one_script_call_keep_their_order(client, publisher):
    ids = publisher.publish([gate_event(i) for i in range(2500)])
    assert len(ids) == 2500 and all(ids)
    logged = [orjson.loads(f[b"event"])["id"] for _, f in client.xrange(publisher.keys.events)]
    assert logged == [f"gate-{i}" for i in range(2500)]


def test_dead_letter_keeps_reasons_and_cuts_raw_input_at_64_kb(publisher):
    publisher.dead_letter("trucking.x", [{"field": "id", "problem": "required"}], b"x" * (RAW_LIMIT + 10))
    letter = publisher.dead_letters()[0]
    assert letter["source"] == "trucking.x"
    assert letter["reasons"] == [{"field": "id", "problem": "required"}]
    assert len(letter["raw"]) == RAW_LIMIT and letter["truncated"]
    assert letter["received"].endswith("Z")


def test_dead_letters_can_be_read_for_one_partner(publisher):
    publisher.dead_letter("trucking.x", [], b"a")
    publisher.dead_letter("customs.xiamen", [], b"b")
    assert [d["raw"] for d in publisher.dead_letters(source="customs.xiamen")] == ["b"]


PROFILE = load_profile("xiamen")


def new_store(client, redis_url, port_id, retention_hours):
    return StateStore(client, redis_url, port_id, retention_hours=retention_hours,
                      state_factory=lambda: PortState(PROFILE))


def test_snapshot_restores_state_and_log_is_trimmed_only_behind_it(client, redis_url, publisher, port_id):
    publisher.publish([gate_event(i) for i in range(100)])
    store = new_store(client, redis_url, port_id, 0)
    entries = client.xrange(publisher.keys.events, count=60)
    store.state.apply_entries([(sid.decode(), orjson.loads(f[b"event"])) for sid, f in entries])
    covered = store.save_snapshot()
    remaining = client.xrange(publisher.keys.events)
    assert remaining[0][0].decode() == covered  # everything before the snapshot is gone, nothing after
    assert len(remaining) == 41

    restored = new_store(client, redis_url, port_id, 0)
    assert restored.load()
    assert restored.state.applied == 60 and restored.state.last_stream_id == covered
    assert restored.state.container(gate_event(59)["container"])["stage"] == "awaiting_release"


def test_retention_keeps_the_log_even_behind_a_snapshot(client, redis_url, publisher, port_id):
    publisher.publish([gate_event(i) for i in range(10)])
    store = new_store(client, redis_url, port_id, 24)
    entries = client.xrange(publisher.keys.events)
    store.state.apply_entries([(sid.decode(), orjson.loads(f[b"event"])) for sid, f in entries])
    store.save_snapshot()
    assert client.xlen(publisher.keys.events) == 10


def test_damaged_snapshot_is_ignored_and_the_log_replayed(client, redis_url, port_id):
    keys = PortKeys(port_id)
    client.hset(keys.snapshot, mapping={"generation": "g1", "chunks": 1, "stream_id": "1-0"})
    client.set(f"{keys.snapshot}:g1:0", b"garbage")
    store = new_store(client, redis_url, port_id, 1)
    assert store.load() is False
    assert store.state.last_stream_id == "0-0"


def test_snapshot_is_switched_atomically_and_old_chunks_removed(client, redis_url, publisher, port_id):
    publisher.publish([gate_event(i) for i in range(10)])
    store = new_store(client, redis_url, port_id, 24)
    entries = client.xrange(publisher.keys.events)
    store.state.apply_entries([(sid.decode(), orjson.loads(f[b"event"])) for sid, f in entries[:5]])
    store.save_snapshot()
    first = client.hget(PortKeys(port_id).snapshot, "generation").decode()
    store.state.apply_entries([(sid.decode(), orjson.loads(f[b"event"])) for sid, f in entries[5:]])
    store.save_snapshot()
    second = client.hget(PortKeys(port_id).snapshot, "generation").decode()
    assert second != first
    assert not client.exists(f"{PortKeys(port_id).snapshot}:{first}:0")
    restored = new_store(client, redis_url, port_id, 24)
    assert restored.load() and restored.state.applied == 10


def test_port_state_snapshot_round_trip_keeps_dedup_memory():
    state = PortState(PROFILE)
    state.apply_entries([("1-0", gate_event(1)), ("2-0", None)])
    copy = PortState.from_snapshot(state.to_snapshot())
    copy.apply_entries([("3-0", gate_event(1))])
    assert (copy.applied, copy.rejected, copy.duplicates, copy.entries_consumed) == (1, 1, 1, 3)


def write_feed(path, lines):
    path.write_bytes(b"\n".join(lines) + b"\n")


def test_replay_publishes_good_lines_and_dead_letters_bad_ones(tmp_path, client, publisher):
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, [orjson.dumps(gate_event(1)), b"{broken", orjson.dumps(gate_event(2, direction="x")),
                      orjson.dumps(gate_event(3)), orjson.dumps(gate_event(1))])
    report = replay(publisher, feed)
    assert (report.lines, report.accepted, report.duplicates) == (5, 2, 1)
    assert [r["line"] for r in report.rejected] == [2, 3]
    assert client.xlen(publisher.keys.events) == 2
    assert len(publisher.dead_letters()) == 2


def test_replay_with_speed_paces_events_by_their_time(tmp_path, publisher):
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, [orjson.dumps(gate_event(0)), orjson.dumps(gate_event(60))])  # a minute apart
    started = time.monotonic()
    replay(publisher, feed, speed=120)  # → half a second
    assert time.monotonic() - started >= 0.45


def test_publish_command_replays_a_file_into_the_given_namespace(tmp_path, redis_url, client, port_id):
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, [orjson.dumps(gate_event(i)) for i in range(5)])
    result = subprocess.run([sys.executable, "run.py", "publish", str(feed), "--redis-url", redis_url,
                             "--port-id", port_id], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "5 accepted" in result.stdout
    assert client.xlen(PortKeys(port_id).events) == 5


def test_publish_command_without_a_server_says_how_to_start_one(tmp_path):
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, [orjson.dumps(gate_event(1))])
    env = {"PATH": "/usr/bin:/bin", "DP_DATA_DIR": str(tmp_path / "empty")}
    result = subprocess.run([sys.executable, "run.py", "publish", str(feed)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "start `python run.py` first" in result.stderr
