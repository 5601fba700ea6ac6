"""A rolling restart of the set behind nginx (dashboard/stack.py): every web replica and every
ingest worker restarted in turn while partners send and walls are open.

- partners see only 202, or 503/429 with Retry-After (then wait and send again), or a refused
  connection (then send again): never a lost answer;
- every event that got a 202 is in the log once and applied once on every web replica;
- every wall (a Socket.IO client through nginx with a page's cookies and transports, never
  reconnected by hand) ends on the latest update, having ridden through its replica's restart;
- every process the test started is gone after it.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
import redis
import requests
import socketio

from dashboard.stack import Stack
from feeds.keys import PortKeys
from tests.helpers import PARTNER_KEYS, WALL_TOKEN, wait_for
from tests.stack_kit import Partner, assert_all_gone, nginx, partners_set  # noqa: F401  (nginx: a fixture)

WALLS = 4
RETRY_FOR = 30.0  # a partner gives one batch this long to be taken


class Wall:
    """A wall screen through nginx: the display token's session and nginx's routing cookie, the
    page's transports (polling, then the websocket upgrade: both must reach one replica), and the
    page's own reconnecting; the latest update of the newest process it heard from."""

    def __init__(self, base: str):
        self.session = requests.Session()
        self.session.get(f"{base}/?token={WALL_TOKEN}", allow_redirects=False, timeout=10)
        assert {"portpulse", "pp_route"} <= set(self.session.cookies.keys()), self.session.cookies.keys()
        self.fast: dict | None = None
        self.epochs: list[str] = []
        self.client = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1.0,
                                      http_session=self.session)
        self.client.on("fast", self._on_fast)
        self.client.connect(f"{base}?lang=en", wait_timeout=15)

    def _on_fast(self, payload: dict) -> None:
        if payload["epoch"] not in self.epochs:
            self.epochs.append(payload["epoch"])
        if self.fast is None or payload["epoch"] != self.fast["epoch"] or payload["seq"] >= self.fast["seq"]:
            self.fast = payload

    def position(self) -> str | None:
        return self.fast["position"] if self.fast else None


@pytest.fixture
def running_set(tmp_path, redis_url, port_id, nginx):
    with partners_set(tmp_path, port_id, shards=0, redis_url=redis_url) as stack:
        yield stack


def test_rolling_restart_behind_nginx_loses_nothing_counts_nothing_twice_and_keeps_every_wall_current(
        running_set, redis_url, port_id):
    stack, started = running_set, time.monotonic()
    pids, walls = set(stack.pids()), []
    partners = [Partner(stack.base, source, owner, retry_for=RETRY_FOR)
                for source, owner in zip(PARTNER_KEYS, ("AAA", "BBB", "CCC"))]
    try:
        walls = [Wall(stack.base) for _ in range(WALLS)]
        took = restart_each_while_partners_send(stack, partners, pids)
        check_partners(partners)
        head = check_applied_once(stack, redis_url, port_id, partners)
        try:
            wait_for(lambda: all(wall.position() == head for wall in walls), timeout=20, interval=0.1,
                     what="every wall to show the latest update")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: the head is {head}, the walls show {[w.position() for w in walls]}") from None
        assert all(len(wall.epochs) >= 2 for wall in walls), \
            f"every wall should have moved on from a restarted replica: {[w.epochs for w in walls]}"
    finally:
        for wall in walls:
            wall.client.disconnect()
    print(f"restarts (s): {took}; partners: {dict(sum((p.statuses for p in partners), Counter()))}, "
          f"refused {sum(p.refused for p in partners)}, {sum(len(p.acknowledged) for p in partners)} events; "
          f"walls saw {[len(w.epochs) for w in walls]} processes; {time.monotonic() - started:.1f} s")
    stack.stop()
    assert_all_gone(pids)


def restart_each_while_partners_send(stack: Stack, partners: list[Partner], pids: set[int]) -> dict:
    """Each web replica, then each ingest worker, one after the other → seconds each took."""
    took = {}
    try:
        for partner in partners:
            partner.start()
        for worker in [*stack.web, *stack.ingest]:
            time.sleep(1.0)
            began = time.monotonic()
            stack.restart(worker.name)
            took[worker.name] = round(time.monotonic() - began, 1)
            pids |= set(stack.pids())
        time.sleep(1.0)
    finally:
        for partner in partners:
            partner.halt.set()
        for partner in partners:
            if partner.is_alive():
                partner.join(RETRY_FOR + 20)
    return took


def check_partners(partners: list[Partner]) -> None:
    assert not any(p.is_alive() for p in partners), "a partner is still sending"
    unexpected = [item for p in partners for item in p.unexpected]
    assert not unexpected, f"partners got answers they cannot act on: {unexpected[:5]}"
    statuses = sum((p.statuses for p in partners), Counter())
    assert set(statuses) <= {202, 429, 503}, statuses
    assert all(p.acknowledged for p in partners), "a partner got nothing through"


def check_applied_once(stack: Stack, redis_url: str, port_id: str, partners: list[Partner]) -> str:
    """Every acknowledged event in the log once and applied once on every web replica → the head."""
    acknowledged = sum(len(p.acknowledged) for p in partners)
    client = redis.Redis.from_url(redis_url)
    events = PortKeys(port_id).events
    assert client.xlen(events) == acknowledged, "the log holds other than each acknowledged event once"
    head = client.xinfo_stream(events)["last-generated-id"].decode()

    def applied() -> list[dict | None]:
        return [worker.health() for worker in stack.web]
    wait_for(lambda: all(h and h["last_stream_id"] == head for h in applied()), timeout=20,
             what=f"every web replica to apply the log to its head {head}")
    for worker, health in zip(stack.web, applied()):
        assert health["events_applied"] == acknowledged, (worker.name, health["events_applied"], acknowledged)
        assert health["duplicates_in_log"] == 0, (worker.name, health)
    return head
