"""Stage dwell, late boxes, the bottleneck and delayed vessels, as of `now` (docs/kpis.md).

Read from the stages' read models (dashboard/state/stages.py): the cost of a read is the calls
in port and the boxes that crossed an SLA since the last read, not the boxes in port. One call's
figures (the vessel page) are read from that call's own boxes.
"""

from __future__ import annotations

import heapq

from dashboard.state.boxes import DONE, PARTY
from feeds.profile import STAGE_PARTIES

HOUR = 3600.0
WARN_SHARE = 0.75  # a box that has used three quarters of its stage's SLA is shown as near it
DISCHARGE = ("import", "awaiting_discharge")


def sla_start(state, box, since: float) -> float | None:
    """When the stage's SLA clock started: awaiting discharge counts from its call's berthing."""
    if box.stage != "awaiting_discharge":
        return since
    call = state.call_of(box)
    return None if call is None else call.berthed


def sla_limit(state, direction: str, stage: str, now: float) -> float:
    """Boxes whose SLA clock started before this moment are late now."""
    return now - state.profile.sla_hours[direction].get(stage, float("inf")) * HOUR


def sla_clock(state, box) -> tuple[float | None, float] | None:
    """(when the SLA clock of the box's stage started, the SLA in seconds); None when the visit is
    over or the stage has no SLA. The start is None while its call has not berthed."""
    stage = box.stage
    if stage is None or stage == DONE.get(box.direction):
        return None
    hours = state.profile.sla_hours.get(box.direction, {}).get(stage)
    if hours is None:
        return None
    return (box.since if stage != "awaiting_discharge" else sla_start(state, box, box.since)), hours * HOUR


def sla_at(clock: tuple[float | None, float] | None, now: float) -> tuple[str | None, float]:
    """(SLA status, delay hours) of a box whose `sla_clock` is `clock`, now. The status is "late"
    past the stage's SLA, "warn" past WARN_SHARE of it, "ok" before, None without an SLA; the
    delay is the hours past the SLA (0 when not late)."""
    if clock is None:
        return None, 0.0
    start, limit = clock
    if start is None:
        return "ok", 0.0
    used = now - start
    if used > limit:
        return "late", (used - limit) / HOUR
    return ("warn" if used > WARN_SHARE * limit else "ok"), 0.0


def sla_figures(state, box, now: float) -> tuple[str | None, float]:
    """(SLA status, delay hours) of a box now (see `sla_at`)."""
    return sla_at(sla_clock(state, box), now)


def sla_status(state, box, now: float) -> str | None:
    return sla_figures(state, box, now)[0]


def delay_hours(state, box, now: float) -> float:
    return sla_figures(state, box, now)[1]


def stage_dwell(state, now: float) -> dict:
    dwell = {}
    for direction, stages in STAGE_PARTIES.items():
        dwell[direction] = {stage: state.stages[(direction, stage)].dwell(now)
                            for stage in stages if stage != DONE[direction]}
    return dwell


def late_calls(state, limit: float):
    """Awaiting discharge: (the boxes' call key, call, its waiting boxes {box: held}) for each call
    berthed before `limit`; boxes that name only their ship are resolved one by one."""
    for key, boxes in state.stages[DISCHARGE].by_call.items():
        if key is None:
            continue
        if key[1] is not None:
            call = state.calls.get(key)
            if call is not None and call.berthed is not None and call.berthed < limit:
                yield key, call, boxes
            continue
        resolved: dict = {}
        for box, held in boxes.items():
            call = state.call_of(box)
            if call is not None and call.berthed is not None and call.berthed < limit:
                resolved.setdefault(call.key, (call, {}))[1][box] = held
        for call, boxes in resolved.values():
            yield key, call, boxes


def late_by_stage(state, now: float) -> dict[tuple, tuple[int, float, int, float]]:
    """(direction, stage) → (late boxes, delay hours, held late boxes, their hours), late stages only."""
    figures = {}
    for (direction, stage), index in state.stages.items():
        limit = sla_limit(state, direction, stage, now)
        if index.tracks_late:
            counted = index.late_hours(limit)
        else:
            counted = [0, 0.0, 0, 0.0]
            for _, call, boxes in late_calls(state, limit):
                held = sum(boxes.values())
                hours = (limit - call.berthed) / HOUR
                counted = [counted[0] + len(boxes), counted[1] + len(boxes) * hours,
                           counted[2] + held, counted[3] + held * hours]
        if counted[0]:
            figures[(direction, stage)] = tuple(counted)
    return figures


