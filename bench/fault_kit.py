"""The rig of the reliability suite (bench/faults.py): a real embedded valkey-server, the real
service in front of it (optionally through bench/faultproxy.py), partners that feed it simulator
output over HTTP as real partners do (retrying on 503 and 429 as `Retry-After` says, with a few
bad events mixed in), and the one check every fault ends with.

The check: every valid event sent is in the log exactly once (none lost, none written twice);
the service has applied the whole log and its state is the state of the whole log applied once
by a fresh state (KPIs, a sample of boxes, every vessel, as the read API serves them); every
bad event is in the dead-letter log.
"""

from __future__ import annotations

import random
from dataclasses import replace
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import orjson
import redis
import requests

from dashboard.state.port import PortState
from feeds.embedded import EmbeddedRedis
from feeds.events import validate_event
from feeds.keys import PortKeys
from feeds.profile import load_profile
from simulator.generate import run_events, with_start
from simulator.scenario import load_scenario
from tests.helpers import read_auth, wait_for
from tests.process import ServiceProcess

BAD_EVERY = 97  # one event in this many is sent broken: it must land in the dead-letter log


def simulator_feed(days: float = 0.25, seed: int = 3, start: datetime | None = None,
                   boxes_per_day: int = 2000) -> list[dict]:
    """A bounded stream of the demo port's events (the simulator, offline, flat out): its two
    days of warm-up before `start`, then `days`."""
    normal = load_scenario("normal")  # thinned: every ship calls, with fewer boxes
    scenario = replace(with_start(normal, start), scale=boxes_per_day / normal.boxes_per_day)
    events = run_events(load_profile("xiamen"), scenario, days=days, seed=seed)
    return [event for event in events if event["type"] != "clock.tick"]


@dataclass
class Sent:
    valid: dict[tuple, dict] = field(default_factory=dict)  # (source, id) → event
    bad_ids: set[str] = field(default_factory=set)
    requests: int = 0
    retries: int = 0
    unavailable: int = 0  # 503 answers (the store away), each retried


class Rig:
    """One port: a valkey-server in `workdir`, the service, and a key for every partner."""

    def __init__(self, workdir: Path, *, env: dict | None = None, through=None):
        self.workdir = Path(workdir)
        self.port_id = "faults-" + uuid.uuid4().hex[:8]
        self.redis = EmbeddedRedis(self.workdir / "valkey")
        self.through = through  # a FaultProxy factory: (host, port) → proxy, or None
        self.proxy = None
        self.env = dict(env or {})
        self.service: ServiceProcess | None = None
        self.keys: dict[str, str] = {}

    def start(self, sources: set[str]) -> "Rig":
        url = self.redis.start()
        if self.through is not None:
            host, port = url.split("//")[1].split("/")[0].split(":")
            self.proxy = self.through(host, int(port))
            url = self.proxy.start()
        self.keys = {source: f"key-{uuid.uuid4().hex[:12]}" for source in sorted(sources)}
        self.env.setdefault("DP_SNAPSHOT_SECONDS", "2")  # the faults want many snapshots; the load, the default
        self.env.update({"DP_CLOCK": "event", "DP_PARTNER_RATE_LIMIT": "1000000 per minute",
                         "DP_PARTNER_KEYS": ",".join(f"{s}={k}" for s, k in self.keys.items())})
        self.service = ServiceProcess(self.workdir / "service", redis_url=url, port_id=self.port_id, extra_env=self.env)
        self.service.start(timeout=60)
        return self

    def restart_service(self) -> None:
        self.service.start(timeout=60)

    def client(self) -> redis.Redis:
        """A direct connection to the server (never through the proxy): the checker's own view."""
        return redis.Redis.from_url(self.redis.url, socket_timeout=10)

    def close(self) -> None:
        if self.service is not None:
            self.service.close()
        if self.proxy is not None:
            self.proxy.stop()
        self.redis.stop()


