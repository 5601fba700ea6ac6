"""Deliveries across a restart of the real service (`run.py`, a child process) while events flow
and callbacks are under way: stopped (SIGTERM), nothing is lost and nothing is sent twice; killed
(SIGKILL), nothing is lost, and what is sent again is only what was in flight (docs/dcsa.md)."""

from __future__ import annotations

import base64
import signal
import threading
import time

import pytest
import redis
import requests

from feeds.dcsa_out import event_uuid
from feeds.delivery_batches import BATCH_EVENTS
from feeds.publisher import Publisher
from tests.callback_receiver import CallbackReceiver
from tests.helpers import container_number, gate_event, read_auth, wait_for

SECRET = base64.b64encode(b"the restart test's own secret 32").decode()
EVENTS = 1500


@pytest.fixture
def receiver():
    receiver = CallbackReceiver().start()
    receiver.delay = 0.02  # a callback takes a while: a stop finds some under way
    yield receiver
    receiver.stop()


class Writer(threading.Thread):
    """Publishes EVENTS events of a few boxes, 15 at a time, straight into the log (as ingest
    does) and keeps their eventIDs in log order."""

    def __init__(self, redis_url: str, port_id: str):
        super().__init__(name="writer", daemon=True)
        self.client = redis.Redis.from_url(redis_url)
        self.publisher = Publisher(self.client, port_id)
        self.published: list[str] = []

    def run(self) -> None:
        for start in range(0, EVENTS, 15):
            events = [gate_event(n, id=f"r-{n}", container=container_number(n % 7)) for n in range(start, start + 15)]
            ids = self.publisher.publish(events)
            self.published += [event_uuid(e["source"], e["id"], sid) for e, sid in zip(events, ids)]
            time.sleep(0.03)  # about 450 events a second, for about 3 s: the restart falls inside
        self.client.close()


def subscribe(base: str, receiver: CallbackReceiver, path: str, **filters) -> str:
    answer = requests.post(base + "/v2/event-subscriptions", headers=read_auth(), timeout=10,
                           json={"callbackUrl": receiver.url(path), "secret": SECRET, **filters})
    assert answer.status_code == 201, answer.text
    receiver.secrets[answer.json()["subscriptionID"]] = SECRET
    return answer.json()["subscriptionID"]


def run_with_restart(tmp_path, redis_url, port_id, start_service, receiver, signum) -> tuple[list[str], dict]:
    env = {"DP_CALLBACK_HOSTS": "127.0.0.1"}
    service = start_service(tmp_path, redis_url=redis_url, port_id=port_id, extra_env=env)
    subs = {"all": subscribe(service.base, receiver, "/all"),
            "one-box": subscribe(service.base, receiver, "/box", equipmentReference=container_number(3))}
    writer = Writer(redis_url, port_id)
    writer.start()
    wait_for(lambda: len(receiver.events(subs["all"])) > 200, what="deliveries flowing")
    service.signal(signum)
    down_at = len(receiver.events(subs["all"]))
    start_service(tmp_path, redis_url=redis_url, port_id=port_id, extra_env=env, http_port=service.http_port)
    writer.join(60)
    assert down_at < EVENTS, "the restart came after every event was delivered: it proves nothing"
    wait_for(lambda: len(set(e["eventID"] for e in receiver.events(subs["all"]))) == EVENTS, timeout=60,
             what="every event delivered after the restart")
    wait_for(lambda: len(set(e["eventID"] for e in receiver.events(subs["one-box"]))) == len(writer.published[3::7]),
             timeout=30, what="the one box's events")
    assert receiver.refused == []
    return writer.published, {name: [e["eventID"] for e in receiver.events(sid)] for name, sid in subs.items()}


def test_a_stopped_service_loses_no_delivery_and_sends_none_twice(tmp_path, redis_url, port_id, start_service,
                                                                   receiver):
    published, delivered = run_with_restart(tmp_path, redis_url, port_id, start_service, receiver, signal.SIGTERM)
    assert delivered["all"] == published  # each once, in the log's order
    assert delivered["one-box"] == published[3::7]


def test_a_killed_service_loses_no_delivery_and_resends_only_what_was_in_flight(tmp_path, redis_url, port_id,
                                                                                 start_service, receiver):
    published, delivered = run_with_restart(tmp_path, redis_url, port_id, start_service, receiver, signal.SIGKILL)
    for name, expected in (("all", published), ("one-box", published[3::7])):
        got = delivered[name]
        assert list(dict.fromkeys(got)) == expected, f"{name}: lost or out of order"
        # the one window: a callback answered 2xx just before the kill, not yet recorded, sent again
        assert len(got) - len(expected) <= BATCH_EVENTS, f"{name}: more than one delivery sent again"
