"""The port simulator run offline (simulator/generate.py): determinism, valid v1 events, boxes
conserved and never skipping a stage, the inspection rate, and the A/B report's direction.

Scenario signatures (typhoon, surge, outage, delayed vessel, diversion switch) are in
test_simulator_scenarios.py. Traffic is scaled down to 2,000 boxes a day (the shipped scenarios
run 30,000) and one day; each run is computed once per session (`events_of`), and no test
changes the events it reads. Both files together take about 50 s on two cores.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from functools import cache, lru_cache

import pytest

from dashboard.state.boxes import DONE
from dashboard.state.port import PortState
from feeds.events import validate_event
from feeds.profile import load_profile
from simulator.generate import WARMUP_DAYS, iter_lines, run_events, with_start
from simulator.report import ab_report
from simulator.scenario import Scenario, load_scenario, scenario_names
from simulator.traffic import AEO_SHARE, INSPECTION_RATE, INSPECTION_RATE_AEO

PROFILE = load_profile("xiamen")
BOXES_PER_DAY = 2_000
DAYS = 1
HOUR = 3600.0
SCENARIOS = ("delayed-vessel", "diversion-ab", "h1-before-after", "inspection-surge", "normal", "partner-outage",
             "typhoon")
IN_TIME_ORDER = tuple(name for name in SCENARIOS if name != "partner-outage")
ENTRY = {"import": "container.discharged", "export": "gate.in"}      # the box is in the port
EXIT = {"import": "gate.out", "export": "container.loaded"}          # the box has left
BEFORE_ENTRY = {"import": "awaiting_discharge", "export": "awaiting_gate_in"}


# ---------------------------------------------------------------------------------------------
# helpers (test_simulator_scenarios.py imports these)
def scaled(name: str, start: datetime | None = None) -> Scenario:
    """The shipped scenario thinned to 2,000 boxes a day (every ship calls, with a fifteenth of its
    boxes: the port's rhythm of calls at a test's cost), optionally from another start."""
    scenario = load_scenario(name)
    return with_start(replace(scenario, scale=BOXES_PER_DAY / scenario.boxes_per_day), start)


def run(name: str, *, seed: int = 1, start: datetime | None = None, drain_days: float = 0) -> list[dict]:
    """A fresh run, never cached."""
    return run_events(PROFILE, scaled(name, start), days=DAYS, seed=seed, drain_days=drain_days)


def events_of(name: str, seed: int = 1, drain_days: float = 0) -> tuple[dict, ...]:
    """One run per (scenario, seed, drain) for the whole session, in emission order."""
    return _cached_run(name, seed, drain_days)  # one cache key however the caller spells it


@cache
def _cached_run(name: str, seed: int, drain_days: float) -> tuple[dict, ...]:
    return tuple(run(name, seed=seed, drain_days=drain_days))


@lru_cache(maxsize=1 << 20)
def _seconds(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def t(event: dict) -> float:
    return _seconds(event["time"])


def hours_in(event: dict, scenario: Scenario) -> float:
    """Hours after the scenario's start (negative in the warm-up)."""
    return (t(event) - scenario.start.timestamp()) / HOUR


def actual(event: dict) -> bool:
    return event.get("classifier", "actual") == "actual"


def timelines(name: str, seed: int = 1) -> dict[str, list[tuple[float, int, dict]]]:
    """Each box's actual events as (time, emission position, event), in time order (ties: in the
    order they were emitted, which is causal for one box)."""
    return _timelines(name, seed)


@cache
def _timelines(name: str, seed: int) -> dict[str, list[tuple[float, int, dict]]]:
    boxes: dict[str, list] = defaultdict(list)
    for position, event in enumerate(events_of(name, seed)):
        if "container" in event and actual(event):
            boxes[event["container"]].append((t(event), position, event))
    for timeline in boxes.values():
        timeline.sort(key=lambda item: item[:2])
    return boxes


def state_of(name: str, seed: int = 1) -> PortState:
    """The state fed the run in emission order (arrival time fixed: only feed health reads it)."""
    return _state(name, seed)


@cache
def _state(name: str, seed: int) -> PortState:
    state = PortState(PROFILE)
    for event in events_of(name, seed):
        state.apply(event, arrival=0.0)
    return state


def decisions(events) -> tuple[dict[str, float], set[str]]:
    """Each box's customs decision time (its first `customs.inspection_ordered` or
    `customs.released`), and the boxes ordered to inspection."""
    decided: dict[str, float] = {}
    ordered: set[str] = set()
    for event in events:
        if event["type"] in ("customs.inspection_ordered", "customs.released"):
            decided.setdefault(event["container"], t(event))
            if event["type"] == "customs.inspection_ordered":
                ordered.add(event["container"])
    return decided, ordered


