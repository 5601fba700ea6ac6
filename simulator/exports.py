"""An export box before its ship: declared, trucked in, decided, inspected, loaded.

Traditional flow: the box goes to the yard at the gate and waits there for customs (the gate-in is
its arrival report, 运抵). Smart diversion (at a terminal that runs it, for a declaration checked
before the truck reaches the gate): the decision is known at the gate, so the truck drives straight
to the inspection site, or the box is released at the gate and stacked for its ship.
"""

from __future__ import annotations

from simulator import customs, draws, parties
from simulator.emitter import CUSTOMS
from simulator.imports import INTERNAL_TRIP_MINUTES, MINUTE, P_TRUCK, yard_move

HOUR = 3600.0
DECLARED_BEFORE_HOURS = (1.0, 48.0)      # an advance declaration, before the gate-in
LATE_LAG_MEDIAN_HOURS = 1.5              # a late one, after the gate-in (assumed; calibrated)
GATE_RELEASE_MINUTES = (1.0, 6.0)        # released at the gate under diversion (assumed)
ARRIVAL_REPORT_EVERY_HOURS = 2.0         # the terminal's arrival reports (运抵) in batches (assumed)
P_DECLARED, P_LATE, P_RELEASE, P_SITE_TRIP, P_SPREAD = 30, 31, 32, 33, 34
ASSUMPTIONS = (
    ("exports.LATE_LAG_MEDIAN_HOURS", LATE_LAG_MEDIAN_HOURS,
     "a late export declaration, median hours after the gate-in (calibrated: the export figure)"),
    ("ARRIVAL_REPORT_EVERY_HOURS", ARRIVAL_REPORT_EVERY_HOURS, "the terminal's arrival reports (运抵) in batches"),
    ("GATE_RELEASE_MINUTES", GATE_RELEASE_MINUTES, "released at the gate under diversion"),
)


def gate_in_at(model, box, call) -> float:
    """The truck's planned hour: the box's lead time before its ship, on the weekly truck profile."""
    arrival = call.eta_hours * HOUR
    earliest = arrival - box.dwell_hours() * HOUR
    if earliest < 0:  # due before the model's zero: spread over the warm-up, not all at once
        earliest = arrival * draws.uniform01(box.key, P_SPREAD)
    return model.clock.truck_time(earliest, box.key, P_TRUCK, draws.uniform01)


def declared_at(box, gate_at: float, drive: bool) -> float:
    declaration = box.declaration
    if declaration.early("export", drive):
        return gate_at - draws.uniform(declaration.key, P_DECLARED, *DECLARED_BEFORE_HOURS) * HOUR
    return gate_at + draws.lognormal(declaration.key, P_LATE, LATE_LAG_MEDIAN_HOURS, 0.8) * HOUR


def export_box(model, box, call):
    env, emit = model.env, model.emit
    gate_at = gate_in_at(model, box, call)
    if gate_at > model.quiet_after:
        return
    declared = declared_at(box, gate_at, model.scenario.has("early_declaration"))
    if declared <= gate_at:
        yield model.at(declared)
        emit.box(env.now, "declaration.filed", CUSTOMS, box, declaration=box.declaration.number,
                 parties=parties.of_declaration(box))
    yield model.at(gate_at)
    yield from model.until_open()
    checked = customs.check_done(declared, box.declaration.key)
    decided = model.diverts(call.terminal) and checked <= env.now
    site = customs.site_of(model, box)
    selected = decided and model.selected(box.declaration)
    yield from model.gate(box, call.terminal, "gate.in", to=("inspection" if selected else "direct") if decided else "yard")
    if decided:
        yield from at_the_gate(model, box, call, selected, site)
    else:
        yield from in_the_yard(model, box, call, declared, checked, site)
    model.ready(box)


def at_the_gate(model, box, call, selected: bool, site: int):
    env = model.env
    if not selected:
        yield env.timeout(draws.uniform(box.key, P_RELEASE, *GATE_RELEASE_MINUTES) * MINUTE)
        customs.release(model, box)
        return
    customs.order(model, box, site)
    ordered = env.now
    yield env.timeout(draws.uniform(box.key, P_SITE_TRIP, *INTERNAL_TRIP_MINUTES) * MINUTE)  # the truck drives on to the site
    yield from customs.inspect(model, box, site, ordered)
    yield from yard_move(model, box, call.terminal, "yard", trip=True, origin="inspection")


def in_the_yard(model, box, call, declared: float, checked: float, site: int):
    """Customs decides once the terminal's next batch of arrival reports says the box is in, and
    the declaration is checked."""
    env = model.env
    every = ARRIVAL_REPORT_EVERY_HOURS * HOUR
    reported = (env.now // every + 1) * every
    if declared > env.now:
        yield model.at(declared)
        model.emit.box(env.now, "declaration.filed", CUSTOMS, box, declaration=box.declaration.number,
                       parties=parties.of_declaration(box))
    yield from customs.decide(model, max(env.now, reported, checked))
    if not model.selected(box.declaration):
        customs.release(model, box)
        return
    customs.order(model, box, site)
    ordered = env.now
    yield from yard_move(model, box, call.terminal, "inspection", trip=True)
    yield from customs.inspect(model, box, site, ordered)
    yield from yard_move(model, box, call.terminal, "yard", trip=True, origin="inspection")
