"""Parties in the state (dashboard/state/parties.py): what each entry, box visit and vessel call is
a party of, what a viewer's identities see, and the index that finds an organisation's boxes and
calls without a walk over the port, through late events, retractions, rehomed vessel events and
snapshots."""

from __future__ import annotations

import copy
import itertools
import random
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.state.parties import (PartyIndex, call_parties, entry_parties, party_of_call, sees_call,
                                     sees_visit, visit_parties)
from dashboard.state.port import PortState
from dashboard.state.timeline import PARTIES, make_entry
from feeds.events import RETRACTED, validate_event
from tests.unit.state_kit import PROFILE, box, build, ev, imp, ship

A = ship(71)
B = ship(72)
HAITIAN, TRUCKER, CUSTOMS = "terminal.haitian", "trucking.x", "customs.xiamen"


def dcsa_box(kind: str, when, n: int, **fields) -> dict:
    """A box event as DCSA maps it: no `direction`, so the facts alone decide the visit."""
    return ev(kind, when, container=box(n), origin="dcsa", **fields)


def retraction(target: dict, hours: float) -> dict:
    return ev(RETRACTED, hours, id=f"take-back-{target['id']}", source=target["source"],
              data={"retracted_id": target["id"]})


def visits(state: PortState, n: int) -> list:
    return state.boxes.get(box(n), [])


# -- entries ------------------------------------------------------------------------------------
def test_entry_carries_the_distinct_named_organisations_sorted():
    event = imp("gate.out", 5, 1, parties={"trucking": "zeta.trucks", "consignee": "acme", "broker": "acme"})
    entry = make_entry(event, 0.0)
    assert entry[PARTIES] == ("acme", "zeta.trucks")


def test_entry_of_an_event_naming_no_parties_carries_none():
    assert make_entry(imp("gate.out", 5, 1), 0.0)[PARTIES] is None
    assert make_entry(imp("gate.out", 5, 1, parties={}), 0.0)[PARTIES] is None


def test_entry_parties_interned_and_shared_between_entries_naming_the_same_organisations():
    first = make_entry(imp("gate.out", 5, 1, parties={"consignee": "acme", "broker": "brokerco"}), 0.0)
    second = make_entry(imp("gate.in", 6, 1, parties={"broker": "brokerco", "consignee": "acme"}), 1.0)
    assert first[PARTIES] is second[PARTIES]
    assert first[PARTIES][0] is sys.intern("".join(["ac", "me"]))


def test_entry_parties_are_the_source_then_the_named_ones_each_once():
    entry = make_entry(imp("gate.out", 5, 1, source=TRUCKER, parties={"trucking": TRUCKER, "consignee": "acme"}), 0.0)
    assert entry_parties(entry) == (TRUCKER, "acme")
    assert entry_parties(make_entry(imp("gate.out", 5, 1, source=TRUCKER), 0.0)) == (TRUCKER,)


# -- visits and calls ---------------------------------------------------------------------------
def test_visit_parties_are_its_sources_and_named_organisations():
    state = build(imp("container.discharged", 1, 1, vessel=A, voyage="V1", parties={"consignee": "acme"}),
                  imp("customs.released", 2, 1, parties={"broker": "brokerco"}))
    assert visit_parties(state.latest_visit(box(1))) == {HAITIAN, CUSTOMS, "acme", "brokerco"}


def test_call_parties_are_those_of_its_own_events_not_its_boxes():
    state = build(ev("vessel.berthed", 0, vessel=A, voyage="V1", parties={"agent": "agentco"}),
                  imp("container.discharged", 1, 1, vessel=A, voyage="V1", parties={"consignee": "acme"}))
    call = state.calls[(A, "V1")]
    assert call_parties(call) == {HAITIAN, "agentco"}


def test_sees_visit_when_any_identity_is_a_party_and_not_otherwise():
    state = build(imp("gate.out", 5, 1, parties={"consignee": "acme"}))
    visit = state.latest_visit(box(1))
    assert sees_visit(visit, frozenset({"acme", "nobody"}))
    assert sees_visit(visit, frozenset({TRUCKER}))  # the sender is a party of what it sends
    assert not sees_visit(visit, frozenset({"nobody"}))
    assert not sees_visit(visit, frozenset())


def test_identities_none_sees_every_visit_and_call():
    state = build(ev("vessel.berthed", 0, vessel=A, voyage="V1"), imp("gate.out", 5, 1))
    call = state.calls[(A, "V1")]
    assert sees_visit(state.latest_visit(box(1)), None)
    assert sees_call(state, call, None) and party_of_call(call, None)
    assert state.party_index.boxes_for(None) == {box(1)}
    assert state.party_index.calls_for(None) == {(A, "V1")}


