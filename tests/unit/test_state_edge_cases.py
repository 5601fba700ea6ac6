"""Hand-computed scenarios for the port state, part two: expectations, the clock, repeats,
out-of-order arrival and one-sentence definitions (docs/kpis.md is the spec).

Conventions: tests/unit/state_kit.py.
"""

from __future__ import annotations

import copy
from datetime import timedelta, timezone

import pytest

from dashboard.state.port import PortState
from tests.unit.state_kit import (
    clearance_import_events,
    EXPORT_STAGES, IMPORT_STAGES, PROFILE, at, box, build, call, count, ev,
    exp, imp, kpis, parse, ship, stage_of,
    without_feeds,
)

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
    arrived at −1, berthed at 00. Event time decides: one visit, gated out at 06, clearance from
    the arrival 6 − (−1) = 7 h, arrival-to-pickup from the berthing 6 − 0 = 6 h."""
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
    clearance = figures["clearance_hours"]["import"]
    assert (clearance["median"], clearance["p90"], clearance["mean"], clearance["n"]) == (
        pytest.approx(7.0), pytest.approx(7.0), pytest.approx(7.0), 1)
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
    01:00, so the box's call is C1 and clearance = 5 − (−1) = 6 h from C1's arrival (n 1)."""
    v = ship(49)
    state = build(imp("container.discharged", 1, 1603, vessel=v),
                  call(v, "C1", arrived=-1, berthed=0),
                  imp("gate.out", 5, 1603))
    rec = state.container(box(1603))
    assert (rec["vessel"], rec["voyage"], rec["stage"]) == (v, "C1", "gated_out")
    clearance = kpis(state, at(6))["clearance_hours"]["import"]
    assert (clearance["n"], clearance["median"]) == (1, pytest.approx(6.0))


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
    """"hours are decimal hours, unrounded": arrived −01:00, gated out 02:20 → 3⅓ h, not 3.33."""
    v = ship(53)
    state = build(call(v, "U1", arrived=-1, berthed=0),
                  imp("container.discharged", 1, 1801, vessel=v, voyage="U1"),
                  imp("gate.out", at(2, 20), 1801))
    clearance = kpis(state, at(3))["clearance_hours"]["import"]
    for figure in ("median", "p90", "mean"):
        assert clearance[figure] == pytest.approx(10 / 3, rel=1e-9, abs=1e-9)


def test_import_clearance_counts_a_call_that_arrived_but_never_berthed_and_leaves_out_one_that_did_neither():
    """clearance_hours.import: over import boxes gated out "whose call arrived or berthed", from
    the arrival. Vessel N arrived at anchor at −5 and never berthed; box 1802, discharged from N
    (a lighter), gated out at 02:00 → 7 h. Box 1803 from vessel M (arrived −1, berthed 00:00, out
    04:00) → 5 h. Box 1805 from vessel K, only expected (a vessel.eta), gated out 03:00 → left out.
    clearance n 2, median 6; arrival-to-pickup (from the berthing) only M's box: 4 h, n 1."""
    n, m, k = ship(54), ship(55), ship(56)
    state = build(call(n, "N1", arrived=-5), call(m, "M1", arrived=-1, berthed=0), call(k, "K1", eta=-3),
                  imp("container.discharged", -4, 1802, vessel=n, voyage="N1"),
                  imp("gate.out", 2, 1802),
                  imp("container.discharged", 1, 1803, vessel=m, voyage="M1"),
                  imp("gate.out", 4, 1803),
                  imp("container.discharged", 1, 1805, vessel=k, voyage="K1"),
                  imp("gate.out", 3, 1805))
    figures = kpis(state, at(5))
    clearance = figures["clearance_hours"]["import"]
    assert (clearance["n"], clearance["median"], clearance["mean"]) == (2, pytest.approx(6.0), pytest.approx(6.0))
    pickup = figures["arrival_to_pickup_hours"]
    assert (pickup["n"], pickup["median"]) == (1, pytest.approx(4.0))


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
