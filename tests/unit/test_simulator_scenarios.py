"""Each shipped scenario leaves its signature in the events (docs/simulator.md, the TOML files):
the typhoon's closure and the burst after it, the inspection surge, the partner outage's silence
and late, shuffled backlog, the delayed vessel, and the switch to diversion at hour 12.

Same scaled-down runs as test_simulator.py (2,000 boxes a day, one day, helpers shared). Window
hours are read from the scenario files, so a test names the window it checks. Where a signature
needs traffic at a particular moment (a ship due to berth inside the closure, Haitian Terminal
busy during its outage), the seed is chosen for it and the test first asserts that the traffic is
there, so it can never pass by having nothing to look at.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import timedelta

from dashboard.state.port import PortState
from feeds.events import BOX_TYPES
from simulator.generate import LOOKAHEAD_DAYS, WARMUP_DAYS, build
from simulator.model import CRANE_MOVES_PER_HOUR
from simulator.traffic import plan_traffic
from tests.unit.test_simulator import (
    DAYS,
    HOUR,
    PROFILE,
    decisions,
    events_of,
    hours_in,
    scaled,
    state_of,
    t,
)

LIFTS = ("container.discharged", "container.loaded")
GATES = ("gate.in", "gate.out")


def where(event: dict) -> str:
    return f"{event['type']} {event.get('direction', '')} {event['time']} to={(event.get('data') or {}).get('to')}"


# ---------------------------------------------------------------------------------------------
# typhoon: closed from hour 14 for 6 hours
TYPHOON = scaled("typhoon")
CLOSURE = TYPHOON.closures[0]
REOPEN = CLOSURE.start_hours + CLOSURE.hours


def during_closure(events, kinds) -> list[dict]:
    return [e for e in events if e["type"] in kinds and CLOSURE.holds(hours_in(e, TYPHOON))]


def test_typhoon_window_is_hours_14_to_20():
    assert (CLOSURE.start_hours, REOPEN) == (14, 20)


def test_typhoon_no_ship_berths_during_the_closure_and_one_due_then_berths_at_reopening():
    # seed 5: a call arrives at anchorage before the closure ends and would berth inside it (in
    # `normal`, same seed, it berths at hour 14.7)
    events = events_of("typhoon", 5)
    assert during_closure(events, ("vessel.berthed",)) == []
    arrived = {(e["vessel"], e["voyage"]): hours_in(e, TYPHOON) for e in events if e["type"] == "vessel.arrived"}
    berthed = {(e["vessel"], e["voyage"]): hours_in(e, TYPHOON) for e in events if e["type"] == "vessel.berthed"}
    waited = [call for call, hours in berthed.items() if arrived[call] < REOPEN and hours >= REOPEN > hours - 1]
    assert waited, "no call waited out the closure: the seed no longer exercises it"


def test_typhoon_no_crane_lift_during_the_closure():
    """No discharge or loading is dated inside the closure, not even one that a quay crane began
    before it (seed 1: a call is at berth, being worked, when the port closes)."""
    events = events_of("typhoon", 1)
    lifts = [hours_in(e, TYPHOON) for e in events if e["type"] in LIFTS]
    assert any(CLOSURE.start_hours - 1 <= h < CLOSURE.start_hours for h in lifts)
    assert any(REOPEN <= h < REOPEN + 1 for h in lifts)
    inside = during_closure(events, LIFTS)
    assert [where(e) for e in inside] == []


def test_typhoon_no_gate_passage_during_the_closure():
    events = events_of("typhoon", 1)
    inside = during_closure(events, GATES)
    assert [where(e) for e in inside][:10] == [], (
        f"{len(inside)} gate passages while the port is closed: "
        f"{dict(Counter(e['type'] + ' ' + e['direction'] for e in inside))}, "
        f"the last {max(hours_in(e, TYPHOON) - CLOSURE.start_hours for e in inside) * 60:.0f} min after closing")


def test_typhoon_trucks_of_direct_pickups_wait_for_the_gates_to_reopen():
    """A box discharged straight onto its booked truck (`to: direct`) just before the closure:
    the truck still has to pass the gate, and the gates are shut."""
    events = events_of("typhoon", 1)
    direct = {e["container"]: e["time"] for e in events
              if e["type"] == "container.discharged" and e["data"]["to"] == "direct"}
    assert len(direct) > 100
    through_shut_gates = [f"{number}: discharged {direct[number]}, gate.in {e['time']}"
                          for e in during_closure(events, ("gate.in",)) for number in [e["container"]]
                          if e["direction"] == "import" and number in direct]
    assert through_shut_gates[:5] == [], f"{len(through_shut_gates)} direct pickups through the shut gates"


def gate_counts_per_2h(events, scenario) -> Counter:
    return Counter(int(hours_in(e, scenario) // 2) for e in events
                   if e["type"] in GATES and 0 <= hours_in(e, scenario) < 24)


def test_typhoon_gates_burst_in_the_two_hours_after_reopening():
    """The trucks held back by the closure come in when it lifts: more gate passages in hours
    20–22 than in a typical 2 h of the same day (the median open 2-h slot) and than in the same
    2 h of the `normal` day with the same traffic."""
    after = int(REOPEN // 2)
    typhoon = gate_counts_per_2h(events_of("typhoon", 1), TYPHOON)
    normal = gate_counts_per_2h(events_of("normal", 1), scaled("normal"))
    closed = {int(h) // 2 for h in range(int(CLOSURE.start_hours), int(REOPEN))}
    typical = statistics.median(typhoon[slot] for slot in range(12) if slot not in closed | {after})
    assert typhoon[after] > 1.5 * typical, (typhoon[after], typical)
    assert typhoon[after] > 1.5 * normal[after], (typhoon[after], normal[after])


# ---------------------------------------------------------------------------------------------
# inspection surge: 5× the rate for hours 8–16
def test_inspection_surge_orders_several_times_more_inspections_inside_its_shift():
    """Inspection-order rate among boxes decided inside the shift against those decided outside
    it (the same day's run, warm-up included): 5× expected (≈ 11 % against ≈ 2.2 %), accepted
    between 3× and 8×."""
    scenario = scaled("inspection-surge")
    surge = scenario.inspection_surges[0]
    assert (surge.start_hours, surge.hours, surge.factor) == (8, 8, 5.0)
    decided, ordered = decisions(events_of("inspection-surge"))
    start = scenario.start.timestamp()
    inside = [box for box, when in decided.items() if surge.holds((when - start) / HOUR)]
    outside = [box for box, when in decided.items() if not surge.holds((when - start) / HOUR)]
    assert len(inside) > 300 and len(outside) > 3_000
    rate_in = sum(box in ordered for box in inside) / len(inside)
    rate_out = sum(box in ordered for box in outside) / len(outside)
    assert 3 <= rate_in / rate_out <= 8, (rate_in, rate_out)


# ---------------------------------------------------------------------------------------------
# partner outage: terminal.haitian silent for hours 10–12, then its backlog late and shuffled
OUTAGE_SEED = 2  # Haitian Terminal is busy in the window
OUTAGE = scaled("partner-outage")
SILENT = OUTAGE.outages[0]


def outage_split():
    """(events, positions of the window in emission order, Haitian events dated in the window).
    The window in emission order: from the first event dated at or after its start to the last
    event of another partner dated before its end."""
    events = events_of("partner-outage", OUTAGE_SEED)
    hours = [hours_in(e, OUTAGE) for e in events]
    first = next(i for i, h in enumerate(hours) if h >= SILENT.start_hours)
    last = max(i for i, h in enumerate(hours) if SILENT.holds(h) and events[i]["source"] != SILENT.source)
    dated_inside = [i for i, h in enumerate(hours) if SILENT.holds(h) and events[i]["source"] == SILENT.source]
    return events, range(first, last + 1), dated_inside


def test_partner_outage_is_haitian_for_hours_10_to_12():
    assert (SILENT.source, SILENT.start_hours, SILENT.hours) == ("terminal.haitian", 10, 2)


def test_partner_outage_no_haitian_event_is_emitted_during_the_window():
    events, window, dated_inside = outage_split()
    assert len(dated_inside) > 100, "Haitian is not busy in the window: the seed no longer exercises it"
    assert len(window) > 100
    emitted = [where(events[i]) for i in window if events[i]["source"] == SILENT.source]
    assert emitted[:5] == [], f"{len(emitted)} Haitian events emitted while its feed is down"


def test_partner_outage_backlog_arrives_after_the_window_late_and_out_of_time_order():
    events, window, dated_inside = outage_split()
    assert dated_inside and min(dated_inside) > window[-1]  # all of them late
    times = [t(events[i]) for i in dated_inside]
    assert times != sorted(times)  # shuffled, not replayed in order
    assert any(t(events[i]) < t(events[i - 1]) for i in dated_inside)  # the stream goes back in time


def test_partner_outage_delays_events_but_loses_or_invents_none():
    """The outage only holds events back: the same events as `normal` with the same seed."""
    def key(event: dict) -> str:
        return repr(sorted(event.items()))
    outage, normal = events_of("partner-outage", OUTAGE_SEED), events_of("normal", OUTAGE_SEED)
    assert Counter(map(key, outage)) == Counter(map(key, normal))


def test_partner_outage_state_is_the_same_fed_in_emission_order_or_in_time_order():
    """Arrival order never matters to the state (docs/kpis.md), except feed health."""
    events = events_of("partner-outage", OUTAGE_SEED)
    in_emission, in_time = state_of("partner-outage", OUTAGE_SEED), PortState(PROFILE)
    for event in sorted(events, key=t):
        in_time.apply(event, arrival=0.0)
    after_the_window = OUTAGE.start + timedelta(hours=SILENT.start_hours + SILENT.hours + 1)
    for now in (after_the_window, OUTAGE.start + timedelta(days=DAYS)):
        one, two = in_emission.kpis(now), in_time.kpis(now)
        one.pop("feeds"), two.pop("feeds")
        assert one == two, now
    now = OUTAGE.start + timedelta(days=DAYS)
    numbers = sorted({e["container"] for e in events if e["type"] in BOX_TYPES})
    assert len(numbers) > 5_000
    differ = [n for n in numbers if in_emission.container(n, now) != in_time.container(n, now)]
    assert differ[:5] == [], f"{len(differ)} container records differ"


# ---------------------------------------------------------------------------------------------
# delayed vessel: the third call of the day works at a fifth of its crane rate for 20 h
def test_delayed_vessel_third_call_of_the_day_stays_at_berth_far_longer_than_planned():
    """The third call after the start comes within hours; the run gets two days to drain, so that
    it and the calls around it depart (the breakdown is a scenario of one day: only its windows
    matter). The call is the model's own `calls_of_the_day[...] == 2`; its planned stay is its
    announced etd − eta (boxes at the thinned crane rate + 3 h)."""
    scenario = scaled("delayed-vessel")
    breakdown = scenario.breakdowns[0]
    assert (breakdown.call, breakdown.start_hours, breakdown.hours, breakdown.factor) == (2, 2, 20, 0.2)
    events = events_of("delayed-vessel", 1, 2)
    plan = plan_traffic(PROFILE, seed=1, days=WARMUP_DAYS + DAYS + LOOKAHEAD_DAYS,
                        boxes_per_day=scenario.boxes_per_day, scale=scenario.scale)
    model, _ = build(PROFILE, scenario, days=DAYS, seed=1, sink=lambda event: None)
    third = next(call for call in plan if model.calls_of_the_day.get(call.index) == breakdown.call)
    broken = (third.imo, third.voyage)

    berthed = {(e["vessel"], e["voyage"]): t(e) for e in events if e["type"] == "vessel.berthed"}
    departed = {(e["vessel"], e["voyage"]): t(e) for e in events if e["type"] == "vessel.departed"}
    planned = {}
    for e in events:  # the last announcement of each call (they agree on etd − eta)
        if e["type"] == "vessel.eta":
            planned[(e["vessel"], e["voyage"])] = (t({"time": e["data"]["etd"]}) - t({"time": e["data"]["eta"]})) / HOUR
    stay = {call: (departed[call] - berthed[call]) / HOUR for call in departed if call in berthed}
    assert broken in stay, "the third call did not berth and depart within the run"
    assert (berthed[broken] - scenario.start.timestamp()) / HOUR > 0
    full_rate = len(third.boxes) / (third.cranes * CRANE_MOVES_PER_HOUR * scenario.scale) + 3
    assert abs(planned[broken] - full_rate) < 2 / 3600  # eta and etd are whole seconds

    others = [call for call in stay if call != broken]
    assert len(others) >= 4
    ratio = {call: stay[call] / planned[call] for call in stay}
    assert stay[broken] > 2 * planned[broken], (stay[broken], planned[broken])
    assert ratio[broken] > 2 * statistics.median(ratio[call] for call in others), ratio
    assert stay[broken] > statistics.median(stay[call] for call in others), stay


# ---------------------------------------------------------------------------------------------
# diversion-ab: traditional for 12 hours, then smart diversion
def test_diversion_ab_diverts_boxes_only_after_hour_12():
    scenario = scaled("diversion-ab")
    switch = scenario.switch_to_diversion_after_hours
    assert switch == 12
    events = events_of("diversion-ab")
    diverted = [e for e in events if e["type"] in ("container.discharged", "gate.in")
                and (e.get("data") or {}).get("to") in ("inspection", "direct")]
    early = [where(e) for e in diverted if hours_in(e, scenario) < switch]
    assert early[:5] == [], f"{len(early)} boxes diverted before the switch"
    discharged = [e for e in diverted if e["type"] == "container.discharged"]
    assert len(discharged) > 50  # diversion does happen after the switch
    assert any(e["data"]["to"] == "inspection" for e in discharged)
    before = [e for e in events if e["type"] == "container.discharged" and 0 <= hours_in(e, scenario) < switch]
    assert before and {e["data"]["to"] for e in before} == {"yard"}  # traditional: the yard first
