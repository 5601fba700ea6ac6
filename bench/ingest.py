"""Ingest benchmark: how fast the running service applies a log that one client fills flat out.

    python -m bench.ingest [--events N] [--rounds R] [--redis-url URL]

Per round: a fresh port namespace; one client publishes N valid events through the publisher
(the Lua append + announce, in batches of 5,000 events, the partner API's limit) while the real service (`run.py`, a child
process) applies them; the figure is N / (publish start → healthz `events_applied == N`). In the
same round a bare redis-py client reads the same log back and JSON-decodes every entry: the raw
ceiling. Prints each round and the medians as JSON; docs/benchmarks.md records them.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import orjson
import redis
import requests

from bench.events import gate_events
from feeds.embedded import EmbeddedRedis
from feeds.keys import PortKeys
from feeds.publisher import Publisher
from tests.process import ServiceProcess


def raw_read_rate(client: redis.Redis, stream: str, count: int = 10_000) -> float:
    """Events/s for a bare client that reads the whole log and decodes every entry."""
    started, last, seen = time.perf_counter(), "-", 0
    while True:
        entries = client.xrange(stream, min=last, count=count)
        if last != "-":
            entries = entries[1:]  # inclusive start: the first one was read last time
        if not entries:
            break
        for _, fields in entries:
            orjson.loads(fields[b"event"])
        seen += len(entries)
        last = entries[-1][0]
    return seen / (time.perf_counter() - started)


def one_round(redis_url: str, events: list[dict], workdir: Path) -> dict:
    port_id = "bench-" + uuid.uuid4().hex[:8]
    service = ServiceProcess(workdir / port_id, redis_url=redis_url, port_id=port_id,
                             extra_env={"DP_SNAPSHOT_SECONDS": "3600"}).start()
    client = redis.Redis.from_url(redis_url)
    session = requests.Session()
    try:
        publisher = Publisher(client, port_id)
        started = time.perf_counter()
        for start in range(0, len(events), 5000):  # the largest batch a partner may send
            publisher.publish(events[start:start + 5000])
        published = time.perf_counter() - started
        while session.get(service.base + "/healthz", timeout=10).json()["events_applied"] < len(events):
            time.sleep(0.02)
        applied = time.perf_counter() - started
        raw = raw_read_rate(client, PortKeys(port_id).events)
    finally:
        service.close()
        for key in PortKeys(port_id).all():
            client.delete(key)
    return {"events": len(events), "publish_s": round(published, 3), "applied_s": round(applied, 3),
            "applied_per_s": round(len(events) / applied), "raw_read_decode_per_s": round(raw)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--redis-url", help="default: a fresh embedded valkey-server")
    args = parser.parse_args()
    events = gate_events(args.events)
    with tempfile.TemporaryDirectory() as tmp:
        server = None if args.redis_url else EmbeddedRedis(Path(tmp) / "valkey")
        url = args.redis_url or server.start()
        try:
            rounds = [one_round(url, events, Path(tmp)) for _ in range(args.rounds)]
        finally:
            if server:
                server.stop()
    for item in rounds:
        print(json.dumps(item))
    applied = statistics.median(r["applied_per_s"] for r in rounds)
    raw = statistics.median(r["raw_read_decode_per_s"] for r in rounds)
    print(json.dumps({"median_applied_per_s": round(applied), "median_raw_read_decode_per_s": round(raw),
                      "ratio": round(applied / raw, 3), "goal_applied_per_s": 50_000,
                      "machine": f"{platform.machine()}, {platform.python_version()}"}))


if __name__ == "__main__":
    main()
