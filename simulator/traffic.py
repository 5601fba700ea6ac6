"""The traffic plan: which ships call, when, with which boxes, drawn once from the seed.

Drawn before the simulation runs, from its own random stream, so both flows of the A/B report
(and every scenario) see the very same ships, boxes, declarations, inspection draws and truck
bookings; only what the flow decides differs. Parameters and their sources: docs/simulator.md.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from stdnum import imo as imo_number
from stdnum import iso6346

from feeds.profile import PortProfile

DEEP_SEA_SHARE = 0.4
DEEP_SEA_TEU = (8_000, 20_000)
FEEDER_TEU = (1_000, 3_000)
IMPORT_SHARE = 0.5
AEO_SHARE = 0.3                       # shippers with AEO certification
INSPECTION_RATE = 0.03                # ordinary companies (China GAC, 2018)
INSPECTION_RATE_AEO = 0.0047
LATE_DECLARATION = 0.1                # declared after the box arrived: no early decision
TRUCK_BOOKED = 0.75                   # import boxes whose truck is booked for the berthing
OWNERS = ("MSK", "CSQ", "OOL", "EGH", "CMA", "HLX", "ONE", "COS", "YML", "ZIM")
NAMES = ("COSCO Shipping Aries", "Ever Given", "OOCL Hong Kong", "CMA CGM Jacques Saade",
         "MSC Gulsun", "Madrid Maersk", "HMM Algeciras", "Xin Xiamen", "Min Hai 6", "Haixi Star",
         "Jin Yang", "Tai Cang", "Zhong Gu Xiamen", "Yang Ming Wonder", "ONE Harmony")


@dataclass
class BoxPlan:
    number: str
    direction: str
    aeo: bool
    inspection_draw: float            # selected when below the inspection rate in force
    hold: bool                        # the inspection finds something: held, released later
    late_declaration: bool
    truck_booked: bool
    declared_before_hours: float      # import: before the ship's arrival; export: before gate-in
    dwell_hours: float                # import: discharge → truck; export: gate-in → ship (lead)


@dataclass
class CallPlan:
    index: int
    imo: str
    voyage: str
    name: str
    terminal: int                     # index into the profile's terminals
    eta_hours: float                  # scheduled arrival, hours after the start
    arrival_noise_hours: float
    cranes: int
    boxes: list[BoxPlan] = field(default_factory=list)

    def imports(self) -> list[BoxPlan]:
        return [box for box in self.boxes if box.direction == "import"]

    def exports(self) -> list[BoxPlan]:
        return [box for box in self.boxes if box.direction == "export"]


def ship_number(rng: random.Random) -> str:
    body = str(rng.randint(900_000, 999_999))
    return body + imo_number.calc_check_digit(body)


def box_number(serial: int) -> str:
    body = f"{OWNERS[serial % len(OWNERS)]}U{serial // len(OWNERS) % 1_000_000:06d}"
    return body + iso6346.calc_check_digit(body)


def lognormal_hours(rng: random.Random, median: float, sigma: float, minimum: float) -> float:
    return max(minimum, median * math.exp(rng.gauss(0, sigma)))


def plan_traffic(profile: PortProfile, *, seed: int, days: float, boxes_per_day: int) -> list[CallPlan]:
    """Calls arriving over `days` (hours after the model's zero), about `boxes_per_day` boxes a day."""
    rng = random.Random(seed)
    calls, serial, total, target = [], 0, 0, int(days * boxes_per_day)
    while total < target:
        deep_sea = rng.random() < DEEP_SEA_SHARE
        teu = rng.uniform(*(DEEP_SEA_TEU if deep_sea else FEEDER_TEU))
        moves = int(teu * rng.triangular(0.3, 0.6 if deep_sea else 0.8) / 2)
        call = CallPlan(index=len(calls), imo=ship_number(rng), voyage=f"{rng.randint(1, 999):03d}{rng.choice('EWNS')}",
                        name=rng.choice(NAMES), terminal=rng.randrange(len(profile.terminals)),
                        eta_hours=0.0, arrival_noise_hours=rng.gauss(0, 1.5), cranes=6 if deep_sea else 3)
        for _ in range(moves):
            call.boxes.append(_box(rng, serial, "import" if rng.random() < IMPORT_SHARE else "export"))
            serial += 1
        calls.append(call)
        total += moves
    span = days * 24
    etas = sorted(rng.uniform(1.0, span) for _ in calls)  # arrivals spread over the days
    for call, eta in zip(calls, etas):
        call.eta_hours = eta
    return calls


def _box(rng: random.Random, serial: int, direction: str) -> BoxPlan:
    aeo = rng.random() < AEO_SHARE
    if direction == "import":
        declared, dwell = rng.uniform(2, 72), lognormal_hours(rng, 40, 0.6, 3)
    else:
        declared, dwell = rng.uniform(1, 48), lognormal_hours(rng, 60, 0.5, 12)
    return BoxPlan(number=box_number(serial), direction=direction, aeo=aeo, inspection_draw=rng.random(),
                   hold=rng.random() < 0.1, late_declaration=rng.random() < LATE_DECLARATION,
                   truck_booked=rng.random() < TRUCK_BOOKED, declared_before_hours=declared, dwell_hours=dwell)


def inspection_rate(box: BoxPlan, factor: float = 1.0) -> float:
    return (INSPECTION_RATE_AEO if box.aeo else INSPECTION_RATE) * factor
