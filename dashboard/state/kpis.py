"""The KPI object of `GET /api/v1/kpis`, read from the state's indexes (docs/kpis.md).

Pure functions of (state, now): nothing here changes the state. Percentiles are numpy's linear
interpolation; hours are unrounded.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from datetime import datetime

import numpy as np

from dashboard.state.boxes import DONE
from dashboard.state.delays import delay_summary, stage_dwell
from dashboard.state.timeline import iso
from feeds.profile import STAGE_PARTIES

HOUR = 3600.0
DAY = 24 * HOUR
BASELINE_DAYS = 7        # clearance is compared with the mean of the 7 days before the last 24 h
BASELINE_MIN_BOXES = 30  # … once they hold this many boxes


def summary(values) -> dict:
    array = values if isinstance(values, np.ndarray) else np.fromiter(values, dtype=float)
    if array.size == 0:
        return {"median": None, "p90": None, "n": 0}
    median, p90 = np.percentile(array, [50, 90])
    return {"median": float(median), "p90": float(p90), "n": int(array.size)}


def local_midnight(state, now: float) -> float:
    local = datetime.fromtimestamp(now, state.profile.timezone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def vessel_counts(state, now: float) -> dict:
    counts = {"expected_24h": 0, "at_anchor": 0, "at_berth": 0, "departed_24h": 0}
    for call in state.calls.values():
        status = call.status
        if status == "expected":
            counts["expected_24h"] += call.eta is not None and now <= call.eta <= now + DAY
        elif status == "departed":
            counts["departed_24h"] += now - DAY < call.departed <= now
        else:
            counts[status] += 1
    return counts


def berth_occupancy(state) -> float:
    berths = {call.berth or call.key for call in state.calls.values() if call.status == "at_berth"}
    return len(berths) / len(state.profile.berths) if state.profile.berths else 0.0


def _ended_part(boxes) -> tuple[Counter, int, int]:
    """(visits per direction, diverted, moves) of some visits that ended."""
    by_direction, diverted, moves = Counter(), 0, 0
    for box in boxes:
        by_direction["export" if box.transhipment else box.direction] += 1  # it left loaded
        diverted += box.diverted
        moves += box.moves
    return by_direction, diverted, moves


def ended(state, now: float) -> tuple[Counter, int, int]:
    """(visits per direction, diverted, moves) of the visits that ended in the last 24 h."""
    total, diverted, moves = Counter(), 0, 0
    for part in state.visit_ends.summed(now - DAY, now, "ended", _ended_part):
        total.update(part[0])
        diverted += part[1]
        moves += part[2]
    return total, diverted, moves


def container_counts(state, now: float, ended_24h: tuple | None = None) -> dict:
    counts = {"in_port": 0}
    done = (ended(state, now) if ended_24h is None else ended_24h)[0]
    for direction, stages in STAGE_PARTIES.items():
        counts[direction] = {}
        for stage in stages:
            if stage == DONE[direction]:
                counts[direction][stage] = done[direction]
            else:
                n = len(state.stages[(direction, stage)])
                counts[direction][stage] = n
                counts["in_port"] += n
    return counts


def import_start(call) -> float | None:
    """When an import box's clearance clock starts: its ship's entry (`vessel.arrived`, the
    运输工具申报进境 of the published definition), else, for a call with no arrival, its berthing."""
    return call.arrived if call.arrived is not None else call.berthed


def _import_part(state, boxes) -> tuple[np.ndarray, np.ndarray]:
    """Of gated-out import boxes: entry → gate-out hours (clearance) of those whose call arrived or
    berthed; and berthed → gate-out hours of those not inspected (arrival-to-pickup)."""
    every, direct = [], []
    for box in boxes:
        call = state.call_of(box)
        if call is None:
            continue
        start = import_start(call)
        if start is not None:
            every.append((box.gated_out - start) / HOUR)
        if call.berthed is not None and box.ordered == 0:
            direct.append((box.gated_out - call.berthed) / HOUR)
    return np.array(every, dtype=float), np.array(direct, dtype=float)


def _export_part(boxes) -> np.ndarray:
    return np.array([max(0.0, box.released - box.gated_in) / HOUR for box in boxes if box.gated_in is not None],
                    dtype=float)


def _total(hours: np.ndarray) -> tuple[float, int]:
    return float(hours.sum()), int(hours.size)


def _joined(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.empty(0)


def ship_stamps(state, since: float):
    """`version` for the import windows: an hour's kept figures stand while the calls of the ships
    its boxes name keep what `call_of` and the clock's start read (their spans, arrivals and
    berthings), whatever other ships do. What a ship's calls were is numbered (a new number each
    time it changes), so an hour compares a few integers; and while no vessel event came
    (`calls_version`), an hour's numbers are those of the last read. Hours before `since` are
    forgotten."""
    memo = state.import_done.memo
    numbered = memo.setdefault("ships", {})  # ship → (what its calls were, number)
    hours = memo.setdefault("hours", {})    # hour → (its tags, calls_version, the ships' numbers)
    first = math.floor(since / HOUR)
    for hour in [hour for hour in hours if hour < first]:
        del hours[hour]
    this_read: dict = {}
    calls_version = state.calls_version

    def number(ship: str) -> int:
        n = this_read.get(ship)
        if n is None:
            now = tuple((call.key, bool(call.timeline), call.start, call.departed, call.arrived, call.berthed)
                        for call in state.calls_by_imo.get(ship, ()))
            kept = numbered.get(ship)
            if kept is None or kept[0] != now:
                kept = numbered[ship] = (now, 0 if kept is None else kept[1] + 1)
            n = this_read[ship] = kept[1]
        return n

    def version(hour: int, ships: tuple) -> tuple:
        kept = hours.get(hour)
        if kept is None or kept[0] is not ships or kept[1] != calls_version:
            kept = hours[hour] = (ships, calls_version, tuple(map(number, ships)))
        return kept[2]

    return version


def with_baseline(figures: dict, baseline: tuple[float, int], now: float, zone) -> dict:
    """The mean against the baseline: the mean of the same definition over the BASELINE_DAYS before
    the window, once it holds BASELINE_MIN_BOXES boxes."""
    total, n = baseline
    mean = total / n if n >= BASELINE_MIN_BOXES else None
    change = None
    if mean and figures["mean"] is not None:
        change = (figures["mean"] - mean) / mean * 100
    window = {"from": iso(now - DAY - BASELINE_DAYS * DAY, zone), "to": iso(now - DAY, zone), "n": n,
              "min_n": BASELINE_MIN_BOXES}
    return {**figures, "baseline": mean, "change_pct": change, "baseline_window": window}


def clearance_summary(hours: np.ndarray) -> dict:
    return {**summary(hours), "mean": float(hours.mean()) if hours.size else None}


def clearance(state, now: float) -> tuple[dict, dict]:
    """Overall clearance (import and export) over the last 24 h against the BASELINE_DAYS before,
    and arrival-to-pickup over the last 24 h."""
    start = now - DAY - BASELINE_DAYS * DAY
    ships = ship_stamps(state, start)
    imports = state.import_done.summed(now - DAY, now, "clearance", lambda boxes: _import_part(state, boxes), ships)
    imports_before = state.import_done.summed(start, now - DAY, "clearance_baseline",
                                              lambda boxes: _total(_import_part(state, boxes)[0]), ships)
    exports = state.export_released.summed(now - DAY, now, "clearance", _export_part)
    exports_before = state.export_released.summed(start, now - DAY, "clearance_baseline",
                                                  lambda boxes: _total(_export_part(boxes)))
    zone = state.profile.timezone
    result = {"import": with_baseline(clearance_summary(_joined([every for every, _ in imports])),
                                      _summed(imports_before), now, zone),
              "export": with_baseline(clearance_summary(_joined(exports)), _summed(exports_before), now, zone)}
    return result, summary(_joined([direct for _, direct in imports]))


def _summed(parts: list[tuple[float, int]]) -> tuple[float, int]:
    return math.fsum(total for total, _ in parts), sum(n for _, n in parts)


def diversion(state, now: float, ended_24h: tuple | None = None) -> dict:
    by_direction, diverted, moves = ended(state, now) if ended_24h is None else ended_24h
    n = sum(by_direction.values())
    return {"share": diverted / n if n else None,
            "moves_per_box": moves / n if n else None,
            "moves_saved": diverted, "hours_saved": diverted * state.profile.yard_transfer_hours, "n": n}


def inspections(state, now: float) -> dict:
    midnight = local_midnight(state, now)
    counted = state.counted
    return {"ordered": counted["customs.inspection_ordered"].count(midnight - 1e-9, now),
            "completed_today": counted["inspection.completed"].count(midnight - 1e-9, now),
            "pending": len(state.stages[("import", "in_inspection")]) + len(state.stages[("export", "in_inspection")])}


def services(state, now: float) -> dict:
    midnight, counted = local_midnight(state, now), state.counted
    today = {kind.removeprefix("service."): counted[kind].count(midnight - 1e-9, now)
             for kind in counted if kind.startswith("service.")}
    by_type = state.by_type
    today["boarding_pending"] = max(0, by_type["service.boarding_requested"] - by_type["service.boarding_released"])
    today["certs_awaiting_pickup"] = max(0, by_type["service.cert_deposited"] - by_type["service.cert_picked_up"])
    return today


def feed_health(state, wall_now: float, rejects: dict[str, int]) -> dict:
    feeds = state.feeds
    sources = set(feeds.events) | set(rejects)
    return {source: {"last_event": iso(feeds.last.get(source)), "events": feeds.events.get(source, 0),
                     "events_per_minute": feeds.per_minute(source, wall_now),
                     "rejects": rejects.get(source, 0)} for source in sorted(sources)}


def gate_lifts(state, now: float) -> dict:
    return {"in": state.counted["gate.in"].count(now - HOUR, now),
            "out": state.counted["gate.out"].count(now - HOUR, now)}


def when(now) -> float:
    return now.timestamp() if isinstance(now, datetime) else float(now)


def kpis(state, now, wall_now: float | None = None, rejects: dict[str, int] | None = None,
         delayed: dict | None = None) -> dict:
    """The whole KPI object at port-clock `now` (feed health at `wall_now`); `delayed`, the
    delayed calls at `now` when the caller has them already."""
    now = when(now)
    clearance_hours, arrival_to_pickup = clearance(state, now)
    ended_24h = ended(state, now)
    return {
        "now": iso(now, state.profile.timezone),
        "vessels": vessel_counts(state, now),
        "containers": container_counts(state, now, ended_24h),
        "clearance_hours": clearance_hours,
        "arrival_to_pickup_hours": arrival_to_pickup,
        "stage_dwell": stage_dwell(state, now),
        "gate_lifts_last_hour": gate_lifts(state, now),
        "inspections": inspections(state, now),
        "diversion": diversion(state, now, ended_24h),
        "berth_occupancy": berth_occupancy(state),
        "delays": delay_summary(state, now, delayed),
        "feeds": feed_health(state, time.time() if wall_now is None else wall_now, rejects or {}),
        "services": services(state, now),
    }
