"""The port as a discrete-event model (SimPy): berths, quay and yard cranes, internal trucks,
customs, inspection sites, gate lanes and trucks, emitting every lift, trip and decision as a v1
event. Boxes go their way in simulator/imports.py and exports.py; customs and the inspection sites
are in simulator/customs.py. Scenario windows close the port, multiply the inspection rate or slow
one call's cranes. Times are seconds after the model's zero (port time, see simulator/clock.py).
"""

from __future__ import annotations

import random
from datetime import date

import simpy

from simulator import draws, exports, imports, parties, ships
from simulator.clock import PortClock
from simulator.emitter import CUSTOMS, SERVICES, Emitter
from simulator.scenario import Scenario
from simulator.ships import CRANE_MOVES_PER_HOUR
from simulator.traffic import CallPlan

HOUR = 3600.0
GATE_SECONDS = 25                     # a flow-through gate (PSA Singapore)
YARD_CRANES_PER_BERTH = 6             # (assumed)
INTERNAL_TRUCKS_PER_BERTH = 4         # for moves to and from the inspection sites (assumed)
BOARDING_HOURS = (0.3, 1.0)           # boarding appointment → release (assumed); −10 % with appointments
QUARANTINE_HOURS = (1.0, 3.0)         # quarantine officers board at anchorage, without the paperless
                                      # health declaration (assumed)
P_GATE, P_LANE_TIME, P_BOARDING, P_QUARANTINE = 40, 41, 42, 43
ASSUMPTIONS = (
    ("YARD_CRANES_PER_BERTH", YARD_CRANES_PER_BERTH, "yard cranes per berth"),
    ("INTERNAL_TRUCKS_PER_BERTH", INTERNAL_TRUCKS_PER_BERTH, "internal trucks per berth for the inspection sites"),
    ("BOARDING_HOURS", BOARDING_HOURS, "boarding appointment to release, before the appointments"),
    ("QUARANTINE_HOURS", QUARANTINE_HOURS, "quarantine boarding at anchorage without the paperless declaration"),
    ("inspection site capacity", "profile", "boxes an inspection site inspects at once"),
    ("Haitian Terminal's diversion_since", "profile", "the date smart diversion began at the seed terminal"),
)


