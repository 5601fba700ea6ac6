"""DCSA Track & Trace events → events of model v1 (docs/dcsa.md has the whole table).

Takes T&T 2.x events as partners send them: flat (the published API: `eventID`, `eventType`,
`eventDateTime`, … at the top) or in the `{metadata, payload}` envelope of the DCSA reference
implementation; and the v3 customs equipment codes (CUSS, CUSI, CUSR) where they appear. The
result is an ordinary v1 event with `origin: "dcsa"` (so a missing `direction` is allowed: DCSA
carries none), still to be checked by `feeds.events.validate_event` like any other. A DCSA 3.0
retraction (`retractedEventID`, flat or in a metadata-only envelope) becomes `event.retracted`.
"""

from __future__ import annotations

from typing import Any

from feeds.events import RETRACTED, is_organisation

CLASSIFIERS = {"ACT": "actual", "EST": "estimated", "PLN": "planned"}
EVENT_TYPES = ("TRANSPORT", "EQUIPMENT", "SHIPMENT")
# equipment code → (v1 type, extra data); estimated and planned ones only set expectations
EQUIPMENT = {
    "DISC": ("container.discharged", {}), "LOAD": ("container.loaded", {}),
    "GTIN": ("gate.in", {}), "GTOT": ("gate.out", {}), "INSP": ("inspection.completed", {}),
    "CUSS": ("customs.inspection_ordered", {"mode": "scan"}),  # v3: selected for scan
    "CUSI": ("customs.inspection_ordered", {"mode": "physical"}),  # v3: selected for inspection
    "CUSR": ("customs.released", {}),  # v3: released
}
# equipment codes that move no box through our stages: kept and counted as document events
EQUIPMENT_AS_DOCUMENT = frozenset({"STUF", "STRP", "PICK", "DROP", "RMVD", "RSEA", "RSTU"})
# publisherRole → the v1 party role; VSL, ATH and PLT (vessel, port authority, pilot) have none
PUBLISHER_ROLES = {"CA": "carrier", "AG": "agent", "TR": "terminal"}
VESSEL_MODES = ("VESSEL",)
OTHER_MODES = ("RAIL", "TRUCK", "BARGE")


def problem(field: str, text: str) -> dict:
    return {"field": field, "problem": text}


def _code(mapping: dict, field: str) -> str | None:
    """A code field as text; anything else (a list, a number, an object) is no code at all."""
    value = mapping.get(field)
    return value if isinstance(value, str) else None


def unwrap(raw: dict) -> dict:
    """The envelope's metadata and payload as one flat event; a flat event as it is."""
    if isinstance(raw.get("payload"), dict) and isinstance(raw.get("metadata"), dict):
        return {**raw["payload"], **raw["metadata"]}
    return raw


def event_id(raw: Any) -> str | None:
    """The eventID of a raw DCSA event in either form, if it has one (for rejects)."""
    if not isinstance(raw, dict):
        return None
    value = (retraction_fields(raw) or unwrap(raw)).get("eventID")
    return value if isinstance(value, str) else None


def retraction_fields(raw: dict) -> dict | None:
    """DCSA 3.0: the metadata (envelope, no payload) or the flat event that names a
    `retractedEventID`; None for any other event."""
    metadata = raw.get("metadata")
    fields = metadata if isinstance(metadata, dict) else raw
    return fields if fields.get("retractedEventID") is not None else None  # null: no retraction


def from_retraction(raw: dict, fields: dict, source: str) -> tuple[dict | None, list[dict]]:
    """A DCSA 3.0 retraction → `event.retracted` naming the sender's earlier eventID; its time is
    when the retraction was made (`eventCreatedDateTime`; a retraction has no `eventDateTime`)."""
    problems = []
    if isinstance(raw.get("metadata"), dict) and "payload" in raw:
        problems.append(problem("payload", "a retraction carries no payload (DCSA 3.0)"))
    if not isinstance(fields.get("retractedEventID"), str) or not fields["retractedEventID"]:
        problems.append(problem("retractedEventID", "must be the eventID of your earlier event (a string)"))
    if not isinstance(fields.get("eventID"), str) or not fields["eventID"]:
        problems.append(problem("eventID", "required (a string)"))
    when = fields.get("eventCreatedDateTime", fields.get("eventDateTime"))
    if not isinstance(when, str) or not when:
        problems.append(problem("eventCreatedDateTime", "required (a string)"))
    if problems:
        return None, problems
    return {"id": fields["eventID"], "type": RETRACTED, "time": when, "source": source, "origin": "dcsa",
            "data": {"retracted_id": fields["retractedEventID"]}}, []


