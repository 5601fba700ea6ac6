"""Event sets for the read-model property tests (tests/unit/test_read_models.py): valid v1 events
of a few ships and boxes through every stage, drawn by hypothesis or by a seeded Random, and the
`now` values worth reading at (SLA and window boundaries, straddles, far past and future)."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from stdnum import imo as stdnum_imo

from dashboard.state.port import PortState
from feeds.events import validate_event
from feeds.profile import load_profile
from tests.helpers import container_number
from tests.unit import reference_models as ref


PROFILE = load_profile("xiamen")
TZ = timezone(timedelta(hours=8))
DAY = datetime(2026, 11, 27, tzinfo=TZ)  # 00:00 local, Asia/Shanghai
DAY_T = DAY.timestamp()
HOUR = 3600.0
SITES = tuple(site["id"] for site in PROFILE.inspection_sites)
BERTHS = {terminal.id: terminal.berths for terminal in PROFILE.terminals}

# No "explain" phase: it traces every line, which makes a failing run of these long examples
# take minutes; shrinking still gives the smallest failing case.
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink])


# -- identifiers and event building -----------------------------------------------------------------
def ship(n: int) -> str:
    """A valid IMO number (7 digits, check digit computed)."""
    body = f"7{n:05d}"
    return body + stdnum_imo.calc_check_digit(body)


def box(n: int) -> str:
    return container_number(5000 + n)


def at(minutes: int) -> str:
    return (DAY + timedelta(minutes=minutes)).isoformat()


def _source(kind: str) -> str:
    if kind.startswith(("customs.", "inspection.", "declaration.")):
        return "customs.xiamen"
    if kind.startswith("gate."):
        return "trucking.x"
    return "terminal.haitian"


class Choices:
    """Where the generator's choices come from: hypothesis (`from_draw`) or a seeded Random."""

    def __init__(self, integer, pick):
        self._integer, self._pick = integer, pick

    @classmethod
    def from_draw(cls, draw) -> "Choices":
        return cls(lambda lo, hi: draw(st.integers(lo, hi)), lambda options: draw(st.sampled_from(options)))

    @classmethod
    def from_seed(cls, seed: int) -> "Choices":
        rng = random.Random(seed)
        return cls(rng.randint, lambda options: rng.choice(list(options)))

    def int(self, lo: int, hi: int) -> int:
        return self._integer(lo, hi)

    def pick(self, options):
        return self._pick(tuple(options))

    def chance(self, percent: int) -> bool:
        """True `percent` % of the time; hypothesis shrinks it to False (fewer events)."""
        return self._integer(0, 99) >= 100 - percent


