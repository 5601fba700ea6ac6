"""DCSA Track & Trace → event model v1, one code and classifier at a time (docs/dcsa.md)."""

from __future__ import annotations

import pytest

from feeds.dcsa import from_dcsa, unwrap
from feeds.events import validate_event

IMO = "9321483"
BOX = "APZU4812090"


def transport(code: str, classifier: str = "ACT", mode: str = "VESSEL", **call) -> dict:
    return {"eventID": f"t-{code}-{classifier}-{mode}", "eventType": "TRANSPORT", "eventClassifierCode": classifier,
            "eventDateTime": "2026-11-27T02:00:00Z", "eventCreatedDateTime": "2026-11-26T02:00:00Z",
            "transportEventTypeCode": code,
            "transportCall": {"modeOfTransport": mode, "carrierImportVoyageNumber": "101W",
                              "carrierExportVoyageNumber": "101E",
                              "location": {"UNLocationCode": "CNXMN", "locationName": "Haitian"},
                              "vessel": {"vesselIMONumber": IMO, "name": "Emma Maersk"}, **call}}


def equipment(code: str, classifier: str = "ACT", reference: str = BOX) -> dict:
    return {"eventID": f"e-{code}-{classifier}", "eventType": "EQUIPMENT", "eventClassifierCode": classifier,
            "eventDateTime": "2026-11-27T02:00:00Z", "equipmentEventTypeCode": code, "equipmentReference": reference,
            "transportCall": {"modeOfTransport": "VESSEL", "vessel": {"vesselIMONumber": IMO}}}


def mapped(raw: dict) -> dict:
    event, problems = from_dcsa(raw, "carrier.maersk")
    assert problems == [], problems
    checked, problems = validate_event(event)
    assert problems == [], problems
    return checked


@pytest.mark.parametrize("code, classifier, kind, data", [
    ("ARRI", "ACT", "vessel.berthed", {}),
    ("ARRI", "EST", "vessel.eta", {"eta": "2026-11-27T02:00:00Z"}),
    ("ARRI", "PLN", "vessel.eta", {"eta": "2026-11-27T02:00:00Z"}),
    ("DEPA", "ACT", "vessel.departed", {}),
    ("DEPA", "EST", "vessel.eta", {"etd": "2026-11-27T02:00:00Z"}),
    ("DEPA", "PLN", "vessel.eta", {"etd": "2026-11-27T02:00:00Z"}),
])
def test_vessel_transport_events_map_by_code_and_classifier(code, classifier, kind, data):
    event = mapped(transport(code, classifier))
    assert event["type"] == kind and event["vessel"] == IMO and event["origin"] == "dcsa"
    assert event["classifier"] == {"ACT": "actual", "EST": "estimated", "PLN": "planned"}[classifier]
    assert event["voyage"] == ("101W" if code == "ARRI" else "101E")  # arrivals by the import voyage
    assert {k: event["data"][k] for k in data} == data and event["data"]["name"] == "Emma Maersk"
    assert event["data"]["location"]["UNLocationCode"] == "CNXMN" and event["data"]["code"] == code


@pytest.mark.parametrize("mode", ["RAIL", "TRUCK", "BARGE"])
def test_transport_by_land_or_barge_is_a_document_event(mode):
    event = mapped(transport("ARRI", mode=mode))
    assert event["type"] == "document.event" and event["data"]["mode"] == mode and "vessel" not in event


@pytest.mark.parametrize("code, kind, extra", [
    ("DISC", "container.discharged", {}), ("LOAD", "container.loaded", {}), ("GTIN", "gate.in", {}),
    ("GTOT", "gate.out", {}), ("INSP", "inspection.completed", {}),
    ("CUSS", "customs.inspection_ordered", {"mode": "scan"}),
    ("CUSI", "customs.inspection_ordered", {"mode": "physical"}), ("CUSR", "customs.released", {}),
])
@pytest.mark.parametrize("classifier", ["ACT", "EST", "PLN"])
def test_equipment_events_name_the_box_and_keep_direction_unknown(code, kind, extra, classifier):
    event = mapped(equipment(code, classifier))
    assert event["type"] == kind and event["container"] == BOX and "direction" not in event
    assert event["classifier"] == {"ACT": "actual", "EST": "estimated", "PLN": "planned"}[classifier]
    assert {k: event["data"][k] for k in extra} == extra and event["vessel"] == IMO


def test_stuffing_and_stripping_are_counted_as_document_events():
    event = mapped(equipment("STUF"))
    assert event["type"] == "document.event" and event["data"] == {"code": "STUF", "document_type": "equipment",
                                                                   "reference": BOX}


def test_shipment_events_are_document_events_with_code_type_and_reference():
    raw = {"eventID": "s-1", "eventType": "SHIPMENT", "eventClassifierCode": "ACT",
           "eventDateTime": "2021-01-08T13:22:53Z", "shipmentEventTypeCode": "DRFT", "documentTypeCode": "TRD",
           "documentReference": "BL-42"}
    event = mapped(raw)
    assert event["type"] == "document.event"
    assert event["data"] == {"code": "DRFT", "document_type": "TRD", "reference": "BL-42"}


