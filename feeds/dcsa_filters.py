"""The DCSA Track & Trace 2.2 event filters: parsed once, matched against published DCSA events.

One parser for both places the filters come from: `GET /v2/events` query arguments (lists comma
separated, `eventCreatedDateTime:gte=…` range operators) and the body of an event subscription
(lists as JSON arrays). Between filters AND, within a list OR (TNT 2.2). A filter on a field an
event does not have excludes the event: `shipmentEventTypeCode=DRFT` returns shipment events only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

EVENT_TYPES = ("SHIPMENT", "TRANSPORT", "EQUIPMENT")
SHIPMENT = ("RECE", "DRFT", "PENA", "PENU", "REJE", "APPR", "ISSU", "SURR", "SUBM", "VOID", "CONF")
DOCUMENT_FILTER = ("CBR", "BKG", "SHI", "SRM", "TRD", "ARN", "VGM", "CAS", "CUS", "DGD", "OOG")
# query name → (attribute, allowed values); list filters, OR between values
LISTS = {
    "eventType": ("event_types", EVENT_TYPES),
    "shipmentEventTypeCode": ("shipment_codes", SHIPMENT),
    "transportEventTypeCode": ("transport_codes", ("ARRI", "DEPA")),
    "equipmentEventTypeCode": ("equipment_codes", ("LOAD", "DISC", "GTIN", "GTOT", "STUF", "STRP")),
    "documentTypeCode": ("document_types", DOCUMENT_FILTER),
    "transportDocumentTypeCode": ("transport_document_types", ("BOL", "SWB")),
}
# query name → (attribute, max length as the schema says); single values, equality
TEXTS = {
    "equipmentReference": ("equipment_reference", 15), "transportCallID": ("transport_call_id", 100),
    "vesselIMONumber": ("vessel_imo", 7), "carrierVoyageNumber": ("voyage", 50),
    "exportVoyageNumber": ("export_voyage", 50), "carrierServiceCode": ("service_code", 5),
    "UNLocationCode": ("unlocode", 5), "carrierBookingReference": ("booking", 35),
    "bookingReference": ("booking_deprecated", 35), "transportDocumentReference": ("document", 20),
    "transportDocumentID": ("document_id", 100), "scheduleID": ("schedule_id", 100),
}
CREATED = "eventCreatedDateTime"
OPERATORS = ("eq", "gte", "gt", "lte", "lt")


@dataclass(frozen=True)
class DcsaFilters:
    event_types: frozenset = frozenset()
    shipment_codes: frozenset = frozenset()
    transport_codes: frozenset = frozenset()
    equipment_codes: frozenset = frozenset()
    document_types: frozenset = frozenset()
    transport_document_types: frozenset = frozenset()
    texts: tuple = ()          # ((attribute, value), …) for the TEXTS filters given
    created: tuple = ()        # ((operator, epoch ms), …)

    def text(self, name: str) -> str | None:
        return dict(self.texts).get(name)


def invalid(message: str) -> dict:
    """One reason in the DCSA error shape (error domain 1.0.0 `subErrors`)."""
    return {"reason": "invalidQuery", "message": message}


def _values(raw: Any) -> list[str]:
    """A filter's values: a JSON array as it is, text split on commas; empty items dropped."""
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    out: list[str] = []
    for item in items:
        out.extend(part.strip() for part in str(item).split(","))
    return [value for value in out if value]


def parse_time_ms(text: str) -> int | None:
    """An RFC 3339 date-time with an offset → epoch ms. A `+` that a URL turned into a space
    (`…T14:12:56 01:00`) is taken back as `+`."""
    text = text.strip()
    if len(text) > 19 and text[-6] == " ":
        text = f"{text[:-6]}+{text[-5:]}"
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
        if "T" not in text.upper() or moment.tzinfo is None:
            return None
        return int(moment.timestamp() * 1000)
    except (ValueError, OverflowError):  # not a date-time, or one beyond the calendar's edges
        return None


