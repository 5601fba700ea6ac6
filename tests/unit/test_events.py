"""Event model v1: `validate_event` accepts, normalises and rejects events (PORT_DOMAIN.md,
"Event vocabulary, version 1"). Table-driven: every case names what it checks."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import imo, iso6346

from feeds.events import CLASSIFIERS, idempotency_key, validate_event

BOX = "APZU4812090"  # real ISO 6346 number (check digit 0)
BOX_WRONG_DIGIT = "APZU4812091"
SHIP = "9321483"  # real IMO number
SHIP_WRONG_DIGIT = "9321484"
TIME = "2026-11-27T15:02:11+08:00"
NOW = datetime(2026, 11, 27, 7, 2, 11, tzinfo=timezone.utc)  # the same instant as TIME
SOURCE = "terminal.haitian"

_DROP = object()  # marks a field to remove from the base event


def ev(kind: str, **fields) -> dict:
    """A minimal event of `kind` with the common fields set; `field=_DROP` removes one."""
    event = {"id": "evt-1", "type": kind, "time": TIME, "source": SOURCE}
    event.update(fields)
    return {k: v for k, v in event.items() if v is not _DROP}


def box(kind: str, direction: str = "import", **fields) -> dict:
    """An event naming a box (container + direction); `fields` override or drop."""
    return ev(kind, **{"container": BOX, "direction": direction, **fields})


def lift(kind: str, direction: str = "import", **fields) -> dict:
    """A box event that also names the ship (container.discharged / container.loaded)."""
    return box(kind, direction, **{"vessel": SHIP, **fields})


def fields_of(problems: list[dict]) -> list[str]:
    return [p["field"] for p in problems]


def test_reference_identifiers_are_really_valid():
    """The numbers the tables rely on are checked against python-stdnum itself."""
    assert iso6346.is_valid(BOX)
    assert not iso6346.is_valid(BOX_WRONG_DIGIT)
    assert imo.is_valid(SHIP)
    assert not imo.is_valid(SHIP_WRONG_DIGIT)


# --------------------------------------------------------------------------------------------
# Accepted events: one of every type family
# --------------------------------------------------------------------------------------------

VALID_EVENTS = [
    pytest.param(ev("vessel.eta", vessel=SHIP, voyage="042E", classifier="estimated",
                    data={"eta": "2026-11-28T06:00:00+08:00", "etd": "2026-11-29T02:30:00Z",
                          "name": "COSCO SHIPPING ARIES", "terminal": "Haitian", "berth": "H3",
                          "containers_import": 1200, "containers_export": 0}),
                 id="vessel.eta-with-eta-etd-and-counts"),
    pytest.param(ev("vessel.eta", vessel=SHIP, data={"eta": "2026-11-28T06:00:00.123456789Z"}),
                 id="vessel.eta-with-nanosecond-eta"),
    pytest.param(ev("vessel.arrived", vessel=SHIP, data={"anchorage": "A2"}), id="vessel.arrived"),
    pytest.param(ev("vessel.berthed", vessel=SHIP, voyage="042E",
                    data={"terminal": "Haitian", "berth": "H3"}), id="vessel.berthed"),
    pytest.param(ev("vessel.departed", vessel=SHIP), id="vessel.departed"),
    pytest.param(lift("container.discharged", data={"to": "inspection", "crane": "QC1"}),
                 id="container.discharged-to-inspection"),
    pytest.param(lift("container.discharged", data={"to": "yard"}), id="container.discharged-to-yard"),
    pytest.param(lift("container.discharged", data={"to": "direct"}),
                 id="container.discharged-to-direct"),
    pytest.param(lift("container.loaded", "export", data={"berth": "H3", "crane": "QC2"}),
                 id="container.loaded-export"),
    pytest.param(box("container.moved", data={"from": "yard", "to": "truck"}),
                 id="container.moved-yard-to-truck-without-vessel"),
    pytest.param(box("container.moved", data={"from": "inspection", "to": "yard"}),
                 id="container.moved-inspection-to-yard"),
    pytest.param(box("gate.in", "export", data={"gate": "G1", "lane": 2, "truck": "闽D12345"}),
                 id="gate.in-export"),
    pytest.param(box("gate.in", "import"), id="gate.in-import-empty-truck-to-collect"),
    pytest.param(box("gate.out", "import", data={"gate": "G2"}), id="gate.out"),
    pytest.param(box("customs.inspection_ordered", data={"mode": "physical", "site": "CIQ-1"}),
                 id="customs.inspection_ordered-physical"),
    pytest.param(box("customs.inspection_ordered", data={"mode": "scan"}),
                 id="customs.inspection_ordered-scan"),
    pytest.param(box("customs.released", "export", data={"declaration": "D123"}),
                 id="customs.released"),
    pytest.param(box("customs.hold", data={"reason": "documents"}), id="customs.hold"),
    pytest.param(box("inspection.completed", data={"result": "pass", "site": "CIQ-1"}),
                 id="inspection.completed-pass"),
    pytest.param(box("inspection.completed", data={"result": "hold"}), id="inspection.completed-hold"),
    pytest.param(box("declaration.filed", "export", data={"declaration": "D123"}),
                 id="declaration.filed-with-container"),
    pytest.param(ev("declaration.filed", data={"declaration": "D124"}),
                 id="declaration.filed-without-container"),
    *[pytest.param(ev(kind, vessel=SHIP, data={"anything": ["goes", 1]}), id=kind) for kind in (
        "service.boarding_requested", "service.boarding_released", "service.health_declared",
        "service.cert_requested", "service.cert_deposited", "service.cert_picked_up")],
    pytest.param(ev("document.event", data={"code": "RECE", "document_type": "BKG",
                                            "reference": "BK-1"}), id="document.event"),
    pytest.param(ev("gate.out", id="x" * 128, container=BOX, direction="import"),
                 id="id-of-exactly-128-characters"),
    pytest.param(ev("vessel.departed", vessel=SHIP, voyage="V" * 32), id="voyage-of-32-characters"),
    pytest.param(ev("document.event", time="2026-11-27T07:02:11Z"), id="time-in-utc-with-Z"),
    pytest.param(ev("document.event", time="2026-11-27T07:02:11.5-03:00"),
                 id="time-with-fraction-and-negative-offset"),
    pytest.param(ev("document.event", data=None), id="data-null-means-no-details"),
]


@pytest.mark.parametrize("raw", VALID_EVENTS)
def test_accepts_valid_event_unchanged_apart_from_default_classifier(raw):
    event, problems = validate_event(raw, now=NOW)
    assert problems == []
    assert event == {**raw, "classifier": raw.get("classifier", "actual")}


@pytest.mark.parametrize("source", [
    "terminal.haitian", "customs.xiamen", "trucking.x", "a", "partner-2_b.c",
    pytest.param("p" * 64, id="64-characters"),
])
def test_accepts_partner_source_names(source):
    event, problems = validate_event(ev("document.event", source=source))
    assert problems == [] and event["source"] == source


def test_accepts_clock_tick_only_when_ticks_are_allowed():
    event, problems = validate_event(ev("clock.tick"), allow_ticks=True)
    assert problems == []
    assert event["type"] == "clock.tick"


# --------------------------------------------------------------------------------------------
# Classifier and normalisation
# --------------------------------------------------------------------------------------------

def test_classifier_defaults_to_actual_when_absent():
    event, problems = validate_event(box("gate.in"))
    assert problems == []
    assert event["classifier"] == "actual"


@pytest.mark.parametrize("classifier", ["actual", "estimated", "planned"])
def test_keeps_each_allowed_classifier(classifier):
    event, problems = validate_event(ev("vessel.eta", vessel=SHIP, classifier=classifier))
    assert problems == []
    assert event["classifier"] == classifier


def test_allowed_classifiers_are_exactly_the_three_of_the_spec():
    assert set(CLASSIFIERS) == {"actual", "estimated", "planned"}


@pytest.mark.parametrize("written", ["apzu 481209 0", "APZU 481209 0", "APZU-481209-0", "apzu4812090",
                                     " APZU4812090 "])
def test_normalises_container_number_to_upper_case_without_separators(written):
    event, problems = validate_event(box("gate.in", container=written))
    assert problems == []
    assert event["container"] == "APZU4812090"


@pytest.mark.parametrize("written", ["IMO 9321483", "IMO9321483", "imo 9321483", "9321483"])
def test_normalises_vessel_number_to_seven_digits(written):
    event, problems = validate_event(ev("vessel.berthed", vessel=written))
    assert problems == []
    assert event["vessel"] == "9321483"


def test_normalisation_does_not_modify_the_callers_event():
    raw = lift("container.discharged", container="apzu 481209 0", vessel="IMO 9321483")
    before = copy.deepcopy(raw)
    event, problems = validate_event(raw)
    assert problems == []
    assert raw == before
    assert (event["container"], event["vessel"]) == ("APZU4812090", "9321483")


def test_keeps_unknown_keys_inside_data():
    data = {"eta": "2026-11-28T06:00:00+08:00", "pilot": "on board", "tugs": 2,
            "nested": {"a": [1, 2, {"b": None}]}}
    event, problems = validate_event(ev("vessel.eta", vessel=SHIP, data=data))
    assert problems == []
    assert event["data"] == data


def test_keeps_unknown_data_keys_on_a_box_event_with_a_closed_vocabulary():
    event, problems = validate_event(box("inspection.completed",
                                         data={"result": "pass", "inspector": "W. Li"}))
    assert problems == []
    assert event["data"] == {"result": "pass", "inspector": "W. Li"}


# --------------------------------------------------------------------------------------------
# Time relative to the wall clock
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ahead", [
    pytest.param(timedelta(hours=23), id="23h-ahead"),
    pytest.param(timedelta(days=1), id="exactly-1-day-ahead"),
    pytest.param(timedelta(0), id="now"),
    pytest.param(-timedelta(days=400), id="long-ago"),
])
def test_accepts_time_up_to_one_day_ahead_of_now(ahead):
    when = (NOW + ahead).astimezone(timezone(timedelta(hours=8))).isoformat()
    event, problems = validate_event(ev("document.event", time=when), now=NOW)
    assert problems == [], when


@pytest.mark.parametrize("ahead", [
    pytest.param(timedelta(days=1, seconds=1), id="1-day-and-1s-ahead"),
    pytest.param(timedelta(hours=25), id="25h-ahead"),
    pytest.param(timedelta(days=365), id="a-year-ahead"),
])
def test_rejects_time_more_than_one_day_ahead_of_now(ahead):
    when = (NOW + ahead).astimezone(timezone(timedelta(hours=8))).isoformat()
    event, problems = validate_event(ev("document.event", time=when), now=NOW)
    assert event is None
    assert fields_of(problems) == ["time"]
    assert "ahead" in problems[0]["problem"]


def test_far_future_time_is_accepted_without_a_wall_clock():
    """Replays and simulations run on their own clock: no `now`, no limit."""
    event, problems = validate_event(ev("document.event", time="2099-01-01T00:00:00Z"))
    assert problems == []


def test_ahead_limit_compares_instants_not_local_clock_readings():
    # Same wall-clock reading, different offsets: 06:00+08:00 is 22:00 UTC on the 27th (about
    # 15 h after NOW), 06:00-08:00 is 14:00 UTC on the 28th (about 31 h after NOW).
    assert validate_event(ev("document.event", time="2026-11-28T06:00:00+08:00"), now=NOW)[1] == []
    event, problems = validate_event(ev("document.event", time="2026-11-28T06:00:00-08:00"), now=NOW)
    assert event is None and fields_of(problems) == ["time"]


# --------------------------------------------------------------------------------------------
# Rejections: one problem each, on the exact field
# --------------------------------------------------------------------------------------------

BOX_TYPES = ["container.discharged", "container.loaded", "container.moved", "gate.in", "gate.out",
             "customs.inspection_ordered", "customs.released", "customs.hold", "inspection.completed"]
VESSEL_NEEDED = ["vessel.eta", "vessel.arrived", "vessel.berthed", "vessel.departed",
                 "container.discharged", "container.loaded"]


def _box_for(kind: str, **fields) -> dict:
    """A valid event of a box type (with a vessel where one is needed), then `fields` applied."""
    base = lift(kind) if kind in ("container.discharged", "container.loaded") else box(kind)
    base.update(fields)
    return {k: v for k, v in base.items() if v is not _DROP}


REJECTED = [
    # (raw event, keyword arguments, field reported, words expected in the problem)
    pytest.param(ev("document.event", id=_DROP), {}, "id", "required", id="missing-id"),
    pytest.param(ev("document.event", id=None), {}, "id", "required", id="null-id"),
    pytest.param(ev("document.event", id=""), {}, "id", "non-empty", id="empty-id"),
    pytest.param(ev("document.event", id=42), {}, "id", "string", id="numeric-id"),
    pytest.param(ev("document.event", id="x" * 129), {}, "id", "128", id="id-of-129-characters"),
    pytest.param(ev("document.event", type=_DROP), {}, "type", "required", id="missing-type"),
    pytest.param(ev("vessel.sunk"), {}, "type", "unknown", id="unknown-type"),
    pytest.param(ev("Gate.In", container=BOX, direction="import"), {}, "type", "unknown",
                 id="type-in-wrong-case"),
    pytest.param(ev("service.lunch_ordered"), {}, "type", "unknown", id="unknown-service-type"),
    pytest.param(ev("clock.tick"), {}, "type", "unknown", id="clock-tick-without-allow-ticks"),
    pytest.param(ev("document.event", time=_DROP), {}, "time", "required", id="missing-time"),
    pytest.param(ev("document.event", time="2026-11-27T15:02:11"), {}, "time", "offset",
                 id="time-without-offset"),
    pytest.param(ev("document.event", time="2026-11-27"), {}, "time", "RFC 3339", id="date-only"),
    pytest.param(ev("document.event", time="2026-02-30T00:00:00Z"), {}, "time", "not a real",
                 id="impossible-date-feb-30"),
    pytest.param(ev("document.event", time="2026-11-27T25:00:00Z"), {}, "time", "not a real",
                 id="impossible-hour-25"),
    pytest.param(ev("document.event", time="2026-11-27T15:02:11+0800"), {}, "time", "RFC 3339",
                 id="offset-without-colon"),
    pytest.param(ev("document.event", time="27/11/2026 15:02"), {}, "time", "RFC 3339",
                 id="time-in-local-notation"),
    pytest.param(ev("document.event", time=1795763531), {}, "time", "RFC 3339",
                 id="time-as-epoch-number"),
    pytest.param(ev("document.event", time=None), {}, "time", "RFC 3339", id="null-time"),
    pytest.param(ev("document.event", source=_DROP), {}, "source", "required", id="missing-source"),
    pytest.param(ev("document.event", source="Terminal.Haitian"), {}, "source", "partner",
                 id="source-with-upper-case"),
    pytest.param(ev("document.event", source="terminal haitian"), {}, "source", "partner",
                 id="source-with-space"),
    pytest.param(ev("document.event", source=".terminal"), {}, "source", "partner",
                 id="source-starting-with-dot"),
    pytest.param(ev("document.event", source="-terminal"), {}, "source", "partner",
                 id="source-starting-with-dash"),
    pytest.param(ev("document.event", source=""), {}, "source", "partner", id="empty-source"),
    pytest.param(ev("document.event", source="p" * 65), {}, "source", "partner",
                 id="source-of-65-characters"),
    pytest.param(ev("document.event", source="terminal/haitian"), {}, "source", "partner",
                 id="source-with-slash"),
    pytest.param(ev("document.event", source=7), {}, "source", "partner", id="numeric-source"),
    pytest.param(ev("document.event", source="terminal.haitian\n"), {}, "source", "partner",
                 id="source-with-trailing-newline"),
    pytest.param(ev("document.event", classifier="ACT"), {}, "classifier", "actual",
                 id="dcsa-code-as-classifier"),
    pytest.param(ev("document.event", classifier="Actual"), {}, "classifier", "actual",
                 id="classifier-in-wrong-case"),
    pytest.param(ev("document.event", classifier=None), {}, "classifier", "actual",
                 id="null-classifier"),
    pytest.param(ev("document.event", classifier=""), {}, "classifier", "actual",
                 id="empty-classifier"),
    *[pytest.param(_box_for(kind, container=_DROP), {}, "container", "required",
                   id=f"{kind}-without-container") for kind in BOX_TYPES],
    pytest.param(box("gate.in", container="APZU48120"), {}, "container", "ISO 6346",
                 id="container-too-short"),
    pytest.param(box("gate.in", container="APZA4812090"), {}, "container", "ISO 6346",
                 id="container-category-not-U-J-Z"),
    pytest.param(box("gate.in", container=4812090), {}, "container", "string",
                 id="container-as-number"),
    pytest.param(box("gate.in", container="A" * 33), {}, "container", "32",
                 id="container-longer-than-32"),
    pytest.param(box("gate.in", container=""), {}, "container", "ISO 6346", id="empty-container"),
    pytest.param(ev("vessel.eta", vessel=SHIP, container="APZU4812091"), {}, "container",
                 "check digit", id="optional-container-is-still-checked"),
    *[pytest.param(_box_for(kind, vessel=_DROP) if kind.startswith("container.")
                   else ev(kind), {}, "vessel", "required", id=f"{kind}-without-vessel")
      for kind in VESSEL_NEEDED],
    pytest.param(ev("vessel.berthed", vessel=SHIP_WRONG_DIGIT), {}, "vessel", "check digit",
                 id="vessel-with-wrong-imo-check-digit"),
    pytest.param(ev("vessel.berthed", vessel="932148"), {}, "vessel", "IMO",
                 id="vessel-of-6-digits"),
    pytest.param(ev("vessel.berthed", vessel="93214830"), {}, "vessel", "IMO",
                 id="vessel-of-8-digits"),
    pytest.param(ev("vessel.berthed", vessel=9321483), {}, "vessel", "string",
                 id="vessel-as-number"),
    pytest.param(ev("vessel.berthed", vessel="COSCO ARIES"), {}, "vessel", "IMO",
                 id="vessel-by-name"),
    pytest.param(box("gate.in", vessel=SHIP_WRONG_DIGIT), {}, "vessel", "check digit",
                 id="optional-vessel-is-still-checked"),
    pytest.param(ev("vessel.departed", vessel=SHIP, voyage="V" * 33), {}, "voyage", "32",
                 id="voyage-of-33-characters"),
    pytest.param(ev("vessel.departed", vessel=SHIP, voyage=42), {}, "voyage", "string",
                 id="voyage-as-number"),
    *[pytest.param(_box_for(kind, direction=_DROP), {}, "direction", "required",
                   id=f"{kind}-without-direction") for kind in BOX_TYPES],
    pytest.param(box("gate.in", direction="inbound"), {}, "direction", "import or export",
                 id="direction-inbound"),
    pytest.param(box("gate.in", direction="IMPORT"), {}, "direction", "import or export",
                 id="direction-in-upper-case"),
    pytest.param(ev("declaration.filed", direction="both"), {}, "direction", "import or export",
                 id="optional-direction-is-still-checked"),
    pytest.param(ev("document.event", eta=TIME), {}, "eta", "not a field",
                 id="unknown-top-level-field"),
    pytest.param(ev("document.event", Type="x", berth="H3"), {}, "Type,berth", "not a field",
                 id="two-unknown-top-level-fields-sorted-in-one-problem"),
    pytest.param(ev("document.event", data=["code", "RECE"]), {}, "data", "object",
                 id="data-as-list"),
    pytest.param(ev("document.event", data="RECE"), {}, "data", "object", id="data-as-string"),
    pytest.param(lift("container.discharged", data={"to": "quay"}), {}, "data.to",
                 "inspection, yard, direct", id="discharged-to-outside-vocabulary"),
    pytest.param(lift("container.discharged", data={"to": None}), {}, "data.to",
                 "inspection, yard, direct", id="discharged-to-null"),
    pytest.param(box("container.moved", data={"from": "ship", "to": "yard"}), {}, "data.from",
                 "yard, inspection, truck", id="moved-from-outside-vocabulary"),
    pytest.param(box("container.moved", data={"from": "yard", "to": "direct"}), {}, "data.to",
                 "yard, inspection, truck", id="moved-to-outside-vocabulary"),
    pytest.param(box("inspection.completed", data={"result": "fail"}), {}, "data.result",
                 "pass, hold", id="inspection-result-outside-vocabulary"),
    pytest.param(box("customs.inspection_ordered", data={"mode": "xray"}), {}, "data.mode",
                 "physical, scan", id="inspection-mode-outside-vocabulary"),
    pytest.param(ev("vessel.eta", vessel=SHIP, data={"eta": "tomorrow"}), {}, "data.eta",
                 "RFC 3339", id="eta-not-rfc3339"),
    pytest.param(ev("vessel.eta", vessel=SHIP, data={"eta": "2026-11-28T06:00:00"}), {},
                 "data.eta", "offset", id="eta-without-offset"),
    pytest.param(ev("vessel.eta", vessel=SHIP, data={"etd": "2026-02-30T00:00:00Z"}), {},
                 "data.etd", "not a real", id="etd-impossible-date"),
    pytest.param(ev("vessel.eta", vessel=SHIP, data={"containers_import": -1}), {},
                 "data.containers_import", "≥ 0", id="containers-import-negative"),
    pytest.param(ev("vessel.eta", vessel=SHIP, data={"containers_import": True}), {},
                 "data.containers_import", "whole number", id="containers-import-bool"),
    pytest.param(ev("vessel.eta", vessel=SHIP, data={"containers_import": "12"}), {},
                 "data.containers_import", "whole number", id="containers-import-string"),
    pytest.param(ev("vessel.eta", vessel=SHIP, data={"containers_import": 1.5}), {},
                 "data.containers_import", "whole number", id="containers-import-fraction"),
    pytest.param(ev("vessel.eta", vessel=SHIP, data={"containers_export": -3}), {},
                 "data.containers_export", "≥ 0", id="containers-export-negative"),
]


@pytest.mark.parametrize(("raw", "kwargs", "field", "words"), REJECTED)
def test_rejects_invalid_event_naming_the_exact_field(raw, kwargs, field, words):
    event, problems = validate_event(raw, **kwargs)
    assert event is None
    assert fields_of(problems) == [field], problems
    assert words in problems[0]["problem"]


def test_rejects_container_with_wrong_check_digit_and_suggests_fix():
    event, problems = validate_event(box("gate.in", container="apzu 481209 1"))
    assert event is None
    assert fields_of(problems) == ["container"]
    assert "check digit" in problems[0]["problem"]
    assert "APZU4812090" in problems[0]["problem"]


@pytest.mark.parametrize("raw", [
    pytest.param(None, id="null"),
    pytest.param([], id="empty-list"),
    pytest.param([ev("document.event")], id="list-holding-an-event"),
    pytest.param("{\"id\": \"e1\"}", id="json-text"),
    pytest.param(42, id="number"),
    pytest.param(True, id="bool"),
])
def test_rejects_non_object_event_with_empty_field(raw):
    event, problems = validate_event(raw)
    assert event is None
    assert problems == [{"field": "", "problem": "an event must be a JSON object"}]


def test_rejects_empty_object_naming_every_required_common_field():
    event, problems = validate_event({})
    assert event is None
    assert set(fields_of(problems)) == {"id", "type", "time", "source"}


def test_reports_all_problems_of_an_event_at_once():
    raw = {
        "id": "", "type": "container.discharged", "time": "2026-11-27", "source": "Terminal Haitian",
        "classifier": "ACT", "container": BOX_WRONG_DIGIT, "vessel": SHIP_WRONG_DIGIT,
        "direction": "in", "voyage": "V" * 40, "crane": "QC1", "data": {"to": "quay"},
    }
    event, problems = validate_event(raw)
    assert event is None
    assert set(fields_of(problems)) == {"crane", "id", "time", "source", "classifier", "container",
                                        "vessel", "direction", "voyage", "data.to"}
    assert len(problems) == 10


def test_reports_missing_identity_fields_together():
    event, problems = validate_event(ev("container.loaded"))
    assert event is None
    assert set(fields_of(problems)) == {"container", "vessel", "direction"}


def test_reports_every_bad_data_value_of_a_vessel_eta():
    data = {"eta": "soon", "etd": "2026-11-28", "containers_import": -1, "containers_export": False}
    event, problems = validate_event(ev("vessel.eta", vessel=SHIP, data=data))
    assert event is None
    assert set(fields_of(problems)) == {"data.eta", "data.etd", "data.containers_import",
                                        "data.containers_export"}


def test_time_ahead_and_unknown_type_are_both_reported():
    event, problems = validate_event(ev("vessel.sunk", time="2027-01-01T00:00:00Z"), now=NOW)
    assert event is None
    assert set(fields_of(problems)) == {"type", "time"}


def test_every_problem_is_a_field_and_problem_pair_of_strings():
    _, problems = validate_event({"id": 1, "type": "x", "time": "y", "source": "Z", "data": 3})
    assert problems
    for p in problems:
        assert set(p) == {"field", "problem"}
        assert isinstance(p["field"], str) and isinstance(p["problem"], str) and p["problem"]


# --------------------------------------------------------------------------------------------
# Never raises: explicit cases found by reading the code, then property tests
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", [
    pytest.param([], id="empty-list"),
    pytest.param(["gate.in"], id="list-holding-a-type"),
    pytest.param({"name": "gate.in"}, id="object"),
])
def test_rejects_type_that_is_not_a_string_instead_of_raising(kind):
    """BUG: a JSON array or object as `type` raises TypeError (unhashable) instead of a problem."""
    event, problems = validate_event(ev("gate.in", type=kind, container=BOX, direction="import"))
    assert event is None
    assert fields_of(problems) == ["type"]


@pytest.mark.parametrize("container", [
    pytest.param("AP_U4812090", id="underscore-in-owner-code"),
    pytest.param("ÉPZU4812090", id="accented-letter-in-owner-code"),
    pytest.param("APZU४८१२०९०", id="devanagari-digits-in-serial"),
])
def test_rejects_container_with_non_latin_characters_instead_of_raising(container):
    """BUG: python-stdnum's ISO 6346 format check lets `\\w` through; the check-digit
    computation then raises ValueError, which escapes validate_event."""
    event, problems = validate_event(box("gate.in", container=container))
    assert event is None
    assert fields_of(problems) == ["container"]


def _json_values():
    scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
               | st.text(max_size=20))
    return st.recursive(scalars, lambda children: st.lists(children, max_size=4)
                        | st.dictionaries(st.text(max_size=10), children, max_size=4),
                        max_leaves=20)


JSON = _json_values()
PLAUSIBLE = st.sampled_from([
    "gate.in", "container.discharged", "vessel.eta", "clock.tick", "service.cert_requested",
    TIME, "2026-02-30T00:00:00Z", "2026-11-27", SOURCE, "Bad Source", BOX, BOX_WRONG_DIGIT,
    "apzu 481209 0", SHIP, SHIP_WRONG_DIGIT, "IMO 9321483", "import", "export", "actual", "ACT",
    "", "x" * 200,
])
FIELD_NAMES = ["id", "type", "time", "classifier", "source", "container", "vessel", "voyage",
               "direction", "data", "parties"]
EVENT_LIKE = st.dictionaries(
    st.sampled_from(FIELD_NAMES) | st.text(max_size=8),
    PLAUSIBLE | JSON | st.dictionaries(st.sampled_from(["to", "from", "mode", "result", "eta", "etd",
                                                        "containers_import"]), PLAUSIBLE | JSON),
    max_size=12)


def _assert_contract(result) -> None:
    assert isinstance(result, tuple) and len(result) == 2
    event, problems = result
    assert isinstance(problems, list)
    if event is None:
        assert problems, "a rejection must say why"
        for p in problems:
            assert isinstance(p, dict) and set(p) == {"field", "problem"}
            assert isinstance(p["field"], str)
            assert isinstance(p["problem"], str) and p["problem"]
    else:
        assert problems == []
        assert isinstance(event, dict)
        assert event["classifier"] in CLASSIFIERS


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=JSON, allow_ticks=st.booleans(), with_now=st.booleans())
def test_never_raises_on_any_json_value(raw, allow_ticks, with_now):
    _assert_contract(validate_event(raw, now=NOW if with_now else None, allow_ticks=allow_ticks))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=EVENT_LIKE, allow_ticks=st.booleans(), with_now=st.booleans())
def test_never_raises_on_event_shaped_garbage(raw, allow_ticks, with_now):
    _assert_contract(validate_event(raw, now=NOW if with_now else None, allow_ticks=allow_ticks))


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(FIELD_NAMES), value=JSON)
def test_never_raises_when_one_field_of_a_valid_event_is_garbage(field, value):
    raw = lift("container.discharged", data={"to": "yard"})
    raw[field] = value
    _assert_contract(validate_event(raw, now=NOW))


# --------------------------------------------------------------------------------------------
# Idempotency key
# --------------------------------------------------------------------------------------------

def test_idempotency_key_is_source_then_id_split_by_first_space():
    event, _ = validate_event(ev("document.event", id="batch 7 / line 3"))
    key = idempotency_key(event)
    assert key == "terminal.haitian batch 7 / line 3"
    assert key.split(" ", 1) == ["terminal.haitian", "batch 7 / line 3"]