def generate_events(c: Choices) -> list[dict]:
    """A valid v1 event set: a few ships and calls, boxes of both directions through their stages.
    Every event goes through feeds.events.validate_event; only valid ones are kept."""
    raws: list[dict] = []

    def add(kind: str, minute: int, **fields) -> None:
        raw = {"id": f"rm-{len(raws) + 1}", "type": kind, "time": at(minute), "source": _source(kind)}
        raw.update({k: v for k, v in fields.items() if v is not None})
        raws.append(raw)

    # ships and calls: (imo, voyage, eta, berthed), minutes from DAY
    calls: list[tuple[str, str | None, int, int | None]] = []
    for s in range(c.int(1, 3)):
        imo = ship(s + 1)
        t = c.int(-48 * 60, 48 * 60)
        for v in range(c.int(1, 2)):
            voyage = f"V{s}{v}"
            if c.chance(10):  # a call named only by its boxes: no vessel event at all
                calls.append((imo, voyage, t, None))
                t += c.int(24 * 60, 72 * 60)
                continue
            terminal = c.pick(sorted(BERTHS))
            berth = c.pick(BERTHS[terminal])
            eta = t
            data = {"eta": at(eta), "terminal": terminal, "berth": berth}
            if c.chance(50):
                data["etd"] = at(eta + c.int(12 * 60, 72 * 60))
            if c.chance(50):
                data["name"] = f"MV S{s}"
            if c.chance(30):
                data["containers_import"] = c.int(0, 8)
                data["containers_export"] = c.int(0, 8)
            add("vessel.eta", eta - c.int(60, 48 * 60), vessel=imo, voyage=voyage,
                classifier=c.pick(("estimated", "planned")), data=data)
            if c.chance(25):  # a revised ETA, issued later
                eta += c.int(-6 * 60, 12 * 60)
                add("vessel.eta", eta - c.int(0, 12 * 60), vessel=imo, voyage=voyage, classifier="estimated",
                    data={"eta": at(eta), "terminal": terminal, "berth": berth})
            arrived = eta + c.int(-6 * 60, 6 * 60) if c.chance(85) else None
            berthed = (arrived if arrived is not None else eta) + c.int(0, 8 * 60) if c.chance(80) else None
            departed = berthed + c.int(6 * 60, 96 * 60) if berthed is not None and c.chance(50) else None

            def moved(kind, minute, **fields):  # some vessel events name the ship only
                add(kind, minute, vessel=imo, voyage=None if c.chance(20) else voyage, **fields)

            if arrived is not None:
                moved("vessel.arrived", arrived, data={"anchorage": "A1"} if c.chance(30) else None)
            if berthed is not None:
                moved("vessel.berthed", berthed, data={"terminal": terminal, "berth": berth})
            elif c.chance(30):
                add("vessel.berthed", eta + 60, vessel=imo, voyage=voyage, classifier="planned",
                    data={"terminal": terminal, "berth": berth})
            if departed is not None:
                moved("vessel.departed", departed)
            calls.append((imo, voyage, eta, berthed))
            t = (departed if departed is not None else berthed if berthed is not None else eta) + c.int(6 * 60, 72 * 60)

    def gap() -> int:
        """Minutes to the box's next event: mostly quarter hours, so that boxes often enter a
        stage at the same time (ties in the stage's order), sometimes days."""
        if c.chance(30):
            return c.int(60 * 60, 200 * 60)
        return c.int(0, 60 * 4) * 15 if c.chance(70) else c.int(0, 60 * 60)

    def inspect(n: int, direction: str, t: int, **named) -> int:
        """An inspection: ordered (maybe at a site), usually completed pass or hold."""
        site = c.pick(SITES) if c.chance(75) else None
        add("customs.inspection_ordered", t, container=box(n), direction=direction,
            data={"mode": c.pick(("physical", "scan")), **({"site": site} if site else {})}, **named)
        if c.chance(75):
            t += gap()
            result = "hold" if c.chance(25) else "pass"
            add("inspection.completed", t, container=box(n), direction=direction,
                data={"result": result, **({"site": site} if site and c.chance(50) else {})})
        return t

    def vessel_of(call):
        imo, voyage = call[0], call[1]
        return {"vessel": imo, "voyage": voyage if c.chance(80) else None}

    n_boxes = c.int(3, 14)
    for n in range(n_boxes):
        call = c.pick(calls)
        number = box(n)
        if c.pick(("import", "export")) == "import":
            base = call[3] if call[3] is not None else call[2]
            t = base + c.int(-6 * 60, 24 * 60)
            if c.chance(15):
                add("declaration.filed", t - c.int(60, 24 * 60), container=number,
                    direction="import" if c.chance(50) else None, data={"declaration": f"D-{n}"})
            if c.chance(35):  # pre-cleared, or an inspection ordered before discharge: awaiting discharge
                named = vessel_of(call) if c.chance(75) else {}
                if c.chance(50):
                    add("customs.released", t - c.int(60, 12 * 60), container=number, direction="import", **named)
                else:
                    add("customs.inspection_ordered", t - c.int(60, 12 * 60), container=number,
                        direction="import", data={"site": c.pick(SITES)}, **named)
            if c.chance(15):
                add("container.discharged", t - 30, container=number, direction="import",
                    classifier="estimated", **vessel_of(call))
            if not c.chance(85):
                continue  # never discharged
            add("container.discharged", t, container=number, direction="import",
                data={"to": c.pick(("yard", "direct", "inspection"))} if c.chance(70) else None, **vessel_of(call))
            if c.chance(40):
                t = inspect(n, "import", t + gap())
                if c.chance(15):  # inspected again
                    t = inspect(n, "import", t + gap())
            if c.chance(20):
                t += gap()
                add("customs.hold", t, container=number, direction="import", data={"reason": "valuation"})
            if c.chance(20):
                t += gap()
                add("container.moved", t, container=number, direction="import",
                    data={"from": "yard", "to": c.pick(("inspection", "truck", "yard"))})
            if not c.chance(75):
                continue
            t += gap()
            add("customs.released", t, container=number, direction="import")
            if not c.chance(60):
                if c.chance(20):
                    add("gate.out", t + gap(), container=number, direction="import", classifier="estimated")
                continue
            t += gap()
            add("gate.out", t, container=number, direction="import", data={"gate": "HT-G1"})
            if c.chance(15):  # an estimate dated after the visit's end: a visit of its own
                add("container.discharged", t + c.int(1, 600), container=number, direction="import",
                    classifier="estimated", **vessel_of(call))
            if not c.chance(25):
                continue
            # back as an export: a second visit
            t += c.int(1, 48 * 60)
            add("gate.in", t, container=number, direction="export")
            if c.chance(50):
                t += gap()
                add("customs.released", t, container=number, direction="export")
                if c.chance(50):
                    add("container.loaded", t + gap(), container=number, direction="export",
                        **vessel_of(c.pick(calls)))
        else:
            t = call[2] + c.int(-120 * 60, 24 * 60)
            if c.chance(20):  # pre-cleared or moved before the gate: awaiting gate-in
                if c.chance(50):
                    add("customs.released", t - c.int(60, 24 * 60), container=number, direction="export")
                else:
                    add("container.moved", t - c.int(60, 24 * 60), container=number, direction="export",
                        data={"from": "yard", "to": "truck"})
            if c.chance(10):
                add("container.loaded", t + c.int(0, 96 * 60), container=number, direction="export",
                    classifier="planned", **vessel_of(call))
            if not c.chance(85):
                continue
            add("gate.in", t, container=number, direction="export",
                data={"to": c.pick(("yard", "direct", "inspection"))} if c.chance(50) else None)
            if c.chance(35):
                t = inspect(n, "export", t + gap())
            if c.chance(15):
                t += gap()
                add("customs.hold", t, container=number, direction="export")
            if not c.chance(75):
                continue
            t += c.int(0, 20 * 60)
            add("customs.released", t, container=number, direction="export")
            if c.chance(50):
                t += gap()
                add("container.loaded", t, container=number, direction="export", **vessel_of(call))

    for _ in range(c.int(0, 2)):  # events the read models do not care about
        add("declaration.filed", c.int(-48 * 60, 48 * 60), data={"declaration": f"X-{len(raws)}"})

    events = []
    for raw in raws:
        event, problems = validate_event(raw, allow_ticks=True)
        if not problems:
            events.append(event)
    return events


