"""bench/portgen.py: believable port traffic as valid v1 events, deterministic and sorted.

Each test names the property it checks; most read one 2,000-box run (about one vessel call) or
one 20,000-box run (about ten calls overlapping across berths)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import orjson
import pytest

from bench import portgen
from bench.portgen import START, generate
from feeds.events import BOX_TYPES, validate_event

SMALL = 2_000
LARGE = 20_000
TIME_TEXT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00")


@pytest.fixture(scope="module")
def small() -> list[dict]:
    return generate(SMALL)


@pytest.fixture(scope="module")
def large() -> list[dict]:
    return generate(LARGE, seed=7)


def when(event: dict) -> datetime:
    return datetime.fromisoformat(event["time"])


def actual(event: dict) -> bool:
    return event.get("classifier", "actual") == "actual"


def by_box(events: list[dict]) -> dict[str, list[dict]]:
    boxes = defaultdict(list)
    for event in events:
        if "container" in event and event["type"] in BOX_TYPES | {"declaration.filed"}:
            boxes[event["container"]].append(event)
    return boxes


def call_times(events: list[dict], kind: str) -> dict[tuple[str, str], datetime]:
    return {(e["vessel"], e["voyage"]): when(e) for e in events if e["type"] == kind}


def only(events: list[dict], kind: str) -> dict:
    """The one actual event of `kind` in a box's events."""
    found = [e for e in events if e["type"] == kind and actual(e)]
    assert len(found) == 1, (kind, events)
    return found[0]


def test_every_event_of_a_2000_box_run_passes_validate_event(small):
    problems = [(event, validate_event(event, allow_ticks=False)[1]) for event in small]
    assert [p for p in problems if p[1]] == []
    assert len(small) > SMALL


def test_validation_does_not_change_events_they_are_already_canonical(small):
    for event in small[:500]:
        canonical, _ = validate_event(event)
        assert canonical == {"classifier": "actual", **event}


def test_same_seed_gives_identical_output(small):
    assert orjson.dumps(generate(SMALL)) == orjson.dumps(small)


def test_different_seed_gives_different_output(small):
    assert generate(SMALL, seed=2) != small


def test_events_are_sorted_by_time(small, large):
    for events in (small, large):
        times = [when(e) for e in events]
        assert times == sorted(times)


def test_times_are_rfc3339_whole_seconds_at_plus_0800(small):
    assert [e["time"] for e in small if not TIME_TEXT.fullmatch(e["time"])] == []


def test_no_event_is_before_start(large):
    assert when(large[0]) >= START


def test_a_start_in_utc_is_shown_in_port_time_and_shifts_everything():
    later = START + timedelta(days=3)
    moved = generate(100, start=later.astimezone(timezone.utc))
    base = generate(100)
    assert [when(e) - when(b) for e, b in zip(moved, base)] == [timedelta(days=3)] * len(base)
    assert all(TIME_TEXT.fullmatch(e["time"]) for e in moved)


def test_the_requested_number_of_distinct_boxes(small, large):
    for events, boxes in ((small, SMALL), (large, LARGE)):
        assert len(by_box(events)) == boxes


def test_zero_boxes_gives_no_events():
    assert generate(0) == []


def test_about_eight_events_per_box_between_6_and_11_on_average(small, large):
    for events, boxes in ((small, SMALL), (large, LARGE)):
        assert 6 <= len(events) / boxes <= 11


def test_about_55_percent_import(large):
    directions = Counter(evs[0]["direction"] for evs in by_box(large).values())
    assert 0.50 <= directions["import"] / LARGE <= 0.60


def test_each_import_box_is_discharged_after_berthing_and_gated_out_after_discharge(large):
    berthed = call_times(large, "vessel.berthed")
    imports = [evs for evs in by_box(large).values() if evs[0]["direction"] == "import"]
    assert imports
    for evs in imports:
        discharged = only(evs, "container.discharged")
        assert when(discharged) > berthed[discharged["vessel"], discharged["voyage"]]
        assert when(only(evs, "gate.out")) > when(discharged)


def test_each_export_box_is_gated_in_then_loaded_before_its_vessel_departs(large):
    departed = call_times(large, "vessel.departed")
    berthed = call_times(large, "vessel.berthed")
    exports = [evs for evs in by_box(large).values() if evs[0]["direction"] == "export"]
    assert exports
    for evs in exports:
        loaded = only(evs, "container.loaded")
        call = loaded["vessel"], loaded["voyage"]
        assert berthed[call] < when(loaded) < departed[call]
        assert when(only(evs, "gate.in")) < when(loaded)


def test_each_box_is_declared_then_released_once_and_released_after_any_inspection(large):
    for box, evs in by_box(large).items():
        declared = only(evs, "declaration.filed")
        released = only(evs, "customs.released")
        assert when(declared) < when(released), box
        assert released["data"]["declaration"] == declared["data"]["declaration"]
        completed = [e for e in evs if e["type"] == "inspection.completed"]
        ordered = [e for e in evs if e["type"] == "customs.inspection_ordered"]
        assert len(completed) == len(ordered) <= 1, box
        if ordered:
            assert when(declared) < when(ordered[0]) < when(completed[0]) <= when(released)


def test_the_visit_ends_with_its_last_event_so_no_event_opens_a_second_visit(large):
    """Import ends at gate.out, export at container.loaded: planned events included."""
    for box, evs in by_box(large).items():
        end = "gate.out" if evs[0]["direction"] == "import" else "container.loaded"
        last = max(when(e) for e in evs)
        assert when(only(evs, end)) == last, box


