"""The scoped views (dashboard/state/scoped.py) over random ports: for any parties on any boxes, in
any arrival order, a viewer sees exactly the boxes, calls and events its organisation is a party
of, and everything else answers as if it did not exist."""

from __future__ import annotations

import random

from hypothesis import given, settings, strategies as st

from dashboard.state import scoped
from dashboard.state.port import PortState
from tests.unit.state_kit import PROFILE, box, call, ev, ship

ORG_IDS = ("acme", "blue", "cargo-co", "dray")
ROLES = ("trucking", "consignee", "broker")
SHIPS = 3


def port_events(assignments: list[tuple[int, int, dict]]) -> list[dict]:
    """Calls of SHIPS ships; box n discharged from ship s with the parties named, then released."""
    events = []
    for s in range(SHIPS):
        events += call(ship(s + 1), f"V{s}", eta=2, berthed=3, berth=f"HT-{s + 1}")
    for n, s, parties in assignments:
        common = {"container": box(n), "direction": "import"}
        events.append(ev("container.discharged", 4, vessel=ship(s + 1), voyage=f"V{s}", parties=parties or None,
                         **common))
        events.append(ev("customs.released", 5, source="customs.xiamen", **common,
                         data={"declaration": f"D{n}"}))
    return events


assignment = st.lists(st.tuples(st.integers(0, SHIPS - 1),
                                st.dictionaries(st.sampled_from(ROLES), st.sampled_from(ORG_IDS), max_size=2)),
                      min_size=1, max_size=12)


def build_state(boxes, seed: int) -> tuple[PortState, list[tuple[int, int, dict]]]:
    assignments = [(n + 1, s, parties) for n, (s, parties) in enumerate(boxes)]
    events = port_events(assignments)
    random.Random(seed).shuffle(events)  # any arrival order gives the same answer
    state = PortState(PROFILE)
    for event in events:
        state.apply(event)
    return state, assignments


@settings(max_examples=60, deadline=None)
@given(boxes=assignment, viewer=st.sampled_from(ORG_IDS), seed=st.integers(0, 1000))
def test_a_viewer_sees_exactly_the_boxes_its_organisation_is_named_on(boxes, viewer, seed):
    state, assignments = build_state(boxes, seed)
    identities = frozenset({viewer})
    now = state.latest_t
    for n, _, parties in assignments:
        seen = scoped.container(state, box(n), now, identities)
        assert (seen is not None) == (viewer in parties.values()), (n, parties)
        hits = scoped.scoped_search(state, box(n), identities)["hits"]
        assert bool(hits) == (viewer in parties.values())
        declared = scoped.scoped_search(state, f"D{n}", identities)["hits"]
        assert bool(declared) == (viewer in parties.values())


@settings(max_examples=60, deadline=None)
@given(boxes=assignment, viewer=st.sampled_from(ORG_IDS), seed=st.integers(0, 1000))
def test_a_viewer_sees_the_calls_of_its_boxes_with_only_its_boxes(boxes, viewer, seed):
    state, assignments = build_state(boxes, seed)
    identities = frozenset({viewer})
    now = state.latest_t
    mine = {s: {box(n) for n, ship_no, parties in assignments if ship_no == s and viewer in parties.values()}
            for s in range(SHIPS)}
    listed = {row["imo"] for row in scoped.vessel_list(state, now, identities)}
    assert listed == {ship(s + 1) for s in range(SHIPS) if mine[s]}
    for s in range(SHIPS):
        view = scoped.vessel(state, ship(s + 1), now, identities)
        assert (view is not None) == bool(mine[s])
        if view is not None:
            assert {row["number"] for row in view["boxes"]} == mine[s]


@settings(max_examples=40, deadline=None)
@given(boxes=assignment, viewer=st.sampled_from(ORG_IDS), seed=st.integers(0, 1000))
def test_an_event_is_seen_when_it_is_about_the_viewers_box_whoever_sent_it(boxes, viewer, seed):
    state, assignments = build_state(boxes, seed)
    identities = frozenset({viewer})
    for event in port_events(assignments):
        if not event.get("container"):
            continue
        parties = next(p for n, _, p in assignments if box(n) == event["container"])
        assert scoped.sees_event(state, event, identities) == (viewer in parties.values())


def test_the_task_force_and_managers_see_everything():
    state, assignments = build_state([(0, {}), (1, {"trucking": "acme"})], seed=1)
    now = state.latest_t
    assert scoped.container(state, box(1), now, None) is not None
    assert {row["imo"] for row in scoped.vessel_list(state, now, None)} == {ship(s + 1) for s in range(SHIPS)}


def test_a_partner_sees_what_it_sent_as_its_organisations_source():
    state, _ = build_state([(0, {}), (1, {"trucking": "acme"})], seed=2)
    customs = frozenset({"customs-org", "customs.xiamen"})  # releases come from customs.xiamen
    assert scoped.container(state, box(1), state.latest_t, customs) is not None
    assert scoped.container(state, box(2), state.latest_t, customs) is not None
    assert scoped.container(state, box(1), state.latest_t, frozenset({"customs-org"})) is None
