"""Customs and the inspection sites: when a declaration is decided, and how an inspection goes.

Generator functions run inside a `PortModel`'s SimPy processes. What each measure changes:
- appointment-free inspection: the site inspects as soon as the box is there, day or night,
  instead of at a slot the broker books in the day shift.
Customs and the sites stop while a typhoon closes the port. Parameters: docs/simulator.md.
"""

from __future__ import annotations

from simulator import draws
from simulator.emitter import CUSTOMS

HOUR = 3600.0
CHECK_MEDIAN_HOURS, CHECK_SIGMA = 0.5, 0.6     # a declaration's check, online at any hour (assumed)
APPOINTMENT_SHIFT = (8.0, 17.0)                # inspections by appointment: the day shift (assumed)
APPOINTMENT_LEAD_HOURS = 2.0                   # a slot is booked at least this far ahead (assumed)
INSPECTION_HOURS = (1.0, 3.0)                  # one inspection (assumed)
HELD_HOURS = (12.0, 48.0)                      # a held box, until released (assumed)
RELEASE_AFTER_PASS_HOURS = (0.1, 0.5)
# Draw purposes in a box's or a declaration's stream (simulator/draws.py); each purpose once.
P_CHECK, P_INSPECT, P_HELD, P_PASS, P_SITE = 10, 12, 13, 14, 15
ASSUMPTIONS = (
    ("CHECK_MEDIAN_HOURS", CHECK_MEDIAN_HOURS, "a declaration's online check, median hours"),
    ("APPOINTMENT_SHIFT", APPOINTMENT_SHIFT, "the inspection sites' day shift for appointments"),
    ("APPOINTMENT_LEAD_HOURS", APPOINTMENT_LEAD_HOURS, "an inspection slot is booked this far ahead"),
    ("INSPECTION_HOURS", INSPECTION_HOURS, "one inspection"),
    ("HELD_HOURS", HELD_HOURS, "a held box, until released"),
)


def check_done(declared: float, key: int) -> float:
    """When customs has checked a declaration lodged at `declared` (model seconds)."""
    return declared + draws.lognormal(key, P_CHECK, CHECK_MEDIAN_HOURS, CHECK_SIGMA) * HOUR


def decide(model, at: float):
    """Wait until `at`, then while customs is closed (a typhoon)."""
    yield model.at(at)
    yield from model.until_open()


def site_of(model, box) -> int:
    """The inspection site for this box (weighted by the sites' capacity), the same in every flow."""
    u = draws.uniform01(box.key, P_SITE) * model.site_weight_total
    for index, weight in enumerate(model.site_weights):
        u -= weight
        if u < 0:
            return index
    return len(model.site_weights) - 1


def order(model, box, site: int) -> None:
    site_id = model.profile.inspection_sites[site]["id"]
    model.emit.box(model.env.now, "customs.inspection_ordered", CUSTOMS, box, mode="physical", site=site_id,
                   declaration=box.declaration.number)


def inspect(model, box, site: int, ordered: float):
    """The box is at the site: wait for its slot, inspect, then release it (or hold, then release)."""
    env, emit = model.env, model.emit
    site_id = model.profile.inspection_sites[site]["id"]
    if not model.scenario.has("appointment_free_inspection"):  # the broker's slot, in the day shift
        slot = model.clock.next_in(max(env.now, ordered + APPOINTMENT_LEAD_HOURS * HOUR), *APPOINTMENT_SHIFT)
        yield model.at(slot)
    with model.sites[site].request() as place:
        yield place
        yield from model.until_open()
        yield env.timeout(draws.uniform(box.key, P_INSPECT, *INSPECTION_HOURS) * HOUR)
        held = box.declaration.hold
        emit.box(env.now, "inspection.completed", f"inspection.{site_id}", box, site=site_id,
                 result="hold" if held else "pass")
    pause = HELD_HOURS if held else RELEASE_AFTER_PASS_HOURS
    yield env.timeout(draws.uniform(box.key, P_HELD if held else P_PASS, *pause) * HOUR)
    yield from model.until_open()
    release(model, box)


def release(model, box) -> None:
    model.emit.box(model.env.now, "customs.released", CUSTOMS, box, declaration=box.declaration.number)
