"""Stage dwell, late boxes, the bottleneck and delayed vessels, as of `now` (docs/kpis.md)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from dashboard.state.boxes import DONE, PARTY
from feeds.profile import STAGE_PARTIES

HOUR = 3600.0
WARN_SHARE = 0.75  # a box that has used three quarters of its stage's SLA is shown as near it


def sla_start(state, box, since: float) -> float | None:
    """When the stage's SLA clock started: awaiting discharge counts from its call's berthing."""
    if box.stage != "awaiting_discharge":
        return since
    call = state.call_of(box)
    return None if call is None else call.berthed


def sla_status(state, box, now: float) -> str | None:
    """"late" past the stage's SLA, "warn" past WARN_SHARE of it, "ok" before; None when the
    visit is over or the stage has no SLA."""
    if not box.in_port:
        return None
    limit = state.profile.sla_hours.get(box.direction or "", {}).get(box.stage or "")
    start = sla_start(state, box, box.since)
    if limit is None or start is None:
        return None if limit is None else "ok"
    used = (now - start) / (limit * HOUR) if limit else float("inf")
    return "late" if used > 1 else "warn" if used > WARN_SHARE else "ok"


def stage_dwell(state, now: float) -> dict:
    dwell = {}
    for direction, stages in STAGE_PARTIES.items():
        dwell[direction] = {}
        for stage in stages:
            if stage == DONE[direction]:
                continue
            members = state.stage_members.get((direction, stage), {})
            hours = (now - np.fromiter(members.values(), dtype=float, count=len(members))) / HOUR
            if hours.size:
                median, p90 = np.percentile(hours, [50, 90])
                dwell[direction][stage] = {"n": int(hours.size), "median": float(median), "p90": float(p90)}
            else:
                dwell[direction][stage] = {"n": 0, "median": None, "p90": None}
    return dwell


def late_boxes(state, now: float) -> list[tuple]:
    """(box, delay hours) for every box past its stage's SLA now."""
    late = []
    for (direction, stage), members in state.stage_members.items():
        if stage == DONE.get(direction) or not members:
            continue
        limit = now - state.profile.sla_hours[direction].get(stage, float("inf")) * HOUR
        if stage != "awaiting_discharge":
            since = np.fromiter(members.values(), dtype=float, count=len(members))
            if not (since < limit).any():
                continue
        for box, since in members.items():
            start = sla_start(state, box, since)
            if start is not None and start < limit:
                late.append((box, (limit - start) / HOUR))
    return late


def delay_summary(state, now: float) -> dict:
    late = late_boxes(state, now)
    by_stage: dict[tuple, list] = defaultdict(lambda: [0.0, 0, defaultdict(float)])
    by_party: dict[str, float] = defaultdict(float)
    for box, hours in late:
        party = "customs" if box.held else PARTY[box.stage]
        record = by_stage[(box.direction, box.stage)]
        record[0] += hours
        record[1] += 1
        record[2][party] += hours
        by_party[party] += hours
    bottleneck = None
    if by_stage:
        (direction, stage), (hours, boxes, parties) = max(by_stage.items(), key=lambda item: (item[1][0], item[0]))
        bottleneck = {"direction": direction, "stage": stage, "party": max(parties, key=parties.get),
                      "delay_hours": hours, "boxes": boxes}
    return {"vessels": len(delayed_calls(state, now, late)), "containers": len(late),
            "bottleneck_stage": bottleneck, "by_party": dict(by_party)}


def delayed_calls(state, now: float, late: list[tuple] | None = None) -> dict:
    """Calls not departed that are delayed now → the reasons for each."""
    late = late_boxes(state, now) if late is None else late
    late_per_call: dict = defaultdict(int)
    for box, _ in late:
        call = state.call_of(box)
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
        boxes = len(state.boxes_of(call)) if late_per_call.get(key) else 0
        if boxes and late_per_call[key] / boxes > state.profile.late_box_share:
            reasons.append("boxes_late")
        if reasons:
            delayed[key] = reasons
    return delayed
