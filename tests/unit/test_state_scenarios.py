"""Hand-computed scenarios for the port state (docs/kpis.md is the spec).

Conventions: tests/unit/state_kit.py.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dashboard.state.port import PortState
from tests.unit.state_kit import (
    clearance_import_events,
    EXPORT_STAGES, IMPORT_STAGES, PROFILE, at, box, build, call, count, ev,
    exp, imp, kpis, parse, ship, stage_of,
)

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
def test_clearance_import_runs_from_the_ships_arrival_with_median_p90_and_mean():
    """Import clearance as China Customs publishes it: the ship's entry (vessel.arrived) → the
    box's gate-out. Vessel C arrived at −2 and berthed at 00:00; boxes 301-304 gated out at 2, 3,
    5, 11 → 4, 5, 7, 13 h (now 12:00, all in the last 24 h).
    median = (5 + 7) / 2 = 6.0; p90 at position 2.7 = 7 + 0.7 × (13 − 7) = 11.2; mean 29 / 4 =
    7.25; n = 4. Nothing before the last 24 h: no baseline, no change."""
    state = build(clearance_import_events())
    figures = kpis(state, at(12))["clearance_hours"]["import"]
    assert figures == {"median": pytest.approx(6.0), "p90": pytest.approx(11.2), "mean": pytest.approx(7.25),
                       "n": 4, "baseline": None, "change_pct": None,
                       "baseline_window": {"from": at(12 - 8 * 24).isoformat(), "to": at(12 - 24).isoformat(),
                                           "n": 0, "min_n": 30}}


def test_arrival_to_pickup_leaves_out_inspected_boxes():
    """Box 308 (inspected, out 8 h after berthing) counts for clearance but not for
    arrival_to_pickup ("over import boxes with no inspection ordered"), which runs from the
    berthing (00:00), not from the arrival (−2).
    clearance: 4, 5, 7, 10, 13 → median 7, p90 at 3.6 = 10 + 0.6 × 3 = 11.8, mean 39 / 5 = 7.8, n 5
    arrival_to_pickup: 2, 3, 5, 11 → median 4.0, p90 9.2, n 4."""
    state = build(clearance_import_events(with_inspected=True))
    figures = kpis(state, at(12))
    clearance = figures["clearance_hours"]["import"]
    assert (clearance["median"], clearance["p90"], clearance["mean"], clearance["n"]) == (
        pytest.approx(7.0), pytest.approx(11.8), pytest.approx(7.8), 5)
    pickup = figures["arrival_to_pickup_hours"]
    assert pickup == {"median": pytest.approx(4.0), "p90": pytest.approx(9.2), "n": 4}


def test_clearance_export_release_minus_gate_in_floored_at_zero():
    """Export boxes released in the last 24 h that gated in: max(0, release − gate-in). now 12:00.
      401 gate.in 02 released 02:30 → 0.5     402 in 03 released 04 → 1
      403 in 04 released 06 → 2               404 in 05 released 09 → 4
      405 released 01 (before its gate-in at 03) → max(0, −2) = 0
      406 released 07, never gated in → left out
      407 gate.in −20, released −13 (25 h before now) → left out (it is the baseline's: 1 box)
    values 0, 0.5, 1, 2, 4 → median 1, p90 at 3.6 = 2 + 0.6 × 2 = 3.2, mean 7.5 / 5 = 1.5, n 5;
    the 7 days before hold 1 box (< 30): no baseline."""
    events = []
    for n, gate_in, release in ((401, 2, 2.5), (402, 3, 4), (403, 4, 6), (404, 5, 9), (407, -20, -13)):
        events += [exp("gate.in", gate_in, n), exp("customs.released", release, n)]
    events += [exp("customs.released", 1, 405), exp("gate.in", 3, 405),
               exp("customs.released", 7, 406)]
    state = build(events)
    figures = kpis(state, at(12))["clearance_hours"]["export"]
    assert figures == {"median": pytest.approx(1.0), "p90": pytest.approx(3.2), "mean": pytest.approx(1.5),
                       "n": 5, "baseline": None, "change_pct": None,
                       "baseline_window": {"from": at(12 - 8 * 24).isoformat(), "to": at(12 - 24).isoformat(),
                                           "n": 1, "min_n": 30}}


def test_empty_populations_give_null_figures_and_n_zero():
    """"an empty population gives null figures and n: 0"; with no history there is no baseline."""
    figures = kpis(PortState(PROFILE), at(12))
    for direction in ("import", "export"):
        clearance = figures["clearance_hours"][direction]
        assert {k: v for k, v in clearance.items() if k != "baseline_window"} == {
            "median": None, "p90": None, "mean": None, "n": 0, "baseline": None, "change_pct": None}
        assert clearance["baseline_window"]["n"] == 0
    pickup = figures["arrival_to_pickup_hours"]
    assert (pickup["median"], pickup["p90"], pickup["n"]) == (None, None, 0)
    assert figures["diversion"]["n"] == 0 and figures["diversion"]["share"] is None
    assert figures["delays"]["bottleneck_stage"] is None


def test_24h_window_is_half_open():
    """(now − 24 h, now] with now = 12:00. Vessel O berthed at −40 (26 Nov 08:00).
      501 gated out at −13 (25 h before now)     → out of the window
      502 gated out at −12 (exactly 24 h before) → out of the window
      503 gated out at −11 → clearance from its arrival at −41: −11 − (−41) = 30 h
      504 gated out at 12 (exactly now)          → 12 − (−41) = 53 h
    clearance: n 2, median (30 + 53) / 2 = 41.5, p90 = 30 + 0.9 × 23 = 50.7.
    containers.import.gated_out counts the visits that ended in the last 24 h: 2."""
    o = ship(5)
    events = call(o, "O1", eta=-40, arrived=-41, berthed=-40, departed=-5)
    for n, out in ((501, -13), (502, -12), (503, -11), (504, 12)):
        events += [imp("container.discharged", -39, n, vessel=o, voyage="O1"),
                   imp("gate.out", out, n)]
    figures = kpis(build(events), at(12))
    clearance = figures["clearance_hours"]["import"]
    assert (clearance["median"], clearance["p90"], clearance["n"]) == (
        pytest.approx(41.5), pytest.approx(50.7), 2)
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
