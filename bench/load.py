"""Sustained load (docs/reliability.md): 3,000 events a second through the partner API for ten
minutes while 20 walls are connected; the service's memory, the consumer's lag and the time
from publish to every wall.

    python -m bench.load [--minutes 10] [--rate 3000] [--walls 20]

Background: simulator events (the normal scenario, flat out, ending an hour ago) without the four
types the walls' ticker lists; markers: one gate lift every half second, whose id each wall
watches for in its ticker. Memory is the service's resident set (VmRSS) before the load and
every 30 s; the state's own is the resident set of the same service restarted at the end, once it
has loaded the state from its snapshot and caught up (the same state, nothing else behind it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from bench.fault_kit import Rig, simulator_feed
from bench.faults import Wall
from tests.helpers import wait_for

TICKER_TYPES = {"gate.in", "gate.out", "vessel.berthed", "inspection.completed"}
RATE, MINUTES, WALLS = 3000, 10, 20  # the goal (docs/reliability.md)
MARKER_SOURCE = "terminal.haitian"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Watcher(Wall):
    """A wall that notes when each marker first shows in its ticker."""

    def __init__(self, base: str):
        self.seen: dict[str, float] = {}
        super().__init__(base)

    def _on_fast(self, payload: dict) -> None:
        now = time.time()
        for item in payload.get("ticker", []):
            self.seen.setdefault(item["id"], now)


def background(rig: Rig, events: list[dict], rate: int, stop: threading.Event, counts: dict) -> None:
    """`rate` events a second until the events or the time run out: each second's events go as
    one request per partner, the partners' requests spread over the second (independent partners
    are not in step with each other, nor with the clock's seconds)."""
    session, start = requests.Session(), time.monotonic()
    for n, offset in enumerate(range(0, len(events), max(1, rate))):
        by_source: dict[str, list] = {}
        for event in events[offset:offset + rate]:
            by_source.setdefault(event["source"], []).append(event)
        for k, (source, items) in enumerate(by_source.items()):
            delay = start + n + k / len(by_source) - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if stop.is_set():
                return
            answer = session.post(rig.service.base + "/api/v1/events", json=items, timeout=30,
                                  headers={"Authorization": f"Bearer {rig.keys[source]}"})
            counts[answer.status_code] = counts.get(answer.status_code, 0) + 1
            counts["events"] = counts.get("events", 0) + len(items)


def markers(rig: Rig, stop: threading.Event, sent: dict) -> None:
    session, n = requests.Session(), 0
    while not stop.wait(0.5):
        marker = {"id": f"marker-{n}", "type": "gate.in", "source": MARKER_SOURCE, "direction": "export",
                  "time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "container": "APZU4812090"}
        sent[marker["id"]] = time.time()
        session.post(rig.service.base + "/api/v1/events", json=marker, timeout=30,
                     headers={"Authorization": f"Bearer {rig.keys[MARKER_SOURCE]}"})
        n += 1


def run(minutes: float, rate: int, walls: int, workdir: Path) -> dict:
    days = max(0.5, rate * minutes * 60 / 100_000)  # ~110,000 events a simulated day at this size
    start = datetime.now(timezone.utc) - timedelta(days=days, hours=1)
    events = [e for e in simulator_feed(days=days, start=start.replace(microsecond=0), boxes_per_day=30_000)
              if e["type"] not in TICKER_TYPES][:int(rate * minutes * 60)]
    rig = Rig(workdir, env={"DP_SNAPSHOT_SECONDS": "60"}).start({e["source"] for e in events} | {MARKER_SOURCE})
    stop, counts, sent = threading.Event(), {}, {}
    watchers = [Watcher(rig.service.base) for _ in range(walls)]
    samples = {"rss_mb": [], "lag": []}
    threads = [threading.Thread(target=background, args=(rig, events, rate, stop, counts), daemon=True),
               threading.Thread(target=markers, args=(rig, stop, sent), daemon=True)]
    try:
        samples["rss_mb"].append(round(rss_mb(rig.service.worker_pid()), 1))  # the service, its state empty
        for thread in threads:
            thread.start()
        started = time.monotonic()
        while time.monotonic() - started < minutes * 60 and threads[0].is_alive():
            time.sleep(5)
            health = rig.service.health()
            samples["lag"].append(health["lag"])
            if len(samples["lag"]) % 6 == 0:  # every 30 s
                samples["rss_mb"].append(round(rss_mb(rig.service.worker_pid()), 1))
        elapsed = time.monotonic() - started
        stop.set()
        time.sleep(3)
        figures = report(rig, watchers, sent, counts, samples, elapsed)
        figures["rss_mb"].append(round(rss_mb(rig.service.worker_pid()), 1))
        figures["state_alone_mb"] = state_alone_mb(rig)
        grown, state_grown = figures["rss_mb"][-1] - figures["rss_mb"][0], figures["state_alone_mb"] - figures["rss_mb"][0]
        figures["rss_growth_over_state_growth"] = round(grown / state_grown, 2) if state_grown > 0 else None
        return figures
    finally:
        stop.set()
        for watcher in watchers:
            watcher.client.disconnect()
        rig.close()


def state_alone_mb(rig: Rig) -> float:
    """The memory of the same state with nothing else behind it: the service stopped (it
    snapshots at stop) and started again, its resident set once it has loaded and caught up."""
    rig.service.close()
    rig.restart_service()
    wait_for(lambda: rig.service.health()["consumer"]["caught_up"], timeout=300, what="the restarted service")
    time.sleep(5)
    return round(rss_mb(rig.service.worker_pid()), 1)


def report(rig: Rig, watchers: list, sent: dict, counts: dict, samples: dict, elapsed: float) -> dict:
    delays = sorted((w.seen[m] - t) * 1000 for w in watchers for m, t in sent.items() if m in w.seen)
    expected = len(sent) * len(watchers)
    health = rig.service.health()
    q = statistics.quantiles(delays, n=100, method="inclusive") if len(delays) >= 2 else [float("nan")] * 99
    return {"events_sent": counts.get("events", 0), "seconds": round(elapsed, 1),
            "events_per_s": round(counts.get("events", 0) / elapsed), "answers": {k: v for k, v in counts.items() if k != "events"},
            "walls": len(watchers), "markers": len(sent), "marker_sightings": len(delays), "sightings_expected": expected,
            "publish_to_wall_ms": {"p50": round(q[49], 1), "p99": round(q[98], 1), "max": round(delays[-1], 1) if delays else None},
            "lag_entries": {"median": statistics.median(samples["lag"]), "p99": percentile(samples["lag"], 99),
                            "max": max(samples["lag"])},
            "rss_mb": samples["rss_mb"], "events_applied": health["events_applied"]}


def percentile(values: list, q: int) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1) if len(values) >= 2 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=MINUTES)
    parser.add_argument("--rate", type=int, default=RATE)
    parser.add_argument("--walls", type=int, default=WALLS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="load-") as tmp:
        print(json.dumps(run(args.minutes, args.rate, args.walls, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