class PortModel:
    def __init__(self, emitter: Emitter, scenario: Scenario, plan: list[CallPlan], *, seed: int,
                 warmup_hours: float = 0.0):
        self.env = simpy.Environment()
        self.warmup_hours = warmup_hours  # the model's zero is this long before the scenario's start
        self.emit = emitter
        self.scenario = scenario
        self.profile = emitter.profile
        self.clock = PortClock(emitter.start)
        self.seed = seed
        self.rng = random.Random(seed * 7_919 + 17)  # the services' own draws
        self._build_resources(scenario.scale)
        self.quiet_after = float("inf")  # a report's drain: no new ship or export truck from then
        self.discharged: dict[int, float] = {}
        self.released: dict[int, simpy.Event] = {}
        self.rolled: list[list] = [[] for _ in self.profile.terminals]   # export boxes waiting for a ship
        self.diversion_from = [date.fromisoformat(t.diversion_since).toordinal() if t.diversion_since else None
                               for t in self.profile.terminals]
        day_calls = [c.index for c in sorted(plan, key=lambda c: c.eta_hours) if c.eta_hours >= warmup_hours]
        self.calls_of_the_day = {index: n for n, index in enumerate(day_calls)}  # n-th call after the start
        for call in plan:
            for box in call.exports():
                self.released[box.serial] = self.env.event()
                self.env.process(exports.export_box(self, box, call))
            self.env.process(self.vessel_call(call))
            self.env.process(self.announce(call))
            self.env.process(self.advance_declarations(call))
        self.env.process(self.certificates())

    def _build_resources(self, scale: float) -> None:
        def count(n: float) -> int:
            return max(1, round(n * scale))
        terminals, env = self.profile.terminals, self.env
        self.berths = [simpy.Resource(env, len(t.berths)) for t in terminals]
        self.free_berths = [list(t.berths) for t in terminals]
        self.lanes = [simpy.Resource(env, count(sum(g["lanes"] for g in t.gates) or 4)) for t in terminals]
        self.yard_cranes = [simpy.Resource(env, count(YARD_CRANES_PER_BERTH * len(t.berths))) for t in terminals]
        self.internal_trucks = [simpy.Resource(env, count(INTERNAL_TRUCKS_PER_BERTH * len(t.berths))) for t in terminals]
        self.sites = [simpy.Resource(env, count(s.get("capacity", 20))) for s in self.profile.inspection_sites]
        self.site_weights = [s.get("capacity", 20) for s in self.profile.inspection_sites]
        self.site_weight_total = sum(self.site_weights)

    # -- time and rules ------------------------------------------------------------------------
    def hours(self) -> float:
        """Hours since the scenario's start (negative during the warm-up)."""
        return self.env.now / HOUR - self.warmup_hours

    def until_open(self):
        """Wait while a closure (typhoon) is in force: no berthing, cranes, gates, customs or inspection."""
        for window in self.scenario.closures:
            if window.holds(self.hours()):
                yield self.env.timeout((window.start_hours + window.hours - self.hours()) * HOUR)

    def at(self, seconds: float):
        return self.env.timeout(max(0.0, seconds - self.env.now))

    def diverts(self, terminal: int) -> bool:
        """Smart diversion runs at this terminal now: the flow, and the terminal's own start date
        unless the scenario runs it everywhere."""
        if self.scenario.flow_at(self.hours()) != "diversion":
            return False
        if self.scenario.diversion_everywhere:
            return True
        since = self.diversion_from[terminal]
        return since is not None and self.clock.date_ordinal(self.env.now) >= since

    def selected(self, declaration) -> bool:
        factor = 1.0
        for window in self.scenario.inspection_surges:
            if window.holds(self.hours()):
                factor *= window.factor
        return declaration.selected(factor)

    def planned_pickup(self, box) -> float:
        """The consignee's truck: its dwell after the discharge, on the weekly truck profile."""
        return self.clock.truck_time(self.discharged[box.serial] + box.dwell_hours() * HOUR,
                                     box.key, imports.P_TRUCK, draws.uniform01)

    def ready(self, box) -> None:
        self.released[box.serial].succeed()

    def crane_factor(self, call: CallPlan, berthed: float) -> float:
        for window in self.scenario.breakdowns:
            if window.call == self.calls_of_the_day.get(call.index) and window.holds((self.env.now - berthed) / HOUR):
                return window.factor
        return 1.0

    def gate(self, box, terminal_index: int, kind: str, **data):
        """A truck through a gate lane: ~25 s at the barrier, then the gate's event."""
        terminal = self.profile.terminals[terminal_index]
        with self.lanes[terminal_index].request() as lane:
            yield lane
            yield self.env.timeout(draws.uniform(box.key, P_LANE_TIME + (kind == "gate.out"), 0.6, 1.4) * GATE_SECONDS)
            yield from self.until_open()  # the barrier does not lift while the port is closed
        gates = terminal.gates
        gate_id = gates[int(draws.uniform01(box.key, P_GATE) * len(gates))]["id"] if gates else "G1"
        self.emit.box(self.env.now, kind, self.emit.terminal(terminal_index), box, gate=gate_id,
                      parties=parties.of_gate(box),
                      truck=f"闽D{int(draws.uniform01(box.key, P_GATE + 1) * 1e5):05d}", **data)

    # -- ships ---------------------------------------------------------------------------------
    def announce(self, call: CallPlan):
        """ETAs 48 h and 24 h ahead of the scheduled arrival."""
        arrival = call.eta_hours * HOUR
        terminal = self.emit.terminal(call.terminal)
        stay = len(call.boxes) / (call.cranes * CRANE_MOVES_PER_HOUR * self.scenario.scale) + 3
        for before in (48, 24):
            yield self.at(arrival - before * HOUR)
            eta = arrival + (call.arrival_noise_hours * HOUR if before == 24 else 0)
            self.emit.emit(self.env.now, "vessel.eta", terminal, vessel=call.imo, voyage=call.voyage,
                           classifier="estimated", data={
                               "eta": self.emit.time_text(eta), "etd": self.emit.time_text(eta + stay * HOUR),
                               "name": call.name, "terminal": self.profile.terminals[call.terminal].id,
                               "containers_import": len(call.imports()), "containers_export": len(call.exports())})

    def advance_declarations(self, call: CallPlan):
        """Import declarations lodged before the ship arrives, in the order they come in."""
        drive = self.scenario.has("early_declaration")
        lodged = sorted((imports.declared_at(box, call, 0.0, drive), n, box) for n, box in enumerate(call.imports())
                        if box.declaration.early("import", drive))
        for at, _, box in lodged:
            yield self.at(at)
            self.emit.box(self.env.now, "declaration.filed", CUSTOMS, box, declaration=box.declaration.number,
                          parties=parties.of_declaration(box))

    def vessel_call(self, call: CallPlan):
        terminal = self.emit.terminal(call.terminal)
        yield self.at(max(0.0, (call.eta_hours + call.arrival_noise_hours) * HOUR))
        if self.env.now > self.quiet_after:
            return
        self.emit.emit(self.env.now, "vessel.arrived", terminal, vessel=call.imo, voyage=call.voyage,
                       data={"anchorage": "Xiamen Anchorage"})
        self.emit.emit(self.env.now, "service.health_declared", SERVICES, data={"vessel": call.imo})
        pratique = self.env.now  # free pratique: at once with the paperless health declaration
        if not self.scenario.has("paperless_declaration"):
            key = draws.stream_key(self.seed, 3, call.index)
            pratique += draws.uniform(key, P_QUARANTINE, *QUARANTINE_HOURS) * HOUR
        with self.berths[call.terminal].request() as berth_request:
            yield berth_request
            yield self.at(pratique)
            yield from self.until_open()
            berth = self.free_berths[call.terminal].pop(0)
            berthed = self.env.now
            self.emit.emit(berthed, "vessel.berthed", terminal, vessel=call.imo, voyage=call.voyage,
                           data={"terminal": self.profile.terminals[call.terminal].id, "berth": berth})
            self.env.process(self.boarding(call))
            yield from ships.discharge(self, call, berth, berthed)
            yield from ships.load(self, call, berth, berthed)
            yield self.env.timeout(HOUR)  # lashing, pilot, unmooring
            yield from self.until_open()
            self.emit.emit(self.env.now, "vessel.departed", terminal, vessel=call.imo, voyage=call.voyage)
            self.free_berths[call.terminal].append(berth)

    def boarding(self, call: CallPlan):
        """Boarding appointment → release; the appointments cut it by a tenth (seed port)."""
        self.emit.emit(self.env.now, "service.boarding_requested", SERVICES, data={"vessel": call.imo})
        factor = 0.9 if self.scenario.has("boarding_appointment") else 1.0
        key = draws.stream_key(self.seed, 3, call.index)
        yield self.env.timeout(draws.uniform(key, P_BOARDING, *BOARDING_HOURS) * factor * HOUR)
        self.emit.emit(self.env.now, "service.boarding_released", SERVICES, data={"vessel": call.imo})

    def certificates(self):
        while self.env.now <= self.quiet_after:
            yield self.env.timeout(self.rng.expovariate(120 / 24) * HOUR)  # ~120 a day
            self.env.process(self.certificate())

    def certificate(self):
        reference = {"reference": f"CO{self.rng.randrange(10**8):08d}"}
        self.emit.emit(self.env.now, "service.cert_requested", SERVICES, data=reference)
        yield self.env.timeout(self.rng.uniform(2, 6) * HOUR)
        self.emit.emit(self.env.now, "service.cert_deposited", SERVICES, data=reference)
        yield self.env.timeout(self.rng.uniform(1, 24) * HOUR)
        self.emit.emit(self.env.now, "service.cert_picked_up", SERVICES, data=reference)
