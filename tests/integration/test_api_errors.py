"""The API answers for itself, in JSON, where a page or a traceback would otherwise answer:
unknown routes, wrong methods, bodies over the limit however they come, the store away."""

from __future__ import annotations

import requests

from dashboard.app import create_app
from tests.helpers import auth, gate_event, read_auth


def test_an_unknown_api_path_is_a_json_404_not_a_page(client):
    answer = client.get("/api/v1/nope", headers=read_auth())
    assert answer.status_code == 404 and answer.json["error"] == "not_found"


def test_a_method_the_route_does_not_take_is_a_405_with_the_real_allow(client):
    for method in ("GET", "PATCH", "DELETE"):
        answer = client.open("/api/v1/events", method=method, headers=auth())
        assert answer.status_code == 405 and answer.json["error"] == "method_not_allowed"
        assert answer.headers["Allow"] == "OPTIONS, POST"
    assert client.options("/api/v1/events", headers=auth()).headers["Allow"] == "OPTIONS, POST"


def test_a_chunked_body_over_5_mb_is_413_and_its_head_is_kept(tmp_path, redis_url, port_id, start_service):
    service = start_service(tmp_path, redis_url=redis_url, port_id=port_id)
    def chunks():
        yield b"["
        for _ in range(6 * 1024):
            yield b'"' + b"x" * 1020 + b'",'
        yield b"1]"
    answer = requests.post(service.base + "/api/v1/events", data=chunks(), timeout=60,
                           headers={**auth(), "Content-Type": "application/json"})
    assert answer.status_code == 413 and answer.json()["error"] == "too_large"
    rejects = requests.get(service.base + "/api/v1/rejects", headers=auth(), timeout=10).json()["rejects"]
    assert rejects[0]["status"] == 413 and rejects[0]["raw"].startswith('["xxx') and rejects[0]["truncated"] is False


def test_too_many_events_keeps_the_head_of_the_body_in_the_dead_letter_log(client):
    answer = client.post("/api/v1/events", json=[gate_event(1)] * 5001, headers=auth())
    assert answer.status_code == 413 and answer.json["error"] == "too_many_events"
    letter = client.get("/api/v1/rejects", headers=auth()).json["rejects"][0]
    assert letter["raw"].startswith('[{') and '"gate-1"' in letter["raw"]


def test_metrics_name_their_charset_once(client):
    content_type = client.get("/metrics", headers=read_auth()).headers["Content-Type"]
    assert content_type.count("charset") == 1


def test_with_the_store_away_kpis_still_answer_and_history_is_a_503(config):
    app = create_app(config.replace(redis_url="redis://127.0.0.1:1/0", redis_timeout_seconds=0.2), start=False)
    client = app.server.test_client()
    kpis = client.get("/api/v1/kpis", headers=read_auth())
    assert kpis.status_code == 200 and "clearance_hours" in kpis.json
    history = client.get("/api/v1/kpis/history?metric=x&days=1", headers=read_auth())
    assert history.status_code == 503 and history.json["error"] == "unavailable" and history.headers["Retry-After"]


def test_dcsa_codes_of_the_wrong_type_are_rejected_not_a_500(client):
    weird = [{"eventID": "w1", "eventClassifierCode": []}, {"eventID": "w2", "eventType": "EQUIPMENT",
             "eventClassifierCode": "ACT", "eventDateTime": "2026-11-27T00:00:00Z", "equipmentEventTypeCode": []},
             {"eventID": "w3", "eventType": {}, "eventClassifierCode": "ACT", "eventDateTime": "2026-11-27T00:00:00Z"}]
    answer = client.post("/api/v1/dcsa/events", json=weird, headers=auth())
    assert answer.status_code == 202 and [r["id"] for r in answer.json["rejected"]] == ["w1", "w2", "w3"]


def test_an_event_that_would_break_a_page_is_refused_at_the_door(client):
    bad = [gate_event(1, data={"gate": {"x": 1}}), gate_event(2, time="0001-01-01T00:00:00+14:00")]
    answer = client.post("/api/v1/events", json=bad, headers=auth())
    fields = [[e["field"] for e in r["errors"]] for r in answer.json["rejected"]]
    assert fields == [["data.gate"], ["time"]]
