"""The reliability suite (docs/reliability.md): faults against the real service and the real
embedded server, each with a bounded stream of simulator events running through it, each ending
with the same check (bench/fault_kit.py): nothing lost, nothing counted twice, every rejected
input in the dead-letter log.

    python -m bench.faults [--quick] [--only NAME ...] [--out results.jsonl]

`make soak` runs it in full; `--quick` is the size the test suite runs (tests/reliability/).
One JSON line per fault on standard output.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
import socketio

from bench.fault_kit import Partners, Rig, Sent, check, simulator_feed
from bench.faultproxy import FaultProxy
from feeds.embedded import EmbeddedRedis
from feeds.publisher import Publisher
from tests.helpers import WALL_TOKEN, wait_for

# `pause`: between a partner's requests, so that the feed is still running while the faults come
SIZES = {"quick": {"days": 0.25, "boxes_per_day": 800, "kills": 3, "stops": (5,), "drop": 5.0, "walls": 6,
                   "pause": 0.15},
         "full": {"days": 1.0, "boxes_per_day": 3000, "kills": 10, "stops": (5, 60), "drop": 30.0, "walls": 20,
                  "pause": 0.4}}


def feed(size: dict) -> list[dict]:
    """Simulator events that end an hour ago: the ingest's wall-clock check takes them all."""
    start = datetime.now(timezone.utc) - timedelta(days=size["days"], hours=1)
    return simulator_feed(days=size["days"], start=start.replace(microsecond=0), boxes_per_day=size["boxes_per_day"])


def recovered(rig: Rig, since: float) -> float:
    """Seconds from `since` until the service is up, caught up, with Redis reachable."""
    def ready():
        try:
            health = rig.service.health(timeout=2)
        except requests.RequestException:
            return False
        return health["redis"] == "up" and health["consumer"]["caught_up"]
    wait_for(ready, timeout=180, interval=0.1, what="the service to recover")
    return time.monotonic() - since


def row(name: str, what: str, times: int, sent: Sent, verdict, recover: list[float], **extra) -> dict:
    return {"fault": name, "what": what, "times": times, "events_in": verdict.events_in, "applied": verdict.applied,
            "lost": verdict.lost, "duplicates_counted": verdict.counted_twice + verdict.written_twice,
            "bad_in": verdict.bad_in, "bad_dead_lettered": verdict.bad_dead_lettered,
            "state_matches": verdict.state_matches, "http_requests": sent.requests, "retries": sent.retries,
            "recover_s_median": round(statistics.median(recover), 2) if recover else None,
            "recover_s_max": round(max(recover), 2) if recover else None, "ok": verdict.ok, **extra}


def kill9(workdir: Path, size: dict) -> dict:
    events = feed(size)
    rig = Rig(workdir).start({e["source"] for e in events})
    try:
        partners, rng, recover = Partners(rig, events, pause=size["pause"]).start(), random.Random(9), []
        for _ in range(size["kills"]):
            time.sleep(rng.uniform(0.5, 2.0))
            rig.service.signal(signal.SIGKILL)
            started = time.monotonic()
            rig.restart_service()
            recover.append(recovered(rig, started))
        sent = partners.join()
        return row("kill9", "kill -9 the service at random moments while partners send, restart it",
                   size["kills"], sent, check(rig, sent), recover)
    finally:
        rig.close()


def redis_stop(workdir: Path, size: dict, seconds: int) -> dict:
    events = feed(size)
    rig = Rig(workdir).start({e["source"] for e in events})
    try:
        partners = Partners(rig, events, pause=size["pause"]).start()
        time.sleep(1.0)
        port = int(rig.redis.url.rsplit(":", 1)[1].split("/")[0])
        rig.redis.stop()
        time.sleep(seconds)
        rig.redis = EmbeddedRedis(rig.redis.data_dir, port=port)
        rig.redis.start()
        recover = [recovered(rig, time.monotonic())]
        sent = partners.join()
        return row(f"redis-stop-{seconds}s", f"stop the Redis server for {seconds} s while partners send, start it again",
                   1, sent, check(rig, sent), recover, answered_503=sent.unavailable)
    finally:
        rig.close()


def proxy_faults(workdir: Path, size: dict) -> dict:
    """Service ⇄ proxy ⇄ Redis: latency, connections cut in the middle of replies, a thin pipe."""
    events = feed(size)
    rig = Rig(workdir, through=FaultProxy).start({e["source"] for e in events})
    try:
        partners, proxy, recover = Partners(rig, events, pause=size["pause"]).start(), rig.proxy, []
        steps = [("latency 50 ms", lambda: proxy.set_latency(0.05)), ("cut every connection", proxy.cut_all),
                 ("cut mid-reply", lambda: proxy.cut_mid_message(3000)), ("20 kB/s", lambda: proxy.set_bandwidth(20_000)),
                 ("refuse connections", lambda: proxy.refuse(True))]
        for _, fault in steps:
            fault()
            time.sleep(3.0)
            proxy.clear()
            recover.append(recovered(rig, time.monotonic()))
        sent = partners.join()
        return row("proxy", "through a proxy: " + ", ".join(name for name, _ in steps), len(steps), sent,
                   check(rig, sent), recover, connections_cut=proxy.connections_cut)
    finally:
        rig.close()


