"""An import box after its ship: the decision, the yard or not, the inspection, the truck.

Generator functions run as SimPy processes of a `PortModel`. Traditional flow: the box goes to the
yard, customs decides once the ship's tally is in (and the declaration checked), and the box is
moved again, to the inspection site or onto its truck. Smart diversion (at a terminal that runs
it, for a declaration checked before the discharge): the decision is known at the quay, so the
box goes straight to the inspection site, or onto the truck waiting at the ship's side.
"""

from __future__ import annotations

from simulator import customs, draws, parties
from simulator.emitter import CUSTOMS

HOUR = 3600.0
MINUTE = 60.0
DECLARED_BEFORE_HOURS = (2.0, 72.0)      # an advance declaration, before the ship's arrival
LATE_LAG_MEDIAN_HOURS = 12.0             # a late one, after the berthing (assumed; calibrated)
SHIP_SIDE_LEAD_HOURS = 0.3               # a booked truck comes this long before its box
DIRECT_MINUTES = (5.0, 8.0)              # ship-side pickup, unloading → lift-off (Shenzhen)
TRUCK_REACTION_HOURS = (0.5, 2.0)        # a trucker told of a late release (assumed)
YARD_LIFT_MINUTES = (2.0, 4.0)           # one yard-crane lift (assumed)
INTERNAL_TRIP_MINUTES = (10.0, 25.0)     # quay / yard → inspection site (assumed)
TURN_MINUTES = (20.0, 62.0)              # truck in → out around the lift, mean 41 (LA/LB)
P_DECLARED, P_LATE, P_REACTION, P_LIFT, P_TRIP, P_TURN, P_DIRECT = 20, 21, 22, 23, 24, 25, 26
P_TRUCK = 100                            # purposes 100…899: the truck profile's thinning
ASSUMPTIONS = (
    ("imports.LATE_LAG_MEDIAN_HOURS", LATE_LAG_MEDIAN_HOURS,
     "a late import declaration, median hours after the berthing (calibrated: the import figure)"),
    ("TRUCK_REACTION_HOURS", TRUCK_REACTION_HOURS, "a trucker told of a late release"),
    ("YARD_LIFT_MINUTES", YARD_LIFT_MINUTES, "one yard-crane lift"),
    ("INTERNAL_TRIP_MINUTES", INTERNAL_TRIP_MINUTES, "quay or yard to the inspection site"),
)


def declared_at(box, call, berthed: float, drive: bool) -> float:
    """When the box's declaration was lodged (model seconds): before the ship's scheduled arrival,
    or after its berthing when late."""
    declaration = box.declaration
    if declaration.early("import", drive):
        return call.eta_hours * HOUR - draws.uniform(declaration.key, P_DECLARED, *DECLARED_BEFORE_HOURS) * HOUR
    return berthed + draws.lognormal(declaration.key, P_LATE, LATE_LAG_MEDIAN_HOURS, 0.8) * HOUR


def destination(model, box, call, berthed: float) -> str:
    """Where the crane puts the box: decided at the quay under diversion, else the yard."""
    if not model.diverts(call.terminal):
        return "yard"
    declared = declared_at(box, call, berthed, model.scenario.has("early_declaration"))
    if customs.check_done(declared, box.declaration.key) > model.env.now:
        return "yard"  # not checked yet: nothing to divert on
    if model.selected(box.declaration):
        return "inspection"
    return "direct" if box.ship_side else "released"


def after_discharge(model, box, call, to: str, berthed: float, tally_done):
    """From the quay to the road. `to`: inspection, direct, released (to the yard, already
    released) or yard (to the yard, decision to come)."""
    env = model.env
    site = customs.site_of(model, box)
    if to == "direct":
        customs.release(model, box)
        yield env.timeout(draws.uniform(box.key, P_DIRECT, *DIRECT_MINUTES) * MINUTE)
        yield from model.gate(box, call.terminal, "gate.out")
        return
    if to == "inspection":
        customs.order(model, box, site)
        ordered = env.now
        yield env.timeout(draws.uniform(box.key, P_TRIP, *INTERNAL_TRIP_MINUTES) * MINUTE)
        yield from customs.inspect(model, box, site, ordered)
        yield from pickup(model, box, call, "inspection")
        return
    if to == "released":
        customs.release(model, box)
        yield from pickup(model, box, call, "yard")
        return
    yield from traditional_decision(model, box, call, berthed, tally_done, site)


def traditional_decision(model, box, call, berthed: float, tally_done, site: int):
    """In the yard: customs decides once the tally is in and the declaration checked."""
    env = model.env
    yield tally_done
    declared = declared_at(box, call, berthed, model.scenario.has("early_declaration"))
    if declared > env.now:
        yield model.at(declared)
        model.emit.box(env.now, "declaration.filed", CUSTOMS, box, declaration=box.declaration.number,
                       parties=parties.of_declaration(box))
    yield from customs.decide(model, max(env.now, customs.check_done(declared, box.declaration.key)))
    if not model.selected(box.declaration):
        customs.release(model, box)
        yield from pickup(model, box, call, "yard")
        return
    customs.order(model, box, site)
    ordered = env.now
    yield from yard_move(model, box, call.terminal, "inspection", trip=True)
    yield from customs.inspect(model, box, site, ordered)
    yield from pickup(model, box, call, "inspection")


def yard_move(model, box, terminal: int, to: str, *, trip: bool = False, origin: str = "yard"):
    """A yard crane lifts the box (onto an internal truck for a trip, or onto the road truck)."""
    env = model.env
    with model.yard_cranes[terminal].request() as crane:
        yield crane
        yield env.timeout(draws.uniform(box.key, P_LIFT + (to == "truck"), *YARD_LIFT_MINUTES) * MINUTE)
        model.emit.box(env.now, "container.moved", model.emit.terminal(terminal), box,
                       **{"from": origin, "to": to})
    if trip:
        with model.internal_trucks[terminal].request() as truck:
            yield truck
            yield env.timeout(draws.uniform(box.key, P_TRIP, *INTERNAL_TRIP_MINUTES) * MINUTE)


def pickup(model, box, call, where: str):
    """The consignee's truck, at its planned time, or once the box is released if that is later."""
    env = model.env
    if box.ship_side:  # the truck has been waiting since the discharge
        yield from model.until_open()
    else:
        planned = model.planned_pickup(box)
        due = planned if planned >= env.now else model.clock.truck_time(
            env.now + draws.uniform(box.key, P_REACTION, *TRUCK_REACTION_HOURS) * HOUR, box.key, P_TRUCK + 400, draws.uniform01)
        yield model.at(due)
        yield from model.until_open()
        yield from model.gate(box, call.terminal, "gate.in")
    turn = draws.uniform(box.key, P_TURN, *TURN_MINUTES) * MINUTE
    yield env.timeout(turn / 2)  # to the stack
    yield from yard_move(model, box, call.terminal, "truck", origin=where)
    yield env.timeout(turn / 2)  # out to the gate
    yield from model.until_open()
    yield from model.gate(box, call.terminal, "gate.out")


def ship_side_truck(model, box, call, expected_discharge: float):
    """A truck booked for the discharge comes through the gate just before its box comes off."""
    yield model.at(expected_discharge - SHIP_SIDE_LEAD_HOURS * HOUR)
    yield from model.until_open()
    yield from model.gate(box, call.terminal, "gate.in")
