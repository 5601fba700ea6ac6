"""Event model v1 → DCSA Track & Trace 2.2 out, and the 2.2 filters (docs/dcsa.md, "out")."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from feeds.dcsa import from_dcsa
from feeds.dcsa_out import created_range_ms, event_uuid, matches, parse_filters, to_dcsa, uuid_ms
from feeds.events import validate_event

STREAM_ID = "1764650000123-4"  # 2025-12-02T04:33:20.123Z
IMO, BOX = "9321483", "APZU4812090"
REFERENCE = Path(__file__).resolve().parent.parent / "data" / "dcsa" / "tnt-reference-events.json"


def v1(kind: str, **fields) -> dict:
    return {"id": f"id-{kind}", "type": kind, "time": "2026-11-27T10:00:00+08:00",
            "source": "terminal.haitian", **fields}


def out(event: dict) -> dict | None:
    return to_dcsa(event, STREAM_ID, "CNXMN")


def codes(dcsa: dict) -> tuple:
    return (dcsa["eventType"], dcsa["eventClassifierCode"], dcsa.get("transportEventTypeCode")
            or dcsa.get("equipmentEventTypeCode") or dcsa.get("shipmentEventTypeCode"))


@pytest.mark.parametrize("kind, fields, expected", [
    ("vessel.berthed", {"vessel": IMO}, ("TRANSPORT", "ACT", "ARRI")),
    ("vessel.departed", {"vessel": IMO}, ("TRANSPORT", "ACT", "DEPA")),
    ("container.discharged", {"vessel": IMO, "container": BOX}, ("EQUIPMENT", "ACT", "DISC")),
    ("container.loaded", {"vessel": IMO, "container": BOX}, ("EQUIPMENT", "ACT", "LOAD")),
    ("gate.in", {"container": BOX}, ("EQUIPMENT", "ACT", "GTIN")),
    ("gate.out", {"container": BOX, "classifier": "planned"}, ("EQUIPMENT", "PLN", "GTOT")),
    ("document.event", {"data": {"code": "STUF", "document_type": "equipment", "reference": BOX}},
     ("EQUIPMENT", "ACT", "STUF")),
    ("document.event", {"data": {"code": "ARRI", "document_type": "transport", "mode": "RAIL"}},
     ("TRANSPORT", "ACT", "ARRI")),
    ("document.event", {"data": {"code": "ISSU", "document_type": "TRD", "reference": "BL-1"}},
     ("SHIPMENT", "ACT", "ISSU")),
])
def test_each_kind_of_port_event_goes_out_with_its_dcsa_code(kind, fields, expected):
    dcsa = out(v1(kind, **fields))
    assert codes(dcsa) == expected
    assert dcsa["eventDateTime"] == "2026-11-27T10:00:00+08:00"
    assert dcsa["eventCreatedDateTime"] == "2025-12-02T04:33:20.123Z"


@pytest.mark.parametrize("kind, fields", [
    ("clock.tick", {}), ("event.retracted", {"data": {"event": "x"}}), ("vessel.arrived", {"vessel": IMO}),
    ("customs.released", {"container": BOX}), ("inspection.completed", {"container": BOX}),
    ("container.moved", {"container": BOX}), ("declaration.filed", {}), ("service.boarding_requested", {}),
    ("document.event", {"data": {"code": "RMVD", "document_type": "equipment"}}),  # not in the 2.2 enum
    ("document.event", {"data": {"code": "ISSU", "document_type": "CBR", "reference": "x"}}),
    ("document.event", {"data": {"code": "ISSU", "document_type": "TRD"}}),  # no documentID
    ("vessel.eta", {"vessel": IMO, "data": {"name": "no time"}}),
])
def test_events_2_2_cannot_say_are_not_published(kind, fields):
    assert out(v1(kind, **fields)) is None


def test_free_form_data_of_any_shape_is_read_as_no_value():
    odd = {"mode": ["TRUCK"], "truck": 5, "name": {}, "location": [1], "code": ["ARRI"], "eta": 7}
    assert out(v1("gate.in", container=BOX, data=odd))["transportCall"] == {
        "modeOfTransport": "TRUCK", "transportCallID": "CNXMN:TRUCK", "UNLocationCode": "CNXMN"}
    assert out(v1("vessel.eta", vessel=IMO, data=odd)) is None
    assert out(v1("document.event", data={**odd, "document_type": {}})) is None


def test_an_eta_is_an_estimated_arrival_dated_by_the_expected_time():
    eta = out(v1("vessel.eta", vessel=IMO, voyage="051E", data={"eta": "2026-11-28T06:00:00+08:00",
                                                                 "name": "Emma Maersk"}))
    assert codes(eta) == ("TRANSPORT", "EST", "ARRI") and eta["eventDateTime"] == "2026-11-28T06:00:00+08:00"
    assert eta["transportCall"] == {"modeOfTransport": "VESSEL", "transportCallID": "CNXMN:9321483:051E",
                                    "vessel": {"vesselIMONumber": IMO, "vesselName": "Emma Maersk"},
                                    "carrierVoyageNumber": "051E", "UNLocationCode": "CNXMN"}
    etd = out(v1("vessel.eta", vessel=IMO, classifier="planned", data={"etd": "2026-11-29T06:00:00+08:00"}))
    assert codes(etd) == ("TRANSPORT", "PLN", "DEPA") and etd["eventDateTime"] == "2026-11-29T06:00:00+08:00"


def test_a_box_event_names_its_box_its_load_and_its_call():
    discharged = out(v1("container.discharged", vessel=IMO, voyage="051E", container=BOX))
    assert discharged["equipmentReference"] == BOX and discharged["emptyIndicatorCode"] == "LADEN"
    assert discharged["transportCall"]["vessel"] == {"vesselIMONumber": IMO}
    empty_out = out(v1("gate.out", container=BOX, data={"empty": True, "truck": "闽D12345"}))
    assert empty_out["emptyIndicatorCode"] == "EMPTY"
    assert empty_out["transportCall"] == {"modeOfTransport": "TRUCK", "transportCallID": "CNXMN:TRUCK:闽D12345",
                                          "UNLocationCode": "CNXMN"}


def test_the_location_is_the_events_own_when_it_came_with_one_else_the_ports():
    elsewhere = v1("vessel.berthed", vessel=IMO, data={"location": {"UNLocationCode": "USNYC"}})
    assert out(elsewhere)["transportCall"]["UNLocationCode"] == "USNYC"
    assert "UNLocationCode" not in to_dcsa(v1("vessel.berthed", vessel=IMO), STREAM_ID)["transportCall"]


def test_the_event_id_is_a_stable_uuid_unique_per_port_event_that_names_its_log_millisecond():
    first = out(v1("gate.in", container=BOX))["eventID"]
    assert first == out(v1("gate.in", container=BOX))["eventID"]  # every read, every replica
    assert first != out(v1("gate.in", container=BOX, source="trucking.x"))["eventID"]
    assert first != to_dcsa(v1("gate.in", container=BOX), "1764650000124-0")["eventID"]
    assert uuid.UUID(first).version == 8 and uuid_ms(first) == 1764650000123
    assert event_uuid("terminal.haitian", "id-gate.in", STREAM_ID) == first
    assert uuid_ms(str(uuid.uuid4())) is None and uuid_ms("not a uuid") is None


def dcsa_in() -> list[dict]:
    """DCSA events of every code both directions know: the reference data and one of each kind."""
    call = {"modeOfTransport": "VESSEL", "carrierExportVoyageNumber": "101E", "carrierImportVoyageNumber": "101E",
            "location": {"UNLocationCode": "NLRTM"}, "vessel": {"vesselIMONumber": IMO, "vesselName": "Emma Maersk"}}
    made = [{"eventID": f"{code}-{classifier}", "eventType": kind, "eventClassifierCode": classifier,
             "eventDateTime": "2026-11-27T02:00:00Z", field: code, "equipmentReference": BOX, "transportCall": call,
             "emptyIndicatorCode": "EMPTY" if code == "GTOT" else "LADEN"}
            for kind, field, all_codes in (("TRANSPORT", "transportEventTypeCode", ("ARRI", "DEPA")),
                                           ("EQUIPMENT", "equipmentEventTypeCode", ("DISC", "LOAD", "GTIN", "GTOT",
                                                                                    "STUF", "STRP")))
            for code in all_codes for classifier in ("ACT", "EST", "PLN")]
    return json.loads(REFERENCE.read_text()) + made


def taken_in(raw: dict) -> tuple[dict | None, list[dict]]:
    event, problems = from_dcsa(raw, "carrier.maersk")
    return validate_event(event) if event is not None else (None, problems)


def test_of_the_reference_events_only_the_one_without_an_iso_6346_number_is_refused():
    refused = [problems for raw in dcsa_in() for checked, problems in [taken_in(raw)] if checked is None]
    assert len(refused) == 1 and [problem["field"] for problem in refused[0]] == ["container"]


@pytest.mark.parametrize("raw", [raw for raw in dcsa_in() if taken_in(raw)[0] is not None],
                         ids=lambda raw: raw.get("eventID") or raw["metadata"]["eventID"])
def test_dcsa_in_then_out_keeps_type_classifier_code_and_what_they_name(raw):
    checked, _ = taken_in(raw)
    dcsa = to_dcsa(checked, STREAM_ID, "CNXMN")
    flat = {**raw.get("payload", raw), **raw.get("metadata", {})}
    if dcsa is None:  # only what 2.2 cannot say: a shipment document type outside its enum
        assert flat["eventType"] == "SHIPMENT" and flat["documentTypeCode"] not in ("BKG", "SHI", "SRM", "TRD", "ARN")
        return
    assert codes(dcsa) == codes(flat)
    if flat["eventType"] != "SHIPMENT":
        assert dcsa["transportCall"]["UNLocationCode"] == flat["transportCall"]["location"]["UNLocationCode"]
    if checked.get("vessel"):  # a document event (STUF, a train's ARRI…) keeps no vessel in
        assert dcsa["transportCall"].get("vessel", {}).get("vesselIMONumber") == \
            flat["transportCall"].get("vessel", {}).get("vesselIMONumber")
    if flat["eventType"] == "TRANSPORT" and checked.get("vessel"):  # 2.2's vesselName, the reference's name
        vessel = flat["transportCall"]["vessel"]
        assert dcsa["transportCall"]["vessel"]["vesselName"] == vessel.get("vesselName", vessel.get("name"))
    if flat["eventType"] == "EQUIPMENT":
        assert dcsa["equipmentReference"] == flat["equipmentReference"]
        if flat["equipmentEventTypeCode"] in ("DISC", "LOAD", "GTIN", "GTOT"):  # a box's move: empty or laden
            assert dcsa["emptyIndicatorCode"] == flat.get("emptyIndicatorCode", "LADEN")
    else:
        assert dcsa["eventDateTime"] == flat["eventDateTime"]


# --- the filters ---------------------------------------------------------------------------

def events() -> dict[str, dict]:
    return {"disc": out(v1("container.discharged", vessel=IMO, voyage="051E", container=BOX)),
            "arri": out(v1("vessel.berthed", vessel=IMO, voyage="051E")),
            "gate": out(v1("gate.out", container="MSKU0000005")),
            "bkg": out(v1("document.event", data={"code": "CONF", "document_type": "BKG", "reference": "B-1"}))}


def passing(query: dict) -> set[str]:
    filters, problems = parse_filters(query)
    assert problems == []
    return {name for name, event in events().items() if matches(event, filters)}


@pytest.mark.parametrize("query, expected", [
    ({}, {"disc", "arri", "gate", "bkg"}),
    ({"eventType": "EQUIPMENT,SHIPMENT"}, {"disc", "gate", "bkg"}),
    ({"eventType": ["TRANSPORT", "SHIPMENT"]}, {"arri", "bkg"}),  # a subscription's JSON array
    ({"equipmentEventTypeCode": "DISC,GTIN"}, {"disc"}),
    ({"shipmentEventTypeCode": "CONF", "equipmentEventTypeCode": "DISC"}, set()),  # contradicting: none
    ({"transportEventTypeCode": "ARRI"}, {"arri"}),
    ({"equipmentReference": BOX}, {"disc"}),
    ({"vesselIMONumber": IMO}, {"disc", "arri"}),
    ({"vesselIMONumber": IMO, "eventType": "TRANSPORT"}, {"arri"}),
    ({"carrierVoyageNumber": "051E"}, {"disc", "arri"}),
    ({"transportCallID": "CNXMN:9321483:051E"}, {"disc", "arri"}),
    ({"UNLocationCode": "CNXMN"}, {"disc", "arri", "gate"}),
    ({"carrierBookingReference": "B-1"}, {"bkg"}),
    ({"documentTypeCode": "BKG"}, {"bkg"}),
    ({"carrierServiceCode": "TNT1"}, set()),  # the port knows no services
    ({"eventCreatedDateTime": "2025-12-02T04:33:20.123Z"}, {"disc", "arri", "gate", "bkg"}),
    ({"eventCreatedDateTime:gt": "2025-12-02T04:33:20.123Z"}, set()),
    ({"eventCreatedDateTime:gte": "2025-12-02T12:33:20.123+08:00"}, {"disc", "arri", "gate", "bkg"}),
    ({"eventCreatedDateTime:lt": "2025-12-02T04:33:20.123Z"}, set()),
    ({"eventCreatedDateTime:lte": "2025-12-02T12:33:20.123 08:00"}, {"disc", "arri", "gate", "bkg"}),  # + as space
])
def test_filters_are_anded_and_lists_ored(query, expected):
    assert passing(query) == expected


def test_every_wrong_filter_is_reported_at_once():
    _, problems = parse_filters({"eventType": "SHIPMENT,FOO", "equipmentEventTypeCode": "INSP",
                                 "eventCreatedDateTime:gte": "yesterday", "eventCreatedDateTime:since": "x",
                                 "UNLocationCode": "TOOLONG", "eventCreatedDateTime:lt": "2026-11-27T10:00:00",
                                 "limit": "5", "colour": "blue"}, ignore=("limit",))
    messages = [problem["message"] for problem in problems]
    assert {problem["reason"] for problem in problems} == {"invalidQuery"}
    assert len(messages) == 7, messages
    for part in ("eventType: FOO", "equipmentEventTypeCode: INSP", "eventCreatedDateTime:gte: 'yesterday'",
                 "eventCreatedDateTime:since: unknown", "UNLocationCode: at most 5",
                 "eventCreatedDateTime:lt: '2026-11-27T10:00:00' is not a date-time with an offset",
                 "colour: unknown query parameter"):
        assert any(message.startswith(part) for message in messages), (part, messages)


def test_created_ranges_are_inclusive_millisecond_bounds_and_an_empty_one_is_none():
    filters, _ = parse_filters({"eventCreatedDateTime:gt": "2025-12-02T04:33:20Z",
                                "eventCreatedDateTime:lt": "2025-12-02T04:33:21Z"})
    assert created_range_ms(filters) == (1764650000001, 1764650000999)
    empty, _ = parse_filters({"eventCreatedDateTime:gte": "2025-12-02T04:33:21Z",
                              "eventCreatedDateTime:lte": "2025-12-02T04:33:20Z"})
    assert created_range_ms(empty) is None
