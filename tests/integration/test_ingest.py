"""POST /api/v1/events against a real Redis: status codes, their order, per-event reasons,
duplicates, the dead-letter log, and 503 while Redis is away."""

from __future__ import annotations

import orjson
import pytest

from dashboard.app import create_app, service_of, stop_app
from dashboard.config import Config
from feeds.embedded import free_port
from tests.helpers import PARTNER_KEYS, auth, gate_event, read_auth, wait_for

URL = "/api/v1/events"


def post(client, body, headers=None, raw=False):
    data = body if raw else orjson.dumps(body)
    return client.post(URL, data=data, headers=headers or auth(), content_type="application/json")


def log_length(app) -> int:
    svc = service_of(app)
    return svc.redis.xlen(svc.publisher.keys.events)


def applied(client) -> int:
    return client.get("/healthz").json["events_applied"]


def test_valid_single_event_is_accepted_stored_and_applied(app, client):
    response = post(client, gate_event(1))
    assert response.status_code == 202
    assert response.json == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert log_length(app) == 1
    wait_for(lambda: applied(client) == 1, what="the event to be applied")


def test_batch_with_bad_events_stores_the_good_ones_and_reports_each_bad_one(app, client):
    bad_digit = gate_event(2, id="bad-digit", container="TESU0000021")
    no_type = {k: v for k, v in gate_event(3, id="no-type").items() if k != "type"}
    response = post(client, [gate_event(1), bad_digit, no_type, "not an object", gate_event(4)])
    assert response.status_code == 202
    body = response.json
    assert body["accepted"] == 2 and body["duplicates"] == 0
    assert [r["index"] for r in body["rejected"]] == [1, 2, 3]
    assert body["rejected"][0]["id"] == "bad-digit"
    assert body["rejected"][0]["errors"][0]["field"] == "container"
    assert "did you mean" in body["rejected"][0]["errors"][0]["problem"]
    assert body["rejected"][1]["errors"] == [{"field": "type", "problem": "required"}]
    assert body["rejected"][2]["id"] is None
    assert log_length(app) == 2
    wait_for(lambda: applied(client) == 2, what="the two good events to be applied")


def test_bad_parties_reject_only_their_event_each_entry_with_its_reason_and_the_good_ones_name_theirs(app, client):
    named = gate_event(1, parties={"shipper": "acme", "trucking": "trucking.x"})
    bad = gate_event(2, id="bad-parties", parties={"driver": "acme", "shipper": "ACME"})
    response = post(client, [named, bad, gate_event(3)])
    assert response.status_code == 202
    body = response.json
    assert body["accepted"] == 2 and [r["index"] for r in body["rejected"]] == [1]
    assert [e["field"] for e in body["rejected"][0]["errors"]] == ["parties.driver", "parties.shipper"]
    wait_for(lambda: applied(client) == 2, what="the two good events to be applied")
    svc = service_of(app)
    with svc.store.lock:
        assert svc.store.state.party_index.boxes_for(frozenset({"acme"})) == {named["container"]}


def test_rejected_events_go_to_the_dead_letter_log_with_reasons_and_raw_input(app, client):
    post(client, [gate_event(1, id="bad", direction="sideways")])
    letters = service_of(app).publisher.dead_letters()
    assert len(letters) == 1
    letter = letters[0]
    assert letter["source"] == "trucking.x"
    assert letter["reasons"] == [{"field": "direction", "problem": "must be import or export"}]
    assert orjson.loads(letter["raw"])["id"] == "bad"
    assert client.get("/healthz").json["events_rejected"] == 1


def test_repeated_source_and_id_is_a_counted_no_op(app, client):
    batch = [gate_event(1), gate_event(2)]
    assert post(client, batch).json["accepted"] == 2
    again = post(client, batch + [gate_event(1)])
    assert again.status_code == 202
    assert again.json == {"accepted": 0, "duplicates": 3, "rejected": []}
    assert log_length(app) == 2
    wait_for(lambda: applied(client) == 2, what="two events applied")
    assert client.get("/healthz").json["duplicates"] == 3


def test_same_id_from_two_partners_is_two_events(app, client):
    post(client, gate_event(1, id="shared"), headers=auth("trucking.x"))
    response = post(client, gate_event(1, id="shared", source="terminal.haitian"),
                    headers=auth("terminal.haitian"))
    assert response.json["accepted"] == 1
    assert log_length(app) == 2


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"},
                                     {"Authorization": f"Basic {PARTNER_KEYS['trucking.x']}"}],
                         ids=["no-header", "unknown-key", "not-bearer"])
