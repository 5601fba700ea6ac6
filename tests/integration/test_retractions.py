"""A partner takes back an event it sent, over HTTP against a real Redis: v1 `event.retracted`
and the DCSA 3.0 `retractedEventID` (flat and envelope), an unknown id rejected with its reason
and dead-lettered, a retraction listed before its event in one batch, another partner unable to
retract, and the container API showing the retracted event struck through."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dashboard.app import service_of
from tests.helpers import BASE_TIME, auth, container_number, read_auth, wait_for

BOX = container_number(701)


def at(minutes: float) -> str:
    return (BASE_TIME + timedelta(minutes=minutes)).isoformat()


def box_events(box: str = BOX) -> list[dict]:
    """An import box, all from trucking.x for brevity: discharged at 0, released at 10, out of
    the gate at 20 (the gate-out is the event taken back)."""
    common = {"source": "trucking.x", "container": box, "direction": "import"}
    return [{"id": "disc-1", "type": "container.discharged", "time": at(0), "vessel": "9321483", **common},
            {"id": "rel-1", "type": "customs.released", "time": at(10), **common},
            {"id": "out-1", "type": "gate.out", "time": at(20), "data": {"gate": "G2"}, **common}]


def takeback(target: str, id: str = "oops-1", minutes: float = 30, source: str = "trucking.x") -> dict:
    return {"id": id, "type": "event.retracted", "time": at(minutes), "source": source,
            "data": {"retracted_id": target}}


def post(client, body, source: str = "trucking.x", route: str = "/api/v1/events"):
    return client.post(route, json=body, headers=auth(source))


def box_view(client, box: str = BOX) -> dict:
    return client.get(f"/api/v1/containers/{box}", headers=read_auth()).json


def applied(app, count: int) -> None:
    state = service_of(app).store.state
    wait_for(lambda: state.applied >= count, what=f"{count} events applied")


def struck(view: dict) -> dict:
    return {entry["id"]: entry["retracted"] for entry in view["timeline"] if "retracted" in entry}


def test_a_v1_retraction_strikes_the_event_through_in_the_container_api(app, client):
    assert post(client, box_events()).json["accepted"] == 3
    wait_for(lambda: box_view(client).get("stage") == "gated_out", what="the box out of the gate")
    answer = post(client, takeback("out-1"))
    assert answer.status_code == 202 and answer.json == {"accepted": 1, "duplicates": 0, "rejected": []}
    applied(app, 4)
    view = box_view(client)
    assert struck(view) == {"out-1": {"at": "2026-11-27T08:30:00+08:00", "by": "trucking.x"}}
    assert [entry["id"] for entry in view["timeline"]] == ["disc-1", "rel-1", "out-1"]
    assert view["stage"] == "awaiting_pickup"  # as if the gate-out had never come
    assert service_of(app).store.state.is_retracted("trucking.x", "out-1")


def test_the_retraction_and_the_retracted_event_sent_again_are_duplicates(app, client):
    post(client, box_events())
    post(client, takeback("out-1"))
    assert post(client, takeback("out-1")).json == {"accepted": 0, "duplicates": 1, "rejected": []}
    assert post(client, box_events()[2]).json == {"accepted": 0, "duplicates": 1, "rejected": []}
    applied(app, 4)
    assert box_view(client)["stage"] == "awaiting_pickup"


def test_a_retraction_listed_before_its_event_in_one_batch_is_accepted_and_works(app, client):
    answer = post(client, [takeback("out-1"), *box_events()])
    assert answer.json == {"accepted": 4, "duplicates": 0, "rejected": []}
    applied(app, 4)
    view = box_view(client)
    assert list(struck(view)) == ["out-1"] and view["stage"] == "awaiting_pickup"


def test_an_unknown_retraction_is_rejected_with_its_reason_and_dead_lettered_the_rest_kept(app, client):
    answer = post(client, [box_events()[0], takeback("never-sent"), *box_events()[1:]])
    assert answer.status_code == 202
    assert answer.json["accepted"] == 3
    (rejected,) = answer.json["rejected"]
    assert rejected["index"] == 1 and rejected["id"] == "oops-1"
    assert rejected["errors"][0]["field"] == "data.retracted_id"
    assert "no event of yours" in rejected["errors"][0]["problem"]
    (letter,) = service_of(app).publisher.dead_letters()
    assert letter["source"] == "trucking.x" and letter["reasons"] == rejected["errors"] and letter["status"] == 202
    assert '"never-sent"' in letter["raw"]
    applied(app, 3)
    assert struck(box_view(client)) == {} and box_view(client)["stage"] == "gated_out"


def test_another_partner_cannot_retract_an_event_it_did_not_send(app, client):
    post(client, box_events())
    answer = post(client, takeback("out-1", source="customs.xiamen"), source="customs.xiamen")
    assert answer.json["accepted"] == 0 and answer.json["rejected"][0]["errors"][0]["field"] == "data.retracted_id"
    assert client.get("/api/v1/rejects", headers=auth("customs.xiamen")).json["count"] == 1
    applied(app, 3)
    assert struck(box_view(client)) == {} and box_view(client)["stage"] == "gated_out"


def test_a_retraction_that_names_a_box_is_rejected_with_every_reason(client):
    bad = takeback("out-1") | {"container": BOX}
    (rejected,) = post(client, [*box_events(), bad]).json["rejected"]
    assert [problem["field"] for problem in rejected["errors"]] == ["container"]


def dcsa_discharge(event_id: str = "5d0f3d2e-0000-4000-8000-000000000001") -> dict:
    return {"eventID": event_id, "eventType": "EQUIPMENT", "eventClassifierCode": "ACT",
            "eventDateTime": at(0), "equipmentEventTypeCode": "DISC", "equipmentReference": BOX,
            "transportCall": {"modeOfTransport": "VESSEL", "carrierImportVoyageNumber": "051E",
                              "vessel": {"vesselIMONumber": "9321483"}}}


@pytest.mark.parametrize("form", ["envelope", "flat"])
def test_a_dcsa_3_retraction_takes_back_the_partners_event(app, client, form):
    route = "/api/v1/dcsa/events"
    discharge = dcsa_discharge()
    assert post(client, discharge, "terminal.haitian", route).json["accepted"] == 1
    fields = {"eventID": "2239d040-78c9-4172-8863-89428af41a0e", "eventCreatedDateTime": at(45),
              "eventType": "EQUIPMENT", "retractedEventID": discharge["eventID"]}
    retraction = {"metadata": fields} if form == "envelope" else fields
    answer = post(client, retraction, "terminal.haitian", route)
    assert answer.json == {"accepted": 1, "duplicates": 0, "rejected": []}
    applied(app, 2)
    assert client.get(f"/api/v1/containers/{BOX}", headers=read_auth()).status_code == 404  # its only event
    assert service_of(app).store.state.is_retracted("terminal.haitian", discharge["eventID"])


def test_a_dcsa_retraction_of_an_unknown_event_id_is_rejected(app, client):
    retraction = {"metadata": {"eventID": "r-unknown", "eventCreatedDateTime": at(45), "eventType": "EQUIPMENT",
                               "retractedEventID": "no-such-event"}}
    answer = post(client, [dcsa_discharge(), retraction], "terminal.haitian", "/api/v1/dcsa/events")
    assert answer.json["accepted"] == 1
    assert answer.json["rejected"][0]["index"] == 1 and answer.json["rejected"][0]["id"] == "r-unknown"
    assert service_of(app).publisher.dead_letters()[0]["reasons"][0]["field"] == "data.retracted_id"
