"""Port traffic for the benchmarks: the simulator's own events, cut to a number of boxes.

    from bench.traffic import port_traffic
    events = port_traffic(500_000, seed=1)   # minutes, not seconds: docs/benchmarks.md

The events are those of `simulator.generate.run_events` for the `normal` scenario (the demo
port, smart diversion on, ~30,000 boxes a day unless `boxes_per_day` says otherwise), flat out
and from the first event of its warm-up, without the clock ticks. The run is cut just before the
first event of its (boxes + 1)-th box, so the events are the port's feed up to one moment: exactly
`boxes` boxes (one visit each: the simulator numbers its boxes apart), the latest of them mid-way
through their stages, ships at anchor, at berth and gone. The normal scenario emits in time
order, so a prefix of its run is a moment of the port.

Deterministic: the same boxes, seed, boxes a day and simulator give the same events. The number
of days to simulate is estimated from the boxes a day (with the warm-up counted in) and the run
made longer only if it fell short; the benchmarks state their data in boxes.

For a file of the same traffic: `python run.py simulate --scenario normal --days D --max --out
FILE.jsonl` (by days, not boxes).
"""

from __future__ import annotations

from dataclasses import replace

from feeds.profile import PortProfile, load_profile
from simulator.generate import WARMUP_DAYS, run_events
from simulator.scenario import load_scenario

SCENARIO = "normal"
BEYOND_DAYS = 2  # days' worth of boxes a run names beyond its end, at least


def port_traffic(boxes: int, *, seed: int = 1, boxes_per_day: int | None = None,
                 profile: PortProfile | None = None) -> list[dict]:
    """The simulator's events up to the moment its (boxes + 1)-th box first appears: `boxes` boxes."""
    if boxes < 0:
        raise ValueError("boxes must be ≥ 0")
    profile = profile if profile is not None else load_profile("xiamen")
    scenario = load_scenario(SCENARIO)
    if boxes_per_day is not None:
        scenario = replace(scenario, boxes_per_day=boxes_per_day)
    per_day = scenario.boxes_per_day
    # Each simulated day, warm-up included, brings about a day's boxes, and a run also names
    # boxes of ships due after its end (declared, or trucked in for export): 2.2 to 3 days' worth
    # (measured 2026-12-02, 30,000 boxes a day: 157,000 and 181,000 boxes after the warm-up and
    # one day, 220,000 and 241,000 after three, on two versions of the simulator). Counting 2 of
    # them leaves a margin; a run that still falls short is made again, longer.
    days = max(0.0, round(boxes / per_day - WARMUP_DAYS - BEYOND_DAYS, 2))
    while True:
        events = [e for e in run_events(profile, scenario, days=days, seed=seed) if e["type"] != "clock.tick"]
        cut, seen = _cut(events, boxes)
        if cut is not None:
            return events[:cut]
        days = round(days + (boxes - seen) / per_day + 1, 2)  # short: again, longer


def traffic_line(events: list[dict], boxes: int, seconds: float) -> dict:
    """What a benchmark's first JSON line says about the traffic it runs on."""
    return {"traffic": {"simulator_scenario": SCENARIO, "boxes": boxes, "events": len(events),
                        "first": events[0]["time"] if events else None,
                        "last": events[-1]["time"] if events else None, "generated_s": round(seconds, 1)}}


def _cut(events: list[dict], boxes: int) -> tuple[int | None, int]:
    """→ (the index of the first event of the (boxes + 1)-th box, or None if the run ends first;
    the boxes seen up to there)."""
    seen: set[str] = set()
    add = seen.add
    for index, event in enumerate(events):
        number = event.get("container")
        if number is not None and number not in seen:
            if len(seen) == boxes:
                return index, boxes
            add(number)
    return (len(events) if len(seen) == boxes else None), len(seen)
