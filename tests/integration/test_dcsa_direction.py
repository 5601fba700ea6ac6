"""A terminal that speaks only DCSA T&T 2.2 (flat): its vessel's ARRI, then a box's DISC and,
later, its GTOT by truck, through /api/v1/dcsa/events. The box finds its direction and stage
from what happened, names its ship, and counts on the wall (issue #14, the measured case)."""

from __future__ import annotations

import pytest

from dashboard import wallview
from dashboard.app import service_of
from tests.helpers import auth, read_auth, wait_for

IMO, NAME, BOX = "9321483", "Emma Maersk", "APZU4812090"
CALL = {"transportCallID": "8b64d20b-523b-4491-b2e5-32cfa5174eed", "transportCallSequenceNumber": 1,
        "carrierServiceCode": "FE1", "importVoyageNumber": "2103N", "exportVoyageNumber": "2103S",
        "UNLocationCode": "CNXMN", "facilityTypeCode": "POTE", "modeOfTransport": "VESSEL",
        "vessel": {"vesselIMONumber": IMO, "vesselName": NAME, "vesselFlag": "DK", "vesselCallSignNumber": "OYGR2",
                   "vesselOperatorCarrierCode": "MAEU"}}
TRUCK = {"transportCallID": "0f4a1b2c-0000-4000-8000-000000000001", "modeOfTransport": "TRUCK",
         "UNLocationCode": "CNXMN", "facilityTypeCode": "POTE"}


def dcsa(event_id: str, kind: str, code: str, when: str, call: dict, **more) -> dict:
    """One flat T&T 2.2 event, as the published API sends it."""
    return {"eventID": event_id, "eventType": kind, "eventClassifierCode": "ACT", "eventDateTime": when,
            "eventCreatedDateTime": when, f"{kind.lower()}EventTypeCode": code, "transportCall": call, **more}


ARRI = dcsa("arri-1", "TRANSPORT", "ARRI", "2026-11-27T01:00:00+08:00", CALL)
DISC = dcsa("disc-1", "EQUIPMENT", "DISC", "2026-11-27T02:00:00+08:00", CALL, equipmentReference=BOX,
            emptyIndicatorCode="LADEN")
GTOT = dcsa("gtot-1", "EQUIPMENT", "GTOT", "2026-11-27T06:00:00+08:00", TRUCK, equipmentReference=BOX,
            emptyIndicatorCode="LADEN")


@pytest.fixture
def config(config):
    return config.replace(clock="event")  # the port clock is the latest event: figures at its time


def post(client, events: list[dict]) -> None:
    answer = client.post("/api/v1/dcsa/events", json=events, headers=auth("terminal.haitian"))
    assert answer.status_code == 202 and answer.json["accepted"] == len(events), answer.json


def applied(app, count: int) -> None:
    svc = service_of(app)
    wait_for(lambda: svc.store.state.applied >= count, what=f"{count} events applied")


def wall(app) -> tuple[dict, dict]:
    """The wall's counters and its chain, as the emitter reads them."""
    svc = service_of(app)
    with svc.store.lock:
        state, now = svc.store.state, svc.port_now()
        return wallview.fast_facts(state, now, None)["counts"], wallview.slow_facts(state, now)["chain"]


def test_a_dcsa_only_terminal_s_box_finds_its_stage_its_ship_and_the_wall(app, client):
    post(client, [ARRI, DISC])
    applied(app, 2)
    box = client.get(f"/api/v1/containers/{BOX}", headers=read_auth()).json
    assert (box["direction"], box["stage"], box["waiting_on"]) == ("import", "awaiting_release", "customs")
    assert (box["vessel"], box["vessel_name"], box["voyage"]) == (IMO, NAME, "2103N")
    assert box["transhipment"] is False and box["direction_conflicts"] == []
    counts, chain = wall(app)
    assert counts["containers.import.awaiting_release"] == 1 and counts["containers.in_port"] == 1
    assert chain["import.awaiting_release"]["median"] == pytest.approx(0.0)  # discharged at the port clock's now
    ship = client.get(f"/api/v1/vessels/{IMO}", headers=read_auth()).json
    assert (ship["name"], ship["voyage"], ship["status"]) == (NAME, "2103N", "at_berth")
    assert [(row["number"], row["direction"], row["stage"]) for row in ship["boxes"]] == [
        (BOX, "import", "awaiting_release")]
    assert ship["progress"]["discharged"] == 1

    post(client, [GTOT])
    applied(app, 3)
    box = client.get(f"/api/v1/containers/{BOX}", headers=read_auth()).json
    assert (box["direction"], box["stage"], box["vessel_name"]) == ("import", "gated_out", NAME)
    kpis = client.get("/api/v1/kpis", headers=read_auth()).json
    assert kpis["containers"]["import"]["gated_out"] == 1 and kpis["containers"]["in_port"] == 0
    assert kpis["clearance_hours"]["import"]["n"] == 1
    # DCSA ARRI is the berthing, and no vessel.arrived came: the clock starts at the berthing 01:00
    assert kpis["clearance_hours"]["import"]["median"] == pytest.approx(5.0)  # → gate-out 06:00
    counts, _ = wall(app)
    assert counts["containers.in_port"] == 0


def test_the_same_three_in_reverse_give_the_same_box(app, client):
    post(client, [GTOT, DISC, ARRI])
    applied(app, 3)
    box = client.get(f"/api/v1/containers/{BOX}", headers=read_auth()).json
    assert (box["direction"], box["stage"], box["vessel_name"], box["visits"]) == ("import", "gated_out", NAME, 1)


def box_page(manager_client, number: str) -> str:
    """The box page a manager opens (the router's callback, as the browser asks for it)."""
    request = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
               "inputs": [{"id": "url", "property": "pathname", "value": f"/containers/{number}"}],
               "state": [{"id": "url", "property": "search", "value": "?lang=en"}], "changedPropIds": ["url.pathname"]}
    answer = manager_client.post("/_dash-update-component", json=request, headers={"Origin": "http://localhost"})
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_the_box_page_tells_a_manager_of_a_contradicted_direction_and_a_transhipment(app, client, manager_client):
    said_export = {"id": "hold-1", "type": "customs.hold", "time": "2026-11-27T03:00:00+08:00",
                   "source": "customs.xiamen", "container": BOX, "direction": "export"}
    assert client.post("/api/v1/events", json=[said_export], headers=auth("customs.xiamen")).status_code == 202
    post(client, [ARRI, DISC])
    applied(app, 3)
    page = box_page(manager_client, BOX)
    assert "1 event(s) gave a direction the facts contradict; the facts decide: Import" in page
    assert "transhipment" not in page

    load = dcsa("load-1", "EQUIPMENT", "LOAD", "2026-11-27T09:00:00+08:00", CALL, equipmentReference=BOX,
                emptyIndicatorCode="LADEN")
    post(client, [load])
    applied(app, 4)
    assert "transhipment" in box_page(manager_client, BOX)
