"""Nothing lost, nothing counted twice: the service and its consumer across kill -9, SIGTERM,
Redis restarts and a slow subscriber cut off by Redis."""

from __future__ import annotations

import signal
import threading
import time

import pytest
import redis
import requests

from dashboard.app import create_app, stop_app
from dashboard.config import Config
from dashboard.state.port import PortState
from feeds.profile import load_profile
from feeds.consumer import LogConsumer
from feeds.embedded import EmbeddedRedis, free_port, pid_alive
from feeds.publisher import Publisher
from tests.helpers import PARTNER_KEYS, auth, gate_event, wait_for
from tests.process import valkey_pids


def post_events(base: str, events: list[dict]) -> None:
    response = requests.post(base + "/api/v1/events", json=events, headers=auth(), timeout=30)
    assert response.status_code == 202, response.text


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_service_and_leaves_no_valkey_server_behind(tmp_path, signum, start_service):
    service = start_service(tmp_path)
    server_pid = service.redis_record()["pid"]
    assert valkey_pids(tmp_path) == [server_pid]
    assert service.signal(signum) == 0
    wait_for(lambda: not pid_alive(server_pid), timeout=10, what="valkey-server to exit")
    assert valkey_pids(tmp_path) == []
    assert not (tmp_path / "redis.json").exists()


def test_restart_after_kill_9_reuses_the_orphaned_server_and_keeps_the_log(tmp_path, start_service):
    first = start_service(tmp_path)
    post_events(first.base, [gate_event(i) for i in range(500)])
    wait_for(lambda: first.health()["events_applied"] == 500, what="500 applied")
    orphan = first.redis_record()["pid"]
    first.signal(signal.SIGKILL)
    assert pid_alive(orphan), "the embedded server should outlive a kill -9 of its owner"

    second = start_service(tmp_path)
    assert second.redis_record()["pid"] == orphan
    assert valkey_pids(tmp_path) == [orphan]
    wait_for(lambda: second.health()["events_applied"] == 500, what="state back after restart")
    post_events(second.base, [gate_event(i) for i in range(500, 600)])
    wait_for(lambda: second.health()["events_applied"] == 600, what="new events applied")
    assert second.health()["duplicates_in_log"] == 0
    second.close()
    wait_for(lambda: not pid_alive(orphan), timeout=10, what="adopted server stopped with its new owner")


def test_service_killed_mid_stream_restarts_without_loss_or_double_count(redis_url, port_id, tmp_path,
                                                                         start_service):
    total = 40_000
    publisher = Publisher(redis.Redis.from_url(redis_url), port_id)
    service = start_service(tmp_path, redis_url=redis_url, port_id=port_id)

    def publish_all():
        for start in range(0, total, 500):
            publisher.publish([gate_event(i) for i in range(start, start + 500)])
            time.sleep(0.005)

    writer = threading.Thread(target=publish_all)
    writer.start()
    wait_for(lambda: service.health()["events_applied"] > 2000, what="the service to be mid-stream")
    service.signal(signal.SIGKILL)
    applied_before_kill_was_partial = writer.is_alive()
    writer.join()

    restarted = start_service(tmp_path, redis_url=redis_url, port_id=port_id)
    wait_for(lambda: restarted.health()["events_applied"] == total, timeout=60, what="all events applied")
    health = restarted.health()
    assert health["duplicates_in_log"] == 0
    assert health["lag"] == 0
    assert health["events_by_type"] == {"gate.in": total}
    assert applied_before_kill_was_partial, "the kill should have happened while events were still coming"


def test_consumer_survives_a_redis_restart_and_applies_everything(tmp_path, port_id):
    port = free_port()
    server = EmbeddedRedis(tmp_path / "valkey", port=port)
    server.start()
    app = create_app(Config(redis_url=server.url, port_id=port_id, partner_keys=dict(PARTNER_KEYS),
                            data_dir=tmp_path, snapshot_seconds=3600, redis_timeout_seconds=0.5))
    client = app.server.test_client()
    applied = lambda: client.get("/healthz").json["events_applied"]  # noqa: E731
    try:
        assert client.post("/api/v1/events", json=[gate_event(i) for i in range(100)], headers=auth()).status_code == 202
        wait_for(lambda: applied() == 100, what="first batch applied")
        server.stop()
        down = client.get("/healthz").json
        assert down["redis"] == "down" and down["status"] == "degraded"
        refused = client.post("/api/v1/events", json=[gate_event(i) for i in range(100, 200)], headers=auth())
        assert refused.status_code == 503 and "Retry-After" in refused.headers

        server = EmbeddedRedis(tmp_path / "valkey", port=port)
        server.start()
        retried = client.post("/api/v1/events", json=[gate_event(i) for i in range(100, 200)], headers=auth())
        assert retried.status_code == 202 and retried.json["accepted"] == 100
        wait_for(lambda: applied() == 200, what="events after the restart applied")
        health = client.get("/healthz").json
        assert health["consumer"]["sessions"] >= 2 and health["duplicates"] == 0
    finally:
        stop_app(app)
        server.stop()


class SlowAtFirst(PortState):
    """A state that stalls for a while, so Redis cuts its subscriber off."""

    def __init__(self, slow_for: float):
        super().__init__(load_profile("xiamen"))
        self.slow_until = time.monotonic() + slow_for

    def apply_entries(self, entries):
        if time.monotonic() < self.slow_until:
            time.sleep(0.5)
        super().apply_entries(entries)


def test_subscriber_cut_off_by_output_buffer_limit_recovers_by_itself(tmp_path, port_id):
    server = EmbeddedRedis(tmp_path, pubsub_limit="256kb 128kb 1")
    server.start()
    client = redis.Redis.from_url(server.url)
    state = SlowAtFirst(slow_for=4.0)
    consumer = LogConsumer(server.url, port_id, state).start()
    try:
        wait_for(lambda: consumer.health.caught_up, what="consumer subscribed")
        publisher = Publisher(client, port_id)
        publisher.publish([gate_event(0)])
        total = 80_001
        # ~20 MB in 5 KB messages while the consumer stalls: more than the socket buffers hold
        for start in range(1, total, 20):
            publisher.publish([gate_event(i) for i in range(start, start + 20)])
        wait_for(lambda: state.applied == total, timeout=60, what="every event applied")
        cut_offs = int(client.info("stats").get("client_output_buffer_limit_disconnections", 0))
        assert cut_offs >= 1, "Redis should have cut the slow subscriber off"
        assert consumer.health.sessions >= 2
        assert state.duplicates == 0 and state.entries_consumed == total
    finally:
        consumer.stop()
        server.stop()
