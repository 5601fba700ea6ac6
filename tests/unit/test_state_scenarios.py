"""Hand-computed scenarios for the port state (docs/kpis.md is the spec).

Every scenario is a small set of events at times chosen by hand; the expected figures are worked
out in the comments. Times are port-local (Asia/Shanghai, +08:00) hours from DAY, 27 Nov 2026
00:00 local, unless written out in UTC. Percentiles: numpy's linear interpolation, p = x[k] +
f * (x[k+1] - x[k]) at position (n - 1) * 0.9.
"""

from __future__ import annotations

import copy
import itertools
from datetime import datetime, timedelta, timezone

import pytest
from stdnum import imo as stdnum_imo

from dashboard.state.port import PortState
from feeds.events import validate_event
from feeds.profile import load_profile
from tests.helpers import container_number

PROFILE = load_profile("xiamen")
TZ = timezone(timedelta(hours=8))
DAY = datetime(2026, 11, 27, tzinfo=TZ)  # 00:00 local, Asia/Shanghai
IMPORT_STAGES = ("awaiting_discharge", "awaiting_release", "in_inspection", "awaiting_pickup",
                 "gated_out")
EXPORT_STAGES = ("awaiting_gate_in", "awaiting_release", "in_inspection", "awaiting_loading",
                 "loaded")

_ids = itertools.count(1)


# ---------------------------------------------------------------------------------------------
# helpers
def at(hours: float, minutes: float = 0) -> datetime:
    """DAY + hours (+ minutes), local time."""
    return DAY + timedelta(hours=hours, minutes=minutes)


def ship(n: int) -> str:
    """A valid IMO number (7 digits, check digit computed)."""
    body = f"9{n:05d}"
    return body + stdnum_imo.calc_check_digit(body)


def box(n: int) -> str:
    return container_number(n)


def parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _source(kind: str) -> str:
    if kind.startswith(("customs.", "inspection.", "declaration.")):
        return "customs.xiamen"
    if kind.startswith("gate."):
        return "trucking.x"
    if kind == "clock.tick":
        return "demo"
    return "terminal.haitian"


def ev(kind: str, when, *, id: str | None = None, source: str | None = None, **fields) -> dict:
    """A canonical v1 event (checked by feeds.events.validate_event). `when`: hours from DAY,
    a datetime, or an RFC 3339 string."""
    if isinstance(when, (int, float)):
        when = at(when)
    time = when if isinstance(when, str) else when.isoformat()
    raw = {"id": id or f"sc-{next(_ids)}", "type": kind, "time": time,
           "source": source or _source(kind)}
    raw.update({k: v for k, v in fields.items() if v is not None})
    event, problems = validate_event(raw, allow_ticks=True)
    assert not problems, (raw, problems)
    return event


def imp(kind: str, when, n: int, **fields) -> dict:
    return ev(kind, when, container=box(n), direction="import", **fields)


def exp(kind: str, when, n: int, **fields) -> dict:
    return ev(kind, when, container=box(n), direction="export", **fields)


def call(imo: str, voyage: str | None, *, eta=None, eta_issued=None, arrived=None, berthed=None,
         departed=None, terminal: str = "haitian", berth: str = "HT-1", etd=None) -> list[dict]:
    """The events of one vessel call (the vessel.eta is estimated, issued a day before the ETA)."""
    events = []
    if eta is not None:
        data = {"eta": at(eta).isoformat(), "terminal": terminal, "berth": berth}
        if etd is not None:
            data["etd"] = at(etd).isoformat()
        events.append(ev("vessel.eta", eta - 24 if eta_issued is None else eta_issued,
                         vessel=imo, voyage=voyage, classifier="estimated", data=data))
    if arrived is not None:
        events.append(ev("vessel.arrived", arrived, vessel=imo, voyage=voyage))
    if berthed is not None:
        events.append(ev("vessel.berthed", berthed, vessel=imo, voyage=voyage,
                         data={"terminal": terminal, "berth": berth}))
    if departed is not None:
        events.append(ev("vessel.departed", departed, vessel=imo, voyage=voyage))
    return events


def build(*groups) -> PortState:
    """A state fed every event of `groups` (events or lists of events) once, in the order given."""
    state = PortState(PROFILE)
    for group in groups:
        for event in (group if isinstance(group, list) else [group]):
            assert state.apply(event) is True, event
    return state


def kpis(state: PortState, now) -> dict:
    return state.kpis(now)


def without_feeds(figures: dict) -> dict:
    """The KPIs without feed health (which is about arrival, not event time)."""
    return {k: v for k, v in figures.items() if k != "feeds"}


def count(value) -> int:
    """`delays.containers` / `delays.vessels`: a count, or a list of the late boxes / calls."""
    return len(value) if isinstance(value, (list, tuple, dict)) else value


def stage_of(state: PortState, n: int) -> tuple:
    rec = state.container(box(n))
    return rec["stage"], parse(rec["since"]), rec["waiting_on"], rec["held"]


# ---------------------------------------------------------------------------------------------
# stages
def test_import_box_walks_every_stage_with_since_and_waiting_on():
    """One import box, applied event by event (docs/kpis.md, "Box visits and stages").

    vessel V1 berthed at 10:00. Box 101:
      08:00 container.moved (restow on board)   → awaiting_discharge since 08, waiting on terminal
      12:00 discharged from V1 to the yard        → awaiting_release since 12, customs
      14:00 inspection ordered                    → in_inspection since 14, inspection
      15:00 moved yard → inspection (a move)      → still in_inspection since 14
      20:00 inspection completed, result hold     → awaiting_release since 20, customs, held
      26:00 customs released                      → awaiting_pickup since 26, trucking, not held
      30:00 gate.out                              → gated_out since 30, waiting on nothing
    moves: the two container.moved and the discharge = 3.
    """
    v1 = ship(1)
    state = build(call(v1, "V1W", eta=6, arrived=6, berthed=10, etd=40))
    steps = [
        (imp("container.moved", 8, 101), "awaiting_discharge", 8, "terminal", False),
        (imp("container.discharged", 12, 101, vessel=v1, voyage="V1W", data={"to": "yard"}),
         "awaiting_release", 12, "customs", False),
        (imp("customs.inspection_ordered", 14, 101, data={"mode": "physical"}),
         "in_inspection", 14, "inspection", False),
        (imp("container.moved", 15, 101, data={"from": "yard", "to": "inspection"}),
         "in_inspection", 14, "inspection", False),
        (imp("inspection.completed", 20, 101, data={"result": "hold"}),
         "awaiting_release", 20, "customs", True),
        (imp("customs.released", 26, 101), "awaiting_pickup", 26, "trucking", False),
        (imp("gate.out", 30, 101), "gated_out", 30, None, False),
    ]
    for event, stage, since, waiting_on, held in steps:
        assert state.apply(event) is True
        assert stage_of(state, 101) == (stage, at(since), waiting_on, held), event["type"]
        now = parse(event["time"])
        counts = kpis(state, now)["containers"]
        assert counts["import"][stage] == 1, (event["type"], counts)
        assert sum(counts["import"][s] for s in IMPORT_STAGES) == 1
        assert counts["in_port"] == (0 if stage == "gated_out" else 1)

    rec = state.container(box(101))
    assert rec["number"] == box(101)
    assert rec["direction"] == "import"
    assert rec["moves"] == 3
    assert rec["visits"] == 1
    assert rec["vessel"] == v1 and rec["voyage"] == "V1W"
    assert rec["diverted"] is False
    assert [e["type"] for e in rec["timeline"]] == [
        "container.moved", "container.discharged", "customs.inspection_ordered",
        "container.moved", "inspection.completed", "customs.released", "gate.out"]
    assert [parse(e["time"]) for e in rec["timeline"]] == [at(h) for h in (8, 12, 14, 15, 20, 26, 30)]