def late_per_call(state, now: float) -> dict[tuple, int]:
    """Call key → its boxes late now."""
    counts: dict[tuple, int] = {}
    for (direction, stage), index in state.stages.items():
        limit = sla_limit(state, direction, stage, now)
        if not index.tracks_late:
            for _, call, boxes in late_calls(state, limit):
                counts[call.key] = counts.get(call.key, 0) + len(boxes)
            continue
        index.move_boundary(limit)
        for key, n in index.late_by_call.items():
            if key[1] is not None:
                counts[key] = counts.get(key, 0) + n
        for boxes in index.loose_late.values():
            for box in boxes:
                call = state.call_of(box)
                if call is not None:
                    counts[call.key] = counts.get(call.key, 0) + 1
    return counts


def worst_late(state, now: float, k: int = 5) -> list[tuple]:
    """The k late boxes longest past their SLA: (box, delay hours), then by number."""
    candidates = []
    for (direction, stage), index in state.stages.items():
        limit = sla_limit(state, direction, stage, now)
        if index.tracks_late:
            index.move_boundary(limit)
            candidates += [(box, (limit - since) / HOUR) for since, box in index.oldest(k) if since < limit]
        else:
            for key, call, boxes in late_calls(state, limit):
                hours = (limit - call.berthed) / HOUR
                first = index.first_by_number(key, k) if key[1] is not None else \
                    heapq.nsmallest(k, boxes, key=lambda b: b.number)
                candidates += [(box, hours) for box in first]
    return sorted(candidates, key=lambda item: (-item[1], item[0].number))[:k]


def late_boxes(state, now: float) -> list[tuple]:
    """(box, delay hours) for every box past its stage's SLA now (the whole list: for checks)."""
    late = []
    for (direction, stage), index in state.stages.items():
        limit = sla_limit(state, direction, stage, now)
        if index.tracks_late:
            late += [(box, (limit - since) / HOUR) for since, _, _, box in index.order.irange(maximum=(limit,))]
        else:
            for _, call, boxes in late_calls(state, limit):
                late += [(box, (limit - call.berthed) / HOUR) for box in boxes]
    return late


def delay_summary(state, now: float, delayed: dict | None = None) -> dict:
    by_stage = late_by_stage(state, now)
    by_party: dict[str, float] = {}
    records = {}
    for (direction, stage), (count, hours, held, held_hours) in by_stage.items():
        parties = {}
        if count > held:
            parties[PARTY[stage]] = hours - held_hours
        if held:
            parties["customs"] = parties.get("customs", 0.0) + held_hours
        for party, party_hours in parties.items():
            by_party[party] = by_party.get(party, 0.0) + party_hours
        records[(direction, stage)] = (hours, count, parties)
    bottleneck = None
    if records:
        (direction, stage), (hours, boxes, parties) = max(records.items(), key=lambda item: (item[1][0], item[0]))
        bottleneck = {"direction": direction, "stage": stage, "party": max(parties, key=parties.get),
                      "delay_hours": hours, "boxes": boxes}
    delayed = delayed_calls(state, now) if delayed is None else delayed
    return {"vessels": len(delayed), "containers": sum(record[1] for record in records.values()),
            "bottleneck_stage": bottleneck, "by_party": by_party}


def call_delay_reasons(state, call, now: float, late: int, boxes: int) -> list[str]:
    """Why a call not departed is delayed now: berthed late, overdue, too many late boxes."""
    if call.departed is not None:
        return []
    reasons = []
    tolerance = state.profile.berth_tolerance_hours * HOUR
    if call.eta is not None and call.berthed is not None and call.berthed - call.eta > tolerance:
        reasons.append("berthed_late")
    elif call.eta is not None and call.berthed is None and now - call.eta > tolerance:
        reasons.append("overdue")
    if late and boxes and late / boxes > state.profile.late_box_share:
        reasons.append("boxes_late")
    return reasons


def delayed_calls(state, now: float) -> dict:
    """Calls not departed that are delayed now → the reasons for each."""
    late = late_per_call(state, now)
    delayed = {}
    for key, call in state.calls.items():
        n = late.get(key, 0)
        reasons = call_delay_reasons(state, call, now, n, state.box_count(call) if n else 0)
        if reasons:
            delayed[key] = reasons
    return delayed
