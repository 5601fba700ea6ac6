"""The smart-diversion A/B report: the same seeded traffic through both flows, measured from the
events alone (never from the simulator's own counters).

Figures (medians, over the boxes of the scenario's day that completed before the run ended):
- `moves_per_import_box`: discharges and internal moves per import box that gated out;
- `first_step_hours`: discharge → the box leaving where the discharge put it (its next move or
  its gate-out);
- `arrival_to_pickup_hours`: berthing → gate-out, import boxes never inspected;
- `clearance_hours_import`: berthing → gate-out; `clearance_hours_export`: gate-in → release.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import replace
from datetime import datetime

from feeds.profile import PortProfile
from simulator.generate import run_events
from simulator.scenario import Scenario

DRAIN_DAYS = 10  # boxes of the day get this long to leave the port


def _t(event: dict) -> float:
    return datetime.fromisoformat(event["time"]).timestamp()


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def measure(events: list[dict], day_start: float, day_end: float) -> dict:
    """The report's figures for boxes whose ship berthed (import) / that gated in (export) that day."""
    berthed = {(e["vessel"], e.get("voyage")): _t(e) for e in events if e["type"] == "vessel.berthed"}
    boxes: dict[str, list[dict]] = defaultdict(list)
    for event in events:
        if "container" in event and event.get("classifier", "actual") == "actual":
            boxes[event["container"]].append(event)
    moves, first_step, pickup, clearance_in, clearance_out = [], [], [], [], []
    for timeline in boxes.values():
        timeline.sort(key=_t)
        kinds = {e["type"]: e for e in timeline}
        if timeline[0]["direction"] == "import" and "container.discharged" in kinds:
            discharge = kinds["container.discharged"]
            arrival = berthed.get((discharge["vessel"], discharge.get("voyage")))
            if arrival is None or not day_start <= arrival < day_end or "gate.out" not in kinds:
                continue
            out = _t(kinds["gate.out"])
            moves.append(sum(1 for e in timeline if e["type"] in ("container.discharged", "container.moved")))
            after = [e for e in timeline if _t(e) >= _t(discharge) and e["type"] in ("container.moved", "gate.out")]
            first_step.append((_t(after[0]) - _t(discharge)) / 3600)
            clearance_in.append((out - arrival) / 3600)
            if "customs.inspection_ordered" not in kinds:
                pickup.append((out - arrival) / 3600)
        elif timeline[0]["direction"] == "export" and "gate.in" in kinds and "customs.released" in kinds:
            gate_in = _t(kinds["gate.in"])
            if day_start <= gate_in < day_end:
                clearance_out.append(max(0.0, _t(kinds["customs.released"]) - gate_in) / 3600)
    return {"moves_per_import_box": statistics.fmean(moves) if moves else None,
            "first_step_hours": _median(first_step), "arrival_to_pickup_hours": _median(pickup),
            "clearance_hours_import": _median(clearance_in), "clearance_hours_export": _median(clearance_out),
            "import_boxes": len(moves), "export_boxes": len(clearance_out)}


def ab_report(profile: PortProfile, scenario: Scenario, *, days: float, seed: int,
              boxes_per_day: int | None = None) -> dict:
    if boxes_per_day:  # smaller traffic for quick checks; the shipped figures use the scenario's
        scenario = replace(scenario, boxes_per_day=boxes_per_day)
    day_start = scenario.start.timestamp()
    day_end = day_start + days * 86400
    report = {}
    for flow in ("traditional", "diversion"):
        events = run_events(profile, scenario.with_flow(flow), days=days, seed=seed, drain_days=DRAIN_DAYS)
        report[flow] = measure(events, day_start, day_end)
    report["change"] = {key: (report["diversion"][key] - report["traditional"][key]) / report["traditional"][key]
                        for key in report["traditional"]
                        if not key.endswith("_boxes") and report["traditional"][key] and report["diversion"][key] is not None}
    report["scenario"], report["days"], report["seed"] = scenario.name, days, seed
    return report
