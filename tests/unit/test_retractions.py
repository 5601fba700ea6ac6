"""Retractions in the state (dashboard/state/retractions.py): after `event.retracted` the state is
the one a fresh state fed the log without the retracted event gives, whatever the arrival order
(the retraction first included) and through a snapshot; the timelines show the retracted event
struck through, with when and by whom."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dashboard.state.port import PortState
from feeds.events import RETRACTED, validate_event
from tests.unit import test_state_properties as kit
from tests.unit.state_kit import PROFILE, at, box, build, call, ev, imp, ship, without_feeds

BASE = [event for event in kit.EVENTS if event["type"] != RETRACTED]
NOW = kit.NOWS[0]


def retraction(target: dict, hours: float, id: str | None = None) -> dict:
    event, problems = validate_event({
        "id": id or f"take-back-{target['id']}", "type": RETRACTED, "time": kit.at(hours),
        "source": target["source"], "data": {"retracted_id": target["id"]}})
    assert not problems, problems
    return event


def unstruck(view: dict | None) -> dict | None:
    """A box or call view without its struck entries (a fresh state never saw them)."""
    if view is None:
        return None
    view = copy.deepcopy(view)
    for part in [view, *view.get("earlier_calls", ())]:
        part["timeline"] = [entry for entry in part["timeline"] if "retracted" not in entry]
    return view


def struck(view: dict | None) -> dict:
    """(source, id) → the `retracted` mark of each struck entry of a view."""
    parts = [view, *view.get("earlier_calls", ())] if view else []
    return {(e["source"], e["id"]): e["retracted"] for part in parts for e in part["timeline"] if "retracted" in e}


def observe(state: PortState) -> dict:
    """The public views at a fixed `now` (the event clock is a high-water mark: not compared)."""
    by_type = {kind: n for kind, n in state.by_type.items() if kind != RETRACTED}
    return {"kpis": {now.isoformat(): without_feeds(state.kpis(now)) for now in kit.NOWS},
            "containers": {number: unstruck(state.container(number, NOW)) for number in kit.BOXES},
            "vessels": {imo: unstruck(state.vessel(imo, NOW)) for imo in (kit.SA, kit.SB, kit.SC)},
            "vessel_list": state.vessel_list(NOW), "by_type": by_type,
            "declarations": dict(state.declarations)}


def fresh(events: list[dict]) -> PortState:
    state = PortState(PROFILE)
    for event in sorted(events, key=lambda event: event["time"]):
        assert state.apply(copy.deepcopy(event)) is True
    return state


@st.composite
def corrections(draw) -> tuple[list[dict], list[dict], list[dict]]:
    """(targets, their retractions, an arrival order of every event and retraction, some twice)."""
    picked = draw(st.lists(st.integers(0, len(BASE) - 1), min_size=1, max_size=4, unique=True), label="retracted")
    targets = [BASE[i] for i in picked]
    takebacks = [retraction(target, draw(st.floats(-50, 50)), id=f"r-{n}") for n, target in enumerate(targets)]
    pool = BASE + takebacks
    repeats = draw(st.lists(st.integers(0, len(pool) - 1), max_size=6), label="repeats")
    order = draw(st.permutations(list(range(len(pool))) + repeats), label="order")
    return targets, takebacks, [pool[i] for i in order]


@kit.PROPERTY
@given(case=corrections(), snapshot_at=st.integers(0, len(BASE) + 10))
def test_a_retracted_event_leaves_the_state_it_would_be_had_it_never_come(case, snapshot_at):
    targets, takebacks, arrivals = case
    state, seen = PortState(PROFILE), set()
    for position, event in enumerate(arrivals):
        if position == snapshot_at:  # pending and applied retractions survive a snapshot
            state = PortState.from_snapshot(state.to_snapshot())
        key = (event["source"], event["id"])
        assert state.apply(copy.deepcopy(event)) is (key not in seen), event
        seen.add(key)
    gone = {(target["source"], target["id"]) for target in targets}
    expected = fresh([event for event in BASE if (event["source"], event["id"]) not in gone])
    assert observe(state) == observe(expected)
    marks = {}
    for view in [state.container(n, NOW) for n in kit.BOXES] + [state.vessel(i, NOW) for i in (kit.SA, kit.SB, kit.SC)]:
        marks.update(struck(view))
    assert set(marks) <= gone
    for target, takeback in zip(targets, takebacks):
        assert state.is_retracted(target["source"], target["id"])
        mark = marks.get((target["source"], target["id"]))
        if mark is not None:  # shown, where its box or call is still there
            assert mark["by"] == target["source"]
            assert abs(datetime.fromisoformat(mark["at"]) - datetime.fromisoformat(takeback["time"])) \
                < timedelta(milliseconds=1)
    assert state.clock_now() == max(datetime.fromisoformat(e["time"]).timestamp()
                                    for e in BASE if e["classifier"] == "actual")


# -- hand-made cases --------------------------------------------------------------------------
def take_back(target: dict, hours: float, id: str | None = None) -> dict:
    return ev(RETRACTED, hours, id=id, source=target["source"], data={"retracted_id": target["id"]})


def box_events(n: int = 1) -> list[dict]:
    c = ship(40)
    return [*call(c, "V1", eta=0, berthed=0),
            imp("container.discharged", 1, n, vessel=c, voyage="V1", id=f"disc-{n}"),
            imp("customs.released", 2, n, id=f"rel-{n}"),
            imp("gate.out", 3, n, id=f"out-{n}"),
            ev("gate.in", 5, container=box(n), direction="export", id=f"in-{n}")]


def test_a_retracted_gate_out_merges_the_two_visits_back_and_is_shown_struck():
    events = box_events()
    state = build(events)
    assert state.container(box(1))["visits"] == 2
    state.apply(take_back(events[-2], 4, id="oops"))
    view = state.container(box(1), at(6))
    assert view["visits"] == 1 and view["direction"] == "import"
    assert [entry["id"] for entry in view["timeline"]] == ["disc-1", "rel-1", "out-1", "in-1"]
    (entry,) = [entry for entry in view["timeline"] if "retracted" in entry]
    assert entry["id"] == "out-1" and entry["retracted"] == {"at": at(4).isoformat(), "by": "trucking.x"}
    expected = build([e for e in events if e["id"] != "out-1"])
    assert unstruck(view) == unstruck(expected.container(box(1), at(6)))
    assert state.kpis(at(6))["containers"] == expected.kpis(at(6))["containers"]


def test_a_retraction_before_its_event_keeps_the_event_struck_with_no_effect():
    events = box_events()
    state = PortState(PROFILE)
    assert state.apply(take_back(events[-2], 4)) is True
    assert state.is_retracted("trucking.x", "out-1")
    state = PortState.from_snapshot(state.to_snapshot())  # a pending retraction is kept
    for event in events:
        assert state.apply(event) is True
    view = state.container(box(1), at(6))
    assert view["visits"] == 1
    assert unstruck(view) == unstruck(build(events[:-2], events[-1]).container(box(1), at(6)))
    assert [e["id"] for e in view["timeline"] if "retracted" in e] == ["out-1"]
    assert state.by_type["gate.out"] == 0 and "gate.out" not in state.by_type


def test_a_copy_of_a_retracted_event_is_still_a_duplicate():
    events = box_events()
    state = build(events, take_back(events[-2], 4))
    assert state.apply(copy.deepcopy(events[-2])) is False
    assert state.duplicates == 1


def test_a_retraction_of_a_retraction_changes_nothing_in_either_order():
    events = box_events()
    first = take_back(events[-2], 4, id="r1")
    second = take_back(first, 4.5, id="r2")
    for order in ([first, second], [second, first]):
        state = build(events, order)
        assert state.is_retracted("trucking.x", "out-1") and not state.is_retracted("trucking.x", "r1")
        assert state.container(box(1), at(6))["visits"] == 1


def test_of_two_retractions_of_one_event_the_earliest_is_shown_whatever_the_order():
    events = box_events()
    late, early = take_back(events[-2], 5, id="r-late"), take_back(events[-2], 4, id="r-early")
    for order in ([late, early], [early, late]):
        state = build(events, order)
        (entry,) = [e for e in state.container(box(1), at(6))["timeline"] if "retracted" in e]
        assert entry["retracted"]["at"] == at(4).isoformat()


def test_a_retracted_berthing_leaves_the_call_at_anchor_struck_on_its_timeline_and_off_the_ticker():
    c = ship(41)
    events = call(c, "V2", eta=0, arrived=-1, berthed=1)
    state = build(events)
    berthed = events[-1]
    assert any(item["id"] == berthed["id"] for item in state.ticker)
    state.apply(take_back(berthed, 2))
    view = state.vessel(c, at(3))
    assert view["status"] == "at_anchor" and view["berthed"] is None
    assert [e["id"] for e in view["timeline"] if "retracted" in e] == [berthed["id"]]
    assert not any(item["id"] == berthed["id"] for item in state.ticker)
    assert unstruck(view) == unstruck(build(events[:-1]).vessel(c, at(3)))


def test_a_retracted_voyageless_departure_goes_back_and_its_call_keeps_the_rest():
    c = ship(42)
    events = call(c, "V3", eta=0, berthed=1) + [ev("vessel.departed", 5, vessel=c, id="dep")]
    state = build(events)
    assert state.vessel(c, at(6))["status"] == "departed"
    state.apply(take_back(events[-1], 6))
    view = state.vessel(c, at(6))
    assert view["status"] == "at_berth" and view["voyage"] == "V3"
    assert [e["id"] for e in view["timeline"] if "retracted" in e] == ["dep"]


def test_a_box_whose_only_event_is_retracted_is_gone():
    only = imp("gate.out", 1, 7, id="typo")
    state = build(only, take_back(only, 2))
    assert state.container(box(7)) is None and box(7) not in state.boxes


def test_a_retracted_service_event_and_gate_lift_leave_the_counts():
    lift = ev("gate.in", 1, container=box(8), direction="export", id="lift")
    service = ev("service.boarding_requested", 1, source="services.portal", id="board")
    state = build(lift, service)
    before = state.kpis(at(1.5))
    state.apply(take_back(lift, 1.2))
    state.apply(take_back(service, 1.2))
    after = state.kpis(at(1.5))
    assert before["gate_lifts_last_hour"] != after["gate_lifts_last_hour"]
    assert after["gate_lifts_last_hour"] == PortState(PROFILE).kpis(at(1.5))["gate_lifts_last_hour"]
    assert "service.boarding_requested" not in state.by_type and state.by_type[RETRACTED] == 2


def test_a_retraction_names_only_its_own_partners_events():
    gate = imp("gate.out", 1, 9, id="shared-id")  # trucking.x's
    other = ev(RETRACTED, 2, source="terminal.haitian", data={"retracted_id": "shared-id"})
    state = build(imp("customs.released", 0.5, 9), gate, other)
    assert state.container(box(9), at(3))["stage"] == "gated_out"
    assert state.is_retracted("terminal.haitian", "shared-id") and not state.is_retracted("trucking.x", "shared-id")


def test_a_retracted_declaration_is_no_longer_found():
    released = imp("customs.released", 1, 10, data={"declaration": "DEC-9"})
    state = build(released, take_back(released, 2))
    assert "DEC-9" not in state.declarations


def test_the_ordinary_path_notes_where_each_event_went():
    state = build(box_events(11))
    assert all(where is not None for where in state.seen.values())


def test_retracted_times_are_kept_in_the_port_zone():
    events = box_events(12)
    state = build(events, take_back(events[-2], 4))
    (entry,) = [e for e in state.container(box(12), at(6))["timeline"] if "retracted" in e]
    assert entry["retracted"]["at"].endswith("+08:00")
    assert datetime.fromisoformat(entry["retracted"]["at"]) == at(4)
    assert at(4) - datetime.fromisoformat(entry["time"]) == timedelta(hours=1)


def test_a_retracted_lift_that_gave_the_ships_latest_name_gives_back_the_one_before():
    c = ship(43)
    old = imp("container.discharged", 1, 20, vessel=c, voyage="V9", data={"name": "OLD NAME"})
    new = imp("container.discharged", 2, 21, vessel=c, voyage="V9", data={"name": "NEW NAME"})
    state = build(old, new)
    assert state.vessel(c, at(3))["name"] == "NEW NAME"
    state.apply(take_back(new, 3))
    assert state.vessel(c, at(3))["name"] == "OLD NAME"
    assert unstruck(state.vessel(c, at(3))) == unstruck(build(old).vessel(c, at(3)))
