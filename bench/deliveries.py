"""Subscription deliveries benchmark: the port's events pushed to many subscribers' callbacks.

    python -m bench.deliveries [--subscribers 50] [--rate 500] [--seconds 20] [--backlog 20000]
                               [--redis-url URL]          (make bench-deliveries: the defaults)

The real service (`run.py`, a child process, role `all`) on an embedded valkey-server; the
subscribers are one receiver (a threaded HTTP server in a process of its own) that checks every
signature. Each subscriber takes every event. Two phases:

- steady: `--rate` events/s published into the log for `--seconds`; the figure is the time from
  an event's append to the log (its `eventCreatedDateTime`) to its arrival at each subscriber,
  p50 / p95 / p99 / max (goal: p95 ≤ 1 s at 500 events/s, 50 subscribers);
- backlog: `--backlog` events published at once; the figure is event deliveries per second
  (events × subscribers / the time until the last subscriber has the last event).

Every event must reach every subscriber exactly once: `missing` and `extra` say otherwise.
Prints one JSON line per phase; docs/benchmarks.md records them.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import multiprocessing
import platform
import tempfile
import time
import uuid
from array import array
from collections import Counter
from datetime import datetime
from pathlib import Path

import orjson
import redis
import requests

from bench.events import gate_events
from feeds.embedded import EmbeddedRedis
from feeds.publisher import Publisher
from tests.callback_receiver import CallbackReceiver, signature_of
from tests.helpers import read_auth
from tests.process import ServiceProcess

SECRET = base64.b64encode(b"the benchmark's subscribers' key").decode()


class CountingReceiver(CallbackReceiver):
    """Keeps counts and latencies only (a million events would not fit as objects)."""

    def __init__(self):
        super().__init__()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.latencies, self.counts, self.posts, self.bad = array("d"), Counter(), 0, 0

    def _answer(self, path, subscription, signature, body, headers) -> int:
        now = time.time()
        if not hmac.compare_digest(signature, signature_of(body, SECRET)):
            with self.lock:
                self.bad += 1
            return 401
        events = orjson.loads(body)
        created = [datetime.fromisoformat(e["eventCreatedDateTime"]).timestamp() for e in events]
        with self.lock:
            self.posts += 1
            self.counts[subscription] += len(events)
            self.latencies.extend(now - c for c in created)
        return 204

    def stats(self) -> dict:
        with self.lock:
            ordered = sorted(self.latencies)
            return {"counts": dict(self.counts), "posts": self.posts, "bad_signatures": self.bad,
                    "latency_s": _percentiles(ordered)}


def _percentiles(ordered: list[float]) -> dict:
    if not ordered:
        return {}
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)  # noqa: E731
    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "max": round(ordered[-1], 3)}


def receiver_process(conn) -> None:
    """Serve callbacks until told to stop; answer `stats` and `reset` over the pipe."""
    receiver = CountingReceiver().start()
    conn.send(receiver.url(""))
    while True:
        command = conn.recv()
        if command == "stop":
            break
        conn.send(receiver.stats() if command == "stats" else receiver.reset())
    receiver.stop()


def ask(conn, command: str):
    conn.send(command)
    return conn.recv()


def wait_delivered(conn, subs: list[str], each: int, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        stats = ask(conn, "stats")
        if all(stats["counts"].get(s, 0) >= each for s in subs) or time.monotonic() > deadline:
            return stats
        time.sleep(0.2)


def summary(stats: dict, subs: list[str], each: int) -> dict:
    counts = [stats["counts"].get(s, 0) for s in subs]
    return {"missing": sum(max(0, each - c) for c in counts), "extra": sum(max(0, c - each) for c in counts),
            "posts": stats["posts"], "bad_signatures": stats["bad_signatures"], "latency_s": stats["latency_s"]}


def steady(publisher: Publisher, events: list[dict], rate: int) -> None:
    """`rate` events a second, in ten ticks a second."""
    per_tick, started = max(1, rate // 10), time.monotonic()
    for tick, start in enumerate(range(0, len(events), per_tick)):
        publisher.publish(events[start:start + per_tick])
        time.sleep(max(0.0, started + (tick + 1) / 10 - time.monotonic()))


def run(args, redis_url: str, workdir: Path, conn, callbacks: str) -> list[dict]:
    port_id = "bench-" + uuid.uuid4().hex[:8]
    service = ServiceProcess(workdir / port_id, redis_url=redis_url, port_id=port_id,
                             extra_env={"DP_SNAPSHOT_SECONDS": "3600", "DP_CALLBACK_HOSTS": "127.0.0.1"}).start()
    client = redis.Redis.from_url(redis_url)
    try:
        subs = [requests.post(service.base + "/v2/event-subscriptions", headers=read_auth(), timeout=10,
                              json={"callbackUrl": f"{callbacks}/s{n}", "secret": SECRET}).json()["subscriptionID"]
                for n in range(args.subscribers)]
        publisher = Publisher(client, port_id)
        events = gate_events(args.rate * args.seconds + args.backlog)
        steady_events, backlog = events[:args.rate * args.seconds], events[args.rate * args.seconds:]
        steady(publisher, steady_events, args.rate)
        first = summary(wait_delivered(conn, subs, len(steady_events), 120), subs, len(steady_events))
        ask(conn, "reset")
        started = time.perf_counter()
        for start in range(0, len(backlog), 5000):
            publisher.publish(backlog[start:start + 5000])
        second = summary(wait_delivered(conn, subs, len(backlog), 300), subs, len(backlog))
        took = time.perf_counter() - started
    finally:
        service.close()
        client.close()
    return [{"phase": "steady", "subscribers": args.subscribers, "events_per_s": args.rate,
             "events": len(steady_events), **first},
            {"phase": "backlog", "subscribers": args.subscribers, "events": len(backlog), "seconds": round(took, 2),
             "deliveries_per_s": round(len(backlog) * args.subscribers / took),
             "events_per_s_each": round(len(backlog) / took), **second}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--backlog", type=int, default=20_000)
    parser.add_argument("--redis-url", help="default: a fresh embedded valkey-server")
    args = parser.parse_args()
    conn, child_conn = multiprocessing.Pipe()
    receiver = multiprocessing.Process(target=receiver_process, args=(child_conn,), name="receiver")
    receiver.start()  # first: the fork carries no thread of ours
    callbacks = conn.recv()
    with tempfile.TemporaryDirectory() as tmp:
        server = None if args.redis_url else EmbeddedRedis(Path(tmp) / "valkey")
        url = args.redis_url or server.start()
        try:
            results = run(args, url, Path(tmp), conn, callbacks)
        finally:
            if server:
                server.stop()
            conn.send("stop")
            receiver.join(10)
    for item in results:
        print(json.dumps({**item, "machine": f"{platform.machine()}, {platform.python_version()}, "
                                             f"{multiprocessing.cpu_count()} cores"}))
    print(json.dumps({"goal": "steady p95 <= 1 s", "met": results[0]["latency_s"].get("p95", 99) <= 1.0
                      and results[0]["missing"] == 0 and results[0]["extra"] == 0}))


if __name__ == "__main__":
    main()
