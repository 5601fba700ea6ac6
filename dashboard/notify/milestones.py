"""Milestones: what a watcher is told about (docs/notifications.md, "Milestones"). Pure: a v1
event and the state after it was applied in, milestones out; no Redis, no Flask.

A milestone is `{kind, subject, at, event_id, target}` (target: the visit or call object); the
subject is `("box", number, visit_start)` or
`("vessel", imo, voyage)`, so a box's second visit is a new subject and is told about again.
`notice_id` turns (subject, kind) into the stable id every recipient's copy carries.
"""

from __future__ import annotations

import hashlib

from dashboard.state.timeline import DATA, entry_data, event_time, iso

BOX_MILESTONES = {"customs.released": "released", "customs.inspection_ordered": "inspection_ordered",
                  "inspection.completed": "inspection_done"}
# events after which an import box may have become ready for pickup (discharged, released, no
# inspection outstanding, not held)
PICKUP_TRIGGERS = frozenset({"customs.released", "container.discharged", "inspection.completed"})
KINDS = ("released", "inspection_ordered", "inspection_done", "ready_for_pickup", "vessel_berthed",
         "vessel_delayed")


def notice_id(subject: tuple, kind: str) -> str:
    """The same for every recipient, every replica and every restart: the dedupe key."""
    text = "|".join(str(part) for part in (*subject, kind))
    return "n-" + hashlib.sha256(text.encode()).hexdigest()[:24]


def box_subject(visit) -> tuple:
    return ("box", visit.number, int(visit.start * 1000))  # ms: the same text on every replica


def vessel_subject(call) -> tuple:
    return ("vessel", call.imo, call.voyage or "")


def visit_at(state, number: str, t: float):
    """The visit of the box that holds the moment `t`: the last one begun by then."""
    visits = state.boxes.get(number) or []
    held = [visit for visit in visits if visit.start <= t]
    return held[-1] if held else (visits[0] if visits else None)


def call_at(state, imo: str, voyage: str | None):
    calls = state.calls_by_imo.get(imo) or []
    named = [call for call in calls if voyage is None or call.voyage in (None, voyage)]
    return named[-1] if named else None


def ready_for_pickup(visit, t: float) -> bool:
    """Import, discharged, released, no inspection outstanding, not held, not yet gated out by `t`."""
    return (visit.direction == "import" and not visit.transhipment and visit.discharged is not None
            and visit.released is not None and visit.ordered <= visit.completed and not visit.held
            and (visit.gated_out is None or visit.gated_out > t))


def milestones(event: dict, state) -> list[dict]:
    """The milestones one applied event makes (vessel delays are `delayed_milestone`'s)."""
    if event.get("classifier", "actual") != "actual":
        return []
    kind, t = event["type"], event_time(event["time"])
    at, event_id = iso(t), f"{event['source']}/{event['id']}"
    if kind == "vessel.berthed":
        call = call_at(state, event["vessel"], event.get("voyage"))
        subject = vessel_subject(call) if call else ("vessel", event["vessel"], event.get("voyage") or "")
        return [{"kind": "vessel_berthed", "subject": subject, "at": at, "event_id": event_id, "target": call}]
    number = event.get("container")
    visit = visit_at(state, number, t) if number else None
    if visit is None:
        return []
    found = []
    if kind in BOX_MILESTONES:
        found.append({"kind": BOX_MILESTONES[kind], "subject": box_subject(visit), "at": at, "event_id": event_id,
                      "target": visit})
    if kind in PICKUP_TRIGGERS and ready_for_pickup(visit, t):
        found.append({"kind": "ready_for_pickup", "subject": box_subject(visit), "at": at, "event_id": event_id,
                      "target": visit})
    return found


def delayed_milestone(call, reasons: list[str], now: float) -> dict:
    return {"kind": "vessel_delayed", "subject": vessel_subject(call), "at": iso(now), "event_id": None,
            "reasons": list(reasons), "target": call}


def declarations_of(visit) -> set[str]:
    """The customs declarations a visit's events name (a watcher of one is a watcher of the box)."""
    found = set()
    for entry in visit.timeline:
        if entry[DATA] is not None and b'"declaration"' in entry[DATA]:
            value = entry_data(entry).get("declaration")
            if isinstance(value, str):
                found.add(value)
    return found


def subject_link(subject: tuple) -> str:
    """The page a notice leads to."""
    return f"/track/box/{subject[1]}" if subject[0] == "box" else f"/vessels/{subject[1]}"

