"""Arrival order never matters (docs/kpis.md): "any permutation of the same events, with repeats,
gives the same state". A fixed, hand-written valid event set (3 vessels, 4 calls, 15 boxes, every
event type and classifier) is applied once in event-time order; any permutation of it with some
events repeated must give the same KPIs (feed health aside: it is about arrival), the same box and
vessel records, and the same event clock."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import imo as stdnum_imo

from dashboard.state.port import PortState
from feeds.events import SERVICE_TYPES, EVENT_TYPES, validate_event
from feeds.profile import load_profile
from tests.helpers import container_number

PROFILE = load_profile("xiamen")
TZ = timezone(timedelta(hours=8))
DAY = datetime(2026, 11, 27, tzinfo=TZ)


def at(hours: float) -> str:
    return (DAY + timedelta(hours=hours)).isoformat()


def ship(n: int) -> str:
    body = f"8{n:05d}"
    return body + stdnum_imo.calc_check_digit(body)


SA, SB, SC = ship(1), ship(2), ship(3)
BOXES = [container_number(2000 + n) for n in range(1, 16)]


def b(n: int) -> str:
    return container_number(2000 + n)


def _source(kind: str) -> str:
    if kind.startswith(("customs.", "inspection.", "declaration.")):
        return "customs.xiamen"
    if kind.startswith("gate."):
        return "trucking.x"
    if kind.startswith("service."):
        return "services.portal"
    if kind == "clock.tick":
        return "demo"
    return "terminal.haitian"


_RAW: list[dict] = []


def e(kind: str, hours: float, **fields) -> None:
    raw = {"id": f"p-{len(_RAW) + 1}", "type": kind, "time": at(hours), "source": _source(kind)}
    raw.update(fields)
    _RAW.append(raw)


def imp(kind: str, hours: float, n: int, **fields) -> None:
    e(kind, hours, container=b(n), direction="import", **fields)


def exp(kind: str, hours: float, n: int, **fields) -> None:
    e(kind, hours, container=b(n), direction="export", **fields)


# --- vessel A: call A1 (arrived, berthed, departed without a voyage), then call A2 (planned)
e("vessel.eta", -48, vessel=SA, voyage="A1", classifier="estimated",
  data={"eta": at(-24), "etd": at(0), "name": "MV ALPHA", "terminal": "haitian", "berth": "HT-1",
        "containers_import": 6, "containers_export": 0})
e("vessel.arrived", -25, vessel=SA, voyage="A1", data={"anchorage": "A3"})
e("vessel.berthed", -23, vessel=SA, voyage="A1", data={"terminal": "haitian", "berth": "HT-1"})
e("vessel.departed", 1, vessel=SA)  # no voyage: joins A1, whose own span (from -48, open) holds it
e("vessel.eta", 2, vessel=SA, voyage="A2", classifier="planned",
  data={"eta": at(30), "etd": at(44), "name": "MV ALPHA", "terminal": "haitian", "berth": "HT-2"})
# --- vessel B: call B1, ETA revised, arrived, berthed; loading at 06 and 08
e("vessel.eta", -20, vessel=SB, voyage="B1", classifier="estimated",
  data={"eta": at(-2), "name": "MV BRAVO", "terminal": "songyu", "berth": "SY-1"})
e("vessel.eta", -5, vessel=SB, voyage="B1", classifier="estimated",
  data={"eta": at(0), "etd": at(20), "name": "MV BRAVO", "terminal": "songyu", "berth": "SY-1"})
e("vessel.arrived", -1, vessel=SB, voyage="B1")
e("vessel.berthed", 1.25, vessel=SB, voyage="B1", data={"terminal": "songyu", "berth": "SY-1"})
# --- vessel C: call C1, ETA 04, arrived 03, planned berthing 12 (late against its ETA at now 10)
e("vessel.eta", -10, vessel=SC, voyage="C1", classifier="estimated",
  data={"eta": at(4), "name": "MV CHARLIE", "terminal": "yuanhai", "berth": "YH-1"})
e("vessel.arrived", 3, vessel=SC, voyage="C1")
e("vessel.berthed", 12, vessel=SC, voyage="C1", classifier="planned",
  data={"terminal": "yuanhai", "berth": "YH-1"})

# --- import boxes from A1
imp("container.discharged", -22, 1, vessel=SA, voyage="A1", data={"to": "yard", "crane": "Q1"})
imp("customs.released", -18, 1)
imp("gate.out", -5, 1, data={"gate": "HT-G1", "lane": 2})

imp("container.discharged", -21.5, 2, vessel=SA, voyage="A1", data={"to": "direct"})
imp("customs.released", -21, 2)
imp("gate.out", -20, 2)

imp("customs.inspection_ordered", -24, 3, data={"mode": "physical", "site": "haicang-cis"})
imp("container.discharged", -21, 3, vessel=SA, voyage="A1", data={"to": "inspection"})
imp("container.moved", -15, 3, data={"from": "inspection", "to": "yard"})
imp("inspection.completed", -12, 3, data={"result": "pass", "site": "haicang-cis"})
imp("customs.released", -11, 3)
imp("gate.out", 2, 3)

imp("container.discharged", -20.5, 4, vessel=SA, voyage="A1")
imp("customs.hold", -19, 4, data={"reason": "valuation"})
imp("customs.released", -3, 4)

imp("container.discharged", -20, 5, vessel=SA, voyage="A1")
imp("customs.inspection_ordered", -18, 5, data={"mode": "scan"})
imp("inspection.completed", -10, 5, data={"result": "hold"})

imp("container.discharged", -19.5, 6, vessel=SA, voyage="A1")
imp("customs.released", -19, 6)
imp("gate.out", -17, 6)
exp("gate.in", 3, 6, data={"to": "direct"})          # second visit: back as an export
exp("customs.released", 4, 6)
exp("container.loaded", 6, 6, vessel=SB, voyage="B1")

# --- import boxes from B1
imp("container.discharged", 2, 7, vessel=SB, voyage="B1", data={"to": "yard"})
imp("container.discharged", 2.5, 8, vessel=SB, voyage="B1", data={"to": "direct"})
imp("customs.released", 3, 8)
imp("gate.out", 5, 8)
imp("container.discharged", 1.5, 9, vessel=SB, voyage="B1", classifier="estimated")  # expected only
imp("container.discharged", 3.5, 10, vessel=SB)      # no voyage: joins B1
imp("customs.released", 4.5, 10)
imp("gate.out", 7, 10)
imp("container.discharged", 12, 10, vessel=SB, voyage="B1", classifier="estimated")  # after its end

# --- export boxes
exp("container.moved", -30, 11, data={"from": "yard", "to": "truck"})
exp("gate.in", -8, 11)
exp("customs.released", -7, 11)
exp("container.loaded", 8, 11, vessel=SB, voyage="B1")

exp("gate.in", -6, 12, data={"to": "inspection"})
exp("customs.inspection_ordered", -5.5, 12)
exp("inspection.completed", -4, 12, data={"result": "pass"})
exp("customs.released", -3.5, 12)
exp("container.moved", -3, 12, data={"from": "inspection", "to": "yard"})

exp("gate.in", 0, 13)
exp("customs.hold", 1, 13)

exp("gate.in", 4, 14)
exp("container.loaded", 14, 14, vessel=SC, voyage="C1", classifier="planned")

exp("customs.released", -40, 15)
exp("gate.in", -2, 15)

# --- everything else
e("declaration.filed", -30, data={"declaration": "DEC-1"})
e("document.event", -29, data={"code": "ISSU", "document_type": "BL", "reference": "BL-1"})
for i, kind in enumerate(sorted(SERVICE_TYPES)):
    e(kind, -6 + i, data={"vessel_name": "MV BRAVO"})
e("clock.tick", 9)
e("clock.tick", 10)
# --- a correction: the trucking company takes back box 8's gate-out (it awaits pickup again);
# an arrival order that brings the retraction first must give the same state
e("event.retracted", 6, source="trucking.x",
  data={"retracted_id": next(r["id"] for r in _RAW if r["type"] == "gate.out" and r["container"] == b(8))})

EVENTS: list[dict] = []
for _raw in _RAW:
    _event, _problems = validate_event(_raw, allow_ticks=True)
    assert not _problems, (_raw, _problems)
    EVENTS.append(_event)

NOWS = (DAY + timedelta(hours=10), DAY + timedelta(hours=3))


def _key(event: dict) -> datetime:
    return datetime.fromisoformat(event["time"])


def observe(state: PortState) -> dict:
    return {
        "kpis": {now.isoformat(): {k: v for k, v in state.kpis(now).items() if k != "feeds"}
                 for now in NOWS},
        "containers": {number: state.container(number) for number in BOXES},
        "vessels": {imo: state.vessel(imo) for imo in (SA, SB, SC)},
        "clock": state.clock_now(),
    }


def in_time_order() -> dict:
    state = PortState(PROFILE)
    for event in sorted(EVENTS, key=_key):  # stable: ties keep their written order
        assert state.apply(copy.deepcopy(event)) is True
    return observe(state)


REFERENCE = in_time_order()


def test_the_event_set_covers_every_type_and_classifier():
    assert {event["type"] for event in EVENTS} == set(EVENT_TYPES)
    assert {event["classifier"] for event in EVENTS} == {"actual", "estimated", "planned"}
    assert len({(event["source"], event["id"]) for event in EVENTS}) == len(EVENTS)
    # no two events of one box share a time, so "time order" is one order
    times = {}
    for event in EVENTS:
        if "container" in event:
            key = (event["container"], event["time"])
            assert key not in times, key
            times[key] = event["id"]


def test_reference_state_is_what_the_events_say():
    """A few anchors, so the property below compares against a sensible state."""
    assert REFERENCE["vessels"][SA]["voyage"] == "A2"
    assert REFERENCE["vessels"][SB]["status"] == "at_berth"
    assert REFERENCE["vessels"][SC]["status"] == "at_anchor"
    assert REFERENCE["containers"][b(6)]["visits"] == 2
    assert REFERENCE["containers"][b(9)]["stage"] is None
    assert REFERENCE["containers"][b(8)]["stage"] == "awaiting_pickup"  # its gate-out retracted
    assert REFERENCE["clock"] == (DAY + timedelta(hours=10)).timestamp()


def shuffled(data) -> PortState:
    """A state fed a hypothesis-drawn permutation of the events, some of them repeated."""
    repeats = data.draw(st.lists(st.integers(0, len(EVENTS) - 1), max_size=12), label="repeats")
    order = data.draw(st.permutations(list(range(len(EVENTS))) + repeats), label="order")
    state = PortState(PROFILE)
    seen = set()
    for index in order:
        applied = state.apply(copy.deepcopy(EVENTS[index]))
        assert applied is (index not in seen), EVENTS[index]
        seen.add(index)
    return state


PROPERTY = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_reverse_time_order_gives_the_same_state():
    """The plainest permutation, as a fixed case: every event in reverse time order, the last
    ten of them twice."""
    state = PortState(PROFILE)
    ordered = sorted(EVENTS, key=_key, reverse=True)
    for event in ordered:
        assert state.apply(copy.deepcopy(event)) is True
    for event in ordered[-10:]:
        assert state.apply(copy.deepcopy(event)) is False
    assert observe(state) == REFERENCE


@PROPERTY
@given(data=st.data())
def test_any_arrival_order_with_repeats_gives_the_same_kpis(data):
    state = shuffled(data)
    assert observe(state)["kpis"] == REFERENCE["kpis"]
    assert state.clock_now() == REFERENCE["clock"]


@PROPERTY
@given(data=st.data())
def test_any_arrival_order_with_repeats_gives_the_same_boxes(data):
    assert observe(shuffled(data))["containers"] == REFERENCE["containers"]


@PROPERTY
@given(data=st.data())
def test_any_arrival_order_with_repeats_gives_the_same_vessels(data):
    assert observe(shuffled(data))["vessels"] == REFERENCE["vessels"]