def binomial_bounds(n: int, p: float, tail: float) -> tuple[int, int]:
    """The narrowest [lo, hi] with P(X < lo) <= tail and P(X > hi) <= tail for X ~ Binomial(n, p),
    from the exact pmf (log-gamma: no overflow for n in the thousands)."""
    def pmf(k: int) -> float:
        return math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
                        + k * math.log(p) + (n - k) * math.log1p(-p))
    lo, below = 0, 0.0
    while below + pmf(lo) <= tail:
        below += pmf(lo)
        lo += 1
    hi, above = n, 0.0
    while above + pmf(hi) <= tail:
        above += pmf(hi)
        hi -= 1
    return lo, hi


def test_these_tests_cover_every_shipped_scenario():
    assert sorted(SCENARIOS) == scenario_names()


# ---------------------------------------------------------------------------------------------
# 1. determinism
def test_same_scenario_days_seed_and_start_give_byte_identical_output():
    """`partner-outage` draws from both of a run's random streams (the model's, and the outage
    buffer's shuffle of the late backlog); seed 2 keeps the terminal busy in the outage. Against
    the session's cached run of the same arguments: a fresh run, byte for byte."""
    first = b"".join(iter_lines(events_of("partner-outage", 2)))
    second = b"".join(iter_lines(run("partner-outage", seed=2, start=scaled("partner-outage").start)))
    assert first == second
    assert len(first) > 1_000_000  # a real run, not two empty ones


def test_a_different_seed_gives_different_output():
    one = b"".join(iter_lines(events_of("normal", 1)))
    two = b"".join(iter_lines(events_of("normal", 2)))
    assert one != two


def test_a_start_one_week_later_shifts_every_time_by_one_week_and_changes_nothing_else():
    """The same hour of the same weekday (trucks keep a weekly profile, the customs counter its
    office days): the same traffic, each time (and each announced eta/etd) exactly 7 days later."""
    base = events_of("normal")
    later = run("normal", start=scaled("normal").start + timedelta(days=7))
    assert len(later) == len(base)
    day = timedelta(days=7)
    for before, after in zip(base, later):
        assert datetime.fromisoformat(after["time"]) - datetime.fromisoformat(before["time"]) == day, (before, after)
        if before["type"] == "vessel.eta":
            for key in ("eta", "etd"):
                assert (datetime.fromisoformat(after["data"][key])
                        - datetime.fromisoformat(before["data"][key])) == day
        strip = {"time": None, "data": None} if before["type"] == "vessel.eta" else {"time": None}
        assert {**after, **strip} == {**before, **strip}


def test_a_start_six_hours_later_shifts_the_run_and_every_ship_arrival_by_six_hours():
    """Another hour of the day changes the trucks (the hourly profile is local time), never the
    ships: each call's arrival at anchorage moves by exactly the shift."""
    shift = timedelta(hours=6)
    base = events_of("normal")
    start = scaled("normal").start
    later = run("normal", start=start + shift)
    first = start - timedelta(days=WARMUP_DAYS)
    assert datetime.fromisoformat(base[0]["time"]) == first
    assert datetime.fromisoformat(later[0]["time"]) == first + shift

    def arrivals(events):
        return {(e["vessel"], e["voyage"]): datetime.fromisoformat(e["time"])
                for e in events if e["type"] == "vessel.arrived"}
    before, after = arrivals(base), arrivals(later)
    assert before and before.keys() == after.keys()
    assert {call: after[call] - before[call] for call in before} == {call: shift for call in before}


def test_the_same_start_instant_written_in_utc_gives_the_same_traffic():
    """`--start 2026-11-26T16:00:00Z` is the scenario's own start (00:00 at +08:00): the port's
    trucks keep the port's local hours, so every event happens at the same instant."""
    base = events_of("normal")
    start = scaled("normal").start
    utc = run("normal", start=start.astimezone(timezone.utc))
    port_hour = Counter(datetime.fromtimestamp(t(e), PROFILE.timezone).hour
                        for e in base if e["type"] == "gate.out")
    utc_hour = Counter(datetime.fromtimestamp(t(e), PROFILE.timezone).hour
                       for e in utc if e["type"] == "gate.out")
    assert [(e["type"], t(e)) for e in utc] == [(e["type"], t(e)) for e in base], (
        f"{len(utc)} events vs {len(base)}; gate-outs per port-local hour (00..23): "
        f"{[utc_hour[h] for h in range(24)]} vs {[port_hour[h] for h in range(24)]}")