def test_inspection_share_of_boxes_between_1_and_6_percent(small, large):
    for events, boxes in ((small, SMALL), (large, LARGE)):
        inspected = {e["container"] for e in events if e["type"] == "customs.inspection_ordered"}
        assert 0.01 <= len(inspected) / boxes <= 0.06


def test_some_inspections_hold_and_the_box_is_released_later(large):
    results = Counter(e["data"]["result"] for e in large if e["type"] == "inspection.completed")
    assert results["pass"] > results["hold"] > 0


def test_about_half_the_boxes_skip_the_yard(large):
    routes = Counter(e["data"]["to"] for e in large  # import: discharged to; export: gate.in to
                     if e["type"] in ("container.discharged", "gate.in") and actual(e) and "to" in e["data"])
    diverted = routes["direct"] + routes["inspection"]
    assert 0.4 <= diverted / (diverted + routes["yard"]) <= 0.6


def test_source_id_pairs_are_unique(small, large):
    for events in (small, large):
        keys = Counter((e["source"], e["id"]) for e in events)
        assert [k for k, n in keys.items() if n > 1] == []


def test_sources_are_the_partners_that_would_send_each_event(large):
    for event in large:
        kind, source = event["type"], event["source"]
        if kind in ("declaration.filed", "customs.inspection_ordered", "customs.released"):
            assert source == "customs.xiamen"
        elif kind == "inspection.completed":
            assert source == "inspection." + event["data"]["site"]
        elif kind == "gate.in" and not actual(event):
            assert source.startswith("trucking.")
        else:
            assert source.startswith("terminal."), event


def test_each_call_announced_then_arrives_berths_and_departs_20_to_30_hours_later(large):
    calls = defaultdict(dict)
    for e in large:
        if e["type"].startswith("vessel."):
            calls[e["vessel"], e["voyage"]].setdefault(e["type"], []).append(e)
    assert len(calls) >= 8
    for call, kinds in calls.items():
        assert sorted(kinds) == ["vessel.arrived", "vessel.berthed", "vessel.departed", "vessel.eta"]
        assert all(e["classifier"] == "estimated" for e in kinds["vessel.eta"])
        eta = kinds["vessel.eta"][-1]["data"]
        berthed = when(kinds["vessel.berthed"][0])
        assert eta["berth"] == kinds["vessel.berthed"][0]["data"]["berth"]
        assert when(kinds["vessel.eta"][0]) < when(kinds["vessel.arrived"][0]) <= berthed
        stay = when(kinds["vessel.departed"][0]) - berthed
        assert timedelta(hours=20) <= stay <= timedelta(hours=30), call
        assert re.fullmatch(r"\d{4}[ENSW]", call[1])


def test_eta_box_counts_match_the_boxes_the_call_carries(large):
    etas = {(e["vessel"], e["voyage"]): e["data"] for e in large if e["type"] == "vessel.eta"}
    lifts = Counter((e["vessel"], e["voyage"], e["type"]) for e in large
                    if e["type"] in ("container.discharged", "container.loaded") and actual(e))
    for call, data in etas.items():
        assert lifts[(*call, "container.discharged")] == data["containers_import"]
        assert lifts[(*call, "container.loaded")] == data["containers_export"]


def test_a_berth_holds_one_call_at_a_time_and_calls_overlap_across_berths(large):
    berth_of = {(e["vessel"], e["voyage"]): e["data"]["berth"] for e in large if e["type"] == "vessel.berthed"}
    berthed, departed = call_times(large, "vessel.berthed"), call_times(large, "vessel.departed")
    spans = sorted((berthed[c], departed[c], berth_of[c]) for c in berthed)
    for berth in set(berth_of.values()):
        own = [(a, b) for a, b, x in spans if x == berth]
        assert all(b1 <= a2 for (_, b1), (a2, _) in zip(own, own[1:])), berth
    assert any(a2 < b1 for (_, b1, _), (a2, _, _) in zip(spans, spans[1:]))


def test_calls_are_spaced_for_30000_boxes_a_day(large):
    berthings = sorted(call_times(large, "vessel.berthed").values())
    days = (berthings[-1] - berthings[0]) / timedelta(days=1)
    assert 0.6 * LARGE / 30_000 <= days <= 1.2 * LARGE / 30_000


def test_import_gate_out_within_hours_to_about_three_days_of_discharge(large):
    dwell = []
    for evs in by_box(large).values():
        if evs[0]["direction"] == "import":
            dwell.append(when(only(evs, "gate.out")) - when(only(evs, "container.discharged")))
    dwell.sort()
    assert dwell[-1] <= timedelta(days=6)
    assert timedelta(hours=2) <= dwell[len(dwell) // 2] <= timedelta(days=2)


def test_cli_writes_one_event_per_line_and_prints_count_and_span(tmp_path, capsys):
    out = tmp_path / "events.jsonl"
    assert portgen.main(["--boxes", "300", "--seed", "3", "--out", str(out)]) == 0
    lines = out.read_bytes().splitlines()
    assert [orjson.loads(line) for line in lines] == generate(300, seed=3)
    printed = capsys.readouterr().out
    assert f"{len(lines):,} events" in printed
    assert lines[0].decode().split('"time":"')[1][:25] in printed