@st.composite
def event_sets(draw) -> list[dict]:
    return generate_events(Choices.from_draw(draw))


def event_key(event: dict) -> datetime:
    return datetime.fromisoformat(event["time"])


# -- nows worth reading at ---------------------------------------------------------------------------
SLA_SECONDS = sorted({hours * HOUR for stages in PROFILE.sla_hours.values() for hours in stages.values()})


def candidate_nows(state: PortState, events: list[dict] = ()) -> list[float]:
    """Times where a figure changes, read from the state's primary data: every SLA boundary (and
    one second either side), every warning boundary, the 24 h windows' edges, ETA tolerances;
    and every event time plus each SLA (where a box that enters a stage later, or again, is on
    its boundary: a read there leaves a read model's boundary exactly on that entry)."""
    times = {DAY_T - 400 * 86400.0, DAY_T + 400 * 86400.0, DAY_T}
    for event in events:
        t = event_key(event).timestamp()
        times.update(t + sla for sla in SLA_SECONDS)
    for visit in ref.visits(state):
        if visit.stage is not None and visit.in_port:
            sla = state.profile.sla_hours[visit.direction].get(visit.stage)
            start = ref.sla_start(state, visit)
            if sla is not None and start is not None:
                boundary = start + sla * HOUR
                times.update((boundary - 1, boundary, boundary + 1, start + ref.WARN_SHARE * sla * HOUR))
            times.add(visit.since)
        before = ref.DAY + ref.BASELINE_DAYS * ref.DAY  # the clearance baseline's window: 8 days back
        if visit.end is not None:
            times.update((visit.end, visit.end + ref.DAY, visit.end + before))
        if visit.released is not None:
            times.update((visit.released, visit.released + ref.DAY, visit.released + before))
    tolerance = state.profile.berth_tolerance_hours * HOUR
    for call in state.calls.values():
        if call.eta is not None:
            times.update((call.eta + tolerance, call.eta + tolerance + 1))
        if call.departed is not None:
            times.add(call.departed + ref.DAY)
    return sorted(t for t in times if math.isfinite(t))


def draw_nows(data, state: PortState, events: list[dict] = ()) -> list[float]:
    """A few nows, in the drawn order (so forwards, backwards, or both)."""
    candidates = candidate_nows(state, events)
    one = st.one_of(st.sampled_from(candidates),
                    st.integers(int(DAY_T) - 5 * 86400, int(DAY_T) + 20 * 86400).map(float)).map(lambda t: [t])
    # a boundary crossed by a second each way, in either direction: read models that move a
    # kept boundary by small steps (or skip a step they think too small) are caught here
    straddle = st.tuples(st.sampled_from(candidates), st.booleans()).map(
        lambda pair: [pair[0] - 1, pair[0] + 1, pair[0]] if pair[1] else [pair[0] + 1, pair[0] - 1, pair[0]])
    reads = data.draw(st.lists(st.one_of(one, straddle), min_size=1, max_size=3), label="nows")
    return [now for read in reads for now in read]
