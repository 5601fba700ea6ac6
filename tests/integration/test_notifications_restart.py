"""The outbox across restarts of the real service (`run.py`, a child process): killed while the
receiver is down, or stopped while it is slow, nothing is lost, and no notice a receiver answered
2xx for is delivered to it again (docs/notifications.md, "The outbox")."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest
import redis

from dashboard.notify.channels import ChannelStore
from dashboard.notify.outbox import Outbox
from dashboard.notify.watches import WatchStore
from dashboard.orgs import Directory
from feeds.publisher import Publisher
from feeds.subscriptions import CallbackPolicy
from tests.helpers import container_number, wait_for
from tests.integration.notify_scenario import WEBHOOK_SECRET, discharge, release

BOXES = 30  # two notices each: released, ready for pickup
ENV = {"DP_CALLBACK_HOSTS": "127.0.0.1", "DP_NOTIFY_RETRY_MS": "100", "DP_NOTIFY_LOG_SIZE": "5000"}


@pytest.fixture
def port(redis_url, port_id, http):
    """The fleet, its user li watching everything the fleet is a party of, and its webhook."""
    client = redis.Redis.from_url(redis_url)
    directory = Directory(client, port_id)
    directory.add_org("fleet", "Fleet", "trucking")
    directory.add_account("li", "fleet", "a-long-password-1")
    WatchStore(client, port_id).add("li", "org:*")
    ChannelStore(client, port_id, CallbackPolicy(("127.0.0.1",))).add(
        "fleet", {"kind": "webhook", "url": http.url("/hook"), "secret": WEBHOOK_SECRET})
    yield client
    client.close()


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's reaping may lag)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def publish_boxes(client, port_id: str) -> None:
    publisher = Publisher(client, port_id)
    for n in range(BOXES):
        number = container_number(500 + n, owner="FLT")
        publisher.publish([discharge(number, n, {"trucking": "fleet"})])
        publisher.publish([release(number, n)])


def delivered_ids(http) -> Counter:
    """Notice id → how many times it was answered 2xx (the boxes', and the call's delay: its
    boxes are late by now, and the fleet watches all it is a party of)."""
    return Counter(r.headers["X-PortPulse-Notice"] for r in http.at("/hook"))


def box_notices(http) -> set[str]:
    return {r.headers["X-PortPulse-Notice"] for r in http.at("/hook")
            if r.json()["notices"][0]["subject"]["kind"] == "box"}


def logged_deliveries(client, port_id: str) -> int:
    return sum(r["outcome"] == "delivered" for r in Outbox(client, port_id).log("fleet", 1000))


def test_a_kill_while_the_receiver_is_down_loses_nothing_and_repeats_nothing(
        start_service, tmp_path, redis_url, port_id, http, port):
    service = start_service(tmp_path / "svc", redis_url=redis_url, port_id=port_id, extra_env=ENV)
    http.delay = 0.05
    publish_boxes(port, port_id)
    wait_for(lambda: len(http.at("/hook")) >= 10, timeout=30, what="some notices delivered")
    http.failures["/hook"] = 10**6  # the receiver goes down: 500 to everything
    wait_for(lambda: len(http.requests) > len(http.delivered), timeout=30, what="a failure seen")
    # every 2xx the receiver gave is on the record before the kill: what is in flight now fails
    wait_for(lambda: logged_deliveries(port, port_id) == len(http.at("/hook")), timeout=30, what="2xx recorded")
    assert len(box_notices(http)) < 2 * BOXES, "everything was delivered before the kill: it proves nothing"
    worker = service.worker_pid()
    service.signal(signal.SIGKILL)
    wait_for(lambda: not running(worker), what="the killed service's worker gone")  # it dies with its parent
    # what the dead process had sent is answered 500 too (its sender is gone), then the receiver is back
    wait_for(lambda: http.in_flight == 0, what="the dead sender's requests answered")
    http.failures["/hook"] = 0
    start_service(tmp_path / "svc", redis_url=redis_url, port_id=port_id, extra_env=ENV, http_port=service.http_port)
    wait_for(lambda: len(box_notices(http)) == 2 * BOXES, timeout=60, what="every notice delivered")
    assert set(delivered_ids(http).values()) == {1}
    wait_for(lambda: Outbox(port, port_id).depth() == 0, what="the outbox empty")


def test_a_stop_while_the_receiver_is_slow_finishes_what_is_under_way(
        start_service, tmp_path, redis_url, port_id, http, port):
    service = start_service(tmp_path / "svc", redis_url=redis_url, port_id=port_id, extra_env=ENV)
    http.delay = 0.2
    publish_boxes(port, port_id)
    wait_for(lambda: len(http.at("/hook")) >= 5, timeout=30, what="some notices delivered")
    assert service.signal(signal.SIGTERM) == 0
    start_service(tmp_path / "svc", redis_url=redis_url, port_id=port_id, extra_env=ENV, http_port=service.http_port)
    wait_for(lambda: len(box_notices(http)) == 2 * BOXES, timeout=60, what="every notice delivered")
    assert set(delivered_ids(http).values()) == {1}
