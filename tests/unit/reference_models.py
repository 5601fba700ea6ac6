"""From-scratch reference figures: the yardstick for the port state's incremental read models.

The state keeps its delay and count figures in read models brought up to date as each event
applies (order statistics per stage, late boxes tracked against a moving `now` boundary, late
counts per call, boxes pending per inspection site...). Such bookkeeping is easy to get subtly
wrong: a box that changes stage out of order, a `now` that moves backwards, a snapshot round trip.
This module is what they must agree with: the same public figures, computed the way git HEAD
c899c83 did (dashboard/state/delays.py, views.py, kpis.py and dashboard/wallview.py), by
scanning the state's primary data on every read.

It reads only primary data: `state.boxes` (number → box visits, and each visit's own fields:
stage, since, direction, held, call, timeline...), `state.calls` (each call's own fields and
timeline) and `state.profile`. It never reads `state.stage_members`, a call's `.boxes` set, the
time-window indexes or any other index, and it derives a box's call, a call's boxes and a
ship's latest call here from the same rules as HEAD instead of asking the state. Stage
membership is "every visit whose stage is set"; in port means `visit.in_port`.

Slow on purpose (everything is a full scan); meant for the small generated ports of
tests/unit/test_read_models.py.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np

from dashboard.state.timeline import CALL, CLASSIFIER, T, TYPE, entry_data, entry_view, iso
from feeds.profile import STAGE_PARTIES

HOUR = 3600.0
DAY = 24 * HOUR
WARN_SHARE = 0.75
DONE = {"import": "gated_out", "export": "loaded"}
PARTY = {"awaiting_discharge": "terminal", "awaiting_release": "customs", "in_inspection": "inspection",
         "awaiting_pickup": "trucking", "awaiting_gate_in": "trucking", "awaiting_loading": "terminal"}


# -- primary data, scanned ------------------------------------------------------------------------
def visits(state):
    """Every box visit of the state."""
    for box_visits in state.boxes.values():
        yield from box_visits


def stage_members(state) -> dict[tuple[str, str], list]:
    """(direction, stage) → the visits in port in that stage (finished visits left out)."""
    members: dict[tuple[str, str], list] = defaultdict(list)
    for box in visits(state):
        if box.stage is not None and box.in_port:
            members[(box.direction, box.stage)].append(box)
    return members


def call_span(entries) -> tuple[float, float]:
    """(first event, actual departure or open) of a call's own events."""
    departures = [e[T] for e in entries if e[TYPE] == "vessel.departed" and e[CLASSIFIER] == "actual"]
    return min(e[T] for e in entries), max(departures) if departures else math.inf


def call_of(state, box):
    """The call a box came or goes by; a box that named only its ship resolves to the voyage
    call whose span holds its lift, else to the ship's voyage-less call."""
    key = box.call
    if key is None:
        return None
    if key[1] is not None:
        return state.calls.get(key)
    t = box.discharged if box.discharged is not None else box.loaded if box.loaded is not None else box.start
    holding = [(span, call) for call in state.calls.values()
               if call.imo == key[0] and call.voyage is not None and call.timeline
               for span in [call_span(call.timeline)] if span[0] <= t <= span[1]]
    return max(holding, key=lambda item: item[0][0])[1] if holding else state.calls.get(key)


def boxes_of(state, call) -> set:
    """The visits that name the call, with (for a voyage call) those that named only its ship
    and resolve to it. (As HEAD: the ship's voyage-less call keeps every visit naming it.)"""
    own = {box for box in visits(state) if box.call == call.key}
    loose_key = (call.imo, None)
    if call.voyage is None or loose_key not in state.calls:
        return own
    return own | {box for box in visits(state) if box.call == loose_key and call_of(state, box) is call}


def calls_of_ship(state, imo: str) -> list:
    return [call for call in state.calls.values() if call.imo == imo]


def latest_call(state, imo: str):
    calls = calls_of_ship(state, imo)
    known = [c for c in calls if c.timeline] or calls
    return max(known, key=lambda c: (c.start, c.key[1] or "")) if known else None


# -- delays (HEAD dashboard/state/delays.py) --------------------------------------------------------
def sla_start(state, box) -> float | None:
    """When the stage's SLA clock started: awaiting discharge counts from its call's berthing."""
    if box.stage != "awaiting_discharge":
        return box.since
    call = call_of(state, box)
    return None if call is None else call.berthed


def sla_status(state, box, now: float) -> str | None:
    if not box.in_port:
        return None
    limit = state.profile.sla_hours.get(box.direction or "", {}).get(box.stage or "")
    start = sla_start(state, box)
    if limit is None or start is None:
        return None if limit is None else "ok"
    used = (now - start) / (limit * HOUR) if limit else float("inf")
    return "late" if used > 1 else "warn" if used > WARN_SHARE else "ok"


