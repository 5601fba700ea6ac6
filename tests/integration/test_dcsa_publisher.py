"""DCSA Track & Trace out over HTTP: `GET /v2/events` filters, pages, sorts and keys; one event by
its eventID; retracted events left out; every wrong parameter answered 400 with its reason."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
import requests

from dashboard.api import dcsa_publisher
from dashboard.app import service_of
from tests import drill_scenario
from tests.dcsa_contract import dcsa_service, read_all  # noqa: F401  (the module's service)
from tests.helpers import READ_KEY, auth, gate_event, read_auth, wait_for
from tests.process import ROOT

ERROR_FIELDS = {"httpMethod", "requestUri", "errors", "statusCode", "statusCodeText", "errorDateTime"}


def get(service, query: str = "", path: str = "/v2/events", headers: dict | None = None):
    return requests.get(f"{service.base}{path}{'?' + query if query else ''}",
                        headers=read_auth() if headers is None else headers, timeout=30)


def created(event: dict) -> datetime:
    return datetime.fromisoformat(event["eventCreatedDateTime"])


def test_following_next_page_gives_every_event_once_in_order(dcsa_service):
    service, _ = dcsa_service
    everything = read_all(service.base)
    paged = read_all(service.base, "limit=7")
    ids = [event["eventID"] for event in paged]
    assert ids == [event["eventID"] for event in everything] and len(set(ids)) == len(ids) > 80
    assert [created(e) for e in paged] == sorted(created(e) for e in paged)
    backwards = read_all(service.base, "limit=9&sort=eventCreatedDateTime:DESC")
    assert [event["eventID"] for event in backwards] == ids[::-1]


def test_a_page_says_where_it_is_where_it_began_and_what_comes_next(dcsa_service):
    service, _ = dcsa_service
    first = get(service, "eventType=EQUIPMENT&limit=5")
    assert first.status_code == 200 and first.headers["API-Version"] == "2.2.0"
    assert first.headers["Current-Page"] == first.headers["First-Page"] == first.url
    following = get(service, path=first.headers["Next-Page"].removeprefix(service.base).partition("?")[0],
                    query=first.headers["Next-Page"].partition("?")[2])
    assert following.headers["First-Page"] == first.url and len(following.json()) == 5
    assert {e["eventType"] for e in following.json()} == {"EQUIPMENT"}
    assert created(following.json()[0]) >= created(first.json()[-1])


@pytest.mark.parametrize("query, check", [
    ("eventType=SHIPMENT,TRANSPORT", lambda e: e["eventType"] in ("SHIPMENT", "TRANSPORT")),
    ("equipmentEventTypeCode=DISC&vesselIMONumber=9321483",
     lambda e: e["equipmentEventTypeCode"] == "DISC" and e["transportCall"]["vessel"]["vesselIMONumber"] == "9321483"),
    ("transportEventTypeCode=ARRI&UNLocationCode=CNXMN",
     lambda e: e["transportEventTypeCode"] == "ARRI" and e["transportCall"]["UNLocationCode"] == "CNXMN"),
    ("shipmentEventTypeCode=RECE,DRFT", lambda e: e["shipmentEventTypeCode"] in ("RECE", "DRFT")),
    (f"equipmentReference={drill_scenario.box(3)}", lambda e: e["equipmentReference"] == drill_scenario.box(3)),
    ("carrierVoyageNumber=051E", lambda e: e["transportCall"]["carrierVoyageNumber"] == "051E"),
])
def test_filters_return_exactly_the_events_they_describe(dcsa_service, query, check):
    service, seeded = dcsa_service
    answer = read_all(service.base, query + "&limit=1000")
    assert answer and all(check(event) for event in answer)
    assert len(answer) == sum(1 for event in seeded.events if _safe(check, event))


def _safe(check, event) -> bool:
    try:
        return check(event)
    except (KeyError, TypeError):
        return False


def test_the_drill_scenario_publishes_its_forty_discharges(dcsa_service):
    service, _ = dcsa_service
    answer = read_all(service.base, "equipmentEventTypeCode=DISC&vesselIMONumber=9321483&carrierVoyageNumber=051E")
    boxes = sorted(drill_scenario.box(n) for n in drill_scenario.BOXES)
    assert sorted(e["equipmentReference"] for e in answer) == boxes


def test_created_time_ranges_split_the_log_without_a_gap_or_an_overlap(dcsa_service):
    service, seeded = dcsa_service
    middle = seeded.events[len(seeded.events) // 2]["eventCreatedDateTime"]
    before = read_all(service.base, f"eventCreatedDateTime:lt={middle}".replace("+", "%2B"))
    after = read_all(service.base, f"eventCreatedDateTime:gte={middle}")
    same = read_all(service.base, f"eventCreatedDateTime={middle}")
    assert [e["eventID"] for e in before + after] == [e["eventID"] for e in seeded.events]
    assert same and all(e["eventCreatedDateTime"] == middle for e in same)


def test_one_event_by_its_id_and_404_for_an_unknown_one(dcsa_service):
    service, seeded = dcsa_service
    for kind in ("TRANSPORT", "EQUIPMENT", "SHIPMENT"):
        event = seeded.first(eventType=kind)
        answer = get(service, path=f"/v2/events/{event['eventID']}")
        assert answer.status_code == 200 and answer.json() == event
    unknown = "3cecb101-7a1a-43a4-9d62-e88a131651e2"  # a UUID, and not one of this port's
    missing = get(service, path=f"/v2/events/{unknown}")
    assert missing.status_code == 404 and set(missing.json()) == ERROR_FIELDS
    assert missing.json()["errors"] == [{"reason": "notFound", "message": f"no event {unknown}"}]
    assert get(service, path="/v2/events/not-a-uuid").status_code == 400


@pytest.mark.parametrize("headers, status", [({}, 401), ({"Authorization": "Bearer wrong"}, 401),
                                             (auth("terminal.haitian"), 403)])
def test_the_events_need_a_read_key(dcsa_service, headers, status):
    service, seeded = dcsa_service
    for path in ("/v2/events", f"/v2/events/{seeded.events[0]['eventID']}"):
        answer = get(service, path=path, headers=headers)
        assert answer.status_code == status and set(answer.json()) == ERROR_FIELDS
        assert answer.json()["statusCode"] == status and answer.headers["API-Version"] == "2.2.0"


def test_every_wrong_parameter_is_answered_400_with_its_reason(dcsa_service):
    service, _ = dcsa_service
    answer = get(service, "eventType=CARGO&transportEventTypeCode=ARRI,LEFT&eventCreatedDateTime:gte=monday"
                          "&eventCreatedDateTime:after=2026-01-01T00:00:00Z&limit=0&sort=eventDateTime:DESC"
                          "&vesselIMONumber=93214831&colour=blue", headers={**read_auth(), "API-Version": "3"})
    assert answer.status_code == 400 and set(answer.json()) == ERROR_FIELDS
    body = answer.json()
    assert body["statusCodeText"] == "Bad Request" and body["httpMethod"] == "GET"
    messages = [error["message"].split(":")[0] for error in body["errors"]]
    assert sorted(messages) == sorted(["API-Version", "eventType", "transportEventTypeCode", "eventCreatedDateTime",
                                       "eventCreatedDateTime", "vesselIMONumber", "colour", "limit", "sort"])
    cursor = get(service, "cursor=bm90IGEgY3Vyc29y")
    assert cursor.status_code == 400 and "cursor" in cursor.json()["errors"][0]["message"]
    mixed = get(service, "cursor=abc&limit=5")
    assert mixed.status_code == 400 and "alone" in mixed.json()["errors"][0]["message"]


# --- in a namespace of their own: a small reading budget; a retraction ---------------------

def test_a_request_reads_a_bounded_part_of_the_log_and_says_where_to_go_on(client, monkeypatch):
    monkeypatch.setattr(dcsa_publisher, "SCAN_BUDGET", 10)
    assert client.post("/api/v1/events", json=[gate_event(n) for n in range(25)], headers=auth()).status_code == 202
    box = gate_event(99, type="gate.out")
    assert client.post("/api/v1/events", json=[box], headers=auth()).status_code == 202
    first = client.get("/v2/events?equipmentEventTypeCode=GTOT", headers=read_auth())
    assert first.status_code == 200 and first.json == [] and "Next-Page" in first.headers
    pages, url = 1, first.headers["Next-Page"]
    found = []
    while url:
        page = client.get(url, headers=read_auth())
        found += page.json
        url, pages = page.headers.get("Next-Page"), pages + 1
    assert [e["equipmentReference"] for e in found] == [box["container"]] and pages == 3


def test_an_event_its_sender_retracted_is_no_longer_published(app, client):
    sent = {"eventID": "gtin-1", "eventType": "EQUIPMENT", "eventClassifierCode": "ACT",
            "eventDateTime": "2026-11-27T02:00:00Z", "equipmentEventTypeCode": "GTIN",
            "equipmentReference": "APZU4812090", "transportCall": {"modeOfTransport": "TRUCK"}}
    assert client.post("/api/v1/dcsa/events", json=sent, headers=auth("terminal.haitian")).status_code == 202
    (published,) = client.get("/v2/events", headers=read_auth()).json
    retraction = {"eventID": "gtin-1-retracted", "retractedEventID": "gtin-1",
                  "eventCreatedDateTime": datetime.now(timezone.utc).isoformat()}
    assert client.post("/api/v1/dcsa/events", json=retraction, headers=auth("terminal.haitian")).status_code == 202
    state = service_of(app).store.state
    wait_for(lambda: state.is_retracted("terminal.haitian", "gtin-1"), what="the retraction applied")
    assert client.get("/v2/events", headers=read_auth()).json == []
    assert client.get(f"/v2/events/{published['eventID']}", headers=read_auth()).status_code == 404


def test_a_limit_above_the_maximum_is_served_in_pages_of_the_maximum(client, monkeypatch):
    monkeypatch.setattr(dcsa_publisher, "MAX_LIMIT", 4)
    events = [gate_event(n, time=(datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()) for n in range(6)]
    assert client.post("/api/v1/events", json=events, headers=auth()).status_code == 202
    first = client.get("/v2/events?limit=100000", headers=read_auth())
    assert len(first.json) == 4 and "Next-Page" in first.headers


# --- the documented example ----------------------------------------------------------------

def documented(language: str) -> str:
    """The `language` block of docs/dcsa.md's example section."""
    section = (ROOT / "docs" / "dcsa.md").read_text().partition("# DCSA Track & Trace out")[2]
    return re.search(rf"^```{language}\n(.*?)^```", section.partition("## Example")[2], re.S | re.M).group(1)


def shape(value):
    """The keys of a JSON value, all the way down: what the documentation promises of it."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    return [shape(item) for item in value][:1] if isinstance(value, list) else type(value).__name__


def test_the_documented_example_runs_as_written_and_answers_as_documented(dcsa_service):
    service, _ = dcsa_service
    env = {**os.environ, "PORT_PULSE": service.base, "READ_KEY": READ_KEY}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", documented("sh")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    head, _, body = done.stdout.replace("\r\n", "\n").partition("\n\n")
    headers = dict(line.split(": ", 1) for line in head.splitlines()[1:])
    assert head.startswith("HTTP/1.1 200") and headers["API-Version"] == "2.2.0"
    assert headers["Next-Page"].startswith(f"{service.base}/v2/events?cursor=")
    events = json.loads(body)
    assert len(events) == 2 and {e["equipmentEventTypeCode"] for e in events} == {"DISC"}
    assert shape(events) == shape(json.loads(documented("json")))
