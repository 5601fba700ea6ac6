"""Event model v1 (docs/events.md): check one event, normalise it, and say every problem as data.

`validate_event(raw)` → `(event, [])` with the canonical event, or `(None, problems)` where each
problem is `{"field": ..., "problem": ...}`. Nothing here raises on bad input.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from feeds.identifiers import check_container, check_imo

SERVICE_TYPES = frozenset({
    "service.boarding_requested", "service.boarding_released", "service.health_declared",
    "service.cert_requested", "service.cert_deposited", "service.cert_picked_up",
})
# Types that name a box: they need `container` and `direction`.
BOX_TYPES = frozenset({
    "container.discharged", "container.loaded", "container.moved", "gate.in", "gate.out",
    "customs.inspection_ordered", "customs.released", "customs.hold", "inspection.completed",
})
VESSEL_TYPES = frozenset({"vessel.eta", "vessel.arrived", "vessel.berthed", "vessel.departed"})
# Types that need `vessel`: the vessel events and the two lifts between ship and quay.
NEEDS_VESSEL = VESSEL_TYPES | {"container.discharged", "container.loaded"}
# A partner takes back an event it sent: `data.retracted_id` names it (docs/events.md)
RETRACTED = "event.retracted"
EVENT_TYPES = BOX_TYPES | VESSEL_TYPES | SERVICE_TYPES | {
    "declaration.filed", "document.event", "clock.tick", RETRACTED}

CLASSIFIERS = ("actual", "estimated", "planned")
DIRECTIONS = ("import", "export")
FIELDS = frozenset({"id", "type", "time", "classifier", "source", "container", "vessel",
                    "voyage", "direction", "data", "origin", "parties"})
ORIGINS = ("dcsa",)  # `origin`: the standard an event was mapped from (feeds/dcsa.py)
MAX_ID_LENGTH = 128
MAX_AHEAD = timedelta(days=1)

_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d{1,9})?([Zz]|[+-]\d\d:\d\d)")
_SOURCE = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,63}")
# `parties`: {role: organisation id}, the organisations a box or call is for (docs/events.md)
PARTY_ROLES = ("trucking", "broker", "consignee", "shipper", "forwarder", "agent", "carrier", "terminal",
               "customs")
MAX_PARTIES = 16
# the source's syntax: a partner (`trucking.x`) is an organisation id too
_ORGANISATION = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")

# Known `data` values that have a closed vocabulary: a wrong one is an error, a missing one is not.
DATA_CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "container.discharged": {"to": ("inspection", "yard", "direct")},
    "container.moved": {"from": ("yard", "inspection", "truck"), "to": ("yard", "inspection", "truck")},
    "customs.inspection_ordered": {"mode": ("physical", "scan")},
    "inspection.completed": {"result": ("pass", "hold")},
}
DATA_TIMES = {"vessel.eta": ("eta", "etd")}
# Known `data` values that are names or references: text, when given (the pages and search read them)
# (`name` is the ship's, on vessel events and the two lifts: the vessel's call shows it)
DATA_TEXTS: dict[str, tuple[str, ...]] = {
    "vessel.eta": ("name", "terminal", "berth"), "vessel.arrived": ("name", "anchorage"),
    "vessel.berthed": ("name", "terminal", "berth"), "vessel.departed": ("name",),
    "declaration.filed": ("declaration",),
    "customs.inspection_ordered": ("declaration", "site"), "customs.released": ("declaration",),
    "customs.hold": ("reason", "declaration"), "container.discharged": ("name", "berth", "crane"),
    "container.loaded": ("name", "berth", "crane"), "gate.in": ("gate", "truck"), "gate.out": ("gate", "truck"),
    "inspection.completed": ("site",), "document.event": ("code", "document_type", "reference"),
}
MAX_TEXT = 200
# Times the state can place in any time zone: far-past and far-future years are typing errors
EARLIEST, LATEST = datetime(1970, 1, 2, tzinfo=timezone.utc), datetime(2200, 1, 1, tzinfo=timezone.utc)
DATA_COUNTS = {"vessel.eta": ("containers_import", "containers_export")}


MAX_DEPTH = 32  # nesting levels of one event (the event, its data, a location…): deeper is no event


def utc_text(epoch: float) -> str:
    """An epoch as RFC 3339 UTC to the millisecond (`2026-11-27T07:02:11.120Z`): how the port
    writes the times it makes itself (log, dead letters, DCSA out, deliveries)."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Nested deeper than `limit`? Walked without recursion: any depth is safe to ask about."""
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:  # containers only: an event is mostly scalars, each checked on its own
        item, depth = stack.pop()
        if depth > limit:
            return True
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return False