def parse_filters(args: Mapping[str, Any], ignore: tuple = ()) -> tuple[DcsaFilters, list[dict]]:
    """Query arguments (or a subscription body) → (filters, every reason they are wrong).

    `args` maps a name to its value or values (a Werkzeug MultiDict gives `to_dict(flat=False)`);
    names in `ignore` (paging, `callbackUrl`…) are the caller's; any other unknown name is an error.
    """
    values, errors, texts, created = {}, [], [], []
    for name, raw in args.items():
        base, _, operator = name.partition(":")
        if name in ignore:
            continue
        if name in LISTS:
            attr, allowed = LISTS[name]
            items = _values(raw)
            bad = [item for item in items if item not in allowed]
            if bad:
                errors.append(invalid(f"{name}: {', '.join(bad)[:80]} not one of {', '.join(allowed)}"))
            values[attr] = frozenset(items) - set(bad)
        elif name in TEXTS:
            attr, limit = TEXTS[name]
            text = _single(raw)
            if len(text) > limit:
                errors.append(invalid(f"{name}: at most {limit} characters"))
            elif text:
                texts.append((attr, text))
        elif base == CREATED and (operator or "eq") in OPERATORS and (operator or name == base):
            for text in (raw if isinstance(raw, (list, tuple)) else [raw]):
                ms = parse_time_ms(str(text))
                if ms is None:
                    errors.append(invalid(f"{name}: {str(text)[:40]!r} is not a date-time with an offset"))
                else:
                    created.append((operator or "eq", ms))
        else:
            errors.append(invalid(f"{name[:60]}: unknown query parameter"))
    return DcsaFilters(**values, texts=tuple(sorted(texts)), created=tuple(created)), errors


def _single(raw: Any) -> str:
    if isinstance(raw, (list, tuple)):
        raw = raw[-1] if raw else ""
    return str(raw).strip()


def created_range_ms(filters: DcsaFilters) -> tuple[int, int] | None:
    """The eventCreatedDateTime bounds as inclusive epoch ms (a stream id range); None if empty."""
    low, high = 0, 2 ** 63 - 1
    for operator, ms in filters.created:
        if operator in ("eq", "gte", "gt"):
            low = max(low, ms + (operator == "gt"))
        if operator in ("eq", "lte", "lt"):
            high = min(high, ms - (operator == "lt"))
    return (low, high) if low <= high else None


def _created_ms(event: dict) -> int | None:
    text = event.get("eventCreatedDateTime")
    return parse_time_ms(text) if isinstance(text, str) else None


def matches(event: dict, filters: DcsaFilters) -> bool:
    """Whether a published DCSA event passes every filter (AND; OR within a list)."""
    for attr, field_name in (("event_types", "eventType"), ("shipment_codes", "shipmentEventTypeCode"),
                             ("transport_codes", "transportEventTypeCode"),
                             ("equipment_codes", "equipmentEventTypeCode"),
                             ("document_types", "documentTypeCode")):
        wanted = getattr(filters, attr)
        if wanted and event.get(field_name) not in wanted:
            return False
    if filters.transport_document_types:  # the port knows no bill of lading types
        return False
    if filters.created:
        bounds, ms = created_range_ms(filters), _created_ms(event)
        if bounds is None or ms is None or not bounds[0] <= ms <= bounds[1]:
            return False
    return all(_text_matches(event, attr, value) for attr, value in filters.texts)


def _text_matches(event: dict, attr: str, value: str) -> bool:
    call = event.get("transportCall") if isinstance(event.get("transportCall"), dict) else {}
    vessel = call.get("vessel") if isinstance(call.get("vessel"), dict) else {}
    found = {
        "equipment_reference": event.get("equipmentReference"),
        "transport_call_id": call.get("transportCallID"),
        "vessel_imo": vessel.get("vesselIMONumber"),
        "voyage": call.get("carrierVoyageNumber"), "export_voyage": call.get("carrierVoyageNumber"),
        "service_code": call.get("carrierServiceCode"), "unlocode": call.get("UNLocationCode"),
        "booking": _document(event, "BKG"), "booking_deprecated": _document(event, "BKG"),
        "document": _document(event, "TRD"), "document_id": _document(event, "TRD"),
    }.get(attr)
    return found is not None and found == value


def _document(event: dict, kind: str) -> str | None:
    """The id of the document of type `kind` a shipment event is about (BKG: booking, TRD: B/L)."""
    if event.get("documentTypeCode") == kind:
        return event.get("documentID")
    return None
