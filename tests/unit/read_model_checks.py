"""The checks of the read-model property tests (tests/unit/test_read_models.py): the state's
answers against tests/unit/reference_models.py (exact counts, hours within float noise, ties
accepted where the order is no figure), and feeding a state in any order with repeats."""

from __future__ import annotations

import copy
import math
from datetime import datetime

import pytest
from hypothesis import note
from hypothesis import strategies as st

from dashboard import wallview
from dashboard.state import delays
from dashboard.state.port import PortState
from tests.unit import reference_models as ref
from tests.unit.read_model_events import PROFILE, TZ, draw_nows, event_key, event_sets, ship



REL, ABS = 1e-9, 1e-6  # hours agree within float noise


# -- comparing ----------------------------------------------------------------------------------------
def assert_close(actual, expected, path: str = "$") -> None:
    """Equal, floats within rel 1e-9 / abs 1e-6; bools and None compared as such."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: {actual!r} is not a dict (expected {expected!r})"
        assert set(actual) == set(expected), f"{path}: keys {sorted(map(repr, actual))} != {sorted(map(repr, expected))}"
        for key in expected:
            assert_close(actual[key], expected[key], f"{path}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert isinstance(actual, (list, tuple)), f"{path}: {actual!r} is not a list (expected {expected!r})"
        assert len(actual) == len(expected), f"{path}: {len(actual)} items != {len(expected)}: {actual!r} vs {expected!r}"
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, f"{path}[{index}]")
    elif expected is None or actual is None or isinstance(expected, (bool, str)) or isinstance(actual, (bool, str)):
        assert actual == expected and type(actual) is type(expected), f"{path}: {actual!r} != {expected!r}"
    elif isinstance(expected, float) or isinstance(actual, float):
        assert actual == pytest.approx(expected, rel=REL, abs=ABS), f"{path}: {actual!r} != {expected!r}"
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def near(a: float, b: float) -> bool:
    return a == pytest.approx(b, rel=REL, abs=ABS)


def assert_summary_bottleneck(actual, expected, by_stage: dict, path: str) -> None:
    """The stage holding the most delay hours (ties: the greater (direction, stage)), and in it
    the party holding the most. A stage or party tied within float noise may be either one:
    sums taken in another order can differ in their last bits."""
    if expected is None:
        assert actual is None, f"{path}: {actual!r}, expected no bottleneck"
        return
    assert isinstance(actual, dict) and set(actual) == set(expected), f"{path}: {actual!r} vs {expected!r}"
    key = (actual["direction"], actual["stage"])
    assert key in by_stage, f"{path}: {key} holds no late box; expected {expected!r}"
    hours, boxes, parties = by_stage[key]
    assert near(hours, expected["delay_hours"]), f"{path}: {key} holds {hours} h, the bottleneck {expected!r}"
    if key != (expected["direction"], expected["stage"]):
        note(f"{path}: a tie within float noise: {key} chosen, the reference chose {expected!r}")
    assert actual["boxes"] == boxes, f"{path}: {actual!r}, {key} holds {boxes} late boxes"
    assert near(actual["delay_hours"], hours), f"{path}: {actual!r}, {key} holds {hours} h"
    assert actual["party"] in parties and near(parties[actual["party"]], max(parties.values())), \
        f"{path}: party {actual['party']!r}, the stage's parties hold {parties!r}"


def assert_delay_summary(actual: dict, expected: dict, by_stage: dict, path: str) -> None:
    rest = lambda summary: {k: v for k, v in summary.items() if k != "bottleneck_stage"}  # noqa: E731
    assert_close(rest(actual), rest(expected), path)
    assert_summary_bottleneck(actual["bottleneck_stage"], expected["bottleneck_stage"], by_stage,
                              path + "['bottleneck_stage']")


def assert_call_bottleneck(actual, expected, path: str) -> None:
    """A call's bottleneck: the same (direction, stage, party) delay hours, ranked by hours."""
    if expected is None:
        assert actual is None, f"{path}: {actual!r}, expected no bottleneck"
        return
    assert isinstance(actual, dict) and set(actual) == {"stages", "total_delay_hours"}, f"{path}: {actual!r}"
    assert near(actual["total_delay_hours"], expected["total_delay_hours"]), f"{path}: {actual!r} vs {expected!r}"
    by_key = lambda stages: sorted(stages, key=lambda s: (s["direction"], s["stage"], s["party"]))  # noqa: E731
    assert_close(by_key(actual["stages"]), by_key(expected["stages"]), path + "['stages']")
    ranked = [s["delay_hours"] for s in actual["stages"]]
    for index, (first, second) in enumerate(zip(ranked, ranked[1:])):
        assert first > second or near(first, second), f"{path}['stages'][{index}]: not ranked by hours: {ranked}"
    # exact ties (not float noise) rank by (direction, stage, party)
    for first, second in zip(actual["stages"], actual["stages"][1:]):
        if first["delay_hours"] == second["delay_hours"]:
            assert (first["direction"], first["stage"], first["party"]) < \
                   (second["direction"], second["stage"], second["party"]), f"{path}: tie not ranked by stage"