def test_call_is_seen_through_one_of_its_boxes_without_being_a_party_of_the_call():
    state = build(ev("vessel.berthed", 0, vessel=A, voyage="V1"),
                  imp("container.discharged", 1, 1, vessel=A, voyage="V1", parties={"consignee": "acme"}),
                  imp("container.discharged", 1, 2, vessel=A, voyage="V1"))
    call = state.calls[(A, "V1")]
    assert sees_call(state, call, frozenset({"acme"}))
    assert not party_of_call(call, frozenset({"acme"}))
    assert not sees_call(state, call, frozenset({"nobody"}))


def test_call_is_seen_through_a_box_that_named_only_the_ship():
    state = build(ev("vessel.berthed", 0, vessel=A, voyage="V1"),
                  imp("container.discharged", 1, 1, vessel=A, parties={"consignee": "acme"}))
    assert sees_call(state, state.calls[(A, "V1")], frozenset({"acme"}))


# -- late events and retractions: the visit is derived again, and so are its parties --------------
def _split_events() -> list[dict]:
    """Box 1: a gate-out at 5 (trucker), a gate-in at 10 (shipper) and a discharge at 1 (consignee).
    With the discharge, the gate-out ends an import visit and the gate-in begins the next one."""
    return [dcsa_box("gate.out", 5, 1, source=TRUCKER, id="out", parties={"trucking": "truckco"}),
            dcsa_box("gate.in", 10, 1, source=TRUCKER, id="in", parties={"shipper": "shipco"}),
            dcsa_box("container.discharged", 1, 1, id="disc", vessel=A, voyage="V1",
                     parties={"consignee": "acme"})]


def test_a_late_discharge_moves_the_later_events_parties_to_the_next_visit():
    events = _split_events()
    state = build(events[:2])
    assert visit_parties(state.latest_visit(box(1))) == {TRUCKER, "truckco", "shipco"}
    state.apply(events[2])
    first, second = visits(state, 1)
    assert visit_parties(first) == {HAITIAN, TRUCKER, "acme", "truckco"}
    assert visit_parties(second) == {TRUCKER, "shipco"}
    assert not sees_visit(second, frozenset({"truckco", "acme"}))


def test_visit_parties_are_the_same_whatever_the_arrival_order():
    expected = None
    for order in itertools.permutations(_split_events()):
        state = build(copy.deepcopy(list(order)))
        found = [visit_parties(visit) for visit in visits(state, 1)]
        expected = expected or found
        assert found == expected, [event["id"] for event in order]


def test_a_retracted_event_takes_its_parties_off_the_visit():
    named = imp("customs.released", 2, 1, parties={"broker": "brokerco"})
    state = build(imp("container.discharged", 1, 1, vessel=A, voyage="V1"), named)
    state.apply(retraction(named, 3))
    visit = state.latest_visit(box(1))
    assert "brokerco" not in visit_parties(visit) and CUSTOMS not in visit_parties(visit)
    assert not sees_visit(visit, frozenset({"brokerco"}))
    assert box(1) in state.party_index.boxes_for(frozenset({"brokerco"}))  # a candidate still: callers check


def test_a_retracted_gate_out_merges_the_visits_and_their_parties():
    events = _split_events()
    state = build(events)
    state.apply(retraction(events[0], 11))
    (merged,) = visits(state, 1)
    assert visit_parties(merged) == {HAITIAN, TRUCKER, "acme", "shipco"}


def test_an_event_retracted_before_it_came_is_no_party():
    named = imp("gate.out", 5, 1, source=TRUCKER, parties={"trucking": "truckco"})
    state = build(imp("container.discharged", 1, 1, vessel=A, voyage="V1"), retraction(named, 6), named)
    assert not sees_visit(state.latest_visit(box(1)), frozenset({"truckco"}))


# -- the index ----------------------------------------------------------------------------------
def test_index_finds_an_organisations_boxes_among_others():
    state = build([imp("gate.out", 5, n, parties={"consignee": "acme" if n % 3 == 0 else "other"})
                   for n in range(1, 31)])
    assert state.party_index.boxes_for(frozenset({"acme"})) == {box(n) for n in range(3, 31, 3)}
    assert state.party_index.boxes_for(frozenset({"acme", "other"})) == {box(n) for n in range(1, 31)}
    assert state.party_index.boxes_for(frozenset({"nobody"})) == set()


def test_index_holds_the_states_own_number_strings():
    state = build(imp("gate.out", 5, 1, parties={"consignee": "acme"}), imp("gate.in", 6, 1))
    (number,) = state.party_index.boxes_for(frozenset({"acme"}))
    assert number is state.latest_visit(box(1)).number


