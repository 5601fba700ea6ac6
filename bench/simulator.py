"""Simulator benchmarks (docs/benchmarks.md).

    python -m bench.simulator max [--rounds R]        one simulated day flat out (after the warm-up)
    python -m bench.simulator live [--minutes M]      the running service fed at ×600: lag over time

`max`: the warm-up (two days) and one day of the `normal` scenario at 30,000 boxes a day; the
figure for one day is the time of the run minus that of the warm-up alone. `live`: a real service
(`run.py`, its embedded Redis) with the demo at ×600; every 10 s the demo's port time is compared
with the port clock of the applied state, and the log entries not yet applied are read.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

import requests

from feeds.profile import load_profile
from simulator.generate import run_events
from simulator.scenario import load_scenario
from tests.helpers import log_in
from tests.process import ServiceProcess


def one_day(rounds: int) -> dict:
    profile, scenario = load_profile("xiamen"), load_scenario("normal")
    warmups, fulls, counts = [], [], []
    for _ in range(rounds):
        started = time.perf_counter()
        warm = run_events(profile, scenario, days=0, seed=1)
        warmups.append(time.perf_counter() - started)
        started = time.perf_counter()
        full = run_events(profile, scenario, days=1, seed=1)
        fulls.append(time.perf_counter() - started)
        counts.append((len(warm), len(full)))
    day_seconds = statistics.median(f - w for f, w in zip(fulls, warmups))
    day_events = counts[0][1] - counts[0][0]
    return {"one_day_seconds": round(day_seconds, 2), "goal_seconds": 20, "day_events": day_events,
            "events_per_s": round(day_events / day_seconds), "warmup_and_day_seconds": round(statistics.median(fulls), 2)}


def live(minutes: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        service = ServiceProcess(Path(tmp), args=()).start()
        try:
            manager = requests.Session()  # the demo's commands are a manager's
            log_in(manager, service.base).raise_for_status()
            manager.post(service.base + "/api/v1/demo", json={"action": "speed", "speed": 600},
                         timeout=30).raise_for_status()
            while service.health()["demo"]["warming_up"]:
                time.sleep(1)
            samples, end = [], time.monotonic() + minutes * 60
            while time.monotonic() < end:
                time.sleep(10)
                health = service.health(timeout=60)
                if health["demo"]["warming_up"] or not health["demo"]["port_time"]:
                    continue  # the demo started over
                simulated = datetime.fromisoformat(health["demo"]["port_time"])
                applied = datetime.fromisoformat(health["port_time"])
                samples.append({"lag_port_seconds": (simulated - applied).total_seconds(),
                                "lag_entries": health["lag"], "behind_seconds": health["demo"]["behind_seconds"]})
        finally:
            service.close()
    lags = [s["lag_port_seconds"] for s in samples]
    entries = [s["lag_entries"] for s in samples]
    return {"speed": 600, "minutes": minutes, "samples": len(samples),
            "lag_port_seconds": {"median": statistics.median(lags), "max": max(lags)},
            "lag_entries": {"median": statistics.median(entries), "max": max(entries)},
            "simulator_behind_seconds_max": max(s["behind_seconds"] for s in samples),
            "first_half_max": max(lags[:len(lags) // 2]), "second_half_max": max(lags[len(lags) // 2:])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("max", "live"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=10)
    args = parser.parse_args()
    print(json.dumps(one_day(args.rounds) if args.what == "max" else live(args.minutes)))


if __name__ == "__main__":
    main()