def from_dcsa(raw: Any, source: str) -> tuple[dict | None, list[dict]]:
    """→ (a v1 event to check, []) or (None, the reasons it cannot be mapped)."""
    if not isinstance(raw, dict):
        return None, [problem("", "a DCSA event must be a JSON object")]
    retraction = retraction_fields(raw)
    if retraction is not None:
        return from_retraction(raw, retraction, source)
    flat = unwrap(raw)
    problems: list[dict] = []
    kind = _code(flat, "eventType") or _infer_type(flat)
    if kind not in EVENT_TYPES:
        problems.append(problem("eventType", f"must be one of {', '.join(EVENT_TYPES)}"))
    classifier = CLASSIFIERS.get(_code(flat, "eventClassifierCode"))
    if classifier is None:
        problems.append(problem("eventClassifierCode", "must be ACT, EST or PLN"))
    for field in ("eventID", "eventDateTime"):
        if not isinstance(flat.get(field), str) or not flat[field]:
            problems.append(problem(field, "required (a string)"))
    if problems:
        return None, problems
    event = {"id": flat["eventID"], "time": flat["eventDateTime"], "classifier": classifier,
             "source": source, "origin": "dcsa"}
    mapper = {"TRANSPORT": _transport, "EQUIPMENT": _equipment, "SHIPMENT": _shipment}[kind]
    problems = mapper(flat, event)
    if problems:
        return None, problems
    _publisher(flat, event)
    return event, []


def _publisher(flat: dict, event: dict) -> None:
    """`publisher` with a `publisherRole` we have → `parties[role]`. One we cannot name as an
    organisation id is left out, never a reason to refuse: the sender is a party anyway."""
    role = PUBLISHER_ROLES.get(_code(flat, "publisherRole"))
    publisher = flat.get("publisher")
    if role is None or not isinstance(publisher, dict):
        return
    organisation = _organisation(publisher)
    if organisation is not None:
        event["parties"] = {role: organisation}


def _organisation(party: dict) -> str | None:
    """The first of its identifying codes (`partyCode`), else its `partyName`, that lower-cased is
    an organisation id."""
    codes = party.get("identifyingCodes")
    candidates = [code.get("partyCode") for code in codes if isinstance(code, dict)] if isinstance(codes, list) else []
    candidates.append(party.get("partyName"))
    for candidate in candidates:
        if isinstance(candidate, str) and is_organisation(candidate.lower()):
            return candidate.lower()
    return None


def _infer_type(flat: dict) -> str | None:
    for kind, field in (("TRANSPORT", "transportEventTypeCode"), ("EQUIPMENT", "equipmentEventTypeCode"),
                        ("SHIPMENT", "shipmentEventTypeCode")):
        if field in flat:
            return kind
    return None


def _location(flat: dict) -> dict | None:
    """Kept as it came (this version accepts any location): the transport call's or the event's."""
    call = flat.get("transportCall") if isinstance(flat.get("transportCall"), dict) else {}
    location = call.get("location") or flat.get("eventLocation")
    return location if isinstance(location, dict) else None


def _data(flat: dict, code: str, **more) -> dict:
    data = {"code": code, **more}
    location = _location(flat)
    if location:
        data["location"] = location
    return data


