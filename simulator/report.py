"""The smart-diversion A/B report: the same seeded traffic through both flows (every other measure
as the scenario has it), measured from the events alone (never from the simulator's counters).

- `diverted_boxes`: the boxes the diversion flow sent straight to the inspection site or onto a
  road truck, paired with the same boxes in the traditional flow (simulator/measure.py:
  moves at the terminal, and hours to the first destination);
- `port_wide`: overall clearance time per direction as GAC publishes it (measure.CLEARANCE_DEFINITION),
  means and medians, over the scenario's days.
"""

from __future__ import annotations

from dataclasses import replace

from feeds.profile import PortProfile
from simulator import measure
from simulator.generate import run_events
from simulator.scenario import Scenario

DRAIN_DAYS = 7  # the boxes of the measured days get this long to leave the port


def ab_report(profile: PortProfile, scenario: Scenario, *, days: float, seed: int, scale: float | None = None) -> dict:
    if scale:  # thinner traffic for quick checks; the shipped figures use the scenario's
        scenario = replace(scenario, scale=scale)
    start = scenario.start.timestamp()
    end = start + days * 86400
    runs = {flow: run_events(profile, scenario.with_flow(flow), days=days, seed=seed, drain_days=DRAIN_DAYS)
            for flow in ("traditional", "diversion")}
    port_wide = {}
    clearance = {flow: measure.clearance_hours(events, start, end) for flow, events in runs.items()}
    for direction in ("import", "export"):
        was, now = clearance["traditional"][direction], clearance["diversion"][direction]
        port_wide[direction] = {"before": was["mean"], "after": now["mean"],
                                "change_pct": measure.change_pct(was["mean"], now["mean"]),
                                "median_before": was["median"], "median_after": now["median"],
                                "n": now["n"]}
    return {"diverted_boxes": measure.diverted_pairs(runs["traditional"], runs["diversion"], start, end),
            "port_wide": {"clearance_hours": port_wide}, "definition": measure.CLEARANCE_DEFINITION,
            "scenario": scenario.name, "days": days, "seed": seed}
