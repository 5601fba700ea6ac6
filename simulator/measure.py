"""Figures measured from a run's v1 events alone (never from the simulator's own counters), with
the definitions the port's published figures use, so that a simulated change can be held
against a published one.

Pure functions over lists of event dicts; only `classifier` actual events count (the default).
Window bounds are epoch seconds, or aware datetimes.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime

# How a box leaves the quay for good: at the inspection site, or on a road truck.
FIRST_DESTINATIONS = {"container.discharged": ("inspection", "direct"),
                      "container.moved": ("inspection", "truck")}
DIVERTED = ("inspection", "direct")   # `container.discharged` data.to of a diverted box
LIFTS = ("container.discharged", "container.moved")  # moves at the terminal before it leaves

CLEARANCE_DEFINITION = (
    "Overall clearance time (整体通关时间) as China Customs (GAC) publishes it, a mean over boxes. "
    "Import: from the entry of the ship that carries the box (运输工具申报进境: its call's "
    "vessel.arrived; a call without one falls back to its vessel.berthed, counted as "
    "from_berthed) to the box's gate.out (提离). Export: from the box's gate.in (运抵, its arrival "
    "in the customs-supervised area) to its first customs.released (放行); a release before the "
    "gate-in counts as 0 h. Boxes chosen by when the clock starts: import boxes whose call "
    "arrived in the window, export boxes that gated in in it; a box whose clock has not stopped "
    "by the end of the run is left out and counted as open.")


def seconds(moment) -> float:
    """Epoch seconds of an event's `time` text, an aware datetime, or a number."""
    if isinstance(moment, str):
        return datetime.fromisoformat(moment).timestamp()
    if isinstance(moment, datetime):
        return moment.timestamp()
    return float(moment)


def is_actual(event: dict) -> bool:
    return event.get("classifier", "actual") == "actual"


def box_timelines(events: list[dict]) -> dict[str, list[tuple[float, dict]]]:
    """Each box's actual events, in time order (ties keep the log's order), with their seconds."""
    boxes: dict[str, list[tuple[float, dict]]] = defaultdict(list)
    for event in events:
        if "container" in event and is_actual(event):
            boxes[event["container"]].append((seconds(event["time"]), event))
    for timeline in boxes.values():
        timeline.sort(key=lambda item: item[0])
    return boxes


def call_entries(events: list[dict]) -> dict[tuple, tuple[float, str]]:
    """Each call's (vessel, voyage) → (when its clock starts, "arrived" or "berthed")."""
    arrived: dict[tuple, float] = {}
    berthed: dict[tuple, float] = {}
    for event in events:
        if event["type"] in ("vessel.arrived", "vessel.berthed") and is_actual(event):
            table = arrived if event["type"] == "vessel.arrived" else berthed
            key = (event.get("vessel"), event.get("voyage"))
            table[key] = min(table.get(key, float("inf")), seconds(event["time"]))
    entries = {key: (at, "berthed") for key, at in berthed.items()}
    entries.update({key: (at, "arrived") for key, at in arrived.items()})
    return entries


def summary(hours: list[float]) -> dict:
    """Mean, median and n of a list of hours (None for an empty list)."""
    return {"mean": statistics.fmean(hours) if hours else None,
            "median": statistics.median(hours) if hours else None, "n": len(hours)}


def first(timeline: list[tuple[float, dict]], kind: str) -> float | None:
    return next((at for at, event in timeline if event["type"] == kind), None)


def import_clearance(timeline, entries, start: float, end: float):
    """(hours or None when still open, from_berthed) for an import box in the window, else None."""
    call = next(((e.get("vessel"), e.get("voyage")) for _, e in timeline if e.get("vessel")), None)
    entry = entries.get(call)
    if entry is None or not start <= entry[0] < end:
        return None
    out = first(timeline, "gate.out")
    return (None if out is None else (out - entry[0]) / 3600, entry[1] == "berthed")


def export_clearance(timeline, start: float, end: float):
    """(hours or None when still open,) for an export box that gated in in the window, else None."""
    gate_in = first(timeline, "gate.in")
    if gate_in is None or not start <= gate_in < end:
        return None
    released = first(timeline, "customs.released")
    return (None if released is None else max(0.0, released - gate_in) / 3600,)