def test_export_box_walks_every_stage_with_since_and_waiting_on():
    """One export box, event by event.

      01:00 container.moved yard → truck (empty out for stuffing) → awaiting_gate_in since 01, trucking
      03:00 gate.in                                  → awaiting_release since 03, customs
      04:00 inspection ordered                       → in_inspection since 04, inspection
      07:00 inspection completed, result hold        → awaiting_release since 07, customs, held
      09:00 customs released                         → awaiting_loading since 09, terminal
      11:00 loaded onto V2                           → loaded since 11, waiting on nothing
    moves: container.moved + container.loaded = 2.
    """
    v2 = ship(2)
    state = build(call(v2, "V2E", eta=8, arrived=7, berthed=8))
    steps = [
        (exp("container.moved", 1, 201, data={"from": "yard", "to": "truck"}),
         "awaiting_gate_in", 1, "trucking", False),
        (exp("gate.in", 3, 201, data={"gate": "HT-G1", "lane": 2}), "awaiting_release", 3, "customs", False),
        (exp("customs.inspection_ordered", 4, 201, data={"mode": "scan"}),
         "in_inspection", 4, "inspection", False),
        (exp("inspection.completed", 7, 201, data={"result": "hold"}),
         "awaiting_release", 7, "customs", True),
        (exp("customs.released", 9, 201), "awaiting_loading", 9, "terminal", False),
        (exp("container.loaded", 11, 201, vessel=v2, voyage="V2E"), "loaded", 11, None, False),
    ]
    for event, stage, since, waiting_on, held in steps:
        assert state.apply(event) is True
        assert stage_of(state, 201) == (stage, at(since), waiting_on, held), event["type"]
        counts = kpis(state, parse(event["time"]))["containers"]
        assert counts["export"][stage] == 1, (event["type"], counts)
        assert sum(counts["export"][s] for s in EXPORT_STAGES) == 1
        assert counts["in_port"] == (0 if stage == "loaded" else 1)

    rec = state.container(box(201))
    assert rec["direction"] == "export"
    assert rec["moves"] == 2
    assert rec["visits"] == 1
    assert rec["vessel"] == v2 and rec["voyage"] == "V2E"


def test_customs_hold_keeps_the_box_in_its_stage_waiting_on_customs():
    """"A customs.hold ... holds the box in its stage with waiting_on: customs until
    customs.released"; a hold does not put the box into another stage, so `since` stays.

    Box 102: discharged 12 → awaiting_release since 12; hold 13 → awaiting_release since 12,
    held, customs; released 16 → awaiting_pickup since 16, trucking.
    Box 103: discharged 12, released 14 → awaiting_pickup since 14; hold 15 → still
    awaiting_pickup since 14, held, waiting on customs; released 17 → not held, trucking.
    """
    v = ship(3)
    state = build(call(v, "H1", eta=10, arrived=9, berthed=10))
    state.apply(imp("container.discharged", 12, 102, vessel=v, voyage="H1"))
    assert stage_of(state, 102) == ("awaiting_release", at(12), "customs", False)
    state.apply(imp("customs.hold", 13, 102, data={"reason": "documents"}))
    assert stage_of(state, 102) == ("awaiting_release", at(12), "customs", True)
    state.apply(imp("customs.released", 16, 102))
    assert stage_of(state, 102) == ("awaiting_pickup", at(16), "trucking", False)

    state.apply(imp("container.discharged", 12.5, 103, vessel=v, voyage="H1"))
    state.apply(imp("customs.released", 14, 103))
    assert stage_of(state, 103) == ("awaiting_pickup", at(14), "trucking", False)
    state.apply(imp("customs.hold", 15, 103))
    assert stage_of(state, 103) == ("awaiting_pickup", at(14), "customs", True)
    state.apply(imp("customs.released", 17, 103))
    rec = state.container(box(103))
    assert (rec["stage"], rec["waiting_on"], rec["held"]) == ("awaiting_pickup", "trucking", False)


# ---------------------------------------------------------------------------------------------
# clearance
def clearance_import_events(with_inspected: bool = False) -> list[dict]:
    """Vessel C berthed at 00:00. Boxes 301-304 discharged at 00:30 and gated out 2, 3, 5 and 11
    hours after berthing. Box 309 is discharged and still waiting (not gated out).
    With `with_inspected`: box 308 is inspected (ordered 01, completed pass 06, released 06:30)
    and gated out at 08:00."""
    c = ship(4)
    events = call(c, "C1", eta=0, arrived=-2, berthed=0)
    for n, out in ((301, 2), (302, 3), (303, 5), (304, 11)):
        events += [imp("container.discharged", 0.5, n, vessel=c, voyage="C1", data={"to": "yard"}),
                   imp("customs.released", 1, n),
                   imp("gate.out", out, n)]
    events.append(imp("container.discharged", 0.75, 309, vessel=c, voyage="C1"))
    if with_inspected:
        events += [imp("container.discharged", 0.6, 308, vessel=c, voyage="C1"),
                   imp("customs.inspection_ordered", 1, 308),
                   imp("inspection.completed", 6, 308, data={"result": "pass"}),
                   imp("customs.released", 6.5, 308),
                   imp("gate.out", 8, 308)]
    return events


def test_clearance_import_median_p90_baseline_change():
    """Gate-out − berthing over 4 boxes: 2, 3, 5, 11 h (now 12:00, all in the last 24 h).
    median = (3 + 5) / 2 = 4.0; p90 at position 2.7 = 5 + 0.7 × (11 − 5) = 9.2; n = 4;
    baseline 34.91 (profile); change_pct = (4 − 34.91) / 34.91 × 100 = −88.5419…"""
    state = build(clearance_import_events())
    figures = kpis(state, at(12))["clearance_hours"]["import"]
    assert figures == {"median": pytest.approx(4.0), "p90": pytest.approx(9.2), "n": 4,
                       "baseline": pytest.approx(34.91),
                       "change_pct": pytest.approx((4.0 - 34.91) / 34.91 * 100)}
    assert figures["change_pct"] == pytest.approx(-88.5419650529934)


def test_arrival_to_pickup_leaves_out_inspected_boxes():
    """Box 308 (inspected, out 8 h after berthing) counts for clearance but not for
    arrival_to_pickup ("over import boxes with no inspection ordered").
    clearance: 2, 3, 5, 8, 11 → median 5, p90 at 3.6 = 8 + 0.6 × 3 = 9.8, n 5,
               change_pct = (5 − 34.91) / 34.91 × 100 = −85.677…
    arrival_to_pickup: 2, 3, 5, 11 → median 4.0, p90 9.2, n 4."""
    state = build(clearance_import_events(with_inspected=True))
    figures = kpis(state, at(12))
    clearance = figures["clearance_hours"]["import"]
    assert (clearance["median"], clearance["p90"], clearance["n"]) == (
        pytest.approx(5.0), pytest.approx(9.8), 5)
    assert clearance["change_pct"] == pytest.approx(-85.67745631624176)
    pickup = figures["arrival_to_pickup_hours"]
    assert (pickup["median"], pickup["p90"], pickup["n"]) == (pytest.approx(4.0), pytest.approx(9.2), 4)