def stage_dwell(state, now: float) -> dict:
    members = stage_members(state)
    dwell = {}
    for direction, stages in STAGE_PARTIES.items():
        dwell[direction] = {}
        for stage in stages:
            if stage == DONE[direction]:
                continue
            hours = (now - np.array([box.since for box in members.get((direction, stage), ())], dtype=float)) / HOUR
            if hours.size:
                median, p90 = np.percentile(hours, [50, 90])
                dwell[direction][stage] = {"n": int(hours.size), "median": float(median), "p90": float(p90)}
            else:
                dwell[direction][stage] = {"n": 0, "median": None, "p90": None}
    return dwell


def late_boxes(state, now: float) -> list[tuple]:
    """(visit, delay hours) for every visit in port past its stage's SLA at `now`."""
    late = []
    for box in visits(state):
        if box.stage is None or not box.in_port:
            continue
        sla = state.profile.sla_hours[box.direction].get(box.stage)
        if sla is None:
            continue
        limit = now - sla * HOUR
        start = sla_start(state, box)
        if start is not None and start < limit:
            late.append((box, (limit - start) / HOUR))
    return late


def delay_by_stage(late: list[tuple]) -> dict[tuple, tuple[float, int, dict]]:
    """(direction, stage) → (delay hours, late boxes, party → delay hours)."""
    by_stage: dict[tuple, list] = defaultdict(lambda: [0.0, 0, defaultdict(float)])
    for box, hours in late:
        party = "customs" if box.held else PARTY[box.stage]
        record = by_stage[(box.direction, box.stage)]
        record[0] += hours
        record[1] += 1
        record[2][party] += hours
    return {key: (hours, n, dict(parties)) for key, (hours, n, parties) in by_stage.items()}


def delay_summary(state, now: float) -> dict:
    late = late_boxes(state, now)
    by_stage = delay_by_stage(late)
    by_party: dict[str, float] = defaultdict(float)
    for _, _, parties in by_stage.values():
        for party, hours in parties.items():
            by_party[party] += hours
    bottleneck = None
    if by_stage:
        (direction, stage), (hours, boxes, parties) = max(by_stage.items(), key=lambda item: (item[1][0], item[0]))
        bottleneck = {"direction": direction, "stage": stage, "party": max(parties, key=parties.get),
                      "delay_hours": hours, "boxes": boxes}
    return {"vessels": len(delayed_calls(state, now, late)), "containers": len(late),
            "bottleneck_stage": bottleneck, "by_party": dict(by_party)}


def delayed_calls(state, now: float, late: list[tuple] | None = None) -> dict:
    """Calls not departed that are delayed at `now` → the reasons for each."""
    late = late_boxes(state, now) if late is None else late
    late_per_call: dict = defaultdict(int)
    for box, _ in late:
        call = call_of(state, box)
        if call is not None:
            late_per_call[call.key] += 1
    tolerance = state.profile.berth_tolerance_hours * HOUR
    delayed = {}
    for key, call in state.calls.items():
        if call.departed is not None:
            continue
        reasons = []
        if call.eta is not None and call.berthed is not None and call.berthed - call.eta > tolerance:
            reasons.append("berthed_late")
        elif call.eta is not None and call.berthed is None and now - call.eta > tolerance:
            reasons.append("overdue")
        boxes = len(boxes_of(state, call)) if late_per_call.get(key) else 0
        if boxes and late_per_call[key] / boxes > state.profile.late_box_share:
            reasons.append("boxes_late")
        if reasons:
            delayed[key] = reasons
    return delayed


# -- views (HEAD dashboard/state/views.py and PortState.vessel) -----------------------------------
def ship_name(state, call) -> str | None:
    """The call's own name, else the latest (in event time, ties by name) that any vessel event or
    lift between ship and quay gave its ship: every timeline scanned."""
    if call.own_name:
        return call.own_name
    lifts = ("container.discharged", "container.loaded")
    entries = [e for other in state.calls.values() if other.imo == call.imo for e in other.timeline]
    entries += [e for box in visits(state) for e in box.timeline
                if e[TYPE] in lifts and e[CALL] is not None and e[CALL][0] == call.imo]
    named = [(e[T], entry_data(e).get("name")) for e in entries]
    named = [item for item in named if isinstance(item[1], str) and item[1]]
    return max(named)[1] if named else None


