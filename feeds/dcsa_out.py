"""Events of model v1 → DCSA Track & Trace 2.2 events (the 2.2 query filters that select them
are feeds/dcsa_filters.py's, re-exported here).

The inverse of `feeds/dcsa.py` (docs/dcsa.md, "DCSA Track & Trace out"): an event that came in
as DCSA goes out with the same event type, classifier and type code. Only what the 2.2 schema can
say is published: `to_dcsa` returns None for events with no 2.2 equivalent (the clock, customs,
services, retractions, and codes that 2.2 left out of its enums such as INSP and CUSR).

`eventID` is a UUID (version 8, RFC 9562's custom layout) made of the event's place in the log
and its `(source, id)`: the first 48 bits are the stream id's milliseconds (as in a UUIDv7), the
other 74 free bits a SHA-256 of `source id`. DCSA wants a UUID, and a partner's own id is any text
unique only per partner; this one is the same on every replica and every read (a log entry never
moves), unique per port event, and found again without an index: `GET /v2/events/{eventID}` reads
the log at that millisecond and keeps the entry whose `(source, id)` hashes to the rest.
"""

from __future__ import annotations

import hashlib
import uuid

from feeds.dcsa_filters import DcsaFilters, created_range_ms, matches, parse_filters
from feeds.events import utc_text

__all__ = ["DcsaFilters", "created_range_ms", "event_uuid", "matches", "parse_filters", "to_dcsa",
           "uuid_ms"]

CLASSIFIERS = {"actual": "ACT", "estimated": "EST", "planned": "PLN"}
# v1 type → (DCSA event type, code); vessel.eta is decided by what it carries (`_vessel_eta`)
DIRECT = {
    "vessel.berthed": ("TRANSPORT", "ARRI"), "vessel.departed": ("TRANSPORT", "DEPA"),
    "container.discharged": ("EQUIPMENT", "DISC"), "container.loaded": ("EQUIPMENT", "LOAD"),
    "gate.in": ("EQUIPMENT", "GTIN"), "gate.out": ("EQUIPMENT", "GTOT"),
}
# codes the 2.2 enums hold (event domain 1.0.3); document events with other codes are not published
EQUIPMENT_CODES = frozenset({"LOAD", "DISC", "GTIN", "GTOT", "STUF", "STRP"})
TRANSPORT_CODES = frozenset({"ARRI", "DEPA"})
SHIPMENT_CODES = frozenset({"RECE", "DRFT", "PENA", "PENU", "REJE", "APPR", "ISSU", "SURR", "SUBM",
                            "VOID", "CONF"})
DOCUMENT_TYPES = frozenset({"BKG", "SHI", "SRM", "TRD", "ARN"})
MODES = frozenset({"VESSEL", "RAIL", "TRUCK", "BARGE"})


def event_uuid(source: str, event_id: str, stream_id: str) -> str:
    """The published eventID of the port event `(source, id)` logged at `stream_id`."""
    ms = int(str(stream_id).split("-", 1)[0]) & (2 ** 48 - 1)
    digest = int.from_bytes(hashlib.sha256(f"{source} {event_id}".encode()).digest()[:10], "big") >> 6
    high, low = digest >> 62, digest & (2 ** 62 - 1)  # 12 + 62 bits around the version and variant
    return str(uuid.UUID(int=(ms << 80) | (8 << 76) | (high << 64) | (0b10 << 62) | low))


def uuid_ms(event_uuid_text: str) -> int | None:
    """The log millisecond an eventID of ours names; None if it is no UUID of that layout."""
    try:
        value = uuid.UUID(event_uuid_text)
    except (ValueError, AttributeError, TypeError):
        return None
    return value.int >> 80 if value.version == 8 and value.variant == uuid.RFC_4122 else None


def stream_time(stream_id: str) -> str:
    """A stream id's milliseconds as an RFC 3339 UTC time: when the port logged the event."""
    return utc_text(int(str(stream_id).split("-", 1)[0]) / 1000)