def test_clearance_export_release_minus_gate_in_floored_at_zero():
    """Export boxes released in the last 24 h that gated in: max(0, release − gate-in). now 12:00.
      401 gate.in 02 released 02:30 → 0.5     402 in 03 released 04 → 1
      403 in 04 released 06 → 2               404 in 05 released 09 → 4
      405 released 01 (before its gate-in at 03) → max(0, −2) = 0
      406 released 07, never gated in → left out
      407 gate.in −20, released −13 (25 h before now) → left out
    values 0, 0.5, 1, 2, 4 → median 1, p90 at 3.6 = 2 + 0.6 × 2 = 3.2, n 5, baseline 1.78,
    change_pct = (1 − 1.78) / 1.78 × 100 = −43.82…"""
    events = []
    for n, gate_in, release in ((401, 2, 2.5), (402, 3, 4), (403, 4, 6), (404, 5, 9), (407, -20, -13)):
        events += [exp("gate.in", gate_in, n), exp("customs.released", release, n)]
    events += [exp("customs.released", 1, 405), exp("gate.in", 3, 405),
               exp("customs.released", 7, 406)]
    state = build(events)
    figures = kpis(state, at(12))["clearance_hours"]["export"]
    assert figures == {"median": pytest.approx(1.0), "p90": pytest.approx(3.2), "n": 5,
                       "baseline": pytest.approx(1.78),
                       "change_pct": pytest.approx(-43.82022471910113)}


def test_empty_populations_give_null_figures_and_n_zero():
    """"an empty population gives null figures and n: 0"; the baseline is still the profile's."""
    figures = kpis(PortState(PROFILE), at(12))
    assert figures["clearance_hours"]["import"] == {
        "median": None, "p90": None, "n": 0, "baseline": pytest.approx(34.91), "change_pct": None}
    assert figures["clearance_hours"]["export"] == {
        "median": None, "p90": None, "n": 0, "baseline": pytest.approx(1.78), "change_pct": None}
    pickup = figures["arrival_to_pickup_hours"]
    assert (pickup["median"], pickup["p90"], pickup["n"]) == (None, None, 0)
    assert figures["diversion"]["n"] == 0 and figures["diversion"]["share"] is None
    assert figures["delays"]["bottleneck_stage"] is None


def test_24h_window_is_half_open():
    """(now − 24 h, now] with now = 12:00. Vessel O berthed at −40 (26 Nov 08:00).
      501 gated out at −13 (25 h before now)     → out of the window
      502 gated out at −12 (exactly 24 h before) → out of the window
      503 gated out at −11 → clearance −11 − (−40) = 29 h
      504 gated out at 12 (exactly now)          → 12 − (−40) = 52 h
    clearance: n 2, median (29 + 52) / 2 = 40.5, p90 = 29 + 0.9 × 23 = 49.7.
    containers.import.gated_out counts the visits that ended in the last 24 h: 2."""
    o = ship(5)
    events = call(o, "O1", eta=-40, arrived=-41, berthed=-40, departed=-5)
    for n, out in ((501, -13), (502, -12), (503, -11), (504, 12)):
        events += [imp("container.discharged", -39, n, vessel=o, voyage="O1"),
                   imp("gate.out", out, n)]
    figures = kpis(build(events), at(12))
    clearance = figures["clearance_hours"]["import"]
    assert (clearance["median"], clearance["p90"], clearance["n"]) == (
        pytest.approx(40.5), pytest.approx(49.7), 2)
    assert figures["containers"]["import"]["gated_out"] == 2
    assert figures["containers"]["in_port"] == 0


# ---------------------------------------------------------------------------------------------
# gates, inspections, vessels
def test_gate_lifts_last_hour_boundaries():
    """(now − 1 h, now] with now = 10:00.
    gate.in: 09:00 (exactly 1 h before, out), 09:30 (in), 10:00 (exactly now, in), 10:15 (after now, out)
    gate.out: 09:01 (59 min before, in), 08:59 (61 min before, out)
    → {in: 2, out: 1}."""
    v = ship(6)
    events = call(v, "G1", eta=0, arrived=-1, berthed=0)
    for n, when in ((601, at(9)), (602, at(9, 30)), (603, at(10)), (604, at(10, 15))):
        events.append(exp("gate.in", when, n))
    for n, when in ((605, at(9, 1)), (606, at(8, 59))):
        events += [imp("container.discharged", 1, n, vessel=v, voyage="G1"),
                   imp("customs.released", 2, n), imp("gate.out", when, n)]
    assert kpis(build(events), at(10))["gate_lifts_last_hour"] == {"in": 2, "out": 1}


def test_inspections_today_is_the_port_local_day():
    """now = 2026-11-27T02:00Z = 10:00 local; today = 27 Nov in Asia/Shanghai, from 26 Nov 16:00Z.
      701 ordered 26 Nov 15:30Z (23:30 local yesterday), not completed → pending, not ordered today
      702 ordered 26 Nov 16:30Z (00:30 local today), completed pass 27 Nov 01:00Z → ordered today,
          completed today
      703 ordered 26 Nov 23:30Z (07:30 local today, still 26 Nov in UTC) → ordered today, pending
      704 ordered 25 Nov, completed 26 Nov 15:45Z (23:45 local yesterday) → neither
      705 export gated in 27 Nov 00:00Z, ordered 01:30Z → ordered today, pending
      706 import ordered 27 Nov 00:30Z but not discharged → ordered today, awaiting_discharge,
          so not pending ("pending (boxes in in_inspection now)")
    → ordered 4, completed_today 1, pending 3."""
    v = ship(7)
    events = [ev("vessel.berthed", "2026-11-25T10:00:00Z", vessel=v, voyage="I1",
                 data={"terminal": "haitian", "berth": "HT-3"})]
    for n in (701, 702, 703):
        events.append(imp("container.discharged", "2026-11-26T12:00:00Z", n, vessel=v, voyage="I1"))
    events += [
        imp("customs.inspection_ordered", "2026-11-26T15:30:00Z", 701),
        imp("customs.inspection_ordered", "2026-11-26T16:30:00Z", 702),
        imp("inspection.completed", "2026-11-27T01:00:00Z", 702, data={"result": "pass"}),
        imp("customs.inspection_ordered", "2026-11-26T23:30:00Z", 703),
        imp("container.discharged", "2026-11-25T12:00:00Z", 704, vessel=v, voyage="I1"),
        imp("customs.inspection_ordered", "2026-11-25T14:00:00Z", 704),
        imp("inspection.completed", "2026-11-26T15:45:00Z", 704, data={"result": "pass"}),
        exp("gate.in", "2026-11-27T00:00:00Z", 705),
        exp("customs.inspection_ordered", "2026-11-27T01:30:00Z", 705),
        imp("customs.inspection_ordered", "2026-11-27T00:30:00Z", 706),
    ]
    state = build(events)
    now = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)
    figures = kpis(state, now)
    assert figures["inspections"] == {"ordered": 4, "completed_today": 1, "pending": 3}
    assert figures["containers"]["import"]["in_inspection"] == 2
    assert figures["containers"]["export"]["in_inspection"] == 1
    assert state.container(box(706))["stage"] == "awaiting_discharge"


