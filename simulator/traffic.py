"""The traffic plan: which ships call, when, at which terminal, with which boxes and declarations.

Drawn before the simulation runs, from the plan's own random stream, so every flow and every set
of measures sees the very same ships, boxes and declarations. What happens to a box later is
drawn from its own stream (simulator/draws.py). Parameters and their sources: docs/simulator.md;
those without a public source are listed in ASSUMPTIONS and named in the reconstruction report.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cached_property

from stdnum import imo as imo_number
from stdnum import iso6346

from feeds.profile import PortProfile
from simulator import draws

DEEP_SEA_SHARE = 0.4
DEEP_SEA_TEU = (8_000, 20_000)
FEEDER_TEU = (1_000, 3_000)
IMPORT_SHARE = 0.5
AEO_SHARE = 0.3                       # declarations by AEO-certified companies (assumed)
INSPECTION_RATE = 0.03                # per declaration, ordinary companies (China GAC, 2018)
INSPECTION_RATE_AEO = 0.0047          # AEO-certified companies (China GAC, 2018)
HOLD_SHARE = 0.1                      # inspections that find something (assumed)
BOXES_PER_DECLARATION = (1, 4)        # boxes under one declaration, uniform (assumed)
# Declarations lodged before the ship arrives (import) / the box reaches the gate (export):
# without and with the advance-declaration drive (early_declaration).
EARLY_SHARE = {"import": (0.45, 0.75), "export": (0.82, 0.86)}
# Import: discharge → the consignee's planned pickup. ConFlowGen's minimum (3 h); its mean (3.0 days,
# Hamburg) is too long for China: the mean is chosen so that the reconstruction's "before" lands on
# the national import clearance time of 2020, 34.91 h (GAC, People's Daily).
IMPORT_DWELL_MEAN_HOURS, IMPORT_DWELL_MIN_HOURS = 30.0, 3.0
EXPORT_DWELL_MEAN_HOURS, EXPORT_DWELL_MIN_HOURS = 156.0, 12.0   # ConFlowGen: 6.5 days, min 12 h
DWELL_SIGMA = 0.6
SHIP_SIDE_SHARE = 0.15               # consignees booking their truck for the discharge (assumed)
OWNERS = ("MSK", "CSQ", "OOL", "EGH", "CMA", "HLX", "ONE", "COS", "YML", "ZIM")
NAMES = ("COSCO Shipping Aries", "Ever Given", "OOCL Hong Kong", "CMA CGM Jacques Saade",
         "MSC Gulsun", "Madrid Maersk", "HMM Algeciras", "Xin Xiamen", "Min Hai 6", "Haixi Star",
         "Jin Yang", "Tai Cang", "Zhong Gu Xiamen", "Yang Ming Wonder", "ONE Harmony")
ASSUMPTIONS = (
    ("AEO_SHARE", AEO_SHARE, "share of declarations by AEO-certified companies"),
    ("HOLD_SHARE", HOLD_SHARE, "share of inspections that hold the box"),
    ("BOXES_PER_DECLARATION", BOXES_PER_DECLARATION, "boxes under one declaration"),
    ("EARLY_SHARE", EARLY_SHARE, "declarations lodged in advance, before and after the drive"),
    ("SHIP_SIDE_SHARE", SHIP_SIDE_SHARE, "import boxes whose truck is booked for the discharge"),
)


@dataclass(eq=False)
class Declaration:
    number: str
    key: int                          # its own random stream
    aeo: bool

    def early(self, direction: str, drive: bool) -> bool:
        """Lodged in advance: one draw, a higher threshold with the advance-declaration drive."""
        without, with_drive = EARLY_SHARE[direction]
        return draws.uniform01(self.key, 3) < (with_drive if drive else without)

    def selected(self, factor: float = 1.0) -> bool:
        """Customs selects a declaration (all its boxes) for inspection; one draw, whatever the flow."""
        rate = (INSPECTION_RATE_AEO if self.aeo else INSPECTION_RATE) * factor
        return draws.uniform01(self.key, 1) < rate

    @property
    def hold(self) -> bool:
        return draws.uniform01(self.key, 2) < HOLD_SHARE


@dataclass(eq=False)
class BoxPlan:
    serial: int
    direction: str
    key: int                          # its own random stream (simulator/draws.py)
    declaration: Declaration

    @cached_property
    def number(self) -> str:
        """Its ISO 6346 number, made when first needed: most planned boxes of the look-ahead never
        reach the port during a run."""
        return box_number(self.serial)

    @property
    def ship_side(self) -> bool:
        return self.direction == "import" and draws.uniform01(self.key, 2) < SHIP_SIDE_SHARE

    def dwell_hours(self) -> float:
        """Import: discharge → the consignee's planned pickup; export: gate-in → its ship."""
        mean, minimum = ((IMPORT_DWELL_MEAN_HOURS, IMPORT_DWELL_MIN_HOURS) if self.direction == "import"
                         else (EXPORT_DWELL_MEAN_HOURS, EXPORT_DWELL_MIN_HOURS))
        return draws.lognormal(self.key, 3, draws.median_of_mean(mean, DWELL_SIGMA), DWELL_SIGMA, minimum)


