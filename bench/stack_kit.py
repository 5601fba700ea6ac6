"""What bench/stack.py shares: realistic partner events, the partners that send them (threads
posting pre-encoded batches, each batch until it is taken, waiting as Retry-After says), the two
deployments measured side by side (one all-in-one `run.py --no-simulator`, and the set behind
nginx, dashboard/stack.py), and where the CPU went (/proc, and py-spy when asked)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import requests

from bench.fault_kit import simulator_feed
from dashboard.config import Config
from dashboard.stack import Stack
from dashboard.stack_procs import process_tree
from feeds.embedded import free_port, read_record
from feeds.keys import PortKeys
from feeds.redis_client import connect
from tests.helpers import ACCESS_ENV, wait_for
from tests.process import ServiceProcess

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")


def realistic_events(count: int, boxes_per_day: int = 20_000) -> list[dict]:
    """`count` events of the demo port (the simulator, offline; its warm-up included), ending an
    hour ago, as live partners would send them."""
    days = max(0.25, count / (4.5 * boxes_per_day) - 2)  # ~4.5 events a box a day, 2 days of warm-up
    start = (datetime.now(timezone.utc) - timedelta(days=days, hours=1)).replace(microsecond=0)
    events = simulator_feed(days=days, start=start, boxes_per_day=boxes_per_day)
    return events[-count:]


def partner_keys(events: list[dict]) -> dict[str, str]:
    return {source: f"key-{uuid.uuid4().hex[:12]}" for source in sorted({e["source"] for e in events})}


@dataclass
class Batch:
    source: str
    body: bytes
    size: int


def batches(events: list[dict], size: int) -> list[Batch]:
    """Per partner, in its order, `size` events a request, encoded before the clock starts."""
    by_source: dict[str, list[dict]] = {}
    out = []
    for event in events:
        items = by_source.setdefault(event["source"], [])
        items.append(event)
        if len(items) == size:
            out.append(Batch(event["source"], orjson.dumps(items), size))
            by_source[event["source"]] = []
    out += [Batch(source, orjson.dumps(items), len(items)) for source, items in by_source.items() if items]
    return out


@dataclass
class Tally:
    statuses: Counter = field(default_factory=Counter)
    refused: int = 0
    accepted: int = 0  # events newly stored (a 202's `accepted`)
    taken: int = 0  # events in batches that got a 202
    unexpected: list[str] = field(default_factory=list)
    taken_at: list[float] = field(default_factory=list)  # monotonic time of each 202
    unavailable_at: list[float] = field(default_factory=list)  # … of each 503
    taken_bodies: list[bytes] = field(default_factory=list)  # the batches that got a 202 (when kept)


class Partners:
    """`clients` threads take the batches in turn and post each until it is taken; with `rate`
    (events a second) a batch is not sent before its time; else as fast as the service accepts."""

    def __init__(self, base: str, keys: dict[str, str], work: list[Batch], *, clients: int = 8,
                 rate: float | None = None, keep: bool = False, retry_for: float = 120.0):
        self.base, self.keys, self.work = base, keys, work
        self.clients, self.rate, self.keep, self.retry_for = clients, rate, keep, retry_for
        self.tally = Tally()
        self.halt = threading.Event()
        self._next, self._events_due = 0, 0
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True, name=f"partner-{n}") for n in range(clients)]
        self.started_at = self.finished_at = 0.0

    def start(self) -> "Partners":
        self.started_at = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def stop(self, timeout: float = 150) -> Tally:
        self.halt.set()
        return self.join(timeout)

    def join(self, timeout: float = 900) -> Tally:
        for thread in self._threads:
            thread.join(timeout)
        self.finished_at = max(self.tally.taken_at, default=time.monotonic())
        return self.tally

    def _take(self) -> Batch | None:
        with self._lock:
            if self._next >= len(self.work) or self.halt.is_set():
                return None
            batch = self.work[self._next]
            self._next += 1
            due = self.started_at + self._events_due / self.rate if self.rate else 0
            self._events_due += batch.size
        if due:
            delay = due - time.monotonic()
            if delay > 0 and self.halt.wait(delay):
                return None
        return batch

    def _run(self) -> None:
        session = requests.Session()
        while (batch := self._take()) is not None:
            try:
                self._deliver(session, batch)
            except Exception as exc:  # noted, never silent
                with self._lock:
                    self.tally.unexpected.append(f"{type(exc).__name__}: {exc}")

    def _deliver(self, session: requests.Session, batch: Batch) -> None:
        headers = {"Authorization": f"Bearer {self.keys[batch.source]}", "Content-Type": "application/json"}
        deadline, tally = time.monotonic() + self.retry_for, self.tally
        while time.monotonic() < deadline:
            try:
                answer = session.post(self.base + "/api/v1/events", data=batch.body, headers=headers, timeout=60)
            except requests.ConnectionError:
                with self._lock:
                    tally.refused += 1
                time.sleep(0.2)
                continue
            retry_after = answer.headers.get("Retry-After")
            with self._lock:
                tally.statuses[answer.status_code] += 1
                if answer.status_code == 202:
                    tally.accepted += answer.json()["accepted"]
                    tally.taken += batch.size
                    tally.taken_at.append(time.monotonic())
                    if self.keep:
                        tally.taken_bodies.append(batch.body)
                    return
                if answer.status_code == 503:
                    tally.unavailable_at.append(time.monotonic())
            if answer.status_code in (429, 503) and retry_after:
                time.sleep(float(retry_after))
                continue
            with self._lock:
                tally.unexpected.append(f"{answer.status_code} (Retry-After {retry_after}): {answer.text[:200]}")
            return
        with self._lock:
            tally.unexpected.append(f"a batch not taken within {self.retry_for:g} s")


# -- the two deployments ---------------------------------------------------------------------


def base_env(data_dir: Path, port_id: str, keys: dict[str, str], **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DP_")}
    env.update({"DP_DATA_DIR": str(data_dir), "DP_PORT_ID": port_id, "DP_CLOCK": "event",
                "DP_SNAPSHOT_SECONDS": "60", "DP_PARTNER_RATE_LIMIT": "1000000 per minute",
                "DP_PARTNER_KEYS": ",".join(f"{s}={k}" for s, k in keys.items()), **ACCESS_ENV, **extra})
    return env


class AllInOne:
    """`run.py --no-simulator`: one gunicorn worker doing everything, its embedded valkey-server."""

    def __init__(self, workdir: Path, port_id: str, keys: dict[str, str]):
        env = base_env(workdir, port_id, keys)
        self.service = ServiceProcess(workdir, port_id=port_id, extra_env=env)
        self.port_id = port_id

    def start(self) -> "AllInOne":
        self.service.start(timeout=120)
        return self

    @property
    def base(self) -> str:
        return self.service.base

    def replicas(self) -> list[str]:
        return [self.service.base]

    def head(self) -> str:
        import redis
        client = redis.Redis.from_url(read_record(self.service.data_dir)["url"])
        try:
            return client.xinfo_stream(PortKeys(self.port_id).events)["last-generated-id"].decode()
        finally:
            client.close()

    def groups(self) -> dict[str, list[int]]:
        tree = process_tree(self.service.process.pid)
        redis_pid = read_record(self.service.data_dir)["pid"]
        return {"valkey": [redis_pid], "service": [pid for pid in tree if pid != redis_pid]}

    def stop(self) -> None:
        self.service.close()


class StackSet:
    """The set behind nginx: `web` replicas, `ingest` workers, a cluster of `shards` (0: one server)."""

    def __init__(self, workdir: Path, port_id: str, keys: dict[str, str], *, web: int = 2, ingest: int = 2,
                 shards: int = 3):
        env = base_env(workdir, port_id, keys)
        config = Config.from_env(env).replace(http_port=free_port())
        self.stack = Stack(config, web=web, ingest=ingest, shards=shards, simulator=False, env=env,
                           folder=workdir / "stack")
        self.port_id = port_id

    def start(self) -> "StackSet":
        self.stack.start()
        return self

    @property
    def base(self) -> str:
        return self.stack.base

    def replicas(self) -> list[str]:
        return [f"http://{w.address}" for w in self.stack.web]

    def head(self) -> str:
        client = connect(self.stack.redis_url, cluster=self.stack.cluster, timeout=10)
        try:
            return client.xinfo_stream(PortKeys(self.port_id).events)["last-generated-id"].decode()
        finally:
            client.close()

    def groups(self) -> dict[str, list[int]]:
        stack = self.stack
        found = {w.name: w.pids() for w in stack.workers}
        found["nginx"] = stack.nginx.pids()
        found["valkey"] = stack._redis_pids()
        return found

    def stop(self) -> None:
        self.stack.stop()


def health(base: str) -> dict | None:
    try:
        return requests.get(base + "/healthz", timeout=5).json()
    except (requests.RequestException, ValueError):
        return None


def wait_applied(target, timeout: float = 600) -> float:
    """Until every web replica stands at the log's head → monotonic time it did."""
    head = target.head()
    wait_for(lambda: all((h := health(base)) and h["last_stream_id"] == head for base in target.replicas()),
             timeout=timeout, interval=0.2, what=f"every replica at the log's head {head}")
    return time.monotonic()