def test_vessel_counts_and_berth_occupancy():
    """now = 12:00.
      E1 ETA 17:00 (no arrival)            → expected_24h
      E2 ETA 36:00 = now + 24 h exactly      → expected_24h ([now, now + 24 h])
      E3 ETA 36:30                           → not expected in 24 h
      E4 ETA 11:00 (before now, no arrival)  → not expected in 24 h (status expected)
      A  ETA 13:00 but arrived 10:00         → at_anchor, not expected (it has an arrival)
      B1 berthed 07:00 at HT-1, B2 berthed 02:00 at SY-2 → at_berth 2
      D1 departed 09:00                      → departed_24h
      D2 departed −13 (25 h before), D3 departed −12 (exactly 24 h before) → not departed_24h
    berth_occupancy = 2 / 16 berths = 0.125."""
    e1, e2, e3, e4, a, b1, b2, d1, d2, d3 = (ship(n) for n in range(11, 21))
    events = (call(e1, "E1", eta=17) + call(e2, "E2", eta=36) + call(e3, "E3", eta=36.5)
              + call(e4, "E4", eta=11) + call(a, "A", eta=13, arrived=10)
              + call(b1, "B1", eta=7, arrived=6, berthed=7)
              + call(b2, "B2", eta=2, arrived=1, berthed=2, terminal="songyu", berth="SY-2")
              + call(d1, "D1", eta=-10, arrived=-11, berthed=-10, departed=9)
              + call(d2, "D2", eta=-30, arrived=-31, berthed=-30, departed=-13)
              + call(d3, "D3", eta=-30, arrived=-31, berthed=-30, departed=-12))
    state = build(events)
    figures = kpis(state, at(12))
    assert figures["vessels"] == {"expected_24h": 2, "at_anchor": 1, "at_berth": 2, "departed_24h": 1}
    assert len(PROFILE.berths) == 16
    assert figures["berth_occupancy"] == pytest.approx(2 / 16)
    assert state.vessel(a)["status"] == "at_anchor"
    assert state.vessel(b2)["status"] == "at_berth"
    assert state.vessel(b2)["berth"] == "SY-2" and state.vessel(b2)["terminal"] == "songyu"
    assert state.vessel(d1)["status"] == "departed"
    assert state.vessel(e4)["status"] == "expected"
    assert parse(state.vessel(e1)["eta"]) == at(17)


def test_calls_by_voyage_and_events_without_a_voyage():
    """Vessel S, call A1: arrived 0, berthed 2 (voyage A1), departed 20 without a voyage → it joins
    A1, whose own span (first event 0 to its actual departure, none yet) holds 20. Call A2:
    arrived 38, berthed 40 (voyage A2).
    vessel(S) is the latest call, A2, at berth, with A1 among its earlier calls.
    Vessel K: berthed 10, departed 8 (before the berthing) → departed, contradictory."""
    s, k = ship(21), ship(22)
    events = [ev("vessel.arrived", 0, vessel=s, voyage="A1"),
              ev("vessel.berthed", 2, vessel=s, voyage="A1", data={"terminal": "haitian", "berth": "HT-4"}),
              ev("vessel.departed", 20, vessel=s),
              ev("vessel.arrived", 38, vessel=s, voyage="A2"),
              ev("vessel.berthed", 40, vessel=s, voyage="A2", data={"terminal": "haitian", "berth": "HT-5"}),
              ev("vessel.berthed", 10, vessel=k, voyage="K1", data={"terminal": "haitian", "berth": "HT-2"}),
              ev("vessel.departed", 8, vessel=k, voyage="K1")]
    state = build(events)
    rec = state.vessel(s)
    assert (rec["voyage"], rec["status"], rec["berth"]) == ("A2", "at_berth", "HT-5")
    assert parse(rec["arrived"]) == at(38) and parse(rec["berthed"]) == at(40)
    assert rec["departed"] is None and rec["contradictory"] is False
    assert len(rec["earlier_calls"]) == 1
    earlier = rec["earlier_calls"][0]
    assert "A1" in (earlier.values() if isinstance(earlier, dict) else [earlier])
    figures = kpis(state, at(41))["vessels"]
    # now 41: A2 at berth; departed in (17, 41]: A1 (20), not K1 (8)
    assert figures["at_berth"] == 1 and figures["departed_24h"] == 1
    contra = state.vessel(k)
    assert (contra["status"], contra["contradictory"]) == ("departed", True)
    assert parse(contra["departed"]) == at(8) and parse(contra["berthed"]) == at(10)


# ---------------------------------------------------------------------------------------------
# diversion and dwell
def test_diversion_share_moves_and_savings():
    """Visits that ended in (now − 24 h, now], now = 12:00:
      801 import discharged to direct, gated out 03           → diverted, 1 move
      802 import discharged to yard, moved yard → truck, out 05 → 2 moves
      803 import discharged to inspection, moved → yard, out 07 → diverted, 2 moves
      804 export gated in to direct, loaded 06                → diverted, 1 move
      805 export gated in (no `to`), moved yard → yard, loaded 06:30 → 2 moves
      806 import to direct, gated out −13 (25 h ago)          → not in the window
      807 import to direct, not gated out                     → not ended
    n 5, share 3/5 = 0.6, moves_per_box 8/5 = 1.6, moves_saved 3, hours_saved 3 × 1.5 = 4.5."""
    v, x, old = ship(23), ship(24), ship(25)
    events = (call(v, "DV", eta=0, arrived=-1, berthed=0) + call(x, "DX", eta=5, arrived=4, berthed=5)
              + call(old, "DO", eta=-40, arrived=-41, berthed=-40, departed=-20))
    events += [
        imp("container.discharged", 1, 801, vessel=v, voyage="DV", data={"to": "direct"}),
        imp("gate.out", 3, 801),
        imp("container.discharged", 1.1, 802, vessel=v, voyage="DV", data={"to": "yard"}),
        imp("container.moved", 4, 802, data={"from": "yard", "to": "truck"}),
        imp("gate.out", 5, 802),
        imp("container.discharged", 1.2, 803, vessel=v, voyage="DV", data={"to": "inspection"}),
        imp("container.moved", 6, 803, data={"from": "inspection", "to": "yard"}),
        imp("gate.out", 7, 803),
        exp("gate.in", -2, 804, data={"gate": "HT-G1", "to": "direct"}),
        exp("container.loaded", 6, 804, vessel=x, voyage="DX"),
        exp("gate.in", -3, 805, data={"gate": "HT-G2"}),
        exp("container.moved", -1, 805, data={"from": "yard", "to": "yard"}),
        exp("container.loaded", 6.5, 805, vessel=x, voyage="DX"),
        imp("container.discharged", -39, 806, vessel=old, voyage="DO", data={"to": "direct"}),
        imp("gate.out", -13, 806),
        imp("container.discharged", 1.3, 807, vessel=v, voyage="DV", data={"to": "direct"}),
    ]
    state = build(events)
    figures = kpis(state, at(12))["diversion"]
    assert figures == {"share": pytest.approx(0.6), "moves_per_box": pytest.approx(1.6),
                       "moves_saved": 3, "hours_saved": pytest.approx(4.5), "n": 5}
    assert state.container(box(801))["diverted"] is True
    assert state.container(box(802))["diverted"] is False
    assert state.container(box(804))["diverted"] is True
    assert state.container(box(805))["moves"] == 2


def test_stage_dwell_median_and_p90():
    """now = 20:00. Vessel berthed 00:00, boxes discharged at 01:00.
      import awaiting_pickup: released 19, 18, 13 → 1, 2, 7 h → median 2, p90 at 1.8 = 2 + 0.8 × 5 = 6
      import awaiting_release: 904 discharged 16 → 4 h → {n 1, median 4, p90 4}
      export awaiting_loading: 905 gated in 09, released 10 → 10 h
      import in_inspection: nobody → {n 0, median null, p90 null}"""
    v = ship(26)
    events = call(v, "W1", eta=0, arrived=-1, berthed=0)
    for n, released in ((901, 19), (902, 18), (903, 13)):
        events += [imp("container.discharged", 1, n, vessel=v, voyage="W1"),
                   imp("customs.released", released, n)]
    events += [imp("container.discharged", 16, 904, vessel=v, voyage="W1"),
               exp("gate.in", 9, 905), exp("customs.released", 10, 905)]
    figures = kpis(build(events), at(20))
    dwell = figures["stage_dwell"]
    assert dwell["import"]["awaiting_pickup"] == {"n": 3, "median": pytest.approx(2.0), "p90": pytest.approx(6.0)}
    assert dwell["import"]["awaiting_release"] == {"n": 1, "median": pytest.approx(4.0), "p90": pytest.approx(4.0)}
    assert dwell["export"]["awaiting_loading"] == {"n": 1, "median": pytest.approx(10.0), "p90": pytest.approx(10.0)}
    assert dwell["import"]["in_inspection"] == {"n": 0, "median": None, "p90": None}
    counts = figures["containers"]
    assert counts["in_port"] == 5
    assert counts["import"]["awaiting_pickup"] == 3 and counts["import"]["awaiting_release"] == 1
    assert counts["export"]["awaiting_loading"] == 1 and counts["import"]["in_inspection"] == 0


