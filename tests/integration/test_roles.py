"""Roles (dashboard/runtime.py) and the jobs one replica of many does (dashboard/lease.py),
against a real Redis: an ingest worker publishes and holds no state, web replicas each apply the
log, and only one of them writes snapshots and the KPI history at a time."""

from __future__ import annotations

import time

import orjson
import pytest
import redis

from dashboard.app import create_app, runtime_of, service_of, stop_app
from dashboard.demo import reset_namespace
from dashboard.lease import Lease
from tests.helpers import auth, gate_event, read_auth, wait_for


@pytest.fixture
def apps(config, tmp_path):
    """Build apps of any role on the test's port; every one is stopped after the test."""
    built = []

    def build(role: str, name: str, **changes):
        app = create_app(config.replace(role=role, data_dir=tmp_path / name, **changes))
        built.append(app)
        return app
    yield build
    for app in built:
        stop_app(app)


def post_events(client, events) -> int:
    return client.post("/api/v1/events", data=orjson.dumps(events), headers=auth(),
                       content_type="application/json").status_code


def test_ingest_worker_publishes_partner_events_and_holds_no_state(apps):
    ingest = apps("ingest", "ingest")
    client = ingest.server.test_client()
    assert post_events(client, [gate_event(1), gate_event(2)]) == 202
    svc = service_of(ingest)
    assert svc.redis.xlen(svc.publisher.keys.events) == 2
    assert svc.consumer is None and svc.timers == []  # nothing applies the log here
    assert not runtime_of(ingest).emitter._thread.is_alive()  # and no screen is served
    health = client.get("/healthz").json
    assert health["role"] == "ingest" and health["status"] == "ok"


def test_ingest_worker_answers_404_for_pages_and_the_read_api(apps):
    client = apps("ingest", "ingest").server.test_client()
    for path in ("/", "/vessels", "/api/v1/kpis"):
        response = client.get(path, headers=read_auth())
        assert response.status_code == 404, path
        assert response.json["error"] == "not_here"


def test_web_replicas_each_apply_what_an_ingest_worker_published(apps):
    ingest = apps("ingest", "ingest").server.test_client()
    replicas = [apps("web", f"web{n}").server.test_client() for n in range(2)]
    assert post_events(ingest, [gate_event(n) for n in range(5)]) == 202
    for replica in replicas:
        wait_for(lambda: replica.get("/healthz").json["events_applied"] == 5, what="every replica to apply the 5 events")
        assert replica.get("/healthz").json["role"] == "web"


def test_only_one_web_replica_writes_snapshots_and_another_takes_over_when_it_stops(apps, config):
    first = apps("web", "web1", snapshot_seconds=1)
    second = apps("web", "web2", snapshot_seconds=1)
    svc_first, svc_second = service_of(first), service_of(second)
    post_events(first.server.test_client(), [gate_event(1)])
    wait_for(lambda: svc_first.store.last_snapshot_id or svc_second.store.last_snapshot_id,
             what="a snapshot by one of the replicas")
    time.sleep(2.5)  # two more periods: the holder keeps the lease, the other never writes
    writers = [svc for svc in (svc_first, svc_second) if svc.store.last_snapshot_id]
    assert len(writers) == 1
    holder, other = (first, second) if writers[0] is svc_first else (second, first)
    stop_app(holder)  # a clean stop hands the lease back at once
    post_events(other.server.test_client(), [gate_event(2)])
    wait_for(lambda: service_of(other).store.last_snapshot_id is not None, timeout=10,
             what="the other replica to take the snapshots over")


def test_lease_is_held_by_one_holder_renewed_by_it_and_taken_over_after_its_expiry(redis_url, port_id):
    client = redis.Redis.from_url(redis_url)
    key = f"dp:{{{port_id}}}:lease:test"
    first, second = (Lease(client, key, name, expiry_seconds=0.5) for name in ("first", "second"))
    assert first.take() and not second.take()
    time.sleep(0.3)
    assert first.take() and not second.take()  # renewed: still the first's
    time.sleep(0.3)
    assert not second.take()  # 0.6 s after the first take, but 0.3 s after its renewal
    wait_for(second.take, timeout=2, interval=0.05, what="the lease to expire")
    assert not first.take() and second.holder_now() == "second"
    second.release()
    assert first.take()


def test_a_reset_of_the_namespace_on_one_replica_is_followed_by_the_others(apps):
    """The demo's reset (its start, its reset button) clears the namespace from one replica; the
    others must start afresh too, not lay the new demo over the old one."""
    resetting, follower = apps("web", "web1"), apps("web", "web2")
    client = resetting.server.test_client()
    assert post_events(client, [gate_event(n) for n in range(4)]) == 202
    for app in (resetting, follower):
        wait_for(lambda: app.server.test_client().get("/healthz").json["events_applied"] == 4,
                 what="both replicas to apply the first 4 events")
    reset_namespace(service_of(resetting))
    assert post_events(client, [gate_event(n, id=f"after-{n}") for n in range(3)]) == 202
    for app in (resetting, follower):
        wait_for(lambda: app.server.test_client().get("/healthz").json["events_applied"] == 3,
                 what="each replica to hold only the 3 events after the reset")
    assert len(service_of(follower).store.state.boxes) == 3  # the first batch's fourth box is gone