def assert_call_view(actual, expected, path: str) -> None:
    if expected is None:
        assert actual is None, f"{path}: {actual!r}, expected None"
        return
    assert isinstance(actual, dict), f"{path}: {actual!r}"
    strip = lambda view: {k: v for k, v in view.items() if k not in ("bottleneck", "earlier_calls")}  # noqa: E731
    assert_close(strip(actual), strip(expected), path)
    assert ("bottleneck" in actual) == ("bottleneck" in expected), f"{path}: bottleneck present in one only"
    if "bottleneck" in expected:
        assert_call_bottleneck(actual["bottleneck"], expected["bottleneck"], path + "['bottleneck']")
    if "earlier_calls" in expected:
        earlier, expected_earlier = actual["earlier_calls"], expected["earlier_calls"]
        assert len(earlier) == len(expected_earlier), f"{path}['earlier_calls']: {earlier!r} vs {expected_earlier!r}"
        starts = [call_start(view) for view in earlier]
        assert starts == sorted(starts, reverse=True), f"{path}['earlier_calls']: not latest first: {starts}"
        for index, (a, e) in enumerate(zip(by_start(earlier), by_start(expected_earlier))):
            assert_call_view(a, e, f"{path}['earlier_calls'][{index}] (latest first, ties by voyage)")


def call_start(view: dict) -> float:
    """A call view's start: its first event, or never (a call named only by box events)."""
    return datetime.fromisoformat(view["timeline"][0]["time"]).timestamp() if view["timeline"] else math.inf


def by_start(views: list[dict]) -> list[dict]:
    """Earlier calls latest first, as the views list them; calls that start at the same time
    (e.g. two named only by box events) in voyage order: the views keep them in the order the
    calls were first seen, which is arrival order (see assert_vessel_list)."""
    return sorted(views, key=lambda view: (-call_start(view), view["voyage"] or ""))


def list_key(row: dict) -> tuple:
    """The documented order of the vessel list: delayed first, then by ETA (or berthing), IMO."""
    return (not row["delayed"], row["eta"] or row["berthed"] or "", row["imo"])


def assert_vessel_list(actual: list, expected: list, path: str = "vessel_list") -> None:
    """The rows in the documented order; rows that tie on it compared in voyage order. HEAD
    keeps tied rows (same ship, same or no ETA and berthing: e.g. a voyage call and the ship's
    voyage-less call) in the order their calls were first seen, i.e. in arrival order: that is
    no figure a read model must reproduce."""
    keys = [list_key(row) for row in actual]
    assert keys == sorted(keys), f"{path}: not in (delayed, eta or berthed, imo) order: {keys}"
    canonical = lambda rows: sorted(rows, key=lambda row: (*list_key(row), row["voyage"] or ""))  # noqa: E731
    assert_close(canonical(actual), canonical(expected), path + " (ties by voyage)")


def late_rows(late: list[tuple]) -> list[tuple]:
    """late_boxes as a sorted list of (number, visit start, delay hours)."""
    return sorted((visit.number, visit.start, hours) for visit, hours in late)


def imos(state: PortState) -> list[str]:
    return sorted({call.imo for call in state.calls.values()}) + [ship(99)]  # and a ship never seen


# -- the checks: the state's answer at `now` against the reference's -----------------------------------
def check_stage_dwell(state: PortState, now: float) -> None:
    assert_close(delays.stage_dwell(state, now), ref.stage_dwell(state, now), "stage_dwell")


def check_late_boxes(state: PortState, now: float) -> None:
    actual = delays.late_boxes(state, now)
    in_state = {id(v) for v in ref.visits(state)}
    assert all(id(visit) in in_state for visit, _ in actual), "late_boxes: a visit that is not in state.boxes"
    assert len({id(visit) for visit, _ in actual}) == len(actual), "late_boxes: a visit twice"
    assert_close(late_rows(actual), late_rows(ref.late_boxes(state, now)), "late_boxes")


def check_delays(state: PortState, now: float) -> None:
    expected_late = ref.late_boxes(state, now)
    assert_close(delays.delayed_calls(state, now), ref.delayed_calls(state, now, expected_late), "delayed_calls")
    assert_delay_summary(delays.delay_summary(state, now), ref.delay_summary(state, now),
                         ref.delay_by_stage(expected_late), "delay_summary")


def check_vessels(state: PortState, now: float) -> None:
    for imo in imos(state):
        assert_call_view(state.vessel(imo, now), ref.vessel_view(state, imo, now), f"vessel({imo})")
    assert_vessel_list(state.vessel_list(now), ref.vessel_rows(state, now))


