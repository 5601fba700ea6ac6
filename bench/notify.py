"""Notifications benchmark: watched boxes' milestones, from the ingest API to a webhook receiver.

    python -m bench.notify [--boxes 10000] [--rate 500] [--seconds 60] [--redis-url URL]

The real service (`run.py`, a child process, role `all`) on an embedded valkey-server (or
--redis-url); one organisation whose user watches `--boxes` boxes, and one signed webhook channel
on a local receiver (tests/notify_receivers.py, in a process of its own). Events go through the
real ingest path (`POST /api/v1/events`, the partners' keys) at `--rate` events a second for
`--seconds`, in ten batches a second: each box is discharged, released (two milestones: released
and ready for pickup) and gated out. The figure is the time from the POST of the release to the
webhook's arrival at the receiver, p50 / p95 / p99 / max (goal: p95 ≤ 2 s at 500 events/s), and
whether the rate was held (`achieved_rate`, `late_ticks`). Every notice must arrive exactly once:
`missing` and `extra` say otherwise. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import platform
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import redis
import requests

from dashboard.notify.channels import ChannelStore
from dashboard.notify.watches import WatchStore
from dashboard.orgs import Directory
from feeds.embedded import EmbeddedRedis
from feeds.subscriptions import CallbackPolicy
from tests.helpers import PARTNER_KEYS, container_number
from tests.process import ServiceProcess

SECRET = base64.b64encode(b"the notify benchmark's secret 32").decode()
SOURCES = {"container.discharged": "terminal.haitian", "customs.released": "customs.xiamen", "gate.out": "trucking.x"}


def receiver_process(conn) -> None:
    """Serve the webhook until told to stop; answer `stats` with (event id, arrival) per notice."""
    from tests.notify_receivers import HttpReceiver
    receiver = HttpReceiver().start()
    conn.send(receiver.url("/hook"))
    while conn.recv() != "stop":
        with receiver.lock:
            delivered = list(receiver.delivered)
        conn.send([(n["id"], n["event_id"], r.at) for r in delivered for n in json.loads(r.body)["notices"]])
    receiver.stop()


def box_events(boxes: int) -> list[dict]:
    """Per box: discharged, released 2 s later, gated out 4 s later (in log order: a box's three
    events are 1,000 events apart, so its release comes about 2 s after its discharge)."""
    start = datetime.now(timezone(timedelta(hours=8))) - timedelta(hours=6)
    events, block = [], 500
    for first in range(0, boxes, block):
        numbers = [(n, container_number(n, owner="NTF")) for n in range(first, min(boxes, first + block))]
        on_ship = {"vessel": "9321483", "voyage": "B1", "parties": {"trucking": "fleet"}}
        for kind, extra in (("container.discharged", on_ship),
                            ("customs.released", {}), ("gate.out", {})):
            for n, number in numbers:
                t = start + timedelta(seconds=n * 0.01 + {"container.discharged": 0, "customs.released": 1,
                                                           "gate.out": 2}[kind])
                events.append({"id": f"{kind}-{n}", "type": kind, "time": t.isoformat(), "source": SOURCES[kind],
                               "container": number, "direction": "import", **extra})
    return events


def post_at_rate(base: str, events: list[dict], rate: int) -> tuple[dict[str, float], float, int]:
    """→ (release event id → when it was posted, seconds taken, ticks that started late)."""
    session, posted, late = requests.Session(), {}, 0
    per_tick, started = max(1, rate // 10), time.monotonic()
    for tick, first in enumerate(range(0, len(events), per_tick)):
        batch = events[first:first + per_tick]
        for source in sorted({e["source"] for e in batch}):
            mine = [e for e in batch if e["source"] == source]
            sent = time.time()
            answer = session.post(base + "/api/v1/events", json=mine, timeout=30,
                                  headers={"Authorization": f"Bearer {PARTNER_KEYS[source]}"})
            assert answer.status_code == 202, answer.text[:300]
            posted.update({f"{source}/{e['id']}": sent for e in mine if e["type"] == "customs.released"})
        wait = started + (tick + 1) / 10 - time.monotonic()
        late += wait < 0
        time.sleep(max(0.0, wait))
    return posted, time.monotonic() - started, late


def set_up(redis_url: str, port_id: str, boxes: int, hook: str) -> None:
    client = redis.Redis.from_url(redis_url)
    directory = Directory(client, port_id)
    directory.add_org("fleet", "Fleet", "trucking")
    directory.add_account("bench", "fleet", "a-long-password-1")
    store = WatchStore(client, port_id)
    keys = [f"box:{container_number(n, owner='NTF')}" for n in range(boxes)]
    client.hset(store.keys.watches, "bench", json.dumps(keys))  # all at once: the store adds one by one
    client.incr(store.keys.watch_version)
    ChannelStore(client, port_id, CallbackPolicy(("127.0.0.1",))).add(
        "fleet", {"kind": "webhook", "url": hook, "secret": SECRET})
    client.close()


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    if not ordered:
        return {}
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)  # noqa: E731
    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "max": round(ordered[-1], 3)}


def run(args, redis_url: str, workdir: Path, conn, hook: str) -> dict:
    port_id = "bench-" + uuid.uuid4().hex[:8]
    events = box_events(args.boxes)[:args.rate * args.seconds]
    expected = 2 * sum(e["type"] == "customs.released" for e in events)
    set_up(redis_url, port_id, args.boxes, hook)
    service = ServiceProcess(workdir / port_id, redis_url=redis_url, port_id=port_id, extra_env={
        "DP_SNAPSHOT_SECONDS": "3600", "DP_CALLBACK_HOSTS": "127.0.0.1",
        "DP_PARTNER_RATE_LIMIT": "1000000 per minute"}).start()
    try:
        posted, took, late = post_at_rate(service.base, events, args.rate)
        deadline = time.monotonic() + 120
        while True:
            conn.send("stats")
            got = conn.recv()
            if len({notice for notice, _e, _t in got}) >= expected or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        service.close()
    counts = Counter(notice for notice, _e, _t in got)
    latency = [at - posted[event] for _n, event, at in got if event in posted]
    return {"boxes_watched": args.boxes, "events": len(events), "target_rate": args.rate,
            "achieved_rate": round(len(events) / took, 1), "late_ticks": late, "notices_expected": expected,
            "missing": max(0, expected - len(counts)), "extra": sum(c - 1 for c in counts.values()),
            "event_to_webhook_s": percentiles(latency), "machine": platform.machine(),
            "cpus": multiprocessing.cpu_count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boxes", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--redis-url", help="default: a fresh embedded valkey-server")
    args = parser.parse_args()
    ours, theirs = multiprocessing.Pipe()
    receiver = multiprocessing.Process(target=receiver_process, args=(theirs,), daemon=True)
    receiver.start()  # first: the fork carries no thread of ours
    hook = ours.recv()
    with tempfile.TemporaryDirectory(prefix="bench-notify-") as tmp:
        server = None if args.redis_url else EmbeddedRedis(Path(tmp) / "valkey")
        try:
            url = args.redis_url or server.start()
            print(json.dumps(run(args, url, Path(tmp), ours, hook)))
        finally:
            ours.send("stop")
            receiver.join(10)
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
