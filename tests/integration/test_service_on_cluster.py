"""The service on a Redis Cluster (3 primaries, a replica each; `DP_REDIS_CLUSTER`): partners'
events acknowledged once a replica has them, applied, snapshotted by the lease holder and loaded
again; request limits and health read from the cluster."""

from __future__ import annotations

import orjson
import pytest

from dashboard.app import create_app, service_of, stop_app
from feeds.cluster import EmbeddedCluster
from tests.helpers import auth, gate_event, wait_for
from tests.integration.test_redis_cluster import require_valkey


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory):
    require_valkey()
    with EmbeddedCluster(tmp_path_factory.mktemp("cluster"), shards=3, replicas=1) as cluster:
        yield cluster.url


@pytest.fixture
def cluster_config(config, cluster_url):
    return config.replace(redis_url=cluster_url, redis_cluster=True, snapshot_seconds=1)


def post(client, events):
    return client.post("/api/v1/events", data=orjson.dumps(events), headers=auth(), content_type="application/json")


def test_service_on_a_cluster_acknowledges_applies_and_snapshots_partner_events(cluster_config):
    app = create_app(cluster_config)
    try:
        client = app.server.test_client()
        response = post(client, [gate_event(n) for n in range(20)])
        assert response.status_code == 202, response.json
        assert response.json["accepted"] == 20
        wait_for(lambda: client.get("/healthz").json["events_applied"] == 20, what="the 20 events applied")
        health = client.get("/healthz").json
        assert health["status"] == "ok" and health["redis"] == "up"
        svc = service_of(app)
        wait_for(lambda: svc.store.last_snapshot_id == svc.store.state.last_stream_id, what="a snapshot of them")
    finally:
        stop_app(app)
    again = create_app(cluster_config)
    try:
        assert service_of(again).store.last_snapshot_id is not None  # loaded from the cluster
        assert again.server.test_client().get("/healthz").json["events_applied"] == 20
    finally:
        stop_app(again)


def test_partner_limit_is_counted_on_the_cluster(cluster_config):
    app = create_app(cluster_config.replace(partner_rate_limit="2 per minute"))
    try:
        client = app.server.test_client()
        answers = [post(client, [gate_event(n)]).status_code for n in range(3)]
        assert answers == [202, 202, 429]
    finally:
        stop_app(app)