def box_row(state, box, now: float, delay_hours: float) -> dict:
    return {"number": box.number, "direction": box.direction, "stage": box.stage,
            "since": iso(box.since, state.profile.timezone),
            "hours_in_stage": (now - box.since) / 3600 if box.in_port else None,
            "sla": sla_status(state, box, now), "waiting_on": box.waiting_on,
            "late": delay_hours > 0, "delay_hours": delay_hours}


def hours_in_port(call, now: float) -> float | None:
    start = call.arrived if call.arrived is not None else call.berthed
    if start is None:
        return None
    return ((call.departed if call.departed is not None else now) - start) / 3600


def progress(boxes: set, call) -> dict:
    discharged = sum(1 for box in boxes if box.direction == "import" and box.discharged is not None)
    loaded = sum(1 for box in boxes if box.direction == "export" and box.loaded is not None)
    return {"discharged": discharged, "to_discharge": call.expected_import,
            "loaded": loaded, "to_load": call.expected_export}


def call_bottleneck(late: dict) -> dict | None:
    if not late:
        return None
    by_stage: dict[tuple, float] = {}
    for box, hours in late.items():
        key = (box.direction, box.stage, "customs" if box.held else box.waiting_on)
        by_stage[key] = by_stage.get(key, 0.0) + hours
    ranked = sorted(by_stage.items(), key=lambda item: (-item[1], item[0]))
    return {"stages": [{"direction": d, "stage": s, "party": p, "delay_hours": h} for (d, s, p), h in ranked],
            "total_delay_hours": sum(by_stage.values())}


def call_view(state, call, now: float, *, with_boxes: bool = True, late: list[tuple]) -> dict:
    zone = state.profile.timezone
    delayed = delayed_calls(state, now, late)
    boxes = boxes_of(state, call)
    view = {
        "imo": call.imo, "voyage": call.voyage, "name": ship_name(state, call), "status": call.status,
        "terminal": call.terminal, "berth": call.berth,
        "eta": iso(call.eta, zone), "etd": iso(call.etd, zone), "arrived": iso(call.arrived, zone),
        "berthed": iso(call.berthed, zone), "departed": iso(call.departed, zone),
        "hours_in_port": hours_in_port(call, now), "contradictory": call.contradictory,
        "delayed": call.key in delayed, "delay_reasons": delayed.get(call.key, []),
        "expected_boxes": {"import": call.expected_import, "export": call.expected_export},
        "progress": progress(boxes, call),
        "timeline": [entry_view(entry, zone) for entry in call.timeline],
    }
    if with_boxes:
        late_here = {box: hours for box, hours in late if box in boxes}
        view["boxes"] = [box_row(state, box, now, late_here.get(box, 0.0))
                         for box in sorted(boxes, key=lambda b: (b.number, b.start))]
        view["bottleneck"] = call_bottleneck(late_here)
    return view


def vessel_view(state, imo: str, now: float) -> dict | None:
    """`PortState.vessel(imo, now)`: the ship's latest call, with its earlier calls."""
    call = latest_call(state, imo)
    if call is None:
        return None
    late = late_boxes(state, now)
    view = call_view(state, call, now, late=late)
    view["earlier_calls"] = [call_view(state, other, now, with_boxes=False, late=late)
                             for other in sorted(calls_of_ship(state, imo), key=lambda c: c.start, reverse=True)
                             if other is not call]
    return view


def vessel_rows(state, now: float) -> list[dict]:
    """`PortState.vessel_list(now)`."""
    delayed = delayed_calls(state, now)
    zone = state.profile.timezone
    rows = []
    for call in state.calls.values():
        if call.departed is not None and now - call.departed > 24 * 3600:
            continue
        rows.append({"imo": call.imo, "voyage": call.voyage, "name": ship_name(state, call), "status": call.status,
                     "terminal": call.terminal, "berth": call.berth, "eta": iso(call.eta, zone),
                     "berthed": iso(call.berthed, zone), "departed": iso(call.departed, zone),
                     "hours_in_port": hours_in_port(call, now), "progress": progress(boxes_of(state, call), call),
                     "delayed": call.key in delayed, "delay_reasons": delayed.get(call.key, [])})
    rows.sort(key=lambda row: (not row["delayed"], row["eta"] or row["berthed"] or "", row["imo"]))
    return rows


# -- KPIs (HEAD dashboard/state/kpis.py) ------------------------------------------------------------
def summary(values) -> dict:
    array = np.array(list(values), dtype=float)
    if array.size == 0:
        return {"median": None, "p90": None, "n": 0}
    median, p90 = np.percentile(array, [50, 90])
    return {"median": float(median), "p90": float(p90), "n": int(array.size)}


BASELINE_DAYS = 7
BASELINE_MIN_BOXES = 30  # a test may lower it, with kpis.BASELINE_MIN_BOXES (test_read_models.py)


