"""Ship names and voyages from DCSA transport calls reach the vessel (docs/dcsa.md): T&T 2.2's
`vesselName`, `importVoyageNumber` / `exportVoyageNumber` and 2.0's `carrierVoyageNumber` beside
the reference implementation's `name` and `carrierImport…` / `carrierExport…`; and the state's
call takes a name from any event that gives one, not only an ETA."""

from __future__ import annotations

import pytest

from feeds.dcsa import from_dcsa
from feeds.events import validate_event
from tests.unit.state_kit import box, build, ev, ship

IMO, BOX = "9321483", "APZU4812090"


def call(**fields) -> dict:
    return {"transportCallID": "tc-1", "modeOfTransport": "VESSEL", **fields}


def arrival(code: str = "ARRI", **call_fields) -> dict:
    return {"eventID": f"t-{code}", "eventType": "TRANSPORT", "eventClassifierCode": "ACT",
            "eventDateTime": "2026-11-27T02:00:00Z", "transportEventTypeCode": code,
            "transportCall": call(**call_fields)}


def lift(code: str, **call_fields) -> dict:
    return {"eventID": f"e-{code}", "eventType": "EQUIPMENT", "eventClassifierCode": "ACT",
            "eventDateTime": "2026-11-27T03:00:00Z", "equipmentEventTypeCode": code, "equipmentReference": BOX,
            "transportCall": call(**call_fields)}


def mapped(raw: dict) -> dict:
    event, problems = from_dcsa(raw, "terminal.haitian")
    assert problems == [], problems
    checked, problems = validate_event(event)
    assert problems == [], problems
    return checked


TT22 = {"importVoyageNumber": "2103N", "exportVoyageNumber": "2103S",
        "vessel": {"vesselIMONumber": IMO, "vesselName": "King of the Seas", "vesselFlag": "NL"}}


@pytest.mark.parametrize("code, voyage", [("ARRI", "2103N"), ("DEPA", "2103S")])
def test_tt22_transport_calls_give_the_name_and_the_voyage_of_their_direction(code, voyage):
    event = mapped(arrival(code, **TT22))
    assert (event["vessel"], event["voyage"], event["data"]["name"]) == (IMO, voyage, "King of the Seas")


def test_the_one_voyage_of_tt20_is_taken_when_no_other_is_given():
    event = mapped(arrival(carrierVoyageNumber="2103S", vessel={"vesselIMONumber": IMO}))
    assert event["voyage"] == "2103S" and "name" not in event["data"]


@pytest.mark.parametrize("code, voyage", [("DISC", "2103N"), ("LOAD", "2103S")])
def test_the_lifts_name_the_ship_and_its_voyage(code, voyage):
    event = mapped(lift(code, **TT22))
    assert (event["vessel"], event["voyage"], event["data"]["name"]) == (IMO, voyage, "King of the Seas")


def test_a_gate_lift_keeps_no_ship_name():
    assert "name" not in mapped(lift("GTOT", **TT22))["data"]  # data.name of a gate event is no ship's


def test_a_dcsa_ship_name_that_is_not_text_is_refused_with_its_reason():
    event, _ = from_dcsa(arrival(vessel={"vesselIMONumber": IMO, "vesselName": 42}), "terminal.haitian")
    assert validate_event(event)[1] == [{"field": "data.name", "problem": "must be text of at most 200 characters"}]


def test_a_v1_ship_name_that_is_not_text_is_refused_where_the_state_reads_it():
    raw = {"id": "b1", "type": "vessel.berthed", "time": "2026-11-27T02:00:00Z", "source": "terminal.haitian",
           "vessel": IMO, "data": {"name": ["King"]}}
    assert validate_event(raw)[1] == [{"field": "data.name", "problem": "must be text of at most 200 characters"}]


# -- the state -----------------------------------------------------------------------------------
SHIP = ship(81)


def test_a_call_takes_its_name_from_a_berthing_not_only_an_eta():
    state = build(ev("vessel.berthed", 1, vessel=SHIP, voyage="V1", data={"name": "MV BERTHED"}))
    assert state.vessel(SHIP)["name"] == "MV BERTHED"
    state.apply(ev("vessel.departed", 5, vessel=SHIP, voyage="V1", data={"name": "MV RENAMED"}))
    assert state.vessel(SHIP)["name"] == "MV RENAMED"  # the latest in event time
    state.apply(ev("vessel.arrived", 0, vessel=SHIP, voyage="V1", data={"name": "MV OLD"}))
    assert state.vessel(SHIP)["name"] == "MV RENAMED"  # a late, earlier one does not win


def test_a_call_known_only_from_its_boxes_takes_the_name_a_lift_gave():
    discharge = ev("container.discharged", 1, container=box(801), vessel=SHIP, voyage="V1", origin="dcsa",
                   data={"name": "MV FROM A LIFT"})
    state = build(discharge)
    assert state.container(box(801))["vessel_name"] == "MV FROM A LIFT"
    assert state.vessel(SHIP)["name"] == "MV FROM A LIFT"
    assert [row["name"] for row in state.vessel_list()] == ["MV FROM A LIFT"]
    state.apply(ev("vessel.eta", -5, vessel=SHIP, voyage="V1", classifier="estimated",
                   data={"eta": "2026-11-27T00:00:00+08:00", "name": "MV OWN"}))
    assert state.container(box(801))["vessel_name"] == "MV OWN"  # the call's own events come first
