"""`event.retracted` at the edges: its checks (feeds/events.py), the DCSA 3.0 `retractedEventID`
mapping (feeds/dcsa.py), and the struck-through entry on the box and vessel pages (layouts/)."""

from __future__ import annotations

from feeds import dcsa
from feeds.events import RETRACTED, validate_event
from layouts.container import parcel_timeline
from layouts.vessels import call_timeline

TIME = "2026-11-27T15:20:00+08:00"


def retraction(**fields) -> dict:
    event = {"id": "r-1", "type": RETRACTED, "time": TIME, "source": "terminal.haitian",
             "data": {"retracted_id": "gt-1"}}
    event.update(fields)
    return event


def fields_at_fault(raw: dict) -> list[str]:
    return [problem["field"] for problem in validate_event(raw)[1]]


def test_a_retraction_names_the_senders_earlier_event_and_nothing_else():
    event, problems = validate_event(retraction())
    assert problems == [] and event["classifier"] == "actual" and event["data"] == {"retracted_id": "gt-1"}
    assert fields_at_fault(retraction(data=None)) == ["data"]
    assert fields_at_fault(retraction(data={})) == ["data.retracted_id"]
    assert fields_at_fault(retraction(data={"retracted_id": 7})) == ["data.retracted_id"]
    assert fields_at_fault(retraction(data={"retracted_id": "x" * 129})) == ["data.retracted_id"]
    assert fields_at_fault(retraction(data={"retracted_id": "r-1"})) == ["data.retracted_id"]  # itself
    assert fields_at_fault(retraction(container="APZU4812090", vessel="9321483")) == ["container", "vessel"]
    assert fields_at_fault(retraction(classifier="planned")) == ["classifier"]


def test_a_dcsa_3_retraction_maps_from_the_envelope_and_the_flat_form():
    fields = {"eventID": "2239d040", "eventCreatedDateTime": "2022-09-20T07:41:00+08:30", "eventType": "TRANSPORT",
              "retractedEventID": "957e4966", "publisher": {"partyName": "CMA CGM"}, "publisherRole": "CA"}
    expected = {"id": "2239d040", "type": RETRACTED, "time": "2022-09-20T07:41:00+08:30", "source": "carrier.x",
                "origin": "dcsa", "data": {"retracted_id": "957e4966"}}
    for raw in ({"metadata": fields}, fields):
        event, problems = dcsa.from_dcsa(raw, "carrier.x")
        assert (event, problems) == (expected, [])
        assert validate_event(event)[1] == []
        assert dcsa.event_id(raw) == "2239d040"


def test_a_dcsa_retraction_with_a_payload_or_no_time_is_rejected_and_a_null_one_is_no_retraction():
    metadata = {"eventID": "r", "eventCreatedDateTime": TIME, "retractedEventID": "e"}
    assert dcsa.from_dcsa({"metadata": metadata, "payload": {}}, "x")[1][0]["field"] == "payload"
    no_time = {k: v for k, v in metadata.items() if k != "eventCreatedDateTime"}
    assert dcsa.from_dcsa(no_time, "x")[1] == [{"field": "eventCreatedDateTime", "problem": "required (a string)"}]
    assert dcsa.from_dcsa(metadata | {"retractedEventID": ""}, "x")[1][0]["field"] == "retractedEventID"
    ordinary = {"eventID": "e", "eventType": "SHIPMENT", "eventClassifierCode": "ACT", "eventDateTime": TIME,
                "shipmentEventTypeCode": "ISSU", "retractedEventID": None}
    assert dcsa.from_dcsa(ordinary, "x")[0]["type"] == "document.event"


ENTRIES = [{"id": "in-1", "type": "gate.in", "time": "2026-11-27T08:00:00+08:00", "source": "trucking.x",
            "classifier": "actual"},
           {"id": "out-1", "type": "gate.out", "time": "2026-11-27T09:00:00+08:00", "source": "trucking.x",
            "classifier": "actual", "retracted": {"at": "2026-11-27T09:30:00+08:00", "by": "trucking.x"}}]


def items(component) -> list:
    found = []

    def walk(node):
        if hasattr(node, "className") and "event" in str(getattr(node, "className", "")).split():
            found.append(node)
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children] if children is not None else []:
            walk(child)
    walk(component)
    return found


def text_of(node) -> str:
    if isinstance(node, str):
        return node
    children = getattr(node, "children", None)
    children = children if isinstance(children, list) else [children] if children is not None else []
    return " ".join(text_of(child) for child in children if child is not None)


def test_the_box_and_vessel_timelines_strike_a_retracted_event_through_saying_who_and_when():
    for rendered in (parcel_timeline(ENTRIES, "en"), call_timeline(ENTRIES, "en")[1]):
        classes = {node.to_plotly_json()["props"]["data-event-id"]: node.className for node in items(rendered)}
        assert classes == {"in-1": "event actual", "out-1": "event actual retracted"}
        (struck,) = [node for node in items(rendered) if "retracted" in node.className]
        assert "retracted by trucking.x at" in text_of(struck)