def to_dcsa(event: dict, stream_id: str, port: str | None = None) -> dict | None:
    """A v1 event as stored in the log → a DCSA T&T 2.2 event, or None if 2.2 cannot say it.

    `port` is the port's UN/LOCODE (the profile's `unlocode`), used for the transport call when
    the event names no location of its own.
    """
    kind, code, when = _kind(event)
    if kind is None:
        return None
    out = {"eventID": event_uuid(event["source"], event["id"], stream_id), "eventType": kind,
           "eventClassifierCode": CLASSIFIERS.get(event.get("classifier") or "actual", "ACT"),
           "eventDateTime": when, "eventCreatedDateTime": stream_time(stream_id)}
    if kind == "SHIPMENT":
        return _shipment(event, code, out)
    if event.get("type") == "vessel.eta" and out["eventClassifierCode"] == "ACT":
        out["eventClassifierCode"] = "EST"  # an expected time is never an actual one
    out["transportCall"] = _transport_call(event, port)
    if kind == "TRANSPORT":
        out["transportEventTypeCode"] = code
        return out
    data = _data(event)
    out.update(equipmentEventTypeCode=code,
               equipmentReference=(event.get("container") or _str(data, "reference") or "")[:15],
               emptyIndicatorCode="EMPTY" if data.get("empty") is True else "LADEN")
    if not out["equipmentReference"]:
        del out["equipmentReference"]
    return out


def _data(event: dict) -> dict:
    return event["data"] if isinstance(event.get("data"), dict) else {}


def _str(mapping: dict, field: str) -> str | None:
    """A text value of a v1 event's free-form `data` (a partner may put a list or a number there)."""
    value = mapping.get(field)
    return value if isinstance(value, str) and value else None


def _kind(event: dict) -> tuple[str | None, str | None, str | None]:
    """(DCSA event type, type code, eventDateTime) of a v1 event; (None, None, None) if none."""
    kind = event.get("type")
    if kind in DIRECT:
        return (*DIRECT[kind], event.get("time"))
    if kind == "vessel.eta":
        return _vessel_eta(event)
    if kind != "document.event":
        return None, None, None
    data = _data(event)
    code, doc = _str(data, "code"), _str(data, "document_type")
    if doc == "transport" and code in TRANSPORT_CODES and _str(data, "mode") in MODES:
        return "TRANSPORT", code, event.get("time")
    if doc == "equipment" and code in EQUIPMENT_CODES:
        return "EQUIPMENT", code, event.get("time")
    if code in SHIPMENT_CODES and doc in DOCUMENT_TYPES and data.get("reference") not in (None, ""):
        return "SHIPMENT", code, event.get("time")
    return None, None, None


def _vessel_eta(event: dict) -> tuple[str | None, str | None, str | None]:
    """An ETA is an ARRI, an ETD a DEPA, dated by the expected time; one carrying both goes out
    as its ARRI (2.2 has one code per event)."""
    data = _data(event)
    code = _str(data, "code")
    if code in TRANSPORT_CODES:  # came in as DCSA: keep its code
        return "TRANSPORT", code, _str(data, "eta" if code == "ARRI" else "etd") or event.get("time")
    if _str(data, "eta"):
        return "TRANSPORT", "ARRI", data["eta"]
    if _str(data, "etd"):
        return "TRANSPORT", "DEPA", data["etd"]
    return None, None, None


def _transport_call(event: dict, port: str | None) -> dict:
    """The call the event belongs to: the vessel's (IMO, voyage) here, or a truck / train / barge."""
    data = _data(event)
    location = data.get("location") if isinstance(data.get("location"), dict) else {}
    locode = _str(location, "UNLocationCode")
    locode = locode if locode and len(locode) == 5 else port
    imo, voyage = event.get("vessel"), event.get("voyage")
    mode = _str(data, "mode") if _str(data, "mode") in MODES else None
    mode = mode or ("VESSEL" if imo or event.get("type") not in ("gate.in", "gate.out") else "TRUCK")
    call: dict = {"modeOfTransport": mode}
    if imo:
        call["transportCallID"] = ":".join(filter(None, (locode, str(imo), voyage)))[:100]
        vessel = {"vesselIMONumber": str(imo)[:7]}
        if _str(data, "name"):
            vessel["vesselName"] = data["name"][:35]
        call["vessel"] = vessel
    else:  # no vessel: the call of the truck (or train, barge) at this port
        truck = _str(data, "truck")
        call["transportCallID"] = ":".join(filter(None, (locode, mode, truck)))[:100]
    if voyage:
        call["carrierVoyageNumber"] = str(voyage)[:50]
    if locode:
        call["UNLocationCode"] = locode
    return call


def _shipment(event: dict, code: str, out: dict) -> dict:
    data = _data(event)
    out.update(shipmentEventTypeCode=code, documentTypeCode=data["document_type"],
               documentID=str(data["reference"]))
    return out
