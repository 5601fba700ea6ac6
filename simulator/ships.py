"""A ship at its berth: the quay cranes discharge its import boxes, then load its export boxes.

The tally (the count of what came off) is complete when the last import box is off: the
traditional flow's customs decisions wait for it. An export box not released when its ship loads
is rolled to the next ship at the same terminal; the ship does not wait for it.
"""

from __future__ import annotations

from simulator import imports, parties
from simulator.emitter import TALLY

HOUR = 3600.0
CRANE_MOVES_PER_HOUR = 28 * 0.9       # 22–33 moves/h (TIC 4.0); planning 25 at 0.75 (PIANC WG135)


def discharge(model, call, berth: str, berthed: float):
    env = model.env
    interval = HOUR / (call.cranes * CRANE_MOVES_PER_HOUR * model.scenario.scale)  # thinned calls keep their stay
    boxes = call.imports()
    tally_done = env.event()
    for index, box in enumerate(boxes):
        if box.ship_side:  # the booked truck comes for the box's expected turn under the crane
            env.process(imports.ship_side_truck(model, box, call, berthed + (index + 1) * interval))
    for index, box in enumerate(boxes):
        yield from model.until_open()
        yield env.timeout(interval / model.crane_factor(call, berthed))
        yield from model.until_open()  # a lift under way when the port closes waits it out
        to = imports.destination(model, box, call, berthed)
        model.discharged[box.serial] = env.now
        model.emit.box(env.now, "container.discharged", TALLY, box, call, berth=berth,
                       parties=parties.of_discharge(box),
                       crane=f"QC{index % call.cranes + 1}", to="yard" if to == "released" else to)
        env.process(imports.after_discharge(model, box, call, to, berthed, tally_done))
    tally_done.succeed()


def load(model, call, berth: str, berthed: float):
    """Every export box of the call and the rolled ones of its terminal that customs has released."""
    env = model.env
    interval = HOUR / (call.cranes * CRANE_MOVES_PER_HOUR * model.scenario.scale)  # thinned calls keep their stay
    waiting = model.rolled[call.terminal] + call.exports()
    model.rolled[call.terminal] = [box for box in waiting if not model.released[box.serial].triggered]
    for index, box in enumerate(box for box in waiting if model.released[box.serial].triggered):
        yield from model.until_open()
        yield env.timeout(interval / model.crane_factor(call, berthed))
        yield from model.until_open()
        model.emit.box(env.now, "container.loaded", TALLY, box, call, berth=berth,
                       crane=f"QC{index % call.cranes + 1}")
