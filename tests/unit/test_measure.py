"""simulator/measure.py on small hand-built event lists: which events start and stop the
clearance clock, the window, means against medians, the fall-back to the berthing, and the
diverted boxes paired across two runs (moves and hours to the first destination)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from simulator import measure

T0 = datetime(2025, 3, 3, tzinfo=timezone(timedelta(hours=8)))
SHIP, VOYAGE = "9321483", "001E"


def at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


def vessel(kind: str, hours: float, ship: str = SHIP, **extra) -> dict:
    return {"type": kind, "time": at(hours), "source": "terminal.haitian", "vessel": ship, "voyage": VOYAGE, **extra}


def box(kind: str, hours: float, number: str, direction: str = "import", **data) -> dict:
    event = {"type": kind, "time": at(hours), "source": "terminal.haitian", "container": number,
             "direction": direction}
    if kind in ("container.discharged", "container.loaded"):
        event.update(vessel=SHIP, voyage=VOYAGE)
    if data:
        event["data"] = data
    return event


def import_box(number: str, out_hours: float | None, discharged: float = 3.0) -> list[dict]:
    events = [box("declaration.filed", -10, number), box("container.discharged", discharged, number, to="yard")]
    return events + ([box("gate.out", out_hours, number)] if out_hours is not None else [])


def window(hours: float = 24):
    return T0, T0 + timedelta(hours=hours)


# -- overall clearance: the clock -----------------------------------------------------------------
def test_import_clock_runs_from_the_ships_arrival_not_its_berthing_to_the_gate_out():
    events = [vessel("vessel.arrived", 1), vessel("vessel.berthed", 2), *import_box("MSKU0000001", 11)]
    figures = measure.clearance_hours(events, *window())
    assert figures["import"]["mean"] == pytest.approx(10.0)   # 1 h (arrived) → 11 h (gate.out)
    assert figures["import"]["from_berthed"] == 0


def test_import_clock_falls_back_to_the_berthing_when_the_call_has_no_arrival_and_counts_it():
    events = [vessel("vessel.berthed", 2), *import_box("MSKU0000001", 12)]
    figures = measure.clearance_hours(events, *window())
    assert figures["import"]["mean"] == pytest.approx(10.0)
    assert figures["import"]["from_berthed"] == 1


def test_export_clock_runs_from_the_gate_in_to_the_first_customs_release():
    events = [box("declaration.filed", 0, "CSQU0000001", "export"), box("gate.in", 5, "CSQU0000001", "export"),
              box("customs.released", 7.5, "CSQU0000001", "export"),
              box("customs.released", 9, "CSQU0000001", "export"),
              box("container.loaded", 30, "CSQU0000001", "export")]
    figures = measure.clearance_hours(events, *window())
    assert figures["export"] == {"mean": pytest.approx(2.5), "median": pytest.approx(2.5), "n": 1, "open": 0}


def test_export_released_before_its_gate_in_counts_zero_hours():
    events = [box("customs.released", 3, "CSQU0000001", "export"), box("gate.in", 5, "CSQU0000001", "export")]
    assert measure.clearance_hours(events, *window())["export"]["mean"] == 0.0


def test_clearance_reports_the_mean_and_the_median_which_differ_on_a_skewed_sample():
    events = [vessel("vessel.arrived", 0), *import_box("MSKU0000001", 2), *import_box("MSKU0000002", 4),
              *import_box("MSKU0000003", 30)]
    figures = measure.clearance_hours(events, *window())["import"]
    assert (figures["mean"], figures["median"], figures["n"]) == (pytest.approx(12.0), pytest.approx(4.0), 3)


def test_boxes_are_chosen_by_when_their_clock_starts_and_open_ones_are_counted_not_measured():
    late_call = "9074729"
    events = [vessel("vessel.arrived", 1), *import_box("MSKU0000001", 5), *import_box("MSKU0000002", None),
              vessel("vessel.arrived", 30, ship=late_call),
              {**box("container.discharged", 31, "MSKU0000003", to="yard"), "vessel": late_call},
              box("gate.out", 40, "MSKU0000003"),
              box("gate.in", -2, "CSQU0000001", "export"), box("customs.released", -1, "CSQU0000001", "export"),
              box("gate.in", 3, "CSQU0000002", "export")]
    figures = measure.clearance_hours(events, *window())
    assert (figures["import"]["n"], figures["import"]["open"]) == (1, 1)   # the call of hour 30 is outside
    assert (figures["export"]["n"], figures["export"]["open"]) == (0, 1)   # gated in before the window


def test_only_actual_events_move_the_clock():
    events = [vessel("vessel.arrived", 1), vessel("vessel.arrived", 0, classifier="estimated"),
              *import_box("MSKU0000001", 11), {**box("gate.out", 5, "MSKU0000001"), "classifier": "planned"}]
    assert measure.clearance_hours(events, *window())["import"]["mean"] == pytest.approx(10.0)


def test_an_empty_window_gives_no_figures_rather_than_zeros():
    figures = measure.clearance_hours([], *window())
    assert figures["import"]["mean"] is None and figures["export"]["median"] is None
    assert figures["import"]["n"] == figures["export"]["n"] == 0


def test_the_definition_names_the_events_that_start_and_stop_the_clock():
    for event in ("vessel.arrived", "vessel.berthed", "gate.out", "gate.in", "customs.released"):
        assert event in measure.CLEARANCE_DEFINITION
        assert event in measure.clearance_hours.__doc__


# -- diverted boxes ---------------------------------------------------------------------------------
def traditional_to_truck(number: str) -> list[dict]:
    return [box("container.discharged", 2, number, to="yard"), box("customs.released", 4, number),
            box("gate.in", 41, number), box("container.moved", 42, number, **{"from": "yard", "to": "truck"}),
            box("gate.out", 42.5, number)]


def traditional_to_inspection(number: str) -> list[dict]:
    return [box("container.discharged", 2, number, to="yard"),
            box("container.moved", 6, number, **{"from": "yard", "to": "inspection"}),
            box("inspection.completed", 8, number, site="S1", result="pass"),
            box("container.moved", 30, number, **{"from": "inspection", "to": "truck"})]


def test_moves_count_the_lifts_up_to_and_including_the_one_that_reaches_the_first_destination():
    found = measure.first_destinations(traditional_to_truck("MSKU0000001") + traditional_to_inspection("MSKU0000002"))
    assert found["MSKU0000001"] == {"moves": 2, "hours": pytest.approx(40.5)}   # discharge 2 h → out on the truck 42.5 h
    assert found["MSKU0000002"] == {"moves": 2, "hours": pytest.approx(4.0)}    # the later move is not counted


def test_a_box_discharged_straight_to_its_destination_takes_one_move():
    events = [box("container.discharged", 2, "MSKU0000001", to="direct"), box("gate.out", 2.4, "MSKU0000001"),
              box("container.discharged", 3, "MSKU0000002", to="inspection")]
    found = measure.first_destinations(events)
    assert found["MSKU0000001"]["moves"] == found["MSKU0000002"]["moves"] == 1


def test_a_box_for_the_road_gets_there_at_its_gate_out_and_one_for_inspection_at_the_lift_sending_it():
    """Unloading → lift-off for the road (Shenzhen's ship-side figure); the inspection site's trip,
    the same in both flows, is not counted."""
    events = [box("container.discharged", 2, "MSKU0000001", to="direct"), box("gate.out", 2.25, "MSKU0000001"),
              box("container.discharged", 3, "MSKU0000002", to="inspection")]
    found = measure.first_destinations(events)
    assert found["MSKU0000001"]["hours"] == pytest.approx(0.25)
    assert found["MSKU0000002"]["hours"] == 0
    assert measure.first_destinations([box("container.discharged", 2, "MSKU0000003", to="direct")]) == {}


def test_a_box_still_in_the_yard_at_the_end_has_no_first_destination():
    assert measure.first_destinations([box("container.discharged", 2, "MSKU0000001", to="yard")]) == {}


def test_diverted_boxes_are_those_discharged_to_inspection_or_direct():
    events = [box("container.discharged", 2, "MSKU0000001", to="direct"),
              box("container.discharged", 2, "MSKU0000002", to="inspection"),
              box("container.discharged", 2, "MSKU0000003", to="yard")]
    assert measure.diverted_boxes(events) == {"MSKU0000001", "MSKU0000002"}
    assert measure.diverted_boxes(events, T0 + timedelta(hours=3), T0 + timedelta(hours=9)) == set()


def test_diverted_boxes_are_paired_by_container_number_and_only_when_in_both_runs():
    before = traditional_to_truck("MSKU0000001") + traditional_to_inspection("MSKU0000002")
    after = [box("container.discharged", 2, "MSKU0000001", to="direct"), box("gate.out", 2.5, "MSKU0000001"),
             box("container.discharged", 2.5, "MSKU0000002", to="inspection"),
             box("container.discharged", 2, "MSKU0000003", to="direct"),        # not in the before run
             box("container.discharged", 2, "MSKU0000004", to="yard")]          # not diverted
    report = measure.diverted_pairs(before, after)
    assert report["n"] == 2
    assert report["moves"] == {"before": 2.0, "after": 1.0, "change_pct": pytest.approx(-50.0)}
    assert report["hours_to_first_destination"]["before"] == pytest.approx(22.25)   # (40.5 + 4) / 2
    assert report["hours_to_first_destination"]["after"] == pytest.approx(0.25)    # (0.5 + 0) / 2
    assert report["hours_to_first_destination"]["change_pct"] == pytest.approx((0.25 - 22.25) / 22.25 * 100)


def test_pairs_of_several_runs_pool_into_one_summary():
    first = measure.pair_boxes({"A": {"moves": 2, "hours": 10.0}}, {"A": {"moves": 1, "hours": 1.0}})
    second = measure.pair_boxes({"A": {"moves": 2, "hours": 30.0}}, {"A": {"moves": 1, "hours": 3.0}})
    pooled = measure.paired_summary(first + second)
    assert pooled["n"] == 2
    assert pooled["hours_to_first_destination"] == {"before": 20.0, "after": 2.0, "change_pct": pytest.approx(-90.0)}


def test_no_pairs_give_no_figures():
    report = measure.paired_summary([])
    assert report["n"] == 0 and report["moves"] == {"before": None, "after": None, "change_pct": None}


def test_change_pct_is_after_against_before_in_percent_negative_when_faster():
    assert measure.change_pct(50.0, 45.0) == pytest.approx(-10.0)
    assert measure.change_pct(0.0, 1.0) is None and measure.change_pct(None, 1.0) is None
