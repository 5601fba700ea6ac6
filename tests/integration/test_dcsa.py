"""DCSA events through the HTTP endpoint, the real reference data and the state it gives; a
partner's own rejects; per-partner rate limits; partner keys added and revoked from a file."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from dashboard.app import create_app, service_of, stop_app
from tests.helpers import PARTNER_KEYS, auth, read_auth, wait_for

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "dcsa" / "tnt-reference-events.json"
NOT_ISO_6346 = "5e51e72c-d872-11ea-811c-0f8f10a32ea2"  # its equipmentReference is "equipref3453"


def reference_events() -> list[dict]:
    return json.loads(REFERENCE.read_text())


def flat(envelope: dict) -> dict:
    return {**envelope["payload"], **envelope["metadata"]}


def post(client, body, source: str = "terminal.haitian"):
    return client.post("/api/v1/dcsa/events", json=body, headers=auth(source))


def applied(app, count: int) -> None:
    svc = service_of(app)
    wait_for(lambda: svc.store.state.applied >= count, what=f"{count} events applied")


@pytest.mark.parametrize("form", ["envelope", "flat"])
def test_every_reference_event_is_answered_and_only_the_bad_reference_rejected(client, form):
    events = reference_events() if form == "envelope" else [flat(e) for e in reference_events()]
    answer = post(client, events)
    assert answer.status_code == 202
    assert answer.json["accepted"] == 24 and answer.json["duplicates"] == 0
    (rejected,) = answer.json["rejected"]
    assert rejected["index"] == 20 and rejected["id"] == NOT_ISO_6346
    assert rejected["errors"][0]["field"] == "container" and "ISO 6346" in rejected["errors"][0]["problem"]


def vessel_calls(client, imo: str) -> dict:
    view = client.get(f"/api/v1/vessels/{imo}", headers=read_auth()).json
    return {call["voyage"]: call for call in [view, *view["earlier_calls"]]}


def test_the_state_knows_what_the_reference_events_say(app, client):
    post(client, reference_events())
    applied(app, 24)
    emma = vessel_calls(client, "9321483")
    assert {call["name"] for call in emma.values()} == {"Emma Maersk"}
    assert emma["TNT1E"]["departed"] == "2003-05-03T08:00:00+08:00" and emma["TNT1E"]["status"] == "departed"
    assert emma["2106W"]["eta"] == "2021-12-01T07:11:00+08:00"  # planned arrival
    assert emma["2107E"]["etd"] == "2021-12-03T07:11:00+08:00"  # planned departure
    (king,) = vessel_calls(client, "1234567").values()
    assert king["name"] == "King of the Seas" and king["berthed"] == "2019-11-12T07:11:00+08:00"
    # its actual departure is dated 16 years before its actual arrival: applied, and flagged
    assert king["departed"] == "2003-05-03T08:00:00+08:00" and king["contradictory"] is True
    box = client.get("/api/v1/containers/APZU4812090", headers=read_auth()).json
    assert box["expected"] == {"container.loaded": "2019-11-12T07:11:00+08:00"} and box["stage"] is None
    by_type = client.get("/healthz").json["events_by_type"]
    assert by_type["document.event"] == 15  # 13 shipment events and 2 rail arrivals and departures


def test_a_publisher_with_a_role_of_ours_becomes_a_party_of_the_box_and_an_unnamed_one_is_no_reason_to_refuse(app, client):
    events = [{"eventID": f"pub-{n}", "eventType": "EQUIPMENT", "eventClassifierCode": "ACT",
               "eventDateTime": "2026-11-27T02:00:00Z", "equipmentEventTypeCode": "GTIN",
               "equipmentReference": reference, "publisherRole": "TR", "publisher": publisher}
              for n, (reference, publisher) in enumerate([
                  ("APZU4812090", {"identifyingCodes": [{"partyCode": "HAITIAN"}]}),
                  ("MSCU1234566", {"partyName": "Xiamen Haitian Terminal"})])]
    answer = post(client, events)
    assert answer.status_code == 202 and answer.json["accepted"] == 2 and answer.json["rejected"] == []
    applied(app, 2)
    svc = service_of(app)
    with svc.store.lock:
        assert svc.store.state.party_index.boxes_for(frozenset({"haitian"})) == {"APZU4812090"}


def test_the_same_event_id_twice_counts_once(app, client):
    first = post(client, reference_events())
    again = post(client, [flat(e) for e in reference_events()])
    assert first.json["accepted"] == 24 and again.json["accepted"] == 0 and again.json["duplicates"] == 24
    applied(app, 24)
    assert client.get("/healthz").json["events_applied"] == 24


def test_a_partner_reads_its_own_rejects_and_nobody_elses(client):
    post(client, reference_events(), source="terminal.haitian")
    post(client, [{"eventID": "x1", "eventType": "EQUIPMENT"}], source="customs.xiamen")
    own = client.get("/api/v1/rejects", headers=auth("terminal.haitian")).json
    assert own["source"] == "terminal.haitian" and own["count"] == 1
    assert NOT_ISO_6346 in own["rejects"][0]["raw"] and own["rejects"][0]["reasons"][0]["field"] == "container"
    other = client.get("/api/v1/rejects", headers=auth("customs.xiamen")).json
    assert other["count"] == 1 and {r["field"] for r in other["rejects"][0]["reasons"]} >= {"eventClassifierCode"}
    assert client.get("/api/v1/rejects", headers=read_auth()).status_code == 403


def test_rejects_limit_is_checked(client):
    assert client.get("/api/v1/rejects?limit=0", headers=auth()).status_code == 400
    assert client.get("/api/v1/rejects?limit=many", headers=auth()).status_code == 400


def test_whole_request_problems_answer_as_on_the_v1_endpoint(client):
    assert client.post("/api/v1/dcsa/events", data=b"{", headers=auth(), content_type="application/json").status_code == 400
    assert client.post("/api/v1/dcsa/events", json=[{}] * 5001, headers=auth()).status_code == 413
    assert client.post("/api/v1/dcsa/events", json=[]).status_code == 401


@pytest.fixture
def limited_app(config):
    app = create_app(config.replace(partner_rate_limit="3 per minute"))
    yield app
    stop_app(app)


def test_each_partner_has_its_own_rate_limit_with_retry_after(limited_app):
    client = limited_app.server.test_client()
    answers = [post(client, [], "terminal.haitian") for _ in range(4)]
    assert [answer.status_code for answer in answers] == [202, 202, 202, 429]
    assert "Retry-After" not in answers[0].headers and answers[0].headers["X-RateLimit-Remaining"] == "2"
    limited = post(client, [], "terminal.haitian")
    assert limited.json["error"] == "rate_limited" and int(limited.headers["Retry-After"]) > 0
    # the budget is the partner's across its routes, and other partners keep theirs
    assert client.get("/api/v1/rejects", headers=auth("terminal.haitian")).status_code == 429
    assert client.post("/api/v1/events", json=[], headers=auth("customs.xiamen")).status_code == 202


@pytest.fixture
def keys_file_app(config, tmp_path):
    keys_file = tmp_path / "partner-keys"
    keys_file.write_text("# partners added at run time\ncarrier.maersk=key-maersk\n")
    app = create_app(config.replace(partner_keys_file=keys_file))
    yield app, keys_file
    stop_app(app)


def test_partner_keys_are_added_and_revoked_without_a_restart(keys_file_app):
    app, keys_file = keys_file_app
    client = app.server.test_client()
    maersk = {"Authorization": "Bearer key-maersk"}
    cosco = {"Authorization": "Bearer key-cosco"}
    assert client.post("/api/v1/dcsa/events", json=[], headers=maersk).status_code == 202
    assert client.post("/api/v1/dcsa/events", json=[], headers=cosco).status_code == 401
    time.sleep(0.05)  # a new modification time
    keys_file.write_text("carrier.cosco=key-cosco\n")
    wait_for(lambda: client.post("/api/v1/dcsa/events", json=[], headers=cosco).status_code == 202,
             timeout=10, what="the added key to work")
    assert client.post("/api/v1/dcsa/events", json=[], headers=maersk).status_code == 401
    # the configured partners stay whatever the file says
    assert client.post("/api/v1/events", json=[], headers=auth("trucking.x")).status_code == 202


def test_a_broken_keys_file_leaves_the_keys_as_they_were(keys_file_app):
    app, keys_file = keys_file_app
    client = app.server.test_client()
    keys_file.write_text("this line has no key\n")
    time.sleep(1.5)  # past the once-a-second look at the file
    assert client.post("/api/v1/dcsa/events", json=[], headers={"Authorization": "Bearer key-maersk"}).status_code == 202
    assert set(PARTNER_KEYS) <= set(service_of(app).keys.partner_sources())