# ---------------------------------------------------------------------------------------------
# delays
def test_one_late_box_with_its_delay_hours():
    """Box 1000 discharged at 30:00 and waiting for customs since; now = 60:00 → 30 h in
    awaiting_release (SLA 24 h) → 6 h late, waiting on customs."""
    v = ship(27)
    state = build(call(v, "L0", eta=10, arrived=9, berthed=10),
                  imp("container.discharged", 30, 1000, vessel=v, voyage="L0"))
    delays = kpis(state, at(60))["delays"]
    assert count(delays["containers"]) == 1
    assert delays["bottleneck_stage"] == {"direction": "import", "stage": "awaiting_release",
                                          "party": "customs", "delay_hours": pytest.approx(6.0),
                                          "boxes": 1}
    assert delays["by_party"]["customs"] == pytest.approx(6.0)
    # 23:59 in the stage is not late
    assert count(kpis(state, at(53, 59))["delays"]["containers"]) == 0


def test_late_boxes_bottleneck_and_parties():
    """now = 60:00. Vessel D berthed 10:00 (ETA 10:00, on time).
      1001 discharged 30                          → awaiting_release 30 h → 6 h late (customs)
      1002 discharged 31, inspected, hold at 33   → awaiting_release, held, 27 h → 3 h late (customs)
      1003 discharged 34, inspection ordered 35   → in_inspection 25 h → 1 h late (inspection)
      1004 discharged 11, released 20             → awaiting_pickup 40 h < 72 → not late
      1005 discharged 50                          → awaiting_release 10 h → not late
      1006 export gated in 46                     → awaiting_release 14 h, SLA 12 → 2 h late (customs)
      1007 export moved (empty out) at −63        → awaiting_gate_in 123 h, SLA 120 → 3 h late (trucking)
    late boxes 5; by party: customs 6 + 3 + 2 = 11, inspection 1, trucking 3, terminal 0.
    bottleneck: import awaiting_release, customs, 9 h over 2 boxes (export awaiting_gate_in has 3,
    export awaiting_release 2, import in_inspection 1)."""
    d = ship(28)
    events = call(d, "D1", eta=10, arrived=9, berthed=10)
    events += [
        imp("container.discharged", 30, 1001, vessel=d, voyage="D1"),
        imp("container.discharged", 31, 1002, vessel=d, voyage="D1"),
        imp("customs.inspection_ordered", 32, 1002),
        imp("inspection.completed", 33, 1002, data={"result": "hold"}),
        imp("container.discharged", 34, 1003, vessel=d, voyage="D1"),
        imp("customs.inspection_ordered", 35, 1003),
        imp("container.discharged", 11, 1004, vessel=d, voyage="D1"),
        imp("customs.released", 20, 1004),
        imp("container.discharged", 50, 1005, vessel=d, voyage="D1"),
        exp("gate.in", 46, 1006),
        exp("container.moved", -63, 1007, data={"from": "yard", "to": "truck"}),
    ]
    state = build(events)
    delays = kpis(state, at(60))["delays"]
    assert count(delays["containers"]) == 5
    assert delays["bottleneck_stage"] == {"direction": "import", "stage": "awaiting_release",
                                          "party": "customs", "delay_hours": pytest.approx(9.0),
                                          "boxes": 2}
    by_party = delays["by_party"]
    assert by_party["customs"] == pytest.approx(11.0)
    assert by_party["inspection"] == pytest.approx(1.0)
    assert by_party["trucking"] == pytest.approx(3.0)
    assert by_party.get("terminal", 0) == 0
    held = state.container(box(1002))
    assert (held["stage"], held["held"], held["waiting_on"]) == ("awaiting_release", True, "customs")


def test_awaiting_discharge_is_late_from_the_berthing_of_its_call():
    """now = 60:00. Vessel B berthed 34:00; box 1101 (estimated discharge from B at 30, an actual
    restow on B at 33:30) is awaiting_discharge since 33:30, but its SLA clock starts at the
    berthing: 60 − 34 = 26 h → 2 h late (not 2.5), waiting on the terminal.
    Vessel N only arrived (never berthed); box 1102 awaiting its discharge since 01:00 is not late."""
    b, n = ship(29), ship(30)
    events = call(b, "B1", eta=34, arrived=33, berthed=34) + call(n, "N1", eta=0, arrived=0)
    events += [
        imp("container.discharged", 30, 1101, vessel=b, voyage="B1", classifier="estimated"),
        imp("container.moved", 33.5, 1101, vessel=b, voyage="B1"),
        imp("container.discharged", 0.5, 1102, vessel=n, voyage="N1", classifier="estimated"),
        imp("container.moved", 1, 1102, vessel=n, voyage="N1"),
    ]
    state = build(events)
    assert stage_of(state, 1101) == ("awaiting_discharge", at(33.5), "terminal", False)
    assert stage_of(state, 1102) == ("awaiting_discharge", at(1), "terminal", False)
    delays = kpis(state, at(60))["delays"]
    assert count(delays["containers"]) == 1
    assert delays["bottleneck_stage"] == {"direction": "import", "stage": "awaiting_discharge",
                                          "party": "terminal", "delay_hours": pytest.approx(2.0),
                                          "boxes": 1}
    assert delays["by_party"]["terminal"] == pytest.approx(2.0)


def test_delayed_vessels():
    """now = 20:00, tolerance 2 h, late-box share 0.10.
      L    ETA 05, berthed 08 (3 h late)              → delayed
      OK   ETA 05, berthed 06:30 (1.5 h)              → not delayed
      EDGE ETA 05, berthed 07 (exactly 2 h, not more) → not delayed
      REV  ETA 02 (issued −30), revised ETA 06 (issued −10; the later event time wins, though it
           arrives first), berthed 07:30 → 1.5 h after the last ETA → not delayed
      NB   ETA 17, arrived 16, not berthed; now 20 > 17 + 2 → delayed
      NB2  ETA 18:30, not berthed; 20 < 20:30 → not delayed
      DEP  ETA 00, berthed 05, departed 15 → departed, not counted
      SH   ETA −50, berthed −50; box 1201 awaiting_release since −49 (69 h, late), box 1202
           awaiting_pickup since −47 (67 h < 72, not late): 1/2 late > 0.10 → delayed
    → 3 delayed calls: L, NB, SH (in the KPIs at now = 20:00, and as `delayed` in vessel(imo),
    which has no `now` argument and so uses the port clock, brought to 20:00 by a clock.tick)."""
    l, ok, edge, rev, nb, nb2, dep, sh = (ship(n) for n in range(31, 39))
    events = (call(l, "L", eta=5, arrived=4, berthed=8) + call(ok, "OK", eta=5, arrived=4, berthed=6.5)
              + call(edge, "EDGE", eta=5, arrived=4, berthed=7)
              + [ev("vessel.eta", -10, vessel=rev, voyage="REV", classifier="estimated",
                    data={"eta": at(6).isoformat()}),
                 ev("vessel.eta", -30, vessel=rev, voyage="REV", classifier="estimated",
                    data={"eta": at(2).isoformat()}),
                 ev("vessel.berthed", 7.5, vessel=rev, voyage="REV", data={"berth": "HT-3"})]
              + call(nb, "NB", eta=17, arrived=16) + call(nb2, "NB2", eta=18.5)
              + call(dep, "DEP", eta=0, arrived=-1, berthed=5, departed=15)
              + call(sh, "SH", eta=-50, arrived=-51, berthed=-50))
    events += [imp("container.discharged", -49, 1201, vessel=sh, voyage="SH"),
               imp("container.discharged", -48, 1202, vessel=sh, voyage="SH"),
               imp("customs.released", -47, 1202),
               ev("clock.tick", 20)]  # vessel() is as of the port clock: bring it to 20:00
    state = build(events)
    assert state.clock_now() == pytest.approx(at(20).timestamp())
    assert parse(state.vessel(rev)["eta"]) == at(6)
    assert count(kpis(state, at(20))["delays"]["vessels"]) == 3
    delayed = {name: state.vessel(imo)["delayed"] for name, imo in
               (("L", l), ("OK", ok), ("EDGE", edge), ("REV", rev), ("NB", nb), ("NB2", nb2), ("SH", sh))}
    assert delayed == {"L": True, "OK": False, "EDGE": False, "REV": False, "NB": True,
                       "NB2": False, "SH": True}