def test_index_finds_the_calls_an_organisation_is_a_party_of():
    state = build(ev("vessel.berthed", 0, vessel=A, voyage="V1", parties={"carrier": "carrierco"}),
                  ev("vessel.berthed", 0, vessel=B, voyage="W1"))
    assert state.party_index.calls_for(frozenset({"carrierco"})) == {(A, "V1")}
    assert state.party_index.calls_for(frozenset({HAITIAN})) == {(A, "V1"), (B, "W1")}


def test_index_finds_a_voyageless_event_after_it_joined_its_voyages_call():
    state = build(ev("vessel.berthed", 1, vessel=A, parties={"agent": "agentco"}))
    assert state.party_index.calls_for(frozenset({"agentco"})) == {(A, None)}
    state.apply(ev("vessel.arrived", 0, vessel=A, voyage="V1"))  # the voyage's call now holds the berthing
    assert (A, None) not in state.calls
    found = {key for key in state.party_index.calls_for(frozenset({"agentco"})) if key in state.calls}
    assert found == {(A, "V1")}
    assert party_of_call(state.calls[(A, "V1")], frozenset({"agentco"}))


def test_index_survives_a_snapshot_and_keeps_following_the_state():
    state = build(ev("vessel.berthed", 1, vessel=A, parties={"agent": "agentco"}),
                  imp("gate.out", 5, 1, parties={"consignee": "acme"}))
    restored = PortState.from_snapshot(state.to_snapshot())
    index = restored.party_index
    assert index.boxes_for(frozenset({"acme"})) == {box(1)}
    assert index.calls_for(frozenset({"agentco"})) == {(A, None)}
    assert index.calls_by_imo is restored.calls_by_imo  # resolves through the restored state's calls
    restored.apply(ev("vessel.arrived", 0, vessel=A, voyage="V1"))
    restored.apply(imp("gate.out", 5, 2, parties={"consignee": "acme"}))
    assert (A, "V1") in index.calls_for(frozenset({"agentco"}))
    assert index.boxes_for(frozenset({"acme"})) == {box(1), box(2)}


def test_a_fresh_index_answers_nothing_found():
    index = PartyIndex()
    assert index.boxes_for(frozenset({"acme"})) == set() and index.calls_for(None) == set()


# -- property: the index is a superset, sees_visit is the intersection ---------------------------
ORGS = ("acme", "brokerco", "truckco", "shipco", "agentco")
ROLES = ("consignee", "broker", "trucking", "shipper", "agent")
KINDS = ("container.discharged", "customs.released", "gate.out", "gate.in", "container.loaded",
         "customs.hold", "inspection.completed")
SOURCES = (HAITIAN, TRUCKER, CUSTOMS)

EVENT_SPECS = st.lists(st.tuples(st.integers(1, 4), st.sampled_from(KINDS), st.integers(0, 40),
                                 st.sampled_from(SOURCES), st.dictionaries(st.sampled_from(ROLES),
                                                                           st.sampled_from(ORGS), max_size=3),
                                 st.booleans()),
                       min_size=1, max_size=25)


def _events(specs) -> list[dict]:
    events = []
    for index, (n, kind, hour, source, parties, retract) in enumerate(specs):
        raw = {"id": f"p-{index}", "type": kind, "time": f"2026-11-27T{hour % 24:02d}:{index % 60:02d}:00+08:00",
               "source": source, "container": box(n), "origin": "dcsa", "parties": parties}
        if hour >= 24:
            raw["time"] = raw["time"].replace("-27T", "-28T")
        if kind in ("container.discharged", "container.loaded"):
            raw["vessel"], raw["voyage"] = A, "V1"
        event, problems = validate_event(raw)
        assert not problems, problems
        events.append(event)
        if retract:
            events.append(retraction(event, 47))
    return events


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=EVENT_SPECS, seed=st.integers(0, 2**16),
       identities=st.frozensets(st.sampled_from(ORGS + SOURCES), max_size=3))
def test_index_holds_every_seen_box_and_sees_visit_is_the_intersection(specs, seed, identities):
    events = _events(specs)
    random.Random(seed).shuffle(events)  # any arrival order, late events and early retractions too
    state = PortState(PROFILE)
    for event in events:
        state.apply(event)
    candidates = state.party_index.boxes_for(identities)
    for number, box_visits in state.boxes.items():
        for visit in box_visits:
            assert sees_visit(visit, identities) == bool(identities & visit_parties(visit)), number
        if sees_visit(box_visits[-1], identities):
            assert number in candidates, number
