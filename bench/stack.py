"""The set behind nginx (`run.py stack`, dashboard/stack.py) under load; one JSON line per part.

    python -m bench.stack ingest   [--seconds 30] [--clients 8] [--batch 100] [--shards 3,0] [--py-spy DIR]
    python -m bench.stack readers  [--seconds 60] [--rate 200] [--ingest-rate 1000]
    python -m bench.stack failover [--rate 600] [--before 10] [--after 15] [--rejoin-after 0]

- ingest: the same partners (`--clients` threads posting pre-encoded batches of simulator events
  as fast as the service takes them, each batch again after a 503 as Retry-After says) against one
  all-in-one process (`run.py --no-simulator`, embedded valkey-server) and against the set (2
  ingest workers, 2 web replicas, nginx; a Redis Cluster of 3 primaries with a replica each, and
  with `--shards` 0 also one valkey-server), one after the other in one run: events/s accepted
  (202'd) and applied (until every web replica stands at the log's head), the ratio set /
  all-in-one, and the CPU each process took (share of one core).
- readers: locust (bench/locust_readers.py, headless) reading `GET /api/v1/containers/<n>` with a
  read key and the `/containers/<n>` page as a manager (the page's HTML, then the router's
  callback that draws the box) through nginx, while partners send `--ingest-rate` events/s
  through the ingest workers: p50/p95/p99 per kind, the rate achieved, failures.
- failover: partners send at `--rate` events/s; `kill -9` the primary that holds the port's keys;
  its replica takes over; the killed node is started again (`--rejoin-after` s after the
  promotion) and rejoins as a replica (until then, with one replica per primary, `WAIT 1` fails
  and the ingest answers 503). Acknowledged events lost, seconds without a 202, the 503s' span,
  seconds until the replica was promoted.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import requests

from bench.stack_kit import (AllInOne, CpuMeter, Partners, StackSet, batches, health, partner_keys, py_spy,
                             realistic_events, spy_summary, wait_applied)
from feeds.keys import PortKeys
from feeds.redis_client import connect
from tests.helpers import READ_KEY, log_in, wait_for

LOCUSTFILE = Path(__file__).with_name("locust_readers.py")
LOCUST = Path(sys.executable).with_name("locust")


# -- ingest ----------------------------------------------------------------------------------


def ingest(args, workdir: Path) -> dict:
    events = realistic_events(args.events)
    keys, work = partner_keys(events), batches(events, args.batch)
    setups = [("all-in-one", lambda d, p: AllInOne(d, p, keys))]
    for shards in (int(s) for s in args.shards.split(",")):
        setups.append((f"stack, 2 ingest + 2 web, shards {shards}",
                       lambda d, p, shards=shards: StackSet(d, p, keys, web=2, ingest=2, shards=shards)))
    figures = {"events_available": len(events), "batch": args.batch, "clients": args.clients,
               "seconds_each": args.seconds}
    for n, (name, make) in enumerate(setups):
        figures[name] = measure_ingest(make(workdir / f"setup-{n}", f"bench-{n}"), work, keys, args,
                                       spy_dir=Path(args.py_spy) / f"setup-{n}" if args.py_spy else None)
    one = figures["all-in-one"]
    for name, _ in setups[1:]:
        figures[name]["ratio_accepted"] = round(figures[name]["accepted_per_s"] / one["accepted_per_s"], 2)
        figures[name]["ratio_applied"] = round(figures[name]["applied_per_s"] / one["applied_per_s"], 2)
    return figures


def measure_ingest(target, work, keys, args, spy_dir: Path | None) -> dict:
    try:
        target.start()
        meter = CpuMeter(target.groups()).start()
        partners = Partners(target.base, keys, work, clients=args.clients).start()
        spies = start_spies(target, spy_dir, min(20, args.seconds - 5)) if spy_dir else {}
        while partners.running and time.monotonic() - partners.started_at < args.seconds:
            time.sleep(0.5)
        tally = partners.stop()
        cpu = meter.stop()
        applied_at = wait_applied(target)
        sent_for = tally.taken_at[-1] - partners.started_at
        replicas = [health(base) for base in target.replicas()]
        result = {"events_accepted": tally.accepted, "accepted_per_s": round(tally.accepted / sent_for),
                  "applied_per_s": round(tally.accepted / (applied_at - partners.started_at)),
                  "sending_s": round(sent_for, 1), "applied_lag_s": round(applied_at - partners.finished_at, 1),
                  "answers": dict(tally.statuses), "refused": tally.refused, "unexpected": tally.unexpected[:3],
                  "events_applied_per_replica": [h["events_applied"] if h else None for h in replicas],
                  "cpu_core_share": cpu}
        for name, (spy, out) in spies.items():
            spy.wait(60)
            result.setdefault("py_spy", {})[name] = {"file": str(out), **spy_summary(out)}
        return result
    finally:
        target.stop()


def start_spies(target, folder: Path, seconds: int) -> dict:
    """py-spy on the process holding the app (gunicorn's worker: the last of each tree)."""
    folder.mkdir(parents=True, exist_ok=True)
    spies = {}
    for name, pids in target.groups().items():
        if name in ("valkey", "nginx") or not pids:
            continue
        out = folder / f"{name}.txt"
        spies[name] = (py_spy(max(pids), seconds, out), out)
    return spies


# -- readers ---------------------------------------------------------------------------------


def readers(args, workdir: Path) -> dict:
    preload = args.preload
    events = realistic_events(preload + int(args.ingest_rate * (args.seconds + 30)))
    keys = partner_keys(events)
    boxes = sorted({e["container"] for e in events[:preload] if e.get("container")})
    target = StackSet(workdir / "stack", "bench-readers", keys, web=2, ingest=2, shards=args.shards)
    background = None
    try:
        target.start()
        Partners(target.base, keys, batches(events[:preload], 200), clients=4).start().join()
        wait_applied(target)
        manager = requests.Session()
        answer = log_in(manager, target.base)
        if not any(step.status_code == 302 for step in answer.history) or "/login" in answer.url:
            raise RuntimeError(f"the manager's login failed: {answer.status_code} {answer.url}")
        (workdir / "boxes.txt").write_text("\n".join(boxes[::max(1, len(boxes) // 5000)]))
        meter = CpuMeter(target.groups()).start()
        background = Partners(target.base, keys, batches(events[preload:], 50), clients=4,
                              rate=args.ingest_rate).start()
        spies = start_spies(target, Path(args.py_spy), min(20, args.seconds - 5)) if args.py_spy else {}
        prefix = workdir / "locust"
        env = {**os.environ, "BENCH_BOXES": str(workdir / "boxes.txt"), "BENCH_READ_KEY": READ_KEY,
               "BENCH_SESSION": manager.cookies.get("portpulse"), "BENCH_PER_USER": str(args.rate / args.users),
               "BENCH_ORIGIN": target.base}
        run = subprocess.run([str(LOCUST), "-f", str(LOCUSTFILE), "--headless", "--host", target.base,
                              "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s",
                              "--csv", str(prefix), "--only-summary", "--stop-timeout", "5"],
                             env=env, capture_output=True, text=True, timeout=args.seconds + 120)
        cpu = meter.stop()
        tally = background.stop()
        result = {"locust_exit": run.returncode, "seconds": args.seconds, "users": args.users,
                  "reads_per_s_asked": args.rate, "kinds": locust_figures(prefix),
                  "ingest_events_per_s": round(tally.taken / (tally.taken_at[-1] - background.started_at))
                  if tally.taken_at else 0, "ingest_answers": dict(tally.statuses), "cpu_core_share": cpu}
        for name, (spy, out) in spies.items():
            spy.wait(60)
            result.setdefault("py_spy", {})[name] = {"file": str(out), **spy_summary(out)}
        if run.returncode not in (0, 1):
            result["locust_stderr"] = run.stderr[-1500:]
        return result
    finally:
        if background is not None:
            background.stop()
        target.stop()


def locust_figures(prefix: Path) -> dict:
    kinds = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            kinds[f"{row['Type']} {row['Name']}".strip()] = {
                "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "per_s": round(float(row["Requests/s"]), 1), "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]), "p99_ms": float(row["99%"]), "max_ms": float(row["Max Response Time"])}
    return kinds


# -- failover --------------------------------------------------------------------------------


def failover(args, workdir: Path) -> dict:
    events = realistic_events(int(args.rate * (args.before + args.after + args.rejoin_after + 60)))
    keys = partner_keys(events)
    target = StackSet(workdir / "stack", "bench-failover", keys, web=2, ingest=2, shards=3)
    partners = None
    try:
        target.start()
        cluster, log = target.stack.redis, PortKeys(target.port_id).events
        partners = Partners(target.base, keys, batches(events, 20), clients=args.clients, rate=args.rate,
                            keep=True).start()
        time.sleep(args.before)
        victim = cluster.primary_for(log)
        killed_at = time.monotonic()
        cluster.kill(victim)
        wait_for(lambda: cluster.primary_for(log) is not victim, timeout=60, interval=0.05, what="the promotion")
        promoted_at = time.monotonic()
        time.sleep(args.rejoin_after)
        cluster.restart(victim)
        cluster.wait_ready(60)
        rejoined_at = time.monotonic()
        time.sleep(args.after)
        tally = partners.stop()
        wait_applied(target)
        acked = {(e["source"], e["id"]) for body in tally.taken_bodies for e in orjson.loads(body)}
        client = connect(target.stack.redis_url, cluster=True, timeout=10)
        try:
            logged = [orjson.loads(f[b"event"]) for _, f in client.xrange(log)]
        finally:
            client.close()
        in_log = {(e["source"], e["id"]) for e in logged}
        taken = sorted(tally.taken_at)
        since = [max(t for t in taken if t <= killed_at)] + [t for t in taken if t > killed_at]
        after = [t for t in tally.unavailable_at if t > killed_at]
        return {"rate_asked": args.rate, "victim_role_after": victim.role,
                "acknowledged": len(acked), "acknowledged_lost": len(acked - in_log),
                "in_log_twice": len(logged) - len(in_log),
                "no_202_s": round(max(b - a for a, b in zip(since, since[1:])), 1),  # the widest gap from the kill on
                "answers_503": len(after), "first_to_last_503_s": round(after[-1] - after[0], 1) if after else 0,
                "kill_to_promoted_s": round(promoted_at - killed_at, 1),
                "kill_to_rejoined_s": round(rejoined_at - killed_at, 1),
                "answers": dict(tally.statuses), "refused": tally.refused, "unexpected": tally.unexpected[:3],
                "events_applied_per_replica": [h["events_applied"] for h in map(health, target.replicas())],
                "events_in_log": len(logged)}
    finally:
        if partners is not None:
            partners.stop()
        target.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parts = parser.add_subparsers(dest="part", required=True)
    one = parts.add_parser("ingest")
    one.add_argument("--seconds", type=float, default=30, help="of sending, for each deployment")
    one.add_argument("--clients", type=int, default=8)
    one.add_argument("--batch", type=int, default=100)
    one.add_argument("--events", type=int, default=250_000, help="events made ready (each deployment may take all)")
    one.add_argument("--shards", default="3,0", help="the set's Redis: a cluster of N primaries; 0: one server")
    one.add_argument("--py-spy", help="a folder: py-spy records each Python process for 20 s of the load")
    two = parts.add_parser("readers")
    two.add_argument("--seconds", type=int, default=60)
    two.add_argument("--rate", type=float, default=200, help="reads a second, half API, half pages")
    two.add_argument("--users", type=int, default=50)
    two.add_argument("--ingest-rate", type=float, default=1000)
    two.add_argument("--preload", type=int, default=30_000)
    two.add_argument("--shards", type=int, default=3)
    two.add_argument("--py-spy", help="a folder: py-spy records each Python process for 20 s of the load")
    three = parts.add_parser("failover")
    three.add_argument("--rate", type=float, default=600)
    three.add_argument("--clients", type=int, default=4)
    three.add_argument("--before", type=float, default=10)
    three.add_argument("--after", type=float, default=15)
    three.add_argument("--rejoin-after", type=float, default=0)
    args = parser.parse_args()
    run = {"ingest": ingest, "readers": readers, "failover": failover}[args.part]
    with tempfile.TemporaryDirectory(prefix=f"bench-stack-{args.part}-") as tmp:
        started = time.monotonic()
        figures = run(args, Path(tmp))
        figures = {"part": args.part, **figures, "run_s": round(time.monotonic() - started, 1)}
        print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