DEEP = f"nested deeper than {MAX_DEPTH} levels"


def problem(field: str, text: str) -> dict[str, str]:
    return {"field": field, "problem": text}


def parse_time(value: Any) -> tuple[datetime | None, str | None]:
    """RFC 3339 with an offset or Z → aware datetime, or (None, problem)."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        return None, "not an RFC 3339 time with offset, e.g. 2026-11-27T15:02:11+08:00"
    try:
        moment = datetime.fromisoformat(value.upper())
    except ValueError:
        return None, "not a real date and time"
    if not EARLIEST <= moment < LATEST:
        return None, "outside the years 1970 to 2199"
    return moment, None


def _check_text(event: dict, name: str, limit: int, errors: list, required: bool) -> None:
    value = event.get(name)
    if value is None:
        if required:
            errors.append(problem(name, "required"))
    elif not isinstance(value, str) or not value:
        errors.append(problem(name, "must be a non-empty string"))
    elif len(value) > limit:
        errors.append(problem(name, f"longer than {limit} characters"))


def _check_common(event: dict, errors: list, now: datetime | None, allow_ticks: bool) -> None:
    unknown = sorted(set(event) - FIELDS)
    if unknown:
        errors.append(problem(",".join(unknown), "not a field of event v1 (extra details go under data)"))
    _check_text(event, "id", MAX_ID_LENGTH, errors, required=True)
    kind = event.get("type")
    if kind is None:
        errors.append(problem("type", "required"))
    elif not isinstance(kind, str) or kind not in EVENT_TYPES or (kind == "clock.tick" and not allow_ticks):
        errors.append(problem("type", f"unknown event type {str(kind)[:80]!r}"))
    when, time_problem = parse_time(event.get("time")) if "time" in event else (None, "required")
    if time_problem:
        errors.append(problem("time", time_problem))
    elif now is not None and when - now > MAX_AHEAD:
        errors.append(problem("time", "more than 1 day ahead of now"))
    source = event.get("source")
    if source is None:
        errors.append(problem("source", "required"))
    elif not isinstance(source, str) or not _SOURCE.fullmatch(source):
        errors.append(problem("source", "must be a partner name such as terminal.haitian"))
    if event.get("classifier", "actual") not in CLASSIFIERS:
        errors.append(problem("classifier", "must be actual, estimated or planned"))
    if event.get("origin") is not None and event["origin"] not in ORIGINS:
        errors.append(problem("origin", "must be dcsa (or left out)"))


def _check_number(event: dict, name: str, required: bool, check, errors: list) -> None:
    """A container or vessel number: checked, and replaced by its canonical form."""
    value = event.get(name)
    if value is None:
        if required:
            errors.append(problem(name, "required"))
        return
    if not isinstance(value, str) or len(value) > 32:
        errors.append(problem(name, "must be a string of at most 32 characters"))
        return
    canonical, why = check(value)
    if why:
        errors.append(problem(name, why))
    else:
        event[name] = canonical


def is_organisation(value: Any) -> bool:
    """An organisation id: lower case, `[a-z0-9][a-z0-9._-]{0,63}` (a partner's source is one)."""
    return isinstance(value, str) and _ORGANISATION.fullmatch(value) is not None


def _check_parties(event: dict, errors: list) -> None:
    """Each bad entry is its own reason, so that a partner fixes them all in one go."""
    parties = event.get("parties")
    if parties is None:
        return
    if not isinstance(parties, dict):
        errors.append(problem("parties", "must be an object {role: organisation id}"))
        return
    if len(parties) > MAX_PARTIES:  # one reason, not one per entry of an arbitrarily big object
        errors.append(problem("parties", f"more than {MAX_PARTIES} entries"))
        return
    for role, organisation in parties.items():
        field = f"parties.{str(role)[:64]}"
        if role not in PARTY_ROLES:
            errors.append(problem(field, "unknown role; known: " + ", ".join(PARTY_ROLES)))
        elif not is_organisation(organisation):
            errors.append(problem(field, "must be an organisation id (lower case letters, digits, '.', '_', '-';"
                                         " a letter or digit first; at most 64 characters)"))


def _check_identity(event: dict, kind: Any, errors: list) -> None:
    kind = kind if isinstance(kind, str) else None
    needs_box = kind in BOX_TYPES
    _check_number(event, "container", needs_box, check_container, errors)
    _check_number(event, "vessel", kind in NEEDS_VESSEL, check_imo, errors)
    _check_text(event, "voyage", 32, errors, required=False)
    direction = event.get("direction")
    if direction is None and needs_box and event.get("origin") != "dcsa":  # DCSA carries no direction
        errors.append(problem("direction", "required"))
    elif direction is not None and direction not in DIRECTIONS:
        errors.append(problem("direction", "must be import or export"))


def _check_data(event: dict, kind: Any, errors: list) -> None:
    data = event.get("data")
    if data is None:
        return
    if not isinstance(data, dict):
        errors.append(problem("data", "must be an object"))
        return
    kind = kind if isinstance(kind, str) else None
    for key, choices in DATA_CHOICES.get(kind, {}).items():
        if key in data and data[key] not in choices:
            errors.append(problem(f"data.{key}", "must be one of " + ", ".join(choices)))
    for key in DATA_TIMES.get(kind, ()):
        if key in data and parse_time(data[key])[1]:
            errors.append(problem(f"data.{key}", parse_time(data[key])[1]))
    for key in DATA_TEXTS.get(kind, ()):
        value = data.get(key)
        if key in data and value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
            errors.append(problem(f"data.{key}", f"must be text of at most {MAX_TEXT} characters"))
    for key in DATA_COUNTS.get(kind, ()):
        value = data.get(key)
        if key in data and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            errors.append(problem(f"data.{key}", "must be a whole number ≥ 0"))


RETRACTION_FIELDS = ("container", "vessel", "voyage", "direction")


def _check_retraction(event: dict, errors: list) -> None:
    """A retraction names only the sender's event it takes back: no box, ship or other details."""
    for name in RETRACTION_FIELDS:
        if event.get(name) is not None:
            errors.append(problem(name, "a retraction names only the event it takes back (data.retracted_id)"))
    if event.get("parties"):  # the taken-back event's parties are its own; {} says nothing
        errors.append(problem("parties", "a retraction names only the event it takes back (data.retracted_id)"))
    if event.get("classifier", "actual") != "actual":
        errors.append(problem("classifier", "a retraction is actual (or left out)"))
    data = event.get("data")
    target = data.get("retracted_id") if isinstance(data, dict) else None
    if not isinstance(data, dict):
        errors.append(problem("data", "required: an object with retracted_id"))
    elif not isinstance(target, str) or not target:
        errors.append(problem("data.retracted_id", "required: the id of your earlier event (a string)"))
    elif len(target) > MAX_ID_LENGTH:
        errors.append(problem("data.retracted_id", f"longer than {MAX_ID_LENGTH} characters"))
    elif target == event.get("id"):
        errors.append(problem("data.retracted_id", "an event cannot take back itself"))


def validate_event(raw: Any, *, now: datetime | None = None,
                   allow_ticks: bool = False) -> tuple[dict | None, list[dict]]:
    """Check one event of v1. `now` (wall clock only) rejects times more than a day ahead."""
    if not isinstance(raw, dict):
        return None, [problem("", "an event must be a JSON object")]
    if too_deep(raw):
        return None, [problem("", DEEP)]
    event = dict(raw)
    errors: list[dict] = []
    _check_common(event, errors, now, allow_ticks)
    kind = event.get("type")
    if kind == RETRACTED:
        _check_retraction(event, errors)
    else:
        _check_identity(event, kind, errors)
        _check_parties(event, errors)
        _check_data(event, kind, errors)
    if errors:
        return None, errors
    event.setdefault("classifier", "actual")
    return event, []


def idempotency_key(event: dict) -> str:
    """`(source, id)` as one string; sources hold no spaces, so the first space splits it."""
    return f"{event['source']} {event['id']}"
