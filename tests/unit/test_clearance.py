"""Overall clearance time as China Customs publishes it, and its baseline of the same definition
(docs/kpis.md, `clearance_hours`). Hand-computed; conventions: tests/unit/state_kit.py (hours
from 27 Nov 2026 00:00 local). now is 12:00 throughout: the last 24 h are (−12, 12], the 7 days
before them (−180, −12]."""

from __future__ import annotations

import random

import pytest

from dashboard.state import kpis as state_kpis
from dashboard.state.port import PortState
from tests.unit.state_kit import PROFILE, at, build, call, exp, imp, kpis, ship

NOW = 12


def import_box(n: int, vessel: str, voyage: str, discharged: float, out: float) -> list[dict]:
    return [imp("container.discharged", discharged, n, vessel=vessel, voyage=voyage),
            imp("customs.released", discharged + 0.25, n),
            imp("gate.out", out, n)]


def test_the_import_clock_starts_at_the_ships_arrival_not_its_berthing():
    """Vessel A arrived at −10 (运输工具申报进境), berthed at 00:00; box 2001 gated out at 05:00.
    clearance 5 − (−10) = 15 h; arrival-to-pickup keeps the berthing: 5 h."""
    a = ship(201)
    figures = kpis(build(call(a, "A1", arrived=-10, berthed=0), import_box(2001, a, "A1", 1, 5)), at(NOW))
    clearance = figures["clearance_hours"]["import"]
    assert (clearance["n"], clearance["median"], clearance["mean"]) == (1, pytest.approx(15.0), pytest.approx(15.0))
    assert figures["arrival_to_pickup_hours"]["median"] == pytest.approx(5.0)


def test_a_call_without_an_arrival_event_falls_back_to_its_berthing():
    """Vessel B has no vessel.arrived; berthed at 00:00; box 2002 gated out at 05:00 → 5 h."""
    b = ship(202)
    clearance = kpis(build(call(b, "B1", berthed=0), import_box(2002, b, "B1", 1, 5)), at(NOW))["clearance_hours"]
    assert (clearance["import"]["n"], clearance["import"]["mean"]) == (1, pytest.approx(5.0))


def test_the_mean_is_reported_with_the_median_and_p90():
    """Vessel C arrived at −2, berthed 00:00; boxes out at 1, 2, 3, 13 → 3, 4, 5, 15 h.
    mean 27 / 4 = 6.75, median 4.5, p90 at 2.7 = 5 + 0.7 × 10 = 12."""
    c = ship(203)
    events = call(c, "C1", arrived=-2, berthed=0)
    for n, out in ((2011, 1), (2012, 2), (2013, 3), (2014, 13)):
        events += import_box(n, c, "C1", 0.5, out)
    clearance = kpis(build(events), at(14))["clearance_hours"]["import"]
    assert (clearance["mean"], clearance["median"], clearance["p90"], clearance["n"]) == (
        pytest.approx(6.75), pytest.approx(4.5), pytest.approx(12.0), 4)


def baseline_events(boxes_before: int = 29) -> list[dict]:
    """The 7 days before (−180, −12]:
      vessel P arrived −170, berthed −168: boxes gated out at −160 + i, i < boxes_before → 10 + i h
        from the arrival (from the berthing it would be 2 h less: the baseline has the same
        definition);
      vessel Q arrived −14: box 2100 gated out at −12, exactly 24 h before now → 2 h, the baseline's;
      vessel R arrived −200: box 2101 gated out at −180, exactly 8 days before now → neither window.
    The last 24 h: vessel S arrived 00:00, berthed 01:00: boxes 2201, 2202 out at 06, 08 → 6, 8 h."""
    p, q, r, s = ship(210), ship(211), ship(212), ship(213)
    events = call(p, "P1", arrived=-170, berthed=-168) + call(q, "Q1", arrived=-14, berthed=-13.5) \
        + call(r, "R1", arrived=-200, berthed=-199) + call(s, "S1", arrived=0, berthed=1)
    for i in range(boxes_before):
        events += import_box(2300 + i, p, "P1", -167, -160 + i)
    events += import_box(2100, q, "Q1", -13, -12) + import_box(2101, r, "R1", -198, -180)
    events += import_box(2201, s, "S1", 2, 6) + import_box(2202, s, "S1", 2, 8)
    return events


