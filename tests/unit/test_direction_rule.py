"""A box's direction comes from what happened (docs/events.md, "Direction"): a discharge makes an
import visit, a gate-in of the box or a load before that an export visit, a discharge then a
load a transhipment. An event's own `direction` counts until a fact arrives; one the facts
contradict is reported. Hand-made cases, then any arrival order of a box's events.

Events marked `dcsa` carry no direction, as the DCSA adapter maps them (origin "dcsa")."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.state.port import PortState
from tests.unit.state_kit import PROFILE, at, box, build, call, ev, exp, imp, ship

SHIP_A, SHIP_B = ship(71), ship(72)
N = 700  # the box of every case


def dcsa(kind: str, when, n: int = N, **fields) -> dict:
    """A box event as the DCSA adapter hands it on: no direction."""
    return ev(kind, when, container=box(n), origin="dcsa", **fields)


def lift(kind: str, when, imo: str = SHIP_A, voyage: str = "A1", **fields) -> dict:
    return dcsa(kind, when, vessel=imo, voyage=voyage, **fields)


def view(state: PortState, n: int = N) -> dict:
    return state.container(box(n))


# -- import, export ----------------------------------------------------------------------------
def test_a_discharge_makes_an_import_visit_and_its_gate_out_ends_it():
    state = build(call(SHIP_A, "A1", berthed=0), lift("container.discharged", 1))
    assert (view(state)["direction"], view(state)["stage"]) == ("import", "awaiting_release")
    state.apply(dcsa("customs.released", 2))
    state.apply(dcsa("gate.out", 3))
    record = view(state)
    assert (record["direction"], record["stage"], record["waiting_on"]) == ("import", "gated_out", None)
    assert record["transhipment"] is False and record["direction_conflicts"] == []
    assert state.kpis(at(4))["containers"]["import"]["gated_out"] == 1


def test_a_gate_in_of_the_box_makes_an_export_visit_and_its_load_ends_it():
    state = build(dcsa("gate.in", 1), dcsa("customs.released", 2))
    assert (view(state)["direction"], view(state)["stage"]) == ("export", "awaiting_loading")
    state.apply(lift("container.loaded", 3, SHIP_B, "B1"))
    assert (view(state)["direction"], view(state)["stage"]) == ("export", "loaded")
    state.apply(dcsa("container.discharged", 9, vessel=SHIP_B, voyage="B2"))  # back: a new visit
    assert (view(state)["direction"], view(state)["visits"]) == ("import", 2)


def test_a_load_without_a_discharge_before_it_makes_an_export_visit():
    state = build(lift("container.loaded", 3))
    assert (view(state)["direction"], view(state)["stage"], view(state)["transhipment"]) == ("export", "loaded", False)


# -- transhipment ------------------------------------------------------------------------------
def test_a_discharge_then_a_load_is_a_transhipment_that_ends_loaded():
    state = build(call(SHIP_A, "A1", berthed=0), lift("container.discharged", 1))
    assert state.kpis(at(2))["containers"]["import"]["awaiting_release"] == 1  # an import until loaded
    state.apply(lift("container.loaded", 5, SHIP_B, "B1"))
    record = view(state)
    assert (record["direction"], record["transhipment"], record["stage"]) == ("import", True, "loaded")
    assert record["waiting_on"] is None and record["next"] is None and record["hours_in_stage"] is None
    assert record["vessel"] == SHIP_A  # the call it came by
    counts = state.kpis(at(6))["containers"]
    assert counts["in_port"] == 0 and counts["import"]["gated_out"] == 0 and counts["export"]["loaded"] == 1
    state.apply(dcsa("gate.in", 8))  # after the load: a visit of its own
    assert (view(state)["direction"], view(state)["visits"], view(state)["transhipment"]) == ("export", 2, False)


def test_a_transhipment_reports_no_conflict_for_either_direction():
    state = build(imp("container.discharged", 1, N, vessel=SHIP_A, voyage="A1"),
                  exp("customs.released", 2, N), exp("container.loaded", 3, N, vessel=SHIP_B, voyage="B1"))
    assert view(state)["transhipment"] is True and view(state)["direction_conflicts"] == []


# -- explicit direction ------------------------------------------------------------------------
def test_a_direction_the_facts_contradict_is_reported_and_the_facts_win():
    wrong = exp("container.discharged", 1, N, vessel=SHIP_A, voyage="A1", id="wrong-disc")
    state = build(wrong, imp("gate.out", 3, N))
    record = view(state)
    assert (record["direction"], record["stage"]) == ("import", "gated_out")
    assert record["direction_conflicts"] == [{
        "id": "wrong-disc", "source": "terminal.haitian", "type": "container.discharged", "said": "export",
        "facts": "import", "decided_by": {"id": "wrong-disc", "source": "terminal.haitian",
                                          "type": "container.discharged"}}]


def test_the_explicit_direction_holds_until_a_fact_arrives():
    state = build(imp("customs.released", 1, N, id="said-import"))
    assert (view(state)["direction"], view(state)["stage"]) == ("import", "awaiting_discharge")
    assert view(state)["direction_conflicts"] == []  # no fact yet: nothing to contradict
    state.apply(dcsa("gate.in", 2, id="box-in"))
    record = view(state)
    assert (record["direction"], record["stage"]) == ("export", "awaiting_loading")
    assert [(c["id"], c["said"], c["facts"], c["decided_by"]["id"]) for c in record["direction_conflicts"]] == [
        ("said-import", "import", "export", "box-in")]


def test_a_gate_in_marked_import_is_the_collecting_truck_and_no_fact():
    state = build(imp("gate.in", 1, N))
    assert (view(state)["direction"], view(state)["stage"]) == ("import", "awaiting_discharge")
    state.apply(imp("container.discharged", 2, N, vessel=SHIP_A, voyage="A1"))
    assert (view(state)["direction"], view(state)["direction_conflicts"]) == ("import", [])


def test_a_discharge_after_a_gate_in_makes_it_an_import_and_the_gate_in_a_truck():
    state = build(dcsa("gate.in", 1), lift("container.discharged", 2))
    visit = state.boxes[box(N)][-1]
    assert (visit.direction, visit.stage, visit.gated_in) == ("import", "awaiting_release", None)


def test_a_late_discharge_makes_a_gate_out_the_end_and_the_events_after_it_a_new_visit():
    in_order = [lift("container.discharged", 1), dcsa("gate.out", 5), dcsa("gate.in", 7)]
    late = build(in_order[1], in_order[2], in_order[0])
    assert [(v.direction, v.stage) for v in late.boxes[box(N)]] == [("import", "gated_out"),
                                                                    ("export", "awaiting_release")]
    assert view(late) == view(build(*in_order))


# -- any arrival order -------------------------------------------------------------------------
def _lifecycles() -> list[list[dict]]:
    """One box's events, a visit or two each: every rule above, with and without directions."""
    arrival = call(SHIP_A, "A1", eta=0, berthed=0.5, departed=9)
    for event in arrival[1:]:
        event["data"] = {**event.get("data", {}), "name": "MV ALPHA"}
    return [
        arrival + [lift("container.discharged", 1, data={"name": "ALPHA"}), dcsa("customs.released", 2), dcsa("gate.out", 3)],
        [dcsa("gate.in", 1), dcsa("customs.released", 2), lift("container.loaded", 3, SHIP_B, "B1")],
        [lift("container.discharged", 1), dcsa("customs.released", 2), lift("container.loaded", 4, SHIP_B, "B1"),
         dcsa("gate.in", 6), lift("container.loaded", 8, SHIP_B, "B2")],
        [exp("container.discharged", 1, N, vessel=SHIP_A, voyage="A1"), imp("customs.released", 2, N),
         exp("gate.out", 3, N), exp("gate.in", 5, N), imp("customs.hold", 6, N)],
        [lift("container.discharged", 1), dcsa("gate.out", 3), dcsa("gate.in", 10), dcsa("customs.released", 11),
         lift("container.loaded", 12, SHIP_B, "B1")],
        [imp("gate.in", 1, N), imp("container.discharged", 2, N, vessel=SHIP_A, voyage="A1"),
         imp("customs.released", 3, N), imp("gate.out", 4, N)],
        [dcsa("gate.in", 1), lift("container.discharged", 2), dcsa("gate.out", 3), dcsa("gate.in", 5)],
        [imp("customs.released", 1, N), dcsa("gate.in", 2), imp("customs.hold", 3, N),
         lift("container.loaded", 4, SHIP_B, "B1", classifier="planned")],
    ]


