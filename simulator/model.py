"""The port as a discrete-event model (SimPy): berths, quay cranes, customs, inspection sites,
gate lanes and trucks, emitting every lift, trip and decision as a v1 event.

Two flows: `traditional` (every import box to the yard first, moved again once customs decides)
and `diversion` (the decision is known at berthing / at the gate: the box goes straight to the
inspection site, or onto its booked truck, or to the stack). Scenario windows close the port,
multiply the inspection rate or slow one call's cranes. Times are seconds after the start.
"""

from __future__ import annotations

import random

import simpy

from simulator import journeys
from simulator.emitter import CUSTOMS, SERVICES, TALLY, Emitter
from simulator.scenario import Scenario
from simulator.traffic import CallPlan, inspection_rate

HOUR = 3600.0
CRANE_MOVES_PER_HOUR = 28 * 0.9       # 22–33 moves/h (TIC 4.0); planning 25 at 0.75 (PIANC WG135)
GATE_SECONDS = 25                     # a flow-through gate (PSA Singapore)
TRUCK_HOURLY = (0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.2, 1.6, 1.8, 1.9, 1.8,
                1.4, 1.5, 1.6, 1.5, 1.3, 1.1, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2)  # ConFlowGen's shape


class PortModel:
    def __init__(self, emitter: Emitter, scenario: Scenario, plan: list[CallPlan], *, seed: int,
                 warmup_hours: float = 0.0):
        self.env = simpy.Environment()
        self.warmup_hours = warmup_hours  # the model's zero is this long before the scenario's start
        self.emit = emitter
        self.scenario = scenario
        self.profile = emitter.profile
        self.rng = random.Random(seed * 7_919 + 17)  # the flow's own draws: the plan stays shared
        self.berths = [simpy.Resource(self.env, len(t.berths)) for t in self.profile.terminals]
        self.free_berths = [list(t.berths) for t in self.profile.terminals]
        self.lanes = [simpy.Resource(self.env, sum(g["lanes"] for g in t.gates) or 4) for t in self.profile.terminals]
        self.sites = [simpy.Resource(self.env, s.get("capacity", 20)) for s in self.profile.inspection_sites]
        self.ready: dict[str, simpy.Event] = {}
        day_calls = [c.index for c in sorted(plan, key=lambda c: c.eta_hours) if c.eta_hours >= warmup_hours]
        self.calls_of_the_day = {index: n for n, index in enumerate(day_calls)}  # n-th call after the start
        local = scenario.start.astimezone(self.profile.timezone)  # the truck profile runs on port time
        self.start_hour = (local.hour + local.minute / 60 - warmup_hours) % 24
        for call in plan:
            for box in call.exports():
                self.ready[box.number] = self.env.event()
            self.env.process(self.vessel_call(call))
            self.env.process(self.announce(call))
            for box in call.exports():
                self.env.process(journeys.export_box(self, box, call))
        self.env.process(self.certificates())

    # -- time helpers --------------------------------------------------------------------------
    def hours(self) -> float:
        """Hours since the scenario's start (negative during the warm-up)."""
        return self.env.now / HOUR - self.warmup_hours

    def until_open(self):
        """Wait while a closure (typhoon) is in force."""
        for window in self.scenario.closures:
            if window.holds(self.hours()):
                yield self.env.timeout((window.start_hours + window.hours - self.hours()) * HOUR)

    def at(self, seconds: float):
        return self.env.timeout(max(0.0, seconds - self.env.now))

    def truck_time(self, earliest: float) -> float:
        """The first hour from `earliest` that the hourly truck profile accepts."""
        t = earliest
        while self.rng.random() * 1.9 > TRUCK_HOURLY[int((self.start_hour + t / HOUR) % 24)]:
            t += HOUR * self.rng.uniform(0.5, 1.0)
        return t

    def flow(self) -> str:
        return self.scenario.flow_at(self.hours())

    def selected(self, box) -> bool:
        factor = 1.0
        for window in self.scenario.inspection_surges:
            if window.holds(self.hours()):
                factor *= window.factor
        return box.inspection_draw < inspection_rate(box, factor)

    def crane_factor(self, call: CallPlan, berthed: float) -> float:
        for window in self.scenario.breakdowns:
            if window.call == self.calls_of_the_day.get(call.index) and window.holds((self.env.now - berthed) / HOUR):
                return window.factor
        return 1.0

    # -- ships ---------------------------------------------------------------------------------
    def announce(self, call: CallPlan):
        arrival = call.eta_hours * HOUR
        terminal = self.emit.terminal(call.terminal)
        stay = len(call.boxes) / (call.cranes * CRANE_MOVES_PER_HOUR) + 3
        for before in (48, 24):
            yield self.at(arrival - before * HOUR)
            eta = arrival + (call.arrival_noise_hours * HOUR if before == 24 else 0)
            self.emit.emit(self.env.now, "vessel.eta", terminal, vessel=call.imo, voyage=call.voyage,
                           classifier="estimated", data={
                               "eta": self.emit.time_text(eta), "etd": self.emit.time_text(eta + stay * HOUR),
                               "name": call.name, "terminal": self.profile.terminals[call.terminal].id,
                               "containers_import": len(call.imports()), "containers_export": len(call.exports())})
        for box in sorted(call.imports(), key=lambda b: -b.declared_before_hours):
            if not box.late_declaration:
                yield self.at(arrival - box.declared_before_hours * HOUR)
                self.emit.box(self.env.now, "declaration.filed", CUSTOMS, box)

    def vessel_call(self, call: CallPlan):
        terminal = self.emit.terminal(call.terminal)
        yield self.at(max(0.0, (call.eta_hours + call.arrival_noise_hours) * HOUR))
        self.emit.emit(self.env.now, "vessel.arrived", terminal, vessel=call.imo, voyage=call.voyage,
                       data={"anchorage": "Xiamen Anchorage"})
        self.emit.emit(self.env.now, "service.health_declared", SERVICES, data={"vessel": call.imo})
        with self.berths[call.terminal].request() as berth_request:
            yield berth_request
            yield from self.until_open()
            berth = self.free_berths[call.terminal].pop(0)
            berthed = self.env.now
            self.emit.emit(berthed, "vessel.berthed", terminal, vessel=call.imo, voyage=call.voyage,
                           data={"terminal": self.profile.terminals[call.terminal].id, "berth": berth})
            self.env.process(self.boarding(call))
            yield from self.work_the_ship(call, berth, berthed)
            yield self.env.timeout(HOUR)  # lashing, pilot, unmooring
            yield from self.until_open()
            self.emit.emit(self.env.now, "vessel.departed", terminal, vessel=call.imo, voyage=call.voyage)
            self.free_berths[call.terminal].append(berth)

    def work_the_ship(self, call: CallPlan, berth: str, berthed: float):
        interval = HOUR / (call.cranes * CRANE_MOVES_PER_HOUR)
        for index, box in enumerate(call.imports()):
            yield from self.until_open()
            yield self.env.timeout(interval / self.crane_factor(call, berthed))
            yield from self.until_open()  # a lift under way when the port closes waits it out
            decided = self.flow() == "diversion" and not box.late_declaration
            to = ("inspection" if self.selected(box) else "direct" if box.truck_booked else "yard") \
                if decided else "yard"
            self.emit.box(self.env.now, "container.discharged", TALLY, box, call, berth=berth,
                          crane=f"QC{index % call.cranes + 1}", to=to)
            self.env.process(journeys.import_box(self, box, call, to, decided))
        for index, box in enumerate(call.exports()):
            ready = self.ready[box.number]
            if not ready.triggered:
                yield ready | self.env.timeout(2 * HOUR)
                if not ready.triggered:
                    continue  # not released in time: rolled to a later ship, stays in port
            yield from self.until_open()
            yield self.env.timeout(interval / self.crane_factor(call, berthed))
            yield from self.until_open()
            self.emit.box(self.env.now, "container.loaded", TALLY, box, call, berth=berth,
                          crane=f"QC{index % call.cranes + 1}")

    def boarding(self, call: CallPlan):
        self.emit.emit(self.env.now, "service.boarding_requested", SERVICES, data={"vessel": call.imo})
        yield self.env.timeout(self.rng.uniform(0.3, 1.0) * HOUR)
        self.emit.emit(self.env.now, "service.boarding_released", SERVICES, data={"vessel": call.imo})

    def certificates(self):
        while True:
            yield self.env.timeout(self.rng.expovariate(120 / 24) * HOUR)  # ~120 a day
            self.env.process(self.certificate())

    def certificate(self):
        reference = {"reference": f"CO{self.rng.randrange(10**8):08d}"}
        self.emit.emit(self.env.now, "service.cert_requested", SERVICES, data=reference)
        yield self.env.timeout(self.rng.uniform(2, 6) * HOUR)
        self.emit.emit(self.env.now, "service.cert_deposited", SERVICES, data=reference)
        yield self.env.timeout(self.rng.uniform(1, 24) * HOUR)
        self.emit.emit(self.env.now, "service.cert_picked_up", SERVICES, data=reference)
