"""One box's way through the port after the ship (import) or before it (export).

Generator functions run as SimPy processes of a `PortModel`; every lift, trip, gate passage and
customs decision is an event, so the state's moves and times come out of the data.
"""

from __future__ import annotations

from simulator.emitter import CUSTOMS

HOUR = 3600.0
CUSTOMS_MEDIAN_HOURS = 1.7      # declaration checked after arrival (national 2020 export: 1.78 h)


def import_box(model, box, call, to: str, decided: bool):
    """From the quay to the truck: inspection first when customs selected it. `decided`: the
    customs decision was known at berthing (smart diversion with an early declaration)."""
    env, emit = model.env, model.emit
    terminal = emit.terminal(call.terminal)
    if box.late_declaration:
        yield env.timeout(model.rng.uniform(1, 6) * HOUR)
        emit.box(env.now, "declaration.filed", CUSTOMS, box)
    if decided:
        selected = to == "inspection"
    else:
        yield env.timeout(customs_delay(model))
        selected = model.selected(box)
    if selected:
        emit.box(env.now, "customs.inspection_ordered", CUSTOMS, box, mode="physical",
                 site=model.profile.inspection_sites[0]["id"])
        if to == "yard":
            yield env.timeout(model.rng.uniform(0.5, 3) * HOUR)  # wait for a yard crane
            emit.box(env.now, "container.moved", terminal, box, **{"from": "yard", "to": "inspection"})
        yield from inspect(model, box)
    else:
        yield env.timeout(model.rng.uniform(0.05, 0.2) * HOUR if decided else 0)
        emit.box(env.now, "customs.released", CUSTOMS, box)
    yield from pickup(model, box, call, "inspection" if selected else to)


def inspect(model, box):
    """At the inspection site: queue for a slot, inspect, then release (or hold, then release)."""
    env, emit = model.env, model.emit
    site_index = int(box.inspection_draw * 1e6) % len(model.sites)
    site = model.profile.inspection_sites[site_index]["id"]
    with model.sites[site_index].request() as slot:
        yield slot
        yield env.timeout(model.rng.uniform(1, 3) * HOUR)
        emit.box(env.now, "inspection.completed", f"inspection.{site}", box, site=site,
                 result="hold" if box.hold else "pass")
    if box.hold:
        yield env.timeout(model.rng.uniform(12, 48) * HOUR)
    else:
        yield env.timeout(model.rng.uniform(0.1, 0.5) * HOUR)
    emit.box(env.now, "customs.released", CUSTOMS, box)


def pickup(model, box, call, where: str):
    """The truck: in through a gate lane, a lift onto it unless it came off the ship onto it, out."""
    env, emit = model.env, model.emit
    terminal = emit.terminal(call.terminal)
    if where == "direct":  # the booked truck waited at the quay
        yield env.timeout(model.rng.uniform(0.1, 0.3) * HOUR)
        yield from model.until_open()
        yield from gate(model, box, call.terminal, "gate.in")
        yield env.timeout(model.rng.uniform(0.1, 0.5) * HOUR)
    else:
        due = model.truck_time(env.now + box.dwell_hours * HOUR)
        yield model.at(due)
        yield from model.until_open()
        yield from gate(model, box, call.terminal, "gate.in")
        yield env.timeout(model.rng.uniform(0.2, 0.6) * HOUR)  # to the stack, a yard crane lifts
        emit.box(env.now, "container.moved", terminal, box, **{"from": where, "to": "truck"})
        yield env.timeout(model.rng.uniform(0.1, 0.4) * HOUR)
    yield from model.until_open()
    yield from gate(model, box, call.terminal, "gate.out")


def gate(model, box, terminal_index: int, kind: str, **data):
    terminal = model.profile.terminals[terminal_index]
    with model.lanes[terminal_index].request() as lane:
        yield lane
        yield model.env.timeout(model.rng.uniform(0.6, 1.4) * 25)
        yield from model.until_open()  # the barrier does not lift while the port is closed
    gate_id = terminal.gates[int(box.inspection_draw * 1e4) % len(terminal.gates)]["id"] if terminal.gates else "G1"
    model.emit.box(model.env.now, kind, model.emit.terminal(terminal_index), box, gate=gate_id,
                   truck=f"闽D{int(box.inspection_draw * 1e5):05d}", **data)


def export_box(model, box, call):
    """Declared, trucked in through the gate, checked by customs, ready for its ship."""
    env, emit = model.env, model.emit
    arrival = call.eta_hours * HOUR
    gate_at = model.truck_time(max(0.0, arrival - box.dwell_hours * HOUR))
    if not box.late_declaration:
        yield model.at(max(0.0, gate_at - box.declared_before_hours * HOUR))
        emit.box(env.now, "declaration.filed", CUSTOMS, box)
    yield model.at(gate_at)
    yield from model.until_open()
    early = model.flow() == "diversion" and not box.late_declaration
    selected = model.selected(box)
    to = ("inspection" if selected else "direct") if early else "yard"
    yield from gate(model, box, call.terminal, "gate.in", to=to)
    yield from export_clearance(model, box, call, early, selected, to)
    model.ready[box.number].succeed()


def export_clearance(model, box, call, early: bool, selected: bool, to: str):
    env, emit = model.env, model.emit
    if box.late_declaration:
        yield env.timeout(model.rng.uniform(1, 4) * HOUR)
        emit.box(env.now, "declaration.filed", CUSTOMS, box)
    if not early:
        yield env.timeout(customs_delay(model))
    if selected:
        emit.box(env.now, "customs.inspection_ordered", CUSTOMS, box, mode="physical",
                 site=model.profile.inspection_sites[0]["id"])
        if to == "yard":
            yield env.timeout(model.rng.uniform(0.5, 2) * HOUR)
            emit.box(env.now, "container.moved", emit.terminal(call.terminal), box,
                     **{"from": "yard", "to": "inspection"})
        yield from inspect(model, box)
        emit.box(env.now, "container.moved", emit.terminal(call.terminal), box,
                 **{"from": "inspection", "to": "yard"})
    else:
        yield env.timeout(model.rng.uniform(0.02, 0.1) * HOUR if early else 0)
        emit.box(env.now, "customs.released", CUSTOMS, box)


def customs_delay(model) -> float:
    return model.rng.lognormvariate(0, 0.5) * CUSTOMS_MEDIAN_HOURS * HOUR