def check_kpis(state: PortState, now: float) -> None:
    actual = state.kpis(now, wall_now=0.0, rejects={})
    expected = ref.kpi_figures(state, now)
    for name in ("containers", "stage_dwell", "clearance_hours", "arrival_to_pickup_hours", "diversion"):
        assert_close(actual[name], expected[name], f"kpis[{name!r}]")
    assert_delay_summary(actual["delays"], expected["delays"], ref.delay_by_stage(ref.late_boxes(state, now)),
                         "kpis['delays']")


def check_schematic(state: PortState, now: float) -> None:
    assert wallview.schematic(state)["pending"] == ref.schematic_pending(state), "schematic pending"


CHECKS = (check_stage_dwell, check_late_boxes, check_delays, check_vessels, check_kpis, check_schematic)


def check_all(state: PortState, now: float) -> None:
    for check in CHECKS:
        check(state, now)


def apply(state: PortState, event: dict) -> bool:
    return state.apply(copy.deepcopy(event))


# -- feeding ----------------------------------------------------------------------------------------
def arrival_order(data, events: list[dict]) -> list[int]:
    """A hypothesis-drawn permutation of the event indexes, some of them repeated."""
    repeats = data.draw(st.lists(st.integers(0, max(len(events) - 1, 0)), max_size=8), label="repeats") \
        if events else []
    return data.draw(st.permutations(list(range(len(events))) + repeats), label="order")


def feed_and_read(data, check) -> PortState:
    """Apply a drawn event set in a drawn order, with repeats, in chunks; after each chunk read at
    a few drawn nows; round-trip the state through a snapshot after one of the chunks."""
    events = data.draw(event_sets(), label="events")
    order = arrival_order(data, events)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(order)), min_size=1, max_size=3), label="cuts"))
    bounds = [0, *cuts, len(order)]
    chunks = [order[a:b] for a, b in zip(bounds, bounds[1:])]
    snapshot_after = data.draw(st.integers(0, len(chunks) - 1), label="snapshot after chunk")
    state, seen, earlier = PortState(PROFILE), set(), []
    for index, chunk in enumerate(chunks):
        for position in chunk:
            applied = apply(state, events[position])
            assert applied is (position not in seen), ("a repeat applied, or a first delivery not", events[position])
            seen.add(position)
        # the previous chunk's nows again (same now, more events), then new ones
        nows = earlier + draw_nows(data, state, events)
        for now in nows:
            note(f"chunk {index}: {len(seen)} of {len(events)} events applied, read at {now} "
                 f"({datetime.fromtimestamp(now, TZ).isoformat()})")
            check(state, now)
        earlier = nows[-2:]
        if index == snapshot_after:
            state = PortState.from_snapshot(state.to_snapshot())
            for now in earlier + draw_nows(data, state, events):
                note(f"after the snapshot round trip, read at {now}")
                check(state, now)
    return state


def fed_in_time_order(events: list[dict]) -> PortState:
    state = PortState(PROFILE)
    for event in sorted(events, key=event_key):  # stable: ties keep their generated order
        assert apply(state, event) is True, event
    return state


def observe(state: PortState, now: float) -> dict:
    """The figures the read models feed, as public answers. A call nothing names (no event, no
    box) must not exist: whether one was left behind used to depend on arrival order."""
    empty = [key for key, call in state.calls.items() if not call.timeline and not call.boxes]
    assert not empty, f"calls that nothing names: {empty}"
    kpis = state.kpis(now, wall_now=0.0, rejects={})
    return {
        "stage_dwell": delays.stage_dwell(state, now),
        "late_boxes": late_rows(delays.late_boxes(state, now)),
        "delayed_calls": delays.delayed_calls(state, now),
        "delay_summary": delays.delay_summary(state, now),
        "vessels": {imo: state.vessel(imo, now) for imo in imos(state)},
        "vessel_list": state.vessel_list(now),
        "kpis": {name: kpis[name] for name in ("containers", "stage_dwell", "delays", "clearance_hours",
                                                "arrival_to_pickup_hours", "diversion")},
        "pending": wallview.schematic(state)["pending"],
    }


def assert_same_figures(actual: dict, expected: dict, by_stage: dict) -> None:
    for name in ("stage_dwell", "late_boxes", "delayed_calls", "pending"):
        assert_close(actual[name], expected[name], name)
    assert_vessel_list(actual["vessel_list"], expected["vessel_list"])
    assert_delay_summary(actual["delay_summary"], expected["delay_summary"], by_stage, "delay_summary")
    assert set(actual["vessels"]) == set(expected["vessels"])
    for imo, view in expected["vessels"].items():
        assert_call_view(actual["vessels"][imo], view, f"vessel({imo})")
    for name in ("containers", "stage_dwell", "clearance_hours", "arrival_to_pickup_hours", "diversion"):
        assert_close(actual["kpis"][name], expected["kpis"][name], f"kpis[{name!r}]")
    assert_delay_summary(actual["kpis"]["delays"], expected["kpis"]["delays"], by_stage, "kpis['delays']")
