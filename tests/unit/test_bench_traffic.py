"""bench/traffic.py: the benchmarks' traffic is the simulator's run, cut at its N-th box.

The cut and the length of the run are checked on a stand-in for `run_events` (instant); one real
run (2,000 boxes a day, the warm-up only: a few seconds) checks what the benchmarks rely on."""

from __future__ import annotations

from bench import traffic
from bench.traffic import _cut, port_traffic
from feeds.events import validate_event


def box(n: int, t: int, kind: str = "gate.in") -> dict:
    return {"id": f"e{n}-{t}", "type": kind, "time": f"2026-11-25T{t:02d}:00:00+08:00", "source": "terminal.x",
            "container": f"BOX{n}"}


def ship(t: int) -> dict:
    return {"id": f"v-{t}", "type": "vessel.berthed", "time": f"2026-11-25T{t:02d}:00:00+08:00",
            "source": "terminal.x", "vessel": "9999993"}


def test_the_cut_falls_just_before_the_first_event_of_the_box_after_the_last_one_asked_for():
    events = [box(1, 0), ship(1), box(2, 2), box(1, 3), ship(4), box(3, 5), box(2, 6)]
    assert _cut(events, 2) == (5, 2)         # box 1's and 2's events and the ship's up to box 3
    assert _cut(events, 0) == (0, 0)
    assert _cut(events, 3) == (7, 3)         # exactly three boxes: the whole run
    assert _cut(events, 4) == (None, 3)      # the run ends first


class FakeRun:
    """`run_events` for a port of 10 boxes a day: 20 in the warm-up, one box an hour after it."""

    def __init__(self):
        self.days: list[float] = []

    def __call__(self, profile, scenario, *, days, seed):
        self.days.append(days)
        hours = int(48 + days * 24)
        events = [box(n, 0) for n in range(20)]
        events += [{"id": f"t{h}", "type": "clock.tick", "time": "x", "source": "sim"} for h in range(3)]
        return events + [box(100 + h, h % 24) for h in range(int(days * 10))] + [ship(hours % 24)]


def test_the_run_is_as_long_as_the_boxes_need_and_made_again_longer_when_short(monkeypatch):
    fake = FakeRun()
    monkeypatch.setattr(traffic, "run_events", fake)
    monkeypatch.setattr(traffic, "WARMUP_DAYS", 2)
    monkeypatch.setattr(traffic, "BEYOND_DAYS", 2)
    events = port_traffic(45, boxes_per_day=10)  # 4.5 days - 2 warm-up - 2 beyond: 0.5 days, 25 short
    assert fake.days == [0.5, 3.5]               # again with the 20 missing boxes' 2 days and one more
    assert len({e["container"] for e in events}) == 45
    assert all(e["type"] != "clock.tick" for e in events)
    assert events[-1]["container"] == "BOX124"   # the 45th box; nothing of a 46th


def test_a_real_run_gives_exactly_the_boxes_asked_for_as_valid_events_in_time_order():
    events = port_traffic(4000, seed=3, boxes_per_day=2000)
    assert len({e["container"] for e in events if "container" in e}) == 4000
    assert all(a["time"] <= b["time"] for a, b in zip(events, events[1:]))  # one offset: text order is time order
    assert not [e for e in events if validate_event(dict(e), allow_ticks=False)[1]]
    assert len({(e["source"], e["id"]) for e in events}) == len(events)