# ---------------------------------------------------------------------------------------------
# 2. valid v1 events, unique keys, time order
@pytest.mark.parametrize("name", SCENARIOS)
def test_every_event_is_valid_v1(name):
    events = events_of(name)
    problems = [(event, found) for event in events for found in [validate_event(event)[1]] if found]
    assert problems[:5] == [], f"{len(problems)} invalid events"
    assert len(events) > 10_000


@pytest.mark.parametrize("name", SCENARIOS)
def test_offline_runs_never_emit_clock_tick(name):
    assert Counter(e["type"] for e in events_of(name))["clock.tick"] == 0


@pytest.mark.parametrize("name", SCENARIOS)
def test_source_id_pairs_are_unique(name):
    keys = Counter((e["source"], e["id"]) for e in events_of(name))
    assert [key for key, n in keys.items() if n > 1][:5] == []


@pytest.mark.parametrize("name", IN_TIME_ORDER)
def test_events_are_emitted_in_non_decreasing_time_order(name):
    events = events_of(name)
    back = [(events[i]["time"], events[i + 1]) for i in range(len(events) - 1) if t(events[i + 1]) < t(events[i])]
    assert back[:3] == [], f"{len(back)} events dated before the one emitted just before them"


# ---------------------------------------------------------------------------------------------
# 3. conservation and mandatory stages
@pytest.mark.parametrize("name", SCENARIOS)
def test_every_box_that_entered_has_left_or_is_still_in_port_in_the_state(name):
    """Entered: an actual discharge (import) or gate-in (export). Left: gate-out / loading.
    A box that entered and did not leave must be in the state's port at the end, in a stage
    past its entry; one that left must be done there. No box vanishes."""
    state = state_of(name)
    entered = left = still_in = 0
    wrong = []
    for number, timeline in timelines(name).items():
        direction = timeline[0][2]["direction"]
        kinds = {event["type"] for _, _, event in timeline}
        if ENTRY[direction] not in kinds:
            continue
        entered += 1
        visit = state.latest_visit(number)
        if EXIT[direction] in kinds:
            left += 1
            if visit.stage != DONE[direction]:
                wrong.append((number, "left but", visit.stage))
        elif visit.in_port and visit.stage != BEFORE_ENTRY[direction]:
            still_in += 1
        else:
            wrong.append((number, "entered, never left, not in port:", visit.stage))
    assert wrong[:5] == [], f"{len(wrong)} boxes unaccounted for"
    assert entered == left + still_in
    assert left > 1_000 and still_in > 100  # both halves of the balance are exercised


@pytest.mark.parametrize("name", SCENARIOS)
def test_import_box_gates_out_only_after_its_discharge_and_a_release(name):
    skipped = []
    for number, timeline in timelines(name).items():
        if timeline[0][2]["direction"] != "import":
            continue
        kinds_before: set[str] = set()
        for _, _, event in timeline:
            if event["type"] == "gate.out" and not {"container.discharged", "customs.released"} <= kinds_before:
                skipped.append((number, event["time"], sorted(kinds_before)))
            kinds_before.add(event["type"])
    assert skipped[:5] == [], f"{len(skipped)} import boxes gated out without a stage"


@pytest.mark.parametrize("name", SCENARIOS)
def test_export_box_is_loaded_only_after_its_gate_in_and_a_release(name):
    skipped = []
    for number, timeline in timelines(name).items():
        if timeline[0][2]["direction"] != "export":
            continue
        kinds_before: set[str] = set()
        for _, _, event in timeline:
            if event["type"] == "container.loaded" and not {"gate.in", "customs.released"} <= kinds_before:
                skipped.append((number, event["time"], sorted(kinds_before)))
            kinds_before.add(event["type"])
    assert skipped[:5] == [], f"{len(skipped)} export boxes loaded without a stage"


@pytest.mark.parametrize("name", SCENARIOS)
def test_an_inspected_box_is_released_only_after_its_inspection_completed(name):
    """After `customs.inspection_ordered`, the next of completion and release is the completion;
    and no box is inspected without an order."""
    wrong, inspected = [], 0
    for number, timeline in timelines(name).items():
        pending = False
        for _, _, event in timeline:
            kind = event["type"]
            if kind == "customs.inspection_ordered":
                pending = True
                inspected += 1
            elif kind == "inspection.completed":
                if not pending:
                    wrong.append((number, "completed without an order", event["time"]))
                pending = False
            elif kind == "customs.released" and pending:
                wrong.append((number, "released before its inspection completed", event["time"]))
    assert wrong[:5] == [], f"{len(wrong)} boxes"
    assert inspected > 50