def with_baseline(figures: dict, before: list[float], now: float, zone) -> dict:
    """The mean against the mean of the same definition over the 7 days before the last 24 h."""
    mean = sum(before) / len(before) if before and len(before) >= BASELINE_MIN_BOXES else None
    change = (figures["mean"] - mean) / mean * 100 if mean and figures["mean"] is not None else None
    window = {"from": iso(now - DAY - BASELINE_DAYS * DAY, zone), "to": iso(now - DAY, zone), "n": len(before),
              "min_n": BASELINE_MIN_BOXES}
    return {**figures, "baseline": mean, "change_pct": change, "baseline_window": window}


def clearance_summary(values: list[float]) -> dict:
    return {**summary(values), "mean": sum(values) / len(values) if values else None}


def ended_between(state, start: float, end: float) -> list:
    """Visits that ended (import gate-out, export loading) with start < end time ≤ end."""
    return [box for box in visits(state) if box.end is not None and start < box.end <= end]


def container_counts(state, now: float) -> dict:
    members = stage_members(state)
    ended = Counter("export" if box.transhipment else box.direction for box in ended_between(state, now - DAY, now))
    counts = {"in_port": 0}
    for direction, stages in STAGE_PARTIES.items():
        counts[direction] = {}
        for stage in stages:
            if stage == DONE[direction]:
                counts[direction][stage] = ended[direction]
            else:
                n = len(members.get((direction, stage), ()))
                counts[direction][stage] = n
                counts["in_port"] += n
    return counts


def clearance(state, now: float) -> tuple[dict, dict]:
    """Import: the call's arrival (else its berthing) → gate-out; export: gate-in → release;
    over the last 24 h, and the same over the 7 days before for the baseline. Arrival-to-pickup:
    berthing → gate-out of import boxes never inspected, over the last 24 h."""
    windows = {"now": (now - DAY, now), "before": (now - DAY - BASELINE_DAYS * DAY, now - DAY)}
    hours = {(direction, window): [] for direction in ("import", "export") for window in windows}
    pickup_hours = []
    for box in visits(state):
        for window, (start, end) in windows.items():
            if box.direction == "import" and box.gated_out is not None and start < box.gated_out <= end:
                call = call_of(state, box)
                if call is None:
                    continue
                clock = call.arrived if call.arrived is not None else call.berthed
                if clock is not None:
                    hours[("import", window)].append((box.gated_out - clock) / HOUR)
                if window == "now" and call.berthed is not None and box.ordered == 0:
                    pickup_hours.append((box.gated_out - call.berthed) / HOUR)
            if (box.direction == "export" and box.released is not None and start < box.released <= end
                    and box.gated_in is not None):
                hours[("export", window)].append(max(0.0, box.released - box.gated_in) / HOUR)
    zone = state.profile.timezone
    result = {direction: with_baseline(clearance_summary(hours[(direction, "now")]), hours[(direction, "before")],
                                       now, zone) for direction in ("import", "export")}
    return result, summary(pickup_hours)


def diversion(state, now: float) -> dict:
    ended = ended_between(state, now - DAY, now)
    diverted = sum(1 for box in ended if box.diverted)
    n = len(ended)
    return {"share": diverted / n if n else None,
            "moves_per_box": sum(box.moves for box in ended) / n if n else None,
            "moves_saved": diverted, "hours_saved": diverted * state.profile.yard_transfer_hours, "n": n}


def kpi_figures(state, now: float) -> dict:
    """The parts of `state.kpis(now)` that the read models feed."""
    clearance_hours, arrival_to_pickup = clearance(state, now)
    return {"containers": container_counts(state, now), "stage_dwell": stage_dwell(state, now),
            "delays": delay_summary(state, now), "clearance_hours": clearance_hours,
            "arrival_to_pickup_hours": arrival_to_pickup, "diversion": diversion(state, now)}


# -- the wall's schematic (HEAD dashboard/wallview.py) ---------------------------------------------
def inspection_site(box) -> str | None:
    """The site of the visit's latest actual inspection order."""
    for entry in reversed(box.timeline):
        if entry[TYPE] == "customs.inspection_ordered" and entry[CLASSIFIER] == "actual":
            return entry_data(entry).get("site")
    return None


def schematic_pending(state) -> dict:
    """`wallview.schematic(state)["pending"]`: boxes in inspection per site (None: no site)."""
    pending: dict[str | None, int] = {}
    for box in visits(state):
        if box.stage == "in_inspection" and box.in_port:
            site = inspection_site(box)
            pending[site] = pending.get(site, 0) + 1
    return pending