def _transport(flat: dict, event: dict) -> list[dict]:
    code = _code(flat, "transportEventTypeCode")
    if code not in ("ARRI", "DEPA"):
        return [problem("transportEventTypeCode", "must be ARRI or DEPA")]
    call = flat.get("transportCall")
    if not isinstance(call, dict):
        return [problem("transportCall", "required on a TRANSPORT event")]
    mode = _code(call, "modeOfTransport") or ("VESSEL" if "modeOfTransport" not in call else None)
    if mode in OTHER_MODES:  # a train or a truck arriving is not a vessel call: kept, counted
        event.update(type="document.event", data=_data(flat, code, document_type="transport", mode=mode))
        return []
    if mode not in VESSEL_MODES:
        return [problem("transportCall.modeOfTransport", "must be VESSEL, RAIL, TRUCK or BARGE")]
    vessel = call.get("vessel") if isinstance(call.get("vessel"), dict) else {}
    imo = vessel.get("vesselIMONumber")
    if not imo:
        return [problem("transportCall.vessel.vesselIMONumber", "required for a vessel's arrival or departure")]
    event.update(vessel=str(imo))
    voyage = _voyage(call, code)
    if voyage:
        event["voyage"] = voyage
    if event["classifier"] == "actual":
        event["type"] = "vessel.berthed" if code == "ARRI" else "vessel.departed"
        event["data"] = _data(flat, code)
    else:  # an ETA or ETD: the expectation is the event's own time
        event["type"] = "vessel.eta"
        event["data"] = _data(flat, code, **{"eta" if code == "ARRI" else "etd": flat["eventDateTime"]})
    _name(vessel, event)
    return []


# T&T 2.2 names the voyages importVoyageNumber / exportVoyageNumber (DCSA domain 1.0.3), the
# reference implementation carrierImport… / carrierExport…; 2.0 and 2.1 had one carrierVoyageNumber
IMPORT_VOYAGE = ("carrierImportVoyageNumber", "importVoyageNumber")
EXPORT_VOYAGE = ("carrierExportVoyageNumber", "exportVoyageNumber")


def _voyage(call: dict, code: str) -> str | None:
    """Arrivals go by the import voyage, departures by the export one; either, or the v2.0 field."""
    order = IMPORT_VOYAGE + EXPORT_VOYAGE if code == "ARRI" else EXPORT_VOYAGE + IMPORT_VOYAGE
    for field in (*order, "carrierVoyageNumber"):
        if isinstance(call.get(field), str) and call[field]:
            return call[field]
    return None


def _name(vessel: dict, event: dict) -> None:
    """The ship's name, `vesselName` in T&T 2.2, `name` in the reference implementation → data.name."""
    name = vessel.get("vesselName", vessel.get("name"))
    if name not in (None, ""):
        event["data"]["name"] = name  # not text: the check refuses the event and says why


def _equipment(flat: dict, event: dict) -> list[dict]:
    code = _code(flat, "equipmentEventTypeCode")
    if code in EQUIPMENT_AS_DOCUMENT:
        event.update(type="document.event", data=_data(flat, code, document_type="equipment",
                                                      reference=str(flat.get("equipmentReference", ""))))
        return []
    if code not in EQUIPMENT:
        return [problem("equipmentEventTypeCode", f"{str(code)[:20]!r} has no equivalent here")]
    reference = flat.get("equipmentReference")
    if not isinstance(reference, str) or not reference:
        return [problem("equipmentReference", "required on an EQUIPMENT event")]
    kind, extra = EQUIPMENT[code]
    event.update(type=kind, container=reference, data=_data(flat, code, **extra))
    if flat.get("emptyIndicatorCode") == "EMPTY":  # kept, so that it is published back as EMPTY
        event["data"]["empty"] = True
    call = flat.get("transportCall") if isinstance(flat.get("transportCall"), dict) else {}
    vessel = call.get("vessel") if isinstance(call.get("vessel"), dict) else {}
    if vessel.get("vesselIMONumber"):
        event["vessel"] = str(vessel["vesselIMONumber"])
        voyage = _voyage(call, "ARRI" if code == "DISC" else "DEPA")
        if voyage:
            event["voyage"] = voyage
        if kind in ("container.discharged", "container.loaded"):  # the lifts name the ship (events.py)
            _name(vessel, event)
    return []


def _shipment(flat: dict, event: dict) -> list[dict]:
    code = _code(flat, "shipmentEventTypeCode")
    if not code:
        return [problem("shipmentEventTypeCode", "required on a SHIPMENT event")]
    reference = flat.get("documentReference") or flat.get("documentID")
    event.update(type="document.event", data=_data(flat, code, document_type=flat.get("documentTypeCode"),
                                                 reference=reference))
    return []