# -- where the CPU goes ---------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


class CpuMeter:
    """CPU seconds of each group of processes (and this process) between start() and stop()."""

    def __init__(self, groups: dict[str, list[int]]):
        self.groups = groups

    def start(self) -> "CpuMeter":
        self.began = time.monotonic()
        self.first = {name: cpu_seconds(pids) for name, pids in self.groups.items()}
        self.own = os.times()
        return self

    def stop(self) -> dict:
        seconds = time.monotonic() - self.began
        shares = {name: round((cpu_seconds(pids) - self.first[name]) / seconds, 2) for name, pids in self.groups.items()}
        own = os.times()
        shares["load generator (this process)"] = round((own.user + own.system - self.own.user - self.own.system) / seconds, 2)
        children = own.children_user + own.children_system - self.own.children_user - self.own.children_system
        if children > 0.05 * seconds:  # a child this process waited for meanwhile: locust
            shares["locust (and py-spy)"] = round(children / seconds, 2)
        shares["all (cores busy)"] = round(sum(shares.values()), 2)
        return shares


def py_spy(pid: int, seconds: int, out: Path) -> subprocess.Popen:
    spy = ROOT / ".venv" / "bin" / "py-spy"
    return subprocess.Popen([str(spy), "record", "-p", str(pid), "-d", str(seconds), "-f", "raw", "-o", str(out),
                             "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def spy_summary(path: Path, top: int = 8) -> dict:
    """From py-spy's raw (collapsed) stacks: the functions most often on top of a stack."""
    own: Counter = Counter()
    total = 0
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        total += int(count)
        leaf = stack.split(";")[-1]
        own[leaf.split(" (")[0] + " (" + leaf.split(" (")[-1].split(":")[0].rsplit("/", 1)[-1]] += int(count)
    return {"samples": total, "top": {name: round(n / total, 3) for name, n in own.most_common(top)}}