# ---------------------------------------------------------------------------------------------
# estimates, the clock, repeats, out-of-order arrival, second visits
def test_estimated_and_planned_events_set_expectations_without_moving_anything():
    """Vessel P: an estimated vessel.eta issued at 00 (ETA 30) and a planned one issued at 02
    (ETA 32, the latest in event time, applied first); an estimated arrival at 29 and a planned
    berthing at 30. Box 1301: only an estimated discharge from P at 31.
    → P is expected (not at anchor / at berth), ETA 32, ETD 50, name and berth from the eta;
      the box visit is expected: tracked, in no stage, not in port; the event clock has not moved."""
    p = ship(40)
    data = {"eta": at(30).isoformat(), "etd": at(50).isoformat(), "name": "MV PLANNED",
            "terminal": "haitian", "berth": "HT-2", "containers_import": 1}
    events = [
        ev("vessel.eta", 2, vessel=p, voyage="P1", classifier="planned",
           data={**data, "eta": at(32).isoformat()}),
        ev("vessel.eta", 0, vessel=p, voyage="P1", classifier="estimated", data=data),
        ev("vessel.arrived", 29, vessel=p, voyage="P1", classifier="estimated"),
        ev("vessel.berthed", 30, vessel=p, voyage="P1", classifier="planned",
           data={"terminal": "haitian", "berth": "HT-2"}),
        imp("container.discharged", 31, 1301, vessel=p, voyage="P1", classifier="estimated"),
    ]
    state = build(events)
    rec = state.vessel(p)
    assert rec["status"] == "expected"
    assert (rec["arrived"], rec["berthed"], rec["departed"]) == (None, None, None)
    assert parse(rec["eta"]) == at(32) and parse(rec["etd"]) == at(50)
    assert (rec["name"], rec["terminal"], rec["berth"]) == ("MV PLANNED", "haitian", "HT-2")
    boxrec = state.container(box(1301))
    assert boxrec is not None
    assert boxrec["stage"] is None and boxrec["since"] is None
    assert [e["classifier"] for e in boxrec["timeline"]] == ["estimated"]
    assert state.clock_now() is None
    figures = kpis(state, at(10))
    assert figures["vessels"] == {"expected_24h": 1, "at_anchor": 0, "at_berth": 0, "departed_24h": 0}
    assert figures["berth_occupancy"] == 0
    assert figures["containers"]["in_port"] == 0
    assert all(v == 0 for v in figures["containers"]["import"].values())


def test_event_clock_ignores_estimated_and_planned_events():
    """clock_now = the latest actual-event or clock.tick time."""
    state = PortState(PROFILE)
    assert state.clock_now() is None
    state.apply(exp("gate.in", 5, 1350))
    assert state.clock_now() == pytest.approx(at(5).timestamp())
    state.apply(imp("container.discharged", 50, 1351, vessel=ship(41), classifier="estimated"))
    state.apply(ev("vessel.eta", 60, vessel=ship(41), classifier="estimated",
                   data={"eta": at(70).isoformat()}))
    state.apply(ev("vessel.berthed", 100, vessel=ship(42), classifier="planned"))
    assert state.clock_now() == pytest.approx(at(5).timestamp())
    state.apply(ev("clock.tick", 8))
    assert state.clock_now() == pytest.approx(at(8).timestamp())
    state.apply(exp("customs.released", 7, 1350))  # earlier than the clock: it stays at 8
    assert state.clock_now() == pytest.approx(at(8).timestamp())


def test_a_repeated_event_returns_false_and_changes_nothing():
    """(source, id) is the idempotency key: the same event again, or another event under the same
    (source, id), is a no-op; the same id from another source is a different event."""
    v = ship(43)
    events = call(v, "R1", eta=0, arrived=-1, berthed=0) + [
        imp("container.discharged", 1, 1401, vessel=v, voyage="R1", data={"to": "yard"}),
        imp("customs.released", 2, 1401, id="rel-1401")]
    state = build(events)
    before = (without_feeds(kpis(state, at(12))), state.container(box(1401)), state.vessel(v),
              state.clock_now())
    assert state.apply(copy.deepcopy(events[-1])) is False
    assert state.apply(copy.deepcopy(events[0])) is False
    # another event under the same (source, id): a gate.out that would have ended the visit
    assert state.apply(imp("gate.out", 3, 1401, id="rel-1401", source="customs.xiamen")) is False
    after = (without_feeds(kpis(state, at(12))), state.container(box(1401)), state.vessel(v),
             state.clock_now())
    assert after == before
    assert state.container(box(1401))["stage"] == "awaiting_pickup"
    # the same id from another source is another event
    assert state.apply(imp("gate.out", 3, 1401, id="rel-1401", source="trucking.x")) is True
    assert state.container(box(1401))["stage"] == "gated_out"


def test_a_gate_out_arriving_before_its_discharge_still_counts():
    """Arrival order: gate.out (06), customs.released (03), container.discharged (01); vessel
    berthed at 00. Event time decides: one visit, gated out at 06, clearance 6 − 0 = 6 h."""
    v = ship(44)
    state = build(call(v, "X1", eta=0, arrived=-1, berthed=0),
                  imp("gate.out", 6, 1402),
                  imp("customs.released", 3, 1402),
                  imp("container.discharged", 1, 1402, vessel=v, voyage="X1"))
    rec = state.container(box(1402))
    assert (rec["stage"], parse(rec["since"]), rec["visits"], rec["moves"]) == ("gated_out", at(6), 1, 1)
    assert rec["vessel"] == v
    assert [e["type"] for e in rec["timeline"]] == ["container.discharged", "customs.released", "gate.out"]
    figures = kpis(state, at(12))
    assert figures["clearance_hours"]["import"] == {
        "median": pytest.approx(6.0), "p90": pytest.approx(6.0), "n": 1,
        "baseline": pytest.approx(34.91), "change_pct": pytest.approx((6 - 34.91) / 34.91 * 100)}
    pickup = figures["arrival_to_pickup_hours"]
    assert (pickup["median"], pickup["n"]) == (pytest.approx(6.0), 1)
    assert figures["containers"]["import"]["gated_out"] == 1
    assert figures["containers"]["in_port"] == 0