LIFECYCLES = _lifecycles()


def visits(state: PortState) -> list[tuple]:
    return [(v.direction, v.stage, v.since, v.transhipment, v.end, [e[3] for e in v.timeline])
            for v in state.boxes[box(N)]]


def observed(events: list[dict]) -> tuple:
    state = PortState(PROFILE)
    for event in events:
        assert state.apply(copy.deepcopy(event)) is True
    return visits(state), view(state), state.vessel(SHIP_A), state.vessel(SHIP_B)


REFERENCE = [observed(sorted(events, key=lambda e: e["time"])) for events in LIFECYCLES]


def test_the_lifecycles_mean_what_they_say():
    directions = [[v[0] for v in reference[0]] for reference in REFERENCE]
    assert directions == [["import"], ["export"], ["import", "export"], ["import", "export"], ["import", "export"],
                          ["import"], ["import", "export"], ["export"]]
    assert REFERENCE[2][0][0][3] is True and REFERENCE[0][1]["vessel_name"] == "MV ALPHA"
    assert [c["id"] for c in REFERENCE[3][1]["direction_conflicts"]] == [LIFECYCLES[3][4]["id"]]


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_arrival_order_of_a_boxs_events_gives_the_same_visits(data):
    index = data.draw(st.integers(0, len(LIFECYCLES) - 1), label="lifecycle")
    order = data.draw(st.permutations(LIFECYCLES[index]), label="order")
    assert observed(order) == REFERENCE[index]