class Partners:
    """Partners posting `events` in batches, in a thread; broken events are mixed in."""

    def __init__(self, rig: Rig, events: list[dict], *, batch: int = 200, pause: float = 0.02, seed: int = 1):
        self.rig, self.batch, self.pause = rig, batch, pause
        self.sent = Sent()
        self._events = self._with_bad(events, random.Random(seed))
        self._thread = threading.Thread(target=self._run, name="partners", daemon=True)
        self.error: Exception | None = None

    def _with_bad(self, events: list[dict], rng: random.Random) -> list[dict]:
        mixed = []
        for n, event in enumerate(events):
            if n % BAD_EVERY == BAD_EVERY - 1:
                bad = {**event, "id": f"bad-{n}", "container": "NOT-A-BOX", "type": "gate.in",
                       "direction": rng.choice(["import", "export"])}
                mixed.append(bad)
                self.sent.bad_ids.add(bad["id"])
            mixed.append(event)
            self.sent.valid[(event["source"], event["id"])] = event
        return mixed

    def start(self) -> "Partners":
        self._thread.start()
        return self

    def join(self, timeout: float = 900) -> Sent:
        self._thread.join(timeout)
        if self.error:
            raise self.error
        return self.sent

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            by_source: dict[str, list[dict]] = {}
            for event in self._events:
                by_source.setdefault(event["source"], []).append(event)
                if len(by_source[event["source"]]) == self.batch:
                    self._post(event["source"], by_source.pop(event["source"]))
            for source, batch in by_source.items():
                self._post(source, batch)
        except Exception as exc:  # surfaced by join()
            self.error = exc

    def _post(self, source: str, batch: list[dict]) -> None:
        """As a partner does: until the service took it, waiting as Retry-After says."""
        headers = {"Authorization": f"Bearer {self.rig.keys[source]}"}
        while True:
            self.sent.requests += 1
            try:
                answer = requests.post(self.rig.service.base + "/api/v1/events", json=batch, headers=headers, timeout=30)
            except requests.RequestException:  # the service is down (killed): try again
                self.sent.retries += 1
                time.sleep(0.2)
                continue
            if answer.status_code in (429, 503):
                self.sent.unavailable += answer.status_code == 503
                self.sent.retries += 1
                time.sleep(min(float(answer.headers.get("Retry-After", "1")), 2.0))
                continue
            if answer.status_code != 202:
                raise AssertionError(f"{answer.status_code}: {answer.text[:300]}")
            time.sleep(self.pause)
            return


@dataclass
class Verdict:
    events_in: int
    applied: int
    lost: int
    written_twice: int
    counted_twice: int
    bad_in: int
    bad_dead_lettered: int
    state_matches: bool
    recover_seconds: float | None = None

    @property
    def ok(self) -> bool:
        return (self.lost == 0 and self.written_twice == 0 and self.counted_twice == 0 and self.state_matches
                and self.bad_dead_lettered == self.bad_in)


def check(rig: Rig, sent: Sent, timeout: float = 300) -> Verdict:
    """The end of every fault: the log, the service's state and the dead-letter log."""
    client = rig.client()
    entries = client.xrange(PortKeys(rig.port_id).events)
    in_log = [orjson.loads(fields[b"event"]) for _, fields in entries]
    keys = [(event["source"], event["id"]) for event in in_log]
    wait_for(lambda: rig.service.health()["events_applied"] + rig.service.health()["duplicates_in_log"] >= len(in_log),
             timeout=timeout, what="the service to apply the whole log")
    health = rig.service.health()
    reference = reference_state(entries)
    letters = b"".join(fields.get(b"raw", b"") for _, fields in client.xrange(PortKeys(rig.port_id).deadletter))
    return Verdict(events_in=len(sent.valid), applied=health["events_applied"],
                   lost=len(set(sent.valid) - set(keys)), written_twice=len(keys) - len(set(keys)),
                   counted_twice=health["events_applied"] - len(set(keys)), bad_in=len(sent.bad_ids),
                   bad_dead_lettered=sum(1 for bad in sent.bad_ids if f'"{bad}"'.encode() in letters),
                   state_matches=served_state_matches(rig, reference, in_log))


def reference_state(entries: list) -> PortState:
    """The whole log applied once, in order, by a fresh state."""
    state = PortState(load_profile("xiamen"))
    for stream_id, fields in entries:
        event, _ = validate_event(orjson.loads(fields[b"event"]), allow_ticks=True)
        state.apply_entries([(stream_id.decode(), event)])
    return state


def _json(value) -> object:
    return orjson.loads(orjson.dumps(value))


def served_state_matches(rig: Rig, reference: PortState, in_log: list[dict], sample: int = 40) -> bool:
    """KPIs (feed health aside: it is about arrival), a sample of boxes and every vessel."""
    base, now = rig.service.base, reference.clock_now()

    def get(path: str) -> dict:
        return requests.get(base + path, headers=read_auth(), timeout=60).json()

    served = {k: v for k, v in get("/api/v1/kpis").items() if k != "feeds"}
    if served != _json({k: v for k, v in reference.kpis(now).items() if k != "feeds"}):
        return False
    numbers = sorted({e["container"] for e in in_log if e.get("container")})
    for number in numbers[::max(1, len(numbers) // sample)]:
        if get(f"/api/v1/containers/{number}") != _json(reference.container(number, now)):
            return False
    for imo in sorted({e["vessel"] for e in in_log if e["type"].startswith("vessel.")}):
        served_call, expected = get(f"/api/v1/vessels/{imo}"), reference.vessel(imo, now)
        boxes = sorted(served_call.pop("boxes"), key=lambda b: (b["number"], b["since"] or ""))
        if boxes != _json(expected.pop("boxes")) or served_call != _json(expected):
            return False
    return True