def test_the_baseline_is_the_mean_of_the_same_definition_over_the_7_days_before_the_last_24_h():
    """Baseline: 29 boxes of P (10 … 38 h, sum 29 × 10 + 406 = 696) and Q's box (2 h): 30 boxes,
    mean 698 / 30 = 23.2666…; R's box is out. The last 24 h: 6, 8 → mean 7.
    change_pct = (7 − 698/30) / (698/30) × 100 = −69.914…"""
    clearance = kpis(build(baseline_events()), at(NOW))["clearance_hours"]["import"]
    assert (clearance["n"], clearance["mean"]) == (2, pytest.approx(7.0))
    assert clearance["baseline"] == pytest.approx(698 / 30)
    assert clearance["change_pct"] == pytest.approx((7 - 698 / 30) / (698 / 30) * 100)
    assert clearance["change_pct"] == pytest.approx(-69.91404011461319)
    assert clearance["baseline_window"] == {"from": at(NOW - 8 * 24).isoformat(), "to": at(NOW - 24).isoformat(),
                                            "n": 30, "min_n": state_kpis.BASELINE_MIN_BOXES}


def test_no_baseline_until_the_7_days_before_hold_30_boxes():
    """28 boxes of P and Q's: 29 < 30 → no baseline, no change; the mean of the last 24 h stands."""
    assert state_kpis.BASELINE_MIN_BOXES == 30
    clearance = kpis(build(baseline_events(boxes_before=28)), at(NOW))["clearance_hours"]["import"]
    assert (clearance["mean"], clearance["baseline"], clearance["change_pct"]) == (pytest.approx(7.0), None, None)
    assert clearance["baseline_window"]["n"] == 29


def test_the_export_baseline_is_the_mean_gate_in_to_release_of_the_7_days_before():
    """30 export boxes gated in at −100 and released 0, 0.1, … 2.9 h later: baseline mean 1.45.
    The last 24 h: gate-in 02 → released 03 and 04: 1, 2 h, mean 1.5. change (1.5 − 1.45) / 1.45
    × 100 = +3.448…"""
    events = []
    for i in range(30):
        events += [exp("gate.in", -100, 2400 + i), exp("customs.released", -100 + i / 10, 2400 + i)]
    events += [exp("gate.in", 2, 2501), exp("customs.released", 3, 2501),
               exp("gate.in", 2, 2502), exp("customs.released", 4, 2502)]
    clearance = kpis(build(events), at(NOW))["clearance_hours"]["export"]
    assert (clearance["n"], clearance["mean"], clearance["median"]) == (2, pytest.approx(1.5), pytest.approx(1.5))
    assert clearance["baseline"] == pytest.approx(1.45)
    assert clearance["change_pct"] == pytest.approx((1.5 - 1.45) / 1.45 * 100)
    assert clearance["baseline_window"]["n"] == 30


def test_a_late_arrival_event_moves_the_clock_of_figures_already_read():
    """The windows keep each hour's figures between reads. Read with P's arrival unknown (the
    clock falls back to P's berthing at −168: the baseline's P boxes are 2 h shorter), then the
    vessel.arrived comes: the same read gives the figures of a feed that had it all along. An
    event of an unrelated ship changes nothing."""
    events = baseline_events()
    arrival = next(e for e in events if e["type"] == "vessel.arrived" and e["voyage"] == "P1")
    state = build([e for e in events if e is not arrival])
    before = kpis(state, at(NOW))["clearance_hours"]["import"]
    assert before["baseline"] == pytest.approx((698 - 2 * 29) / 30)
    assert state.apply(arrival) is True
    after = kpis(state, at(NOW))["clearance_hours"]["import"]
    assert after["baseline"] == pytest.approx(698 / 30)
    state.apply(call(ship(299), "Z1", arrived=-100, berthed=-99)[0])
    assert kpis(state, at(NOW))["clearance_hours"] == kpis(build(events), at(NOW))["clearance_hours"]


@pytest.mark.parametrize("seed", range(3))
def test_clearance_and_its_baseline_are_the_same_in_any_arrival_order(seed):
    """The events of the baseline scenario shuffled, some twice, read at several nows between
    deliveries (so hours are kept, then changed): the figures of the time-ordered feed."""
    events = baseline_events() + [exp("gate.in", -50, 2600), exp("customs.released", -49, 2600)]
    expected = {now: kpis(build(events), at(now))["clearance_hours"] for now in (NOW, NOW + 30, NOW - 40)}
    rng = random.Random(seed)
    order = events + rng.sample(events, 10)
    rng.shuffle(order)
    state = PortState(PROFILE)
    for index, event in enumerate(order):
        state.apply(event)
        if index % 17 == 0:
            kpis(state, at(NOW + rng.choice((0, 30, -40, 5.5))))
    for now, figures in expected.items():
        assert _close(kpis(state, at(now))["clearance_hours"], figures)
    restored = PortState.from_snapshot(state.to_snapshot())
    assert _close(kpis(restored, at(NOW))["clearance_hours"], expected[NOW])


def _close(actual, expected) -> bool:
    if isinstance(expected, dict):
        assert set(actual) == set(expected)
        return all(_close(actual[k], expected[k]) for k in expected)
    if isinstance(expected, float):
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-9)
        return True
    assert actual == expected
    return True