def test_a_late_discharge_does_not_move_a_gated_out_box_back():
    """Box 1403: discharged 01 and released 02 arrive, then gate.out 05; then a discharge dated 01:30
    (a late report of the same lift, from another system) arrives. It is before the gate-out, so it
    joins the visit: the box stays gated_out since 05, one visit, not in port, in no waiting stage."""
    v = ship(45)
    state = build(call(v, "Y1", eta=0, arrived=-1, berthed=0),
                  imp("container.discharged", 1, 1403, vessel=v, voyage="Y1"),
                  imp("customs.released", 2, 1403),
                  imp("gate.out", 5, 1403))
    assert state.apply(imp("container.discharged", 1.5, 1403, vessel=v, voyage="Y1",
                           source="terminal.other")) is True
    rec = state.container(box(1403))
    assert (rec["stage"], parse(rec["since"]), rec["waiting_on"], rec["visits"]) == (
        "gated_out", at(5), None, 1)
    counts = kpis(state, at(6))["containers"]
    assert counts["in_port"] == 0
    assert counts["import"]["gated_out"] == 1
    assert counts["import"]["awaiting_release"] == 0 and counts["import"]["awaiting_pickup"] == 0


def test_a_number_seen_after_gate_out_starts_a_second_visit():
    """Box 1501: import discharged 01, released 02, gated out 04; then gate.in for export at 10 and
    released at 11 → a second visit (export, awaiting_loading since 11). now 12: the first visit is
    counted as gated out in the last 24 h, the second is in port.
    Box 1502: discharged 01 (call Z1), gated out 04, discharged again 08 (call Z2) → second visit,
    awaiting_release since 08, 1 move in this visit."""
    z = ship(46)
    state = build(call(z, "Z1", eta=0, arrived=-1, berthed=0),
                  call(z, "Z2", eta=7, arrived=6.5, berthed=7),
                  imp("container.discharged", 1, 1501, vessel=z, voyage="Z1"),
                  imp("customs.released", 2, 1501),
                  imp("gate.out", 4, 1501),
                  exp("gate.in", 10, 1501),
                  exp("customs.released", 11, 1501),
                  imp("container.discharged", 1.5, 1502, vessel=z, voyage="Z1"),
                  imp("gate.out", 4.5, 1502),
                  imp("container.discharged", 8, 1502, vessel=z, voyage="Z2"))
    rec = state.container(box(1501))
    assert (rec["visits"], rec["direction"], rec["stage"], parse(rec["since"])) == (
        2, "export", "awaiting_loading", at(11))
    assert [e["type"] for e in rec["timeline"]] == ["gate.in", "customs.released"]
    rec2 = state.container(box(1502))
    assert (rec2["visits"], rec2["stage"], parse(rec2["since"]), rec2["moves"], rec2["voyage"]) == (
        2, "awaiting_release", at(8), 1, "Z2")
    counts = kpis(state, at(12))["containers"]
    assert counts["in_port"] == 2
    assert counts["import"]["gated_out"] == 2
    assert counts["export"]["awaiting_loading"] == 1
    assert counts["import"]["awaiting_release"] == 1


def test_kpis_now_is_in_the_port_time_zone_and_accepts_epoch_seconds():
    """`now`: the port clock, RFC 3339 in the port's time zone (+08:00)."""
    state = build(clearance_import_events())
    utc_now = at(12).astimezone(timezone.utc)
    figures = kpis(state, utc_now)
    stamp = parse(figures["now"])
    assert stamp == at(12) and stamp.utcoffset() == timedelta(hours=8)
    assert without_feeds(kpis(state, at(12).timestamp())) == without_feeds(figures)


# ---------------------------------------------------------------------------------------------
# the idempotency key and arrival order, on small hand-made cases
def test_the_same_source_and_id_on_another_box_or_a_vessel_is_a_duplicate():
    """docs/events.md: "`(source, id)` is the idempotency key: a repeat is a no-op"; kpis.md: "a
    repeat is counted as a duplicate and changes nothing, whichever box or ship it names". A second
    event under (trucking.x, k-1) is a repeat even when it names another box or a vessel."""
    state = build(exp("gate.in", 1, 1601, id="k-1", source="trucking.x"))
    before = without_feeds(kpis(state, at(2)))
    assert state.apply(exp("gate.in", 1.5, 1602, id="k-1", source="trucking.x")) is False
    assert state.container(box(1602)) is None
    assert state.apply(ev("vessel.arrived", 1.5, id="k-1", source="trucking.x", vessel=ship(47),
                          voyage="K9")) is False
    assert state.vessel(ship(47)) is None
    assert without_feeds(kpis(state, at(2))) == before
    assert state.container(box(1601))["stage"] == "awaiting_release"


def test_a_departure_without_a_voyage_arriving_first_still_joins_its_call():
    """Arrival order: vessel.departed 20:00 (no voyage), then vessel.arrived 00:00 and
    vessel.berthed 02:00 (voyage A1). A1's own span (00:00 to its actual departure, none) holds
    20:00, so the departure joins A1, "decided again from the whole set whenever the ship's events
    change, so arrival order does not matter". One call, A1, departed at 20; at now 21:
    at_berth 0, departed_24h 1, berth_occupancy 0."""
    s = ship(48)
    state = build(ev("vessel.departed", 20, vessel=s),
                  ev("vessel.arrived", 0, vessel=s, voyage="A1"),
                  ev("vessel.berthed", 2, vessel=s, voyage="A1", data={"terminal": "haitian", "berth": "HT-1"}))
    rec = state.vessel(s)
    assert (rec["voyage"], rec["status"], parse(rec["departed"])) == ("A1", "departed", at(20))
    assert rec["earlier_calls"] == []
    figures = kpis(state, at(21))
    assert (figures["vessels"]["at_berth"], figures["vessels"]["departed_24h"]) == (0, 1)
    assert figures["berth_occupancy"] == 0


def test_a_discharge_without_a_voyage_arriving_first_still_counts_for_clearance():
    """Arrival order: container.discharged 01:00 from vessel V without a voyage, then V's call C1
    (arrived −1, berthed 00:00), then gate.out 05:00. "A box event that names a ship without a
    voyage is resolved the same way, at read time, from the time of its lift": C1's span holds
    01:00, so the box's call is C1 and clearance = 5 − 0 = 5 h (n 1)."""
    v = ship(49)
    state = build(imp("container.discharged", 1, 1603, vessel=v),
                  call(v, "C1", arrived=-1, berthed=0),
                  imp("gate.out", 5, 1603))
    rec = state.container(box(1603))
    assert (rec["vessel"], rec["voyage"], rec["stage"]) == (v, "C1", "gated_out")
    clearance = kpis(state, at(6))["clearance_hours"]["import"]
    assert (clearance["n"], clearance["median"]) == (1, pytest.approx(5.0))


