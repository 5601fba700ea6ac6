"""State benchmarks (docs/benchmarks.md): apply rate, memory per box, read API latency, cold start,
and the wall's updates with a port in motion.

    python -m bench.state [--boxes N] [--rounds R] [--cold-events N] [--only rates|memory|cold|wall]

Data: the simulator's traffic (`bench.traffic.port_traffic`: the `normal` scenario flat out, cut
at its N-th box, so the latest boxes are mid-way through their stages), generated once and used
by every part. Each figure is the median of R rounds where it is cheap to repeat; memory and cold
start run once. Prints one JSON line per figure (the first: the traffic and how long it took to
make).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

import orjson
import redis

from bench.traffic import port_traffic, traffic_line
from dashboard import wallview
from dashboard.app import create_app, service_of
from dashboard.config import Config
from dashboard.memory import settle
from dashboard.state.delays import late_boxes
from dashboard.state.port import PortState
from feeds.embedded import EmbeddedRedis
from feeds.events import validate_event
from feeds.keys import PortKeys
from feeds.profile import load_profile
from feeds.publisher import Publisher
from layouts.i18n import LANGS
from tests.helpers import ACCESS_CONFIG, container_number, read_auth
from tests.process import ServiceProcess

PROFILE = load_profile("xiamen")
BIG_CALL = ("9999993", "BIG01")  # a call of 5,000 boxes, for the vessel endpoint


def big_call_events(boxes: int, start_text: str) -> list[dict]:
    imo, voyage = BIG_CALL
    events = [{"id": "big-berth", "type": "vessel.berthed", "time": start_text, "source": "terminal.haitian",
               "vessel": imo, "voyage": voyage, "classifier": "actual", "data": {"berth": "HT-5"}}]
    for n in range(boxes):
        events.append({"id": f"big-{n}", "type": "container.discharged", "time": start_text,
                       "source": "terminal.haitian", "vessel": imo, "voyage": voyage, "classifier": "actual",
                       "container": container_number(n, owner="BIG"), "direction": "import"})
    return events


def apply_rate(events: list[dict]) -> float:
    state = PortState(PROFILE)
    started = time.perf_counter()
    for event in events:
        state.apply(event, arrival=0.0)
    return len(events) / (time.perf_counter() - started)


def decode_check_apply_rate(lines: list[bytes]) -> float:
    state = PortState(PROFILE)
    started = time.perf_counter()
    for line in lines:
        event, _ = validate_event(orjson.loads(line), allow_ticks=True)
        state.apply(event, arrival=0.0)
    return len(lines) / (time.perf_counter() - started)


def memory_per_box(events: list[dict]) -> tuple[float, int, PortState]:
    """Bytes the state holds per box visit tracked, timelines included (tracemalloc: exact
    Python allocations, unlike RSS, which the allocator's free lists blur)."""
    lines = [orjson.dumps(e) for e in events]  # the state keeps its own copies, as from the log
    gc.collect()
    tracemalloc.start()
    state = PortState(PROFILE)
    for line in lines:
        state.apply(orjson.loads(line), arrival=0.0)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    tracked = sum(len(visits) for visits in state.boxes.values())
    return held / tracked, tracked, state


def api_latency(state: PortState, rounds: int) -> dict:
    app = create_app(Config(redis_url="redis://127.0.0.1:1/0", clock="event", **ACCESS_CONFIG), start=False)
    service_of(app).store.state = state
    service_of(app).publisher.rejects_by_source = lambda: {}  # no Redis here
    client = app.server.test_client()
    timings = {}
    for name, url in (("kpis", "/api/v1/kpis"), ("vessel_5000_boxes", f"/api/v1/vessels/{BIG_CALL[0]}")):
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(url, headers=read_auth())
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.data[:200]
        timings[name] = round(statistics.median(samples), 1)
    return timings


def port_in_motion(events: list[dict]) -> tuple[PortState, float]:
    """The state of `events` (the traffic: it ends mid-way, so many boxes are still in port) plus
    the call of 5,000 boxes. → (state, now: its latest event time)."""
    state = PortState(PROFILE)
    for event in events + big_call_events(5000, events[len(events) // 2]["time"]):
        state.apply(event, arrival=0.0)
    settle()  # as the service does after loading and after each snapshot
    return state, state.latest_t


def wall_updates(state: PortState, now: float, rounds: int) -> dict:
    """One fast and one slow wall update as the emitter makes them (the facts read under the lock,
    worded in both languages, the figures, the JSON), the port clock a second on each round."""
    timings: dict[str, list] = {"fast_ms": [], "slow_ms": [], "slow_under_lock_ms": []}
    figures = wallview.KeptFigures()  # as the emitter keeps them
    for n in range(rounds):
        moment = now + n
        started = time.perf_counter()
        facts = wallview.fast_facts(state, moment, None)
        orjson.dumps({lang: wallview.fast_view(facts, lang) for lang in LANGS})
        timings["fast_ms"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        facts = wallview.slow_facts(state, moment)
        timings["slow_under_lock_ms"].append((time.perf_counter() - started) * 1000)
        shared = figures(facts, {})
        orjson.dumps({lang: {**wallview.slow_view(facts, lang), **shared} for lang in LANGS})
        timings["slow_ms"].append((time.perf_counter() - started) * 1000)
    return {name: round(statistics.median(values), 2) for name, values in timings.items()}


def wall_part(events: list[dict], rounds: int) -> None:
    state, now = port_in_motion(events)
    visits = sum(len(v) for v in state.boxes.values())
    in_port = sum(len(index) for index in state.stages.values())
    figures = wall_updates(state, now, rounds * 7)
    print(json.dumps({"wall_update_ms_median": figures, "goal_ms": {"slow": 20, "fast": 2},
                      "box_visits": visits, "in_port": in_port,
                      "late": len(late_boxes(state, now)), "rounds": rounds * 7}))
    print(json.dumps({"api_ms_median": api_latency(state, rounds * 3), "goal_ms": {"vessel_5000_boxes": 10},
                      "box_visits": visits, "in_port": in_port}))


def cold_start(events: list[dict], workdir: Path) -> dict:
    """A service starting on a log of len(events): with its snapshot, then without one."""
    with EmbeddedRedis(workdir / "valkey") as server:
        port_id = "bench-" + uuid.uuid4().hex[:6]
        client = redis.Redis.from_url(server.url)
        publisher = Publisher(client, port_id)
        for start in range(0, len(events), 5000):
            publisher.publish(events[start:start + 5000])
        figures = {"log_entries": client.xlen(PortKeys(port_id).events)}
        env = {"DP_SNAPSHOT_SECONDS": "3600", "DP_LOG_RETENTION_HOURS": "100000"}
        for label in ("without_snapshot_s", "with_snapshot_s"):
            service = ServiceProcess(workdir / label, redis_url=server.url, port_id=port_id, extra_env=env)
            service.start(timeout=600)
            while service.health()["cold_start_seconds"] is None:
                time.sleep(0.1)
            figures[label] = round(service.health()["cold_start_seconds"], 2)
            service.close()  # SIGTERM: the service snapshots at stop, for the next round
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boxes", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold-events", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("rates", "memory", "cold", "wall"), help="run one part")
    args = parser.parse_args()
    started = time.perf_counter()
    events = port_traffic(args.boxes, seed=1)
    print(json.dumps(traffic_line(events, args.boxes, time.perf_counter() - started)), flush=True)
    if args.only in (None, "rates"):
        rates_part(events, args.rounds)
    if args.only in (None, "memory"):
        events_with_big_call = events + big_call_events(5000, events[len(events) // 2]["time"])
        per_box, tracked, state = memory_per_box(events_with_big_call)
        print(json.dumps({"memory_per_box_bytes": round(per_box), "goal": 2048, "boxes": tracked,
                          "events": len(events_with_big_call)}))
        print(json.dumps({"api_ms_median": api_latency(state, args.rounds * 3), "goal_ms": 50,
                          "boxes_in_state": tracked}))
        del state
    if args.only in (None, "wall"):
        wall_part(events, args.rounds)
    if args.only in (None, "cold"):
        with tempfile.TemporaryDirectory() as tmp:
            figures = cold_start(events[:args.cold_events], Path(tmp))
            print(json.dumps({"cold_start": figures, "goal_with_snapshot_s": 10}))


def rates_part(events: list[dict], rounds: int) -> None:
    sample = events[:1_000_000]
    rates = [apply_rate(sample) for _ in range(rounds)]
    print(json.dumps({"apply_events_per_s": round(statistics.median(rates)), "goal": 100_000,
                      "events": len(sample), "rounds": [round(r) for r in rates]}))
    lines = [orjson.dumps(e) for e in sample]
    rates = [decode_check_apply_rate(lines) for _ in range(rounds)]
    print(json.dumps({"decode_check_apply_events_per_s": round(statistics.median(rates)), "goal": 50_000,
                      "rounds": [round(r) for r in rates]}))


if __name__ == "__main__":
    main()
