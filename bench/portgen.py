"""Port traffic for benchmarks: vessel calls and the boxes they carry, as valid v1 events.

    python -m bench.portgen --boxes N [--seed S] [--start 2026-11-27T00:00:00+08:00] --out FILE.jsonl

A stand-in until the real simulator exists: small, fast and deterministic (one
`random.Random(seed)`, no clock, no hash-ordered iteration), so the same seed always gives the
same events. The model, in event time:

- **Vessel calls** of ~2,000 boxes (55 % import / 45 % export on average) are spaced so that the
  port handles ~30,000 boxes a day; the first berths `LEAD` after `start` (room for the exports
  that are trucked in days before their ship). Each call takes a free berth of the profile (or the
  first to free up: the ship waits at anchor) and stays 20–30 h (its boxes over 4–6 cranes at
  25–30 moves an hour, plus 3–6 h; mostly 20–24 h, which keeps the profile's 16 berths ~85 %
  busy: at a flat 25 h, 15 calls a day would need 375 of their 384 berth-hours and the anchorage
  queue would grow without end). Announced by two `vessel.eta` (estimated, issued 72 h and 24 h
  before arrival: the liner schedule, then the terminal's berth plan); `vessel.arrived`
  (anchorage; 30 % of the calls wait there 1–10 h), `vessel.berthed`, `vessel.departed`. Ships come from a fleet that
  calls again at most every ~8 days, with voyage numbers such as `0123E`.
- **Import box**: `declaration.filed`; the terminal's discharge plan (`container.discharged`,
  planned); `container.discharged` to the yard (traditional flow, ~half) or, diverted, `direct`
  to a waiting truck or straight to `inspection`; ~3 % inspected (`customs.inspection_ordered`,
  `inspection.completed`, a tenth of them `hold` and released half a day to two days later);
  `customs.released`; for yard boxes a `container.moved` yard → truck (or yard → inspection); the
  trucking company's appointment (`gate.in`, planned, on the hour) and the truck's `gate.in`
  and `gate.out` (hours to ~3 days after discharge; under an hour for direct boxes).
- **Export box**: `declaration.filed`; appointment and `gate.in` (to the yard, or diverted
  `direct` to the ship side just before loading, or straight to `inspection`); optional
  inspection; `customs.released`; re-marshalling or inspection moves; the terminal's load plan
  (`container.loaded`, planned) and `container.loaded` before its ship leaves.

Planned and estimated box events never fall after the end of their box visit (import `gate.out`,
export `container.loaded`), so they never open a second visit in the state. About 7 events per box
(import ~7.6, export ~6.3). Sources: `terminal.<id>` (vessel, lifts, moves, gate lifts: the gate belongs to the
terminal), `customs.<port>` (declarations, inspection orders, releases), `inspection.<site>`
(inspection results), `trucking.<company>` (gate appointments). Ids count up per source (in
generation order). Times are RFC 3339 at whole seconds in the port's offset at `start` (+08:00 for Xiamen,
which has no daylight saving time).
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import sys
import time as _time
from datetime import datetime, timedelta, timezone
from operator import itemgetter
from pathlib import Path

import orjson
from stdnum import imo, iso6346

from feeds.profile import PortProfile, load_profile

START = datetime(2026, 11, 27, tzinfo=timezone(timedelta(hours=8)))

BOXES_PER_DAY = 30_000      # the port's throughput: sets the spacing of the calls
BOXES_PER_CALL = (1_600, 2_400)
IMPORT_SHARE = (0.50, 0.60)  # per call
DIVERTED_SHARE = 0.5        # boxes that skip the yard (direct or straight to inspection)
INSPECTION_SHARE = 0.03
HOLD_SHARE = 0.10           # of the inspections: result hold, released much later
ANCHOR_SHARE = 0.30         # calls that wait at anchor 1–10 h before their berthing window
FLEET = 120                 # ships; ~15 calls a day → a ship calls again after ~8 days
LAST_EVENT_DAYS = 8         # no event is later than this after the last departure's day
LEAD = 6 * 86_400           # start → the first berthing (exports arrive up to ~5 days ahead)
HOUR = 3_600
MINUTE = 60
DAY = 86_400

OWNERS = ("COSU", "MSCU", "MSKU", "CMAU", "OOLU", "EGHU", "ONEU", "HLXU",
          "YMLU", "TGHU", "TCNU", "FCIU", "SEGU", "BMOU", "CSNU", "TEMU")
TRUCKERS = ("trucking.jiaotong", "trucking.haixin", "trucking.tongda", "trucking.jinhai")
TRUCKS = 4_000              # plates in the pool; truck k works for TRUCKERS[k % 4]
ANCHORAGES = ("Xiamen No.1 Anchorage", "Xiamen No.2 Anchorage", "Xiamen No.3 Anchorage")
SHIP_LINES = ("COSCO SHIPPING", "CSCL", "CMA CGM", "MSC", "EVER", "OOCL", "ONE", "MAERSK",
              "HMM", "YM", "ZIM", "APL", "SITC", "KMTC")
SHIP_WORDS = ("ARIES", "TAURUS", "GEMINI", "CANCER", "LEO", "VIRGO", "LIBRA", "PISCES", "ORION",
              "LYRA", "VEGA", "ALTAIR", "DENEB", "SIRIUS", "POLARIS", "HARMONY", "UNITY",
              "GLORY", "FORTUNE", "PEARL", "JADE", "LOTUS", "PHOENIX", "DRAGON", "OCEAN",
              "PACIFIC", "ATLANTIC", "AURORA", "HORIZON", "MERIDIAN")
CUSTOMS_CODE = "3702"       # customs district prefix of the 18-digit declaration numbers
CRANES_PER_BERTH = 4
CRANES_PER_CALL = (4, 6)    # a big ship borrows its neighbours' cranes
MOVES_PER_CRANE_HOUR = (25, 30)


def container_number(index: int) -> str:
    """Box `index` → a valid ISO 6346 number (owner from OWNERS, serial from the index)."""
    body = f"{OWNERS[index % len(OWNERS)]}{index // len(OWNERS) % 1_000_000:06d}"
    return body + iso6346.calc_check_digit(body)


def _fleet(rng: random.Random, size: int) -> list[tuple[str, str, int, str]]:
    """(IMO number, name, first voyage number, bound) per ship; IMO numbers distinct."""
    seen: set[str] = set()
    ships = []
    while len(ships) < size:
        body = str(rng.randrange(900_000, 1_000_000))  # 9xxxxxx: ships built since the 1980s
        number = body + imo.calc_check_digit(body)
        if number in seen:
            continue
        seen.add(number)
        name = f"{rng.choice(SHIP_LINES)} {rng.choice(SHIP_WORDS)}"
        ships.append((number, name, rng.randrange(10, 900), rng.choice("EWNS")))
    return ships


def _clock(local: datetime):
    """→ (t0, fmt, day_prefix, tods): `local` as seconds after its midnight, seconds → RFC 3339.

    Formatting is two list lookups and a concatenation: a day prefix and a time-of-day suffix."""
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    suffix = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    midnight = local.date()
    t0 = local.hour * HOUR + local.minute * MINUTE + local.second
    tods = [f"{h:02d}:{m:02d}:{s:02d}{suffix}" for h in range(24) for m in range(60) for s in range(60)]
    days: list[str] = []

    def day_prefix(day: int) -> str:
        while len(days) <= day:
            days.append((midnight + timedelta(days=len(days))).isoformat() + "T")
        return days[day]

    def fmt(t: int) -> str:
        day, second = divmod(t, DAY)
        return day_prefix(day) + tods[second]

    return t0, fmt, day_prefix, tods


def _plan_calls(rng: random.Random, boxes: int, t0: int, profile: PortProfile) -> list[dict]:
    """Vessel calls carrying `boxes` boxes in all, each with a berth and its times (seconds)."""
    rnd, uniform = rng.random, rng.uniform
    berths = [(terminal, index, berth) for terminal in profile.terminals
              for index, berth in enumerate(terminal.berths)]
    if not berths:
        raise ValueError(f"profile {profile.id} has no berths")
    free = [t0] * len(berths)          # when each berth is free again
    fleet = _fleet(rng, FLEET)
    rng.shuffle(fleet)
    voyages = [0] * FLEET
    calls = []
    carried = 0
    while carried < boxes:
        size = min(rng.randint(*BOXES_PER_CALL), boxes - carried)
        imports = round(size * uniform(*IMPORT_SHARE))
        jitter = max(-1.5, min(1.5, rng.gauss(0.0, 0.5)))
        window = t0 + LEAD + int((carried / BOXES_PER_DAY * 24 + jitter) * HOUR)
        carried += size
        # A berth free at the window, at random; else the first to free up (the ship waits).
        ready = [b for b, at in enumerate(free) if at <= window]
        b = ready[int(rnd() * len(ready))] if ready else min(range(len(free)), key=free.__getitem__)
        terminal, index, berth = berths[b]
        berthed = max(window, free[b])
        wait = uniform(1, 10) if rnd() < ANCHOR_SHARE else uniform(0.3, 1.0)
        arrived = window - int(wait * HOUR)
        n_cranes = rng.randint(*CRANES_PER_CALL)
        quay_hours = size / (n_cranes * uniform(*MOVES_PER_CRANE_HOUR)) + uniform(3, 6)
        stay = min(max(quay_hours, uniform(20, 21.5)), 30)
        departed = berthed + int(stay * HOUR)
        free[b] = departed + int(uniform(0.25, 0.75) * HOUR)   # lines, pilot, next ship alongside
        ship = len(calls) % FLEET
        number, name, first, bound = fleet[ship]
        voyage = f"{first + voyages[ship]:04d}{bound}"
        voyages[ship] += 1
        total_cranes = CRANES_PER_BERTH * len(terminal.berths)
        cranes = tuple(f"{terminal.id}-QC{(CRANES_PER_BERTH * index + c) % total_cranes + 1:02d}"
                       for c in range(n_cranes))
        calls.append({
            "vessel": number, "name": name, "voyage": voyage, "terminal": terminal, "berth": berth,
            "cranes": cranes, "window": window, "arrived": arrived, "berthed": berthed,
            "departed": departed, "imports": imports, "exports": size - imports,
        })
    return calls


def generate(boxes: int, *, seed: int = 1, start: datetime = START,
             profile: PortProfile | None = None) -> list[dict]:
    """`boxes` box visits and the vessel calls that carry them, as v1 events sorted by time."""
    enabled = gc.isenabled()
    gc.disable()  # millions of new dicts, no cycles: the collector would only rescan them
    try:
        return _generate(boxes, seed, start, profile)
    finally:
        if enabled:
            gc.enable()


def _generate(boxes: int, seed: int, start: datetime, profile: PortProfile | None) -> list[dict]:
    if boxes < 0:
        raise ValueError("boxes must be ≥ 0")
    profile = profile if profile is not None else load_profile("xiamen")
    rng = random.Random(seed)
    if start.tzinfo is None:
        start = start.replace(tzinfo=profile.timezone)
    local = start.astimezone(profile.timezone)
    t0, fmt, day_prefix, tods = _clock(local)
    calls = _plan_calls(rng, boxes, t0, profile)

    rnd, uniform, gauss, randrange = rng.random, rng.uniform, rng.gauss, rng.randrange
    exp = math.exp
    customs = f"customs.{profile.id}"
    sites = profile.inspection_sites
    site_ids = [site["id"] for site in sites]
    site_weights = [float(site.get("capacity", 1)) for site in sites]
    site_sources = {site: f"inspection.{site}" for site in site_ids}
    inspection_share = INSPECTION_SHARE if sites else 0.0
    plates = [f"闽D{rng.choice('0123456789ABCDEFGHJKLMNPQRSTUVWXYZ')}{rng.randrange(10_000):04d}"
              for _ in range(TRUCKS)]
    year = f"{local.year}"

    def ln(median: float, sigma: float, cap: float) -> int:
        """Lognormal-ish seconds: `median` hours, spread `sigma`, at most `cap` hours."""
        return int(min(median * exp(sigma * gauss(0.0, 1.0)), cap) * HOUR)

    events: list[dict] = []
    add = events.append
    box_index = 0

    for call in calls:
        terminal = call["terminal"]
        source = f"terminal.{terminal.id}"
        vessel, voyage, berth, cranes = call["vessel"], call["voyage"], call["berth"], call["cranes"]
        window, arrived, berthed, departed = (call["window"], call["arrived"], call["berthed"],
                                              call["departed"])
        gates = [(g["id"], int(g.get("lanes", 1))) for g in terminal.gates] or [("G1", 4)]

        # The call: two ETA notices (the second closer to the truth), arrival, berthing, departure.
        stay = departed - berthed
        # The first notice is the liner schedule; the second, the terminal's berth plan.
        for ahead, planned, spread in ((72, window, 3.0), (24, berthed, 0.5)):
            eta = planned + int(gauss(0.0, spread) * HOUR)
            add({"id": None, "type": "vessel.eta", "time": arrived - ahead * HOUR,
                 "classifier": "estimated", "source": source, "vessel": vessel, "voyage": voyage,
                 "data": {"eta": fmt(eta), "etd": fmt(eta + stay), "name": call["name"],
                          "terminal": terminal.id, "berth": berth,
                          "containers_import": call["imports"], "containers_export": call["exports"]}})
        add({"id": None, "type": "vessel.arrived", "time": arrived, "source": source,
             "vessel": vessel, "voyage": voyage, "data": {"anchorage": ANCHORAGES[int(rnd() * 3)]}})
        add({"id": None, "type": "vessel.berthed", "time": berthed, "source": source,
             "vessel": vessel, "voyage": voyage, "data": {"terminal": terminal.id, "berth": berth}})
        add({"id": None, "type": "vessel.departed", "time": departed, "source": source,
             "vessel": vessel, "voyage": voyage})

        work_start = berthed + HOUR // 2
        work = stay - 2 * HOUR                  # quay work: from berthing + 0.5 h to departure - 1.5 h
        n_cranes = len(cranes)

        def gate(kind: str, t: int, box: str, direction: str, truck: int, to: str | None = None):
            gate_id, lanes = gates[int(rnd() * len(gates))]
            data = {"gate": gate_id, "lane": 1 + int(rnd() * lanes), "truck": plates[truck]}
            if to is not None:
                data["to"] = to
            add({"id": None, "type": kind, "time": t, "source": source, "container": box,
                 "direction": direction, "data": data})

        def appointment(t: int, box: str, direction: str, truck: int):
            add({"id": None, "type": "gate.in", "time": t - t % HOUR, "classifier": "planned",
                 "source": TRUCKERS[truck % len(TRUCKERS)], "container": box, "direction": direction,
                 "data": {"truck": plates[truck]}})

        def customs_event(kind: str, t: int, box: str, direction: str, declaration: str, **data):
            add({"id": None, "type": kind, "time": t, "source": customs, "container": box,
                 "direction": direction, "data": {"declaration": declaration, **data}})

        def inspect(ordered: int, completed: int, box: str, direction: str, declaration: str) -> int:
            """Order and result; → the release time (much later after a hold)."""
            site = rng.choices(site_ids, site_weights)[0]
            customs_event("customs.inspection_ordered", ordered, box, direction, declaration,
                          mode="physical" if rnd() < 0.4 else "scan", site=site)
            hold = rnd() < HOLD_SHARE
            add({"id": None, "type": "inspection.completed", "time": completed,
                 "source": site_sources[site], "container": box, "direction": direction,
                 "data": {"site": site, "result": "hold" if hold else "pass"}})
            return completed + (int(uniform(12, 48) * HOUR) if hold else MINUTE + ln(0.5, 0.8, 4))

        def move(t: int, box: str, direction: str, origin: str, to: str):
            add({"id": None, "type": "container.moved", "time": t, "source": source,
                 "container": box, "direction": direction, "data": {"from": origin, "to": to}})

        # Import boxes.
        for _ in range(call["imports"]):
            box = container_number(box_index)
            declaration = f"{CUSTOMS_CODE}{year}1{box_index:09d}"
            box_index += 1
            truck = randrange(TRUCKS)
            inspected = rnd() < inspection_share
            diverted = rnd() < DIVERTED_SHARE
            to = ("inspection" if inspected else "direct") if diverted else "yard"
            discharged = work_start + int(rnd() * 0.7 * work)
            crane = cranes[int(rnd() * n_cranes)]
            if diverted or rnd() < 0.8:         # declared ahead (diversion needs it)
                declared = arrived - int(uniform(2, 60) * HOUR)
            else:                                # declared after berthing, maybe after discharge
                declared = berthed + int(rnd() * 12 * HOUR)
            customs_event("declaration.filed", declared, box, "import", declaration)
            lift = {"berth": berth, "crane": crane, "to": to}
            if to == "direct":
                released = min(declared + MINUTE + ln(1, 0.8, 6),
                               discharged - 10 * MINUTE - int(rnd() * 30 * MINUTE))
                customs_event("customs.released", released, box, "import", declaration)
                gate_in = discharged - int(uniform(0.2, 1.0) * HOUR)
                gate_out = discharged + int(uniform(0.2, 1.0) * HOUR)
            elif to == "inspection":
                ordered = min(declared + MINUTE + ln(2, 0.8, 12),
                              discharged - 10 * MINUTE - int(rnd() * 30 * MINUTE))
                completed = discharged + HOUR // 2 + ln(5, 0.5, 16)
                released = inspect(ordered, completed, box, "import", declaration)
                customs_event("customs.released", released, box, "import", declaration)
                gate_in = released + HOUR // 4 + ln(6, 0.8, 48)
                gate_out = gate_in + int(uniform(0.3, 1.5) * HOUR)
            elif inspected:                      # yard box picked for inspection: moved there
                ordered = max(declared, discharged) + MINUTE + ln(2, 0.8, 12)
                moved = ordered + 10 * MINUTE + ln(3, 0.6, 12)
                completed = moved + HOUR // 2 + ln(4, 0.5, 16)
                released = inspect(ordered, completed, box, "import", declaration)
                move(moved, box, "import", "yard", "inspection")
                customs_event("customs.released", released, box, "import", declaration)
                gate_in = released + HOUR // 4 + ln(8, 0.8, 48)
                gate_out = gate_in + int(uniform(0.3, 1.5) * HOUR)
            else:                                # traditional: yard, then a truck collects it
                released = max(declared, discharged - 2 * HOUR) + MINUTE + ln(2, 1.0, 30)
                customs_event("customs.released", released, box, "import", declaration)
                gate_in = max(released, discharged) + ln(16, 0.9, 72)
                moved = gate_in + int(uniform(10, 40) * MINUTE)
                gate_out = moved + int(uniform(5, 25) * MINUTE)
                move(moved, box, "import", "yard", "truck")
            plan = discharged + int(gauss(0.0, 1.0) * HOUR)
            plan = min(max(plan, work_start), gate_out - MINUTE)
            add({"id": None, "type": "container.discharged", "time": plan, "classifier": "planned",
                 "source": source, "container": box, "vessel": vessel, "voyage": voyage,
                 "direction": "import", "data": {"berth": berth, "crane": crane}})
            add({"id": None, "type": "container.discharged", "time": discharged, "source": source,
                 "container": box, "vessel": vessel, "voyage": voyage, "direction": "import",
                 "data": lift})
            appointment(gate_in, box, "import", truck)
            gate("gate.in", gate_in, box, "import", truck)
            gate("gate.out", gate_out, box, "import", truck)

        # Export boxes: trucked in ahead of their ship, loaded before it leaves.
        for _ in range(call["exports"]):
            box = container_number(box_index)
            declaration = f"{CUSTOMS_CODE}{year}0{box_index:09d}"
            box_index += 1
            truck = randrange(TRUCKS)
            inspected = rnd() < inspection_share
            diverted = rnd() < DIVERTED_SHARE
            to = ("inspection" if inspected else "direct") if diverted else "yard"
            loaded = work_start + int((0.3 + 0.7 * rnd()) * work)
            crane = cranes[int(rnd() * n_cranes)]
            if to == "direct":                   # to the ship side just before loading
                gate_in = loaded - int(uniform(0.5, 2.0) * HOUR)
            elif inspected:                      # early: room for an inspection and a hold
                gate_in = loaded - int(uniform(84, 120) * HOUR)
            else:
                gate_in = loaded - min(max(ln(40, 0.5, 110), 4 * HOUR), 110 * HOUR)
            if diverted or rnd() < 0.8:
                declared = gate_in - int(uniform(1, 24) * HOUR)
            else:
                declared = gate_in + int(uniform(5, 120) * MINUTE)
            customs_event("declaration.filed", declared, box, "export", declaration)
            appointment(gate_in, box, "export", truck)
            gate("gate.in", gate_in, box, "export", truck, to)
            if to == "direct":
                released = gate_in + int(uniform(1, 15) * MINUTE)
                customs_event("customs.released", released, box, "export", declaration)
            elif to == "inspection":
                ordered = min(declared + MINUTE + ln(1, 0.8, 6), gate_in - MINUTE)
                completed = gate_in + HOUR // 2 + ln(4, 0.5, 12)
                released = inspect(ordered, completed, box, "export", declaration)
                customs_event("customs.released", released, box, "export", declaration)
                move(released + 10 * MINUTE + ln(2, 0.5, 6), box, "export", "inspection", "yard")
            elif inspected:
                ordered = max(declared, gate_in) + MINUTE + ln(1, 0.8, 6)
                moved = ordered + 10 * MINUTE + ln(2, 0.6, 6)
                completed = moved + HOUR // 2 + ln(4, 0.5, 12)
                released = inspect(ordered, completed, box, "export", declaration)
                move(moved, box, "export", "yard", "inspection")
                customs_event("customs.released", released, box, "export", declaration)
                move(released + 10 * MINUTE + ln(2, 0.5, 6), box, "export", "inspection", "yard")
            else:
                released = min(max(declared, gate_in) + MINUTE + ln(1.2, 0.8, 12), loaded - HOUR)
                customs_event("customs.released", released, box, "export", declaration)
                if rnd() < 0.3:                  # re-marshalled in the yard for the stowage plan
                    moved = max(loaded - int(uniform(2, 24) * HOUR), (released + loaded) // 2)
                    move(moved, box, "export", "yard", "yard")
            plan = max(loaded - int(rnd() * 2 * HOUR), gate_in)
            lift = {"berth": berth, "crane": crane}
            add({"id": None, "type": "container.loaded", "time": plan, "classifier": "planned",
                 "source": source, "container": box, "vessel": vessel, "voyage": voyage,
                 "direction": "export", "data": lift})
            add({"id": None, "type": "container.loaded", "time": loaded, "source": source,
                 "container": box, "vessel": vessel, "voyage": voyage, "direction": "export",
                 "data": dict(lift)})

    # In creation order (memory order: much faster than visiting 4 million dicts sorted), the
    # RFC 3339 text and an id counting up per source; then time order, stable, so ties keep
    # the order above, which is causal within a box. The texts share one format and offset, so
    # they sort as the times do.
    last_day = max((call["departed"] for call in calls), default=t0) // DAY + LAST_EVENT_DAYS
    prefixes = [day_prefix(day) for day in range(last_day + 1)]
    counters: dict[str, int] = {}
    patterns: dict[str, str] = {}
    for event in events:
        t = event["time"]
        event["time"] = prefixes[t // DAY] + tods[t % DAY]
        source = event["source"]
        n = counters[source] = counters.get(source, 0) + 1
        pattern = patterns.get(source)
        if pattern is None:
            pattern = patterns[source] = source.rsplit(".", 1)[-1] + "-%09d"
        event["id"] = pattern % n
    events.sort(key=itemgetter("time"))
    return events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.portgen", description=__doc__.split("\n\n")[0])
    parser.add_argument("--boxes", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=datetime.fromisoformat, default=START,
                        help="RFC 3339, default 2026-11-27T00:00:00+08:00")
    parser.add_argument("--profile", default="xiamen")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    began = _time.perf_counter()
    events = generate(args.boxes, seed=args.seed, start=args.start, profile=load_profile(args.profile))
    generated = _time.perf_counter() - began
    dumps, option = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    with open(args.out, "wb") as out:
        out.writelines(dumps(event, option=option) for event in events)
    if events:
        first, last = events[0]["time"], events[-1]["time"]
        days = (datetime.fromisoformat(last) - datetime.fromisoformat(first)) / timedelta(days=1)
        span = f"{first} → {last} ({days:.1f} days)"
    else:
        span = "no events"
    print(f"{len(events):,} events for {args.boxes:,} boxes, {span}; generated in {generated:.1f} s, "
          f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