def clearance_hours(events: list[dict], start, end) -> dict:
    """Overall clearance time per direction, as GAC publishes it (CLEARANCE_DEFINITION):
    {"import": {"mean", "median", "n", "open", "from_berthed"}, "export": {"mean", "median", "n",
    "open"}}. The import clock starts at the call's `vessel.arrived` (its `vessel.berthed` when
    the call has no arrival) and stops at the box's `gate.out`; the export clock starts at the
    box's `gate.in` and stops at its first `customs.released`."""
    start, end = seconds(start), seconds(end)
    entries = call_entries(events)
    hours = {"import": [], "export": []}
    open_boxes = {"import": 0, "export": 0}
    from_berthed = 0
    for timeline in box_timelines(events).values():
        direction = timeline[0][1].get("direction")
        if direction == "import":
            found = import_clearance(timeline, entries, start, end)
            from_berthed += bool(found and found[0] is not None and found[1])
        elif direction == "export":
            found = export_clearance(timeline, start, end)
        else:
            continue
        if found is not None:
            if found[0] is None:
                open_boxes[direction] += 1
            else:
                hours[direction].append(found[0])
    report = {direction: {**summary(values), "open": open_boxes[direction]} for direction, values in hours.items()}
    report["import"]["from_berthed"] = from_berthed
    return report


def diverted_boxes(events: list[dict], start=None, end=None) -> set[str]:
    """Boxes whose discharge sent them straight to inspection or onto a truck (data.to), the
    discharge in [start, end) when a window is given."""
    low = float("-inf") if start is None else seconds(start)
    high = float("inf") if end is None else seconds(end)
    return {event["container"] for event in events
            if event["type"] == "container.discharged" and is_actual(event)
            and (event.get("data") or {}).get("to") in DIVERTED and low <= seconds(event["time"]) < high}


def reaches_first_destination(event: dict) -> bool:
    return (event.get("data") or {}).get("to") in FIRST_DESTINATIONS.get(event["type"], ())


def first_destination(timeline: list[tuple[float, dict]]) -> dict | None:
    """{"moves", "hours"} from the box's discharge to its first destination: the inspection site
    (the lift that sends it there: a discharge or a move `to` inspection; the trip after it, the
    same in both flows, is not counted) or the road (its gate.out on the truck, after a discharge
    `to` direct or a move `to` truck: "unloading to lift-off", as Shenzhen reports its ship-side
    pickup). Moves count discharges and moves up to the lift that sent it. None when the box was
    not discharged or had not got there by the end of the run."""
    discharged, moves, road = None, 0, False
    for at, event in timeline:
        kind = event["type"]
        if kind == "container.discharged" and discharged is None:
            discharged = at
        if discharged is None:
            continue
        if road and kind == "gate.out":
            return {"moves": moves, "hours": (at - discharged) / 3600}
        if road or kind not in LIFTS:
            continue
        moves += 1
        if reaches_first_destination(event):
            if (event.get("data") or {}).get("to") == "inspection":
                return {"moves": moves, "hours": (at - discharged) / 3600}
            road = True
    return None


def first_destinations(events: list[dict], boxes=None) -> dict[str, dict]:
    """container → first_destination for the given boxes (every discharged box by default)."""
    wanted = None if boxes is None else set(boxes)
    found = {}
    for number, timeline in box_timelines(events).items():
        if wanted is None or number in wanted:
            result = first_destination(timeline)
            if result is not None:
                found[number] = result
    return found


def change_pct(before: float | None, after: float | None) -> float | None:
    """(after − before) / before × 100, negative = fewer / faster; None when undefined."""
    if before is None or after is None or before == 0:
        return None
    return (after - before) / before * 100


def pair_boxes(before: dict[str, dict], after: dict[str, dict]) -> list[tuple[dict, dict]]:
    """(before, after) first_destination figures of the boxes found in both runs, by number."""
    return [(before[number], after[number]) for number in sorted(after) if number in before]


def paired_summary(pairs: list[tuple[dict, dict]]) -> dict:
    """{"moves": {"before", "after", "change_pct"}, "hours_to_first_destination": {…}, "n"}:
    means over the pairs (pool several runs' pairs by adding the lists)."""
    report = {}
    for figure, key in (("moves", "moves"), ("hours_to_first_destination", "hours")):
        was = statistics.fmean(b[key] for b, _ in pairs) if pairs else None
        now = statistics.fmean(a[key] for _, a in pairs) if pairs else None
        report[figure] = {"before": was, "after": now, "change_pct": change_pct(was, now)}
    report["n"] = len(pairs)
    return report


def diverted_pairs(before_events: list[dict], after_events: list[dict], start=None, end=None) -> dict:
    """Diverted boxes of the "after" run (discharged in the window, if given) against the same
    boxes (the same container numbers) in the "before" run, as paired_summary."""
    diverted = diverted_boxes(after_events, start, end)
    return paired_summary(pair_boxes(first_destinations(before_events, diverted),
                                     first_destinations(after_events, diverted)))