def test_missing_or_unknown_key_is_401_and_nothing_is_stored(app, client, headers):
    response = client.post(URL, data=orjson.dumps(gate_event(1)), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert log_length(app) == 0


def test_unauthenticated_oversized_body_is_401_before_413(client):
    response = client.post(URL, data=b"x" * (5 * 1024 * 1024 + 1))
    assert response.status_code == 401


def test_body_over_5_mb_is_413(app, client):
    body = b"[" + b" " * (5 * 1024 * 1024) + b"]"
    response = post(client, body, raw=True)
    assert response.status_code == 413
    assert response.json["error"] == "too_large"
    assert log_length(app) == 0


def test_array_over_5000_events_is_413_and_nothing_is_stored(app, client):
    response = post(client, [gate_event(i) for i in range(5001)])
    assert response.status_code == 413
    assert response.json["error"] == "too_many_events"
    assert log_length(app) == 0


def test_array_of_exactly_5000_events_is_accepted(app, client):
    response = post(client, [gate_event(i) for i in range(5000)])
    assert response.status_code == 202 and response.json["accepted"] == 5000


def test_oversized_garbage_is_413_before_400(client):
    response = post(client, b"{" * (5 * 1024 * 1024 + 10), raw=True)
    assert response.status_code == 413


@pytest.mark.parametrize("body", [b"{not json", b"", b"42", b'"text"', b"null", b"\xff\xfe"],
                         ids=["broken", "empty", "number", "string", "null", "invalid-utf8"])
def test_body_that_is_not_an_event_object_or_array_is_400(app, client, body):
    response = post(client, body, raw=True)
    assert response.status_code == 400
    assert response.json["message"]
    assert log_length(app) == 0


def test_event_speaking_for_another_partner_is_403_and_nothing_of_the_batch_is_stored(app, client):
    batch = [gate_event(1), gate_event(2, source="customs.xiamen")]
    response = post(client, batch, headers=auth("trucking.x"))
    assert response.status_code == 403
    assert response.json["details"] == [{"index": 1, "source": "customs.xiamen"}]
    assert log_length(app) == 0
    assert service_of(app).publisher.dead_letters()[0]["status"] == 403


def test_malformed_json_before_foreign_source_gives_400(client):
    assert post(client, b'[{"source": "customs.xiamen"', raw=True).status_code == 400


def test_whole_request_rejects_of_a_known_partner_are_dead_lettered(app, client):
    post(client, b"{not json", raw=True)
    letter = service_of(app).publisher.dead_letters()[0]
    assert letter["status"] == 400 and letter["raw"] == "{not json"
    assert "not JSON" in letter["reasons"][0]["problem"]


def test_unreachable_redis_gives_503_with_retry_after(redis_url, port_id, tmp_path):
    dead = Config(redis_url=f"redis://127.0.0.1:{free_port()}/0", port_id=port_id,
                  partner_keys=dict(PARTNER_KEYS), data_dir=tmp_path, redis_timeout_seconds=0.5)
    app = create_app(dead)
    try:
        client = app.server.test_client()
        response = post(client, [gate_event(1)])
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json["redis"] == "down" and health.json["status"] == "degraded"
    finally:
        stop_app(app)


def test_healthz_reports_counters_and_lag(app, client):
    post(client, [gate_event(i) for i in range(10)])
    wait_for(lambda: applied(client) == 10, what="ten events applied")
    health = client.get("/healthz").json
    for field in ("status", "redis", "events_applied", "events_rejected", "duplicates",
                  "last_stream_id", "lag"):
        assert field in health
    assert health["status"] == "ok" and health["redis"] == "up"
    assert health["lag"] == 0
    assert health["last_stream_id"] == service_of(app).redis.xrevrange(
        service_of(app).publisher.keys.events, count=1)[0][0].decode()


def test_metrics_expose_the_same_counters_in_prometheus_text(client):
    post(client, [gate_event(1), gate_event(1), gate_event(2, direction="up")])
    wait_for(lambda: applied(client) == 1, what="one event applied")
    text = client.get("/metrics", headers=read_auth()).get_data(as_text=True)
    assert "dp_events_applied_total 1.0" in text
    assert "dp_duplicates_total 1.0" in text
    assert "dp_events_rejected_total 1.0" in text
    assert "dp_redis_up 1.0" in text