# ---------------------------------------------------------------------------------------------
# 4. inspection rate
# The rate every box faces: 30 % of shippers AEO at 0.47 %, the rest at 3 % → 2.241 %.
EXPECTED_RATE = AEO_SHARE * INSPECTION_RATE_AEO + (1 - AEO_SHARE) * INSPECTION_RATE
# Each box is selected independently (its own uniform draw against its rate) and its AEO status
# is itself a 30 % draw, so the number of inspected boxes among n decided ones is
# Binomial(n, 2.241 %). We accept the central interval of that distribution with 1e-4 in each
# tail: a correct simulator fails this for about one seed in 5,000 (≈ ±3.9 σ), while the interval
# still shuts out the classic slips. Over the day (n ≈ 900 at 2,000 boxes a day, σ ≈ 0.5 %) it is
# wide ([0.7 %, 4.3 %]); over the whole one-day run (warm-up included, n ≈ 11,600, σ ≈ 0.14 %) it
# is [1.7 %, 2.8 %], narrow enough to reject "everyone at 3 %" or "everyone at 0.47 %".
TAIL = 1e-4


def test_the_weighted_inspection_rate_is_2_24_percent():
    assert EXPECTED_RATE == pytest.approx(0.02241, abs=1e-5)


def test_inspection_share_over_the_scenario_day_in_normal_is_near_the_weighted_rate():
    """Boxes whose customs decision falls in the scenario's day (start to start + 24 h)."""
    scenario = scaled("normal")
    decided, ordered = decisions(events_of("normal"))
    day = [box for box, when in decided.items() if 0 <= (when - scenario.start.timestamp()) / HOUR < 24]
    n, k = len(day), sum(box in ordered for box in day)
    lo, hi = binomial_bounds(n, EXPECTED_RATE, TAIL)
    assert n > 500
    assert lo <= k <= hi, f"{k} of {n} inspected ({k / n:.2%}); expected {lo}..{hi} at {EXPECTED_RATE:.3%}"


def test_inspection_share_over_the_whole_run_in_normal_is_near_the_weighted_rate():
    decided, ordered = decisions(events_of("normal"))
    n, k = len(decided), len(ordered & decided.keys())
    lo, hi = binomial_bounds(n, EXPECTED_RATE, TAIL)
    assert n > 5_000
    assert lo <= k <= hi, f"{k} of {n} inspected ({k / n:.2%}); expected {lo}..{hi} at {EXPECTED_RATE:.3%}"
    assert hi / n < INSPECTION_RATE and lo / n > INSPECTION_RATE_AEO  # the tolerance can tell


# ---------------------------------------------------------------------------------------------
# 6. the A/B report (5, the scenario signatures: test_simulator_scenarios.py)
@pytest.fixture(scope="module")
def report() -> dict:
    return ab_report(PROFILE, load_scenario("diversion-ab"), days=DAYS, seed=1, scale=BOXES_PER_DAY / 30_000)


def test_ab_report_pairs_enough_diverted_boxes_and_measures_both_directions(report):
    assert report["diverted_boxes"]["n"] > 30
    for direction in ("import", "export"):
        row = report["port_wide"]["clearance_hours"][direction]
        assert row["n"] > 200 and row["before"] and row["after"], (direction, row)


def test_ab_report_a_diverted_box_saves_exactly_its_yard_transfer(report):
    """Two lifts before its first destination in the traditional flow (ship → yard, yard → site or
    truck), one under diversion: −50 % by mechanism, for every diverted box."""
    assert report["diverted_boxes"]["moves"] == {"before": 2.0, "after": 1.0, "change_pct": -50.0}


def test_ab_report_diversion_cuts_the_time_to_the_first_destination_by_most_of_it(report):
    hours = report["diverted_boxes"]["hours_to_first_destination"]
    assert hours["after"] < 0.5 < 2 < hours["before"], hours
    assert hours["change_pct"] == pytest.approx((hours["after"] - hours["before"]) / hours["before"] * 100)


def test_ab_report_diversion_shortens_export_clearance_and_never_lengthens_import(report):
    rows = report["port_wide"]["clearance_hours"]
    assert rows["export"]["change_pct"] < -10, rows["export"]
    assert rows["import"]["after"] <= rows["import"]["before"], rows["import"]
