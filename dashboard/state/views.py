"""Plain-dict views of one box and one vessel call, for the read API and the pages."""

from __future__ import annotations

from dashboard.state import retractions
from dashboard.state.boxes import BoxVisit, direction_conflicts
from dashboard.state.calls import VesselCall
from dashboard.state.delays import call_delay_reasons, delayed_calls, sla_at, sla_clock, sla_figures, sla_status
from dashboard.state.timeline import iso

VIEW_PARTS_KEPT = 100_000  # box-table rows and orders kept between reads: a few big calls' worth
NEXT_STEP = {  # stage → (what happens next, who owns it)
    "awaiting_discharge": ("container.discharged", "terminal"),
    "awaiting_release": ("customs.released", "customs"),
    "in_inspection": ("inspection.completed", "inspection"),
    "awaiting_pickup": ("gate.out", "trucking"),
    "awaiting_gate_in": ("gate.in", "trucking"),
    "awaiting_loading": ("container.loaded", "terminal"),
}


def box_view(state, box: BoxVisit, now: float, *, visits: int = 1) -> dict:
    zone = state.profile.timezone
    next_step = NEXT_STEP.get(box.stage) if box.in_port else None
    if next_step and box.held:
        next_step = ("customs.released", "customs")
    call = state.call_of(box)
    sla = sla_status(state, box, now)
    return {
        "number": box.number, "direction": box.direction, "transhipment": box.transhipment,
        "direction_conflicts": direction_conflicts(box), "stage": box.stage, "since": iso(box.since, zone),
        "hours_in_stage": (now - box.since) / 3600 if box.in_port else None,
        "waiting_on": box.waiting_on, "held": box.held, "diverted": box.diverted, "moves": box.moves,
        "late": sla == "late", "sla": sla,
        "vessel": call.imo if call else None, "vessel_name": call.name if call else None,
        "voyage": call.voyage if call else None,
        "next": {"type": next_step[0], "owner": next_step[1]} if next_step else None,
        "expected": {kind: iso(t, zone) for kind, t in (box.expected or {}).items()},
        "visits": visits,
        "timeline": retractions.box_timeline(state, box, zone),  # struck entries too
    }


def call_view(state, call: VesselCall, now: float, *, with_boxes: bool = True) -> dict:
    """One call, its figures read from its own boxes (never the whole port's)."""
    zone = state.profile.timezone
    boxes = state.boxes_of(call)
    rows = box_rows(state, call, now) if with_boxes or call.departed is None else []  # departed: no delay
    late = [row for row in rows if row["late"]]
    # a voyage-less call lists its ship's loose boxes, some of which resolve to a voyage's call
    own_late = len(late) if call.voyage is not None else sum(
        1 for box in boxes if state.call_of(box) is call and sla_figures(state, box, now)[1] > 0)
    reasons = call_delay_reasons(state, call, now, own_late, len(boxes))
    view = {
        "imo": call.imo, "voyage": call.voyage, "name": call.name, "status": call.status,
        "terminal": call.terminal, "berth": call.berth,
        "eta": iso(call.eta, zone), "etd": iso(call.etd, zone), "arrived": iso(call.arrived, zone),
        "berthed": iso(call.berthed, zone), "departed": iso(call.departed, zone),
        "hours_in_port": _hours_in_port(call, now), "contradictory": call.contradictory,
        "delayed": bool(reasons), "delay_reasons": reasons,
        "expected_boxes": {"import": call.expected_import, "export": call.expected_export},
        "progress": _progress(boxes, call),
        "timeline": retractions.call_timeline(state, call, zone),  # struck entries too
    }
    if with_boxes:
        view["boxes"] = rows
        view["bottleneck"] = bottleneck_of(late)
    return view


def box_rows(state, call: VesselCall, now: float) -> list[dict]:
    """A call's box table, by number. Each row's fixed part and SLA clock are kept per visit until
    the visit changes stage, time or party; what moves with the clock is worked out on each read."""
    cache, zone = state.view_cache, state.profile.timezone
    if len(cache) > VIEW_PARTS_KEPT:
        cache.clear()
    rows = []
    for box in state.boxes_in_order(call):
        kept = cache.get(box)
        if kept is None or kept[0] is not box.contribution:
            kept = cache[box] = (box.contribution, {
                "number": box.number, "direction": box.direction, "stage": box.stage,
                "since": iso(box.since, zone), "waiting_on": box.waiting_on}, sla_clock(state, box), box.in_port)
        # awaiting discharge: the clock starts at the call's berthing, which the visit does not track
        clock = kept[2] if box.stage != "awaiting_discharge" else sla_clock(state, box)
        row = kept[1].copy()
        sla, delay = sla_at(clock, now)
        row["hours_in_stage"] = (now - box.since) / 3600 if clock is not None or kept[3] else None
        row["sla"], row["late"], row["delay_hours"] = sla, delay > 0, delay
        rows.append(row)
    return rows


def _hours_in_port(call: VesselCall, now: float) -> float | None:
    start = call.arrived if call.arrived is not None else call.berthed
    if start is None:
        return None
    return ((call.departed if call.departed is not None else now) - start) / 3600


def _progress(boxes: set, call: VesselCall) -> dict:
    discharged = loaded = 0
    for box in boxes:
        if box.direction == "import":
            discharged += box.discharged is not None
        elif box.direction == "export":
            loaded += box.loaded is not None
    return {"discharged": discharged, "to_discharge": call.expected_import,
            "loaded": loaded, "to_load": call.expected_export}


def bottleneck_of(late_rows: list[dict]) -> dict | None:
    """Which stage and party hold how many of the call's delay hours."""
    if not late_rows:
        return None
    by_stage: dict[tuple, float] = {}
    for row in late_rows:
        key = (row["direction"], row["stage"], row["waiting_on"])  # a held box waits on customs
        by_stage[key] = by_stage.get(key, 0.0) + row["delay_hours"]
    ranked = sorted(by_stage.items(), key=lambda item: (-item[1], item[0]))
    return {"stages": [{"direction": d, "stage": s, "party": p, "delay_hours": h} for (d, s, p), h in ranked],
            "total_delay_hours": sum(by_stage.values())}


def vessel_rows(state, now: float) -> list[dict]:
    """Every call in port or expected, and those that left in the last 24 h: one row each."""
    delayed = delayed_calls(state, now)
    zone = state.profile.timezone
    rows = []
    for call in state.calls.values():
        if call.departed is not None and now - call.departed > 24 * 3600:
            continue
        rows.append({"imo": call.imo, "voyage": call.voyage, "name": call.name, "status": call.status,
                     "terminal": call.terminal, "berth": call.berth, "eta": iso(call.eta, zone),
                     "berthed": iso(call.berthed, zone), "departed": iso(call.departed, zone),
                     "hours_in_port": _hours_in_port(call, now), "progress": _progress(state.boxes_of(call), call),
                     "delayed": call.key in delayed, "delay_reasons": delayed.get(call.key, [])})
    rows.sort(key=lambda row: (not row["delayed"], row["eta"] or row["berthed"] or "", row["imo"]))
    return rows