@dataclass(eq=False)
class CallPlan:
    index: int
    imo: str
    voyage: str
    name: str
    terminal: int                     # index into the profile's terminals
    eta_hours: float                  # scheduled arrival, hours after the model's zero
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


def plan_traffic(profile: PortProfile, *, seed: int, days: float, boxes_per_day: float,
                 scale: float = 1.0) -> list[CallPlan]:
    """Calls arriving over `days` (hours after the model's zero), about `boxes_per_day` boxes a day.
    Each terminal has its own calls, its share of the boxes in proportion to its berths, arriving
    spread over the days. `scale` thins every call's boxes (the ships, their schedule and their
    stays stay those of the whole port)."""
    rng = random.Random(seed)
    berths = sum(len(terminal.berths) for terminal in profile.terminals)
    calls, serial = [], 0
    for index, terminal in enumerate(profile.terminals):
        target, total, mine = int(days * boxes_per_day * len(terminal.berths) / berths), 0, []
        while total < target:
            deep_sea = rng.random() < DEEP_SEA_SHARE
            teu = rng.uniform(*(DEEP_SEA_TEU if deep_sea else FEEDER_TEU))
            moves = int(teu * rng.triangular(0.3, 0.6 if deep_sea else 0.8) / 2)
            call = CallPlan(index=0, imo=ship_number(rng), voyage=f"{rng.randint(1, 999):03d}{rng.choice('EWNS')}",
                            name=rng.choice(NAMES), terminal=index, eta_hours=0.0,
                            arrival_noise_hours=rng.gauss(0, 1.5), cranes=6 if deep_sea else 3)
            serial = _fill(call, rng, seed, serial, max(1, round(moves * scale)))
            mine.append(call)
            total += moves
        for call, eta in zip(mine, sorted(rng.uniform(1.0, days * 24) for _ in mine)):
            call.eta_hours = eta
        calls += mine
    calls.sort(key=lambda call: call.eta_hours)
    for index, call in enumerate(calls):
        call.index = index
    return calls


def _fill(call: CallPlan, rng: random.Random, seed: int, serial: int, moves: int) -> int:
    """The call's boxes, declaration by declaration (a declaration's boxes share a direction)."""
    left = moves
    while left > 0:
        direction = "import" if rng.random() < IMPORT_SHARE else "export"
        size = min(left, rng.randint(*BOXES_PER_DECLARATION))
        declaration = Declaration(number=f"{530_000_000_000_000_000 + serial:018d}",
                                  key=draws.stream_key(seed, 2, serial), aeo=rng.random() < AEO_SHARE)
        for _ in range(size):
            call.boxes.append(BoxPlan(serial, direction, draws.stream_key(seed, 1, serial), declaration))
            serial += 1
        left -= size
    return serial