def pubsub_cutoff(workdir: Path, size: dict) -> dict:
    """A burst bigger than the socket buffers and the subscriber's output-buffer limit: Redis
    cuts the subscriber off; it reconnects and catches up from the log by itself."""
    events = feed(size)
    burst = [{**event, "id": f"{event['id']}-r{copy}"} for copy in range(5) for event in events]  # ~20 MB
    rig = Rig(workdir).start({e["source"] for e in events})
    try:
        client = rig.client()
        client.config_set("client-output-buffer-limit", "pubsub 64kb 32kb 1")
        sent = Sent(valid={(e["source"], e["id"]): e for e in burst})
        started = time.monotonic()
        Publisher(client, rig.port_id).publish(burst)  # straight into the log, as fast as Redis takes it
        recover = [recovered(rig, started)]
        wait_for(lambda: rig.service.health()["lag"] == 0, timeout=300, what="the burst applied")
        cut = int(client.info("stats").get("client_output_buffer_limit_disconnections", 0))
        return row("pubsub-cutoff", "a ~20 MB burst over the subscriber's output-buffer limit (64 kB)", 1, sent,
                   check(rig, sent), recover, subscriber_cut_off=cut)
    finally:
        rig.close()


def walls_dropped(workdir: Path, size: dict) -> dict:
    """Walls (Socket.IO clients with the display token), half dropped a while, then back."""
    events = feed(size)
    rig = Rig(workdir).start({e["source"] for e in events})
    walls = []
    try:
        walls = [Wall(rig.service.base) for _ in range(size["walls"])]
        partners = Partners(rig, events, pause=size["pause"]).start()
        time.sleep(2.0)
        dropped = walls[::2]
        for wall in dropped:
            wall.client.disconnect()
        time.sleep(size["drop"])
        for wall in dropped:
            wall.fast = None
        started = time.monotonic()
        for wall in dropped:
            wall.connect()
        wait_for(lambda: all(wall.fast is not None for wall in dropped), what="the walls back to get an update")
        back_in = time.monotonic() - started  # reconnected and showing the latest update
        sent = partners.join()
        verdict = check(rig, sent)
        latest = Wall(rig.service.base)
        wait_for(lambda: latest.fast is not None, what="a fresh wall's first update")
        wait_for(lambda: all(w.fast and w.fast["seq"] >= latest.fast["seq"] for w in walls), timeout=60,
                 what="every wall to show the latest update")
        same = all(w.fast["kpis"] == latest.fast["kpis"] and w.fast["ticker"] == latest.fast["ticker"] for w in walls)
        latest.client.disconnect()
        verdict.state_matches = verdict.state_matches and same
        return row("walls-dropped", f"{len(walls)} walls connected, {len(dropped)} dropped for {size['drop']:g} s, then back",
                   1, sent, verdict, [back_in], walls_current=same)
    finally:
        for wall in walls:
            wall.client.disconnect()
        rig.close()


class Wall:
    """A wall screen's socket: the display token's session cookie, the room wall:en."""

    def __init__(self, base: str):
        self.base, self.fast = base, None
        opened = requests.get(f"{base}/?token={WALL_TOKEN}", allow_redirects=False, timeout=10)
        self.cookie = f"portpulse={opened.cookies['portpulse']}"
        self.client = socketio.Client(reconnection=False)
        self.client.on("fast", self._on_fast)
        self.connect()

    def _on_fast(self, payload: dict) -> None:
        # a new epoch is a restarted service: its count starts afresh (as assets/wall.js does)
        if self.fast is None or payload["epoch"] != self.fast["epoch"] or payload["seq"] >= self.fast["seq"]:
            self.fast = payload

    def connect(self) -> None:
        self.client.connect(f"{self.base}?lang=en", headers={"Cookie": self.cookie}, transports=["websocket"])


FAULTS = {"kill9": kill9, "redis-stop": None, "proxy": proxy_faults, "pubsub-cutoff": pubsub_cutoff,
          "walls-dropped": walls_dropped}


def run(names: list[str], size: dict) -> list[dict]:
    rows = []
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"faults-{name}-") as tmp:
            if name == "redis-stop":
                rows += [redis_stop(Path(tmp) / str(seconds), size, seconds) for seconds in size["stops"]]
            else:
                rows.append(FAULTS[name](Path(tmp), size))
        for line in rows[-2 if name == "redis-stop" and len(size["stops"]) > 1 else -1:]:
            print(json.dumps(line), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the test suite's size")
    parser.add_argument("--only", nargs="+", choices=sorted(FAULTS), help="run these faults only")
    parser.add_argument("--out", type=Path, help="also write the rows here (JSON lines)")
    args = parser.parse_args()
    rows = run(args.only or list(FAULTS), SIZES["quick" if args.quick else "full"])
    if args.out:
        args.out.write_text("".join(json.dumps(r) + "\n" for r in rows))


if __name__ == "__main__":
    main()