def test_envelope_and_flat_forms_give_the_same_event():
    flat = transport("ARRI")
    envelope = {"metadata": {k: flat[k] for k in ("eventID", "eventType", "eventCreatedDateTime")},
                "payload": {k: v for k, v in flat.items() if k not in ("eventID", "eventType", "eventCreatedDateTime")}}
    assert unwrap(envelope) == flat
    assert mapped(envelope) == mapped(flat)


def test_event_type_is_inferred_from_the_code_field_when_missing():
    raw = equipment("DISC")
    del raw["eventType"]
    assert mapped(raw)["type"] == "container.discharged"


@pytest.mark.parametrize("change, field", [
    ({"eventClassifierCode": "REQ"}, "eventClassifierCode"),
    ({"eventID": None}, "eventID"),
    ({"eventDateTime": None}, "eventDateTime"),
    ({"eventType": "ODD"}, "eventType"),
    ({"equipmentEventTypeCode": "ZZZZ"}, "equipmentEventTypeCode"),
    ({"equipmentReference": None}, "equipmentReference"),
])
def test_what_cannot_be_mapped_is_refused_with_its_field(change, field):
    raw = {**equipment("DISC"), **change}
    event, problems = from_dcsa(raw, "carrier.maersk")
    assert event is None and field in {p["field"] for p in problems}


def test_a_vessel_event_without_imo_is_refused():
    raw = transport("ARRI")
    del raw["transportCall"]["vessel"]["vesselIMONumber"]
    event, problems = from_dcsa(raw, "carrier.maersk")
    assert event is None and problems[0]["field"] == "transportCall.vessel.vesselIMONumber"


def test_a_reference_that_is_not_iso_6346_fails_the_v1_check():
    event, problems = from_dcsa(equipment("LOAD", reference="equipref3453"), "carrier.maersk")
    assert problems == []
    assert validate_event(event)[1][0]["field"] == "container"


def test_a_v1_event_must_still_carry_its_direction_unless_it_came_from_dcsa():
    event = mapped(equipment("GTIN"))
    assert validate_event({k: v for k, v in event.items() if k != "origin"})[1] == [
        {"field": "direction", "problem": "required"}]
    assert validate_event({**event, "origin": "edifact"})[1][0]["field"] == "origin"


# -- publisher → parties -------------------------------------------------------------------------
def published(raw: dict, role, publisher) -> dict:
    return {**raw, "publisherRole": role, "publisher": publisher}


@pytest.mark.parametrize("role, party", [("CA", "carrier"), ("AG", "agent"), ("TR", "terminal")])
def test_publisher_with_a_role_of_ours_becomes_that_party_by_its_code_lower_cased(role, party):
    publisher = {"partyName": "A.P. Moller - Maersk", "identifyingCodes": [
        {"codeListResponsibleAgencyCode": "SMDG", "partyCode": "MSK"}]}
    event = mapped(published(transport("ARRI"), role, publisher))
    assert event["parties"] == {party: "msk"}


def test_publisher_on_an_equipment_event_names_the_boxs_party_too():
    event = mapped(published(equipment("DISC"), "TR", {"identifyingCodes": [{"partyCode": "HAITIAN.T"}]}))
    assert event["parties"] == {"terminal": "haitian.t"}


def test_publisher_without_a_usable_code_is_named_by_its_party_name():
    publisher = {"partyName": "Xiamen-Haitian", "identifyingCodes": [{"partyCode": "HAI TIAN/01"}, "odd"]}
    assert mapped(published(equipment("GTIN"), "TR", publisher))["parties"] == {"terminal": "xiamen-haitian"}


@pytest.mark.parametrize("role, publisher", [
    pytest.param("VSL", {"partyName": "emma"}, id="vessel-role-not-mapped"),
    pytest.param("ATH", {"partyName": "mpa"}, id="authority-role-not-mapped"),
    pytest.param("PLT", {"partyName": "pilots"}, id="pilot-role-not-mapped"),
    pytest.param("XX", {"partyName": "acme"}, id="unknown-role"),
    pytest.param(None, {"partyName": "acme"}, id="no-role"),
    pytest.param("CA", {"partyName": "A.P. Moller - Maersk"}, id="name-not-an-id"),
    pytest.param("CA", {"identifyingCodes": [{"partyCode": "M" * 70}]}, id="code-too-long"),
    pytest.param("CA", "MSK", id="publisher-not-an-object"),
    pytest.param("CA", {"identifyingCodes": "MSK"}, id="codes-not-a-list"),
])
def test_publisher_that_cannot_be_named_is_left_out_and_the_event_is_kept(role, publisher):
    event = mapped(published(transport("DEPA"), role, publisher))
    assert "parties" not in event and event["type"] == "vessel.departed" and event["source"] == "carrier.maersk"


def test_publisher_in_the_envelopes_payload_is_mapped():
    flat = published(equipment("LOAD"), "CA", {"identifyingCodes": [{"partyCode": "MSK"}]})
    envelope = {"metadata": {"eventID": flat["eventID"], "eventType": "EQUIPMENT"},
                "payload": {k: v for k, v in flat.items() if k not in ("eventID", "eventType")}}
    assert mapped(envelope)["parties"] == {"carrier": "msk"}