def test_export_events_arriving_before_the_gate_in_that_opens_their_visit():
    """Box 1701, arrival order: import discharged 01, gate.out 04; export customs.released 11,
    container.loaded 13; last the export gate.in at 10 (to direct). In time order: visit 1 =
    discharged, gate.out; visit 2 = gate.in 10, released 11, loaded 13. So 2 visits, the latest
    loaded since 13, diverted (gate.in to direct), 1 move; now 14: diversion n 2, share 0.5.
    ("an event after a visit's end ... joins the next visit, or starts one")"""
    v, x = ship(50), ship(51)
    state = build(call(v, "I1", arrived=-1, berthed=0), call(x, "E1", arrived=11, berthed=12),
                  imp("container.discharged", 1, 1701, vessel=v, voyage="I1"),
                  imp("gate.out", 4, 1701),
                  exp("customs.released", 11, 1701),
                  exp("container.loaded", 13, 1701, vessel=x, voyage="E1"),
                  exp("gate.in", 10, 1701, data={"to": "direct"}))
    rec = state.container(box(1701))
    assert (rec["visits"], rec["direction"], rec["stage"], parse(rec["since"])) == (2, "export", "loaded", at(13))
    assert [e["type"] for e in rec["timeline"]] == ["gate.in", "customs.released", "container.loaded"]
    assert (rec["diverted"], rec["moves"]) == (True, 1)
    figures = kpis(state, at(14))
    assert (figures["diversion"]["n"], figures["diversion"]["share"]) == (2, pytest.approx(0.5))
    assert figures["containers"]["export"]["loaded"] == 1 and figures["containers"]["in_port"] == 0


def test_awaiting_discharge_clock_starts_at_berthing_even_for_a_box_first_heard_of_later():
    """kpis.md, delays.containers: "for `awaiting_discharge` the clock starts at the berthing of
    its call". Vessel B berthed at 10:00; box 1104 is on its manifest (estimated discharge from B)
    and customs order an inspection at 30:00, before it is discharged: awaiting_discharge since 30.
    now 40: the clock started at the berthing, 40 − 10 = 30 h → 30 − 24 = 6 h late (terminal)."""
    b = ship(52)
    state = build(call(b, "B2", eta=10, arrived=9, berthed=10),
                  imp("container.discharged", 12, 1104, vessel=b, voyage="B2", classifier="estimated"),
                  imp("customs.inspection_ordered", 30, 1104))
    assert stage_of(state, 1104) == ("awaiting_discharge", at(30), "terminal", False)
    delays = kpis(state, at(40))["delays"]
    assert count(delays["containers"]) == 1
    assert delays["bottleneck_stage"] == {"direction": "import", "stage": "awaiting_discharge",
                                          "party": "terminal", "delay_hours": pytest.approx(6.0),
                                          "boxes": 1}


# ---------------------------------------------------------------------------------------------
# more definitions, one sentence each
def test_every_stage_is_listed_even_when_empty():
    """containers.<direction>.<stage>: "every stage listed, done stages included"."""
    counts = kpis(PortState(PROFILE), at(12))["containers"]
    assert counts["in_port"] == 0
    assert counts["import"] == {stage: 0 for stage in IMPORT_STAGES}
    assert counts["export"] == {stage: 0 for stage in EXPORT_STAGES}


def test_hours_are_unrounded():
    """"hours are decimal hours, unrounded": berthed 00:00, gated out 02:20 → 2⅓ h, not 2.33."""
    v = ship(53)
    state = build(call(v, "U1", arrived=-1, berthed=0),
                  imp("container.discharged", 1, 1801, vessel=v, voyage="U1"),
                  imp("gate.out", at(2, 20), 1801))
    clearance = kpis(state, at(3))["clearance_hours"]["import"]
    assert clearance["median"] == pytest.approx(7 / 3, rel=1e-9, abs=1e-9)
    assert clearance["p90"] == pytest.approx(7 / 3, rel=1e-9, abs=1e-9)


def test_import_clearance_leaves_out_boxes_whose_call_never_berthed():
    """clearance_hours.import: "over import boxes gated out ... whose call berthed". Vessel N
    arrived at anchor (never berthed); box 1802 discharged from N (a lighter) and gated out → left
    out; box 1803 from the berthed vessel M (berthed 00:00, out 04:00) → 4 h. n 1."""
    n, m = ship(54), ship(55)
    state = build(call(n, "N1", arrived=-5), call(m, "M1", arrived=-1, berthed=0),
                  imp("container.discharged", -4, 1802, vessel=n, voyage="N1"),
                  imp("gate.out", 2, 1802),
                  imp("container.discharged", 1, 1803, vessel=m, voyage="M1"),
                  imp("gate.out", 4, 1803))
    clearance = kpis(state, at(5))["clearance_hours"]["import"]
    assert (clearance["n"], clearance["median"]) == (1, pytest.approx(4.0))


def test_a_held_box_is_late_on_customs_whatever_its_stage():
    """A customs.hold "holds the box in its stage with waiting_on: customs"; the bottleneck's
    party is "who the late boxes wait on". Box 1804: discharged 00:00, inspection ordered 00:30
    (in_inspection since 00:30), customs.hold 01:00 → in_inspection, held, waiting on customs.
    now 30:30: 30 h in stage, SLA 24 → 6 h late, on customs (not inspection)."""
    v = ship(56)
    state = build(call(v, "Q1", arrived=-2, berthed=-1),
                  imp("container.discharged", 0, 1804, vessel=v, voyage="Q1"),
                  imp("customs.inspection_ordered", 0.5, 1804),
                  imp("customs.hold", 1, 1804, data={"reason": "suspect goods"}))
    assert stage_of(state, 1804) == ("in_inspection", at(0.5), "customs", True)
    delays = kpis(state, at(30.5))["delays"]
    assert delays["bottleneck_stage"] == {"direction": "import", "stage": "in_inspection",
                                          "party": "customs", "delay_hours": pytest.approx(6.0),
                                          "boxes": 1}
    assert delays["by_party"]["customs"] == pytest.approx(6.0)
    assert delays["by_party"].get("inspection", 0) == 0


def test_a_departure_before_the_berthing_or_an_arrival_after_the_departure_is_contradictory():
    """"A departure dated before the berthing (or an arrival after the departure) marks the call
    contradictory (flagged, not rejected; event time decides)". Both calls: departed."""
    k, j = ship(57), ship(58)
    state = build(ev("vessel.berthed", 10, vessel=k, voyage="K2"),
                  ev("vessel.departed", 8, vessel=k, voyage="K2"),
                  ev("vessel.berthed", 10, vessel=j, voyage="J1"),
                  ev("vessel.departed", 20, vessel=j, voyage="J1"),
                  ev("vessel.arrived", 22, vessel=j, voyage="J1"))
    assert (state.vessel(k)["status"], state.vessel(k)["contradictory"]) == ("departed", True)
    assert (state.vessel(j)["status"], state.vessel(j)["contradictory"]) == ("departed", True)
    assert parse(state.vessel(j)["arrived"]) == at(22)


def test_services_today_in_the_port_local_day():
    """services: today's counts (port-local day) and what is pending now. now 10:00 local.
    boarding requested 23:00 yesterday, 08:00 and 09:00 today; released 09:30 today
    → boarding_requested 2, boarding_released 1, boarding_pending 3 − 1 = 2.
    certs: requested 07:00, deposited 07:30 and 08:30, picked up 09:45 → cert_requested 1,
    cert_deposited 2, cert_picked_up 1, certs_awaiting_pickup 1; health_declared 0."""
    state = build(ev("service.boarding_requested", -1, source="services.portal"),
                  ev("service.boarding_requested", 8, source="services.portal"),
                  ev("service.boarding_requested", 9, source="services.portal"),
                  ev("service.boarding_released", 9.5, source="services.portal"),
                  ev("service.cert_requested", 7, source="services.portal"),
                  ev("service.cert_deposited", 7.5, source="services.portal"),
                  ev("service.cert_deposited", 8.5, source="services.portal"),
                  ev("service.cert_picked_up", 9.75, source="services.portal"))
    services = kpis(state, at(10))["services"]
    assert services == {"boarding_requested": 2, "boarding_released": 1, "health_declared": 0,
                        "cert_requested": 1, "cert_deposited": 2, "cert_picked_up": 1,
                        "boarding_pending": 2, "certs_awaiting_pickup": 1}
