"""kill -9 at any moment, then a restart: exactly the state that applying the whole log once gives."""

from __future__ import annotations

import random
import signal
import threading
import time

import orjson
import redis
import requests

from bench.fault_kit import simulator_feed
from dashboard.state.port import PortState
from feeds.events import validate_event
from feeds.keys import PortKeys
from feeds.profile import load_profile
from feeds.publisher import Publisher
from tests.helpers import read_auth, wait_for


def reference_state(client: redis.Redis, port_id: str) -> PortState:
    """The whole log applied once, in order, by a fresh state."""
    state = PortState(load_profile("xiamen"))
    for stream_id, fields in client.xrange(PortKeys(port_id).events):
        event, problems = validate_event(orjson.loads(fields[b"event"]), allow_ticks=True)
        state.apply_entries([(stream_id.decode(), event)])
    return state


def comparable(kpis: dict) -> dict:
    """Feed health is about arrival, not about the port: everything else must match."""
    return orjson.loads(orjson.dumps({k: v for k, v in kpis.items() if k != "feeds"}))


def test_kill_9_at_random_moments_then_restart_gives_the_state_of_the_whole_log(
        redis_url, port_id, tmp_path, start_service):
    # The simulator's warm-up (two days) at 2,000 boxes a day, about 30,000 events: ships berthed
    # and gone, boxes discharged, loaded, inspected and trucked out, others still on their way.
    events = simulator_feed(days=0, seed=7, boxes_per_day=2000)
    kinds = {e["type"] for e in events}
    assert {"vessel.berthed", "container.discharged", "container.loaded", "gate.out"} <= kinds, kinds
    client = redis.Redis.from_url(redis_url)
    publisher = Publisher(client, port_id)
    env = {"DP_CLOCK": "event", "DP_SNAPSHOT_SECONDS": "1"}
    service = start_service(tmp_path, redis_url=redis_url, port_id=port_id, extra_env=env)

    def publish_all():
        for start in range(0, len(events), 200):
            publisher.publish(events[start:start + 200])
            time.sleep(0.02)

    writer = threading.Thread(target=publish_all)
    writer.start()
    chooser = random.Random(11)
    killed_mid_feed = []
    for _ in range(3):  # three crashes, each at a random moment
        time.sleep(chooser.uniform(0.2, 1.2))
        killed_mid_feed.append(writer.is_alive())
        service.signal(signal.SIGKILL)
        service = start_service(tmp_path, redis_url=redis_url, port_id=port_id, extra_env=env)
    writer.join()
    assert killed_mid_feed[0], "the first crash should come while events are still arriving"
    wait_for(lambda: service.health()["events_applied"] == len(events), timeout=90, what="every event applied")
    health = service.health()
    assert health["duplicates_in_log"] == 0 and health["lag"] == 0

    reference = reference_state(client, port_id)
    now = reference.clock_now()
    served = requests.get(service.base + "/api/v1/kpis", headers=read_auth(), timeout=30).json()
    assert comparable(served) == comparable(reference.kpis(now))
    for number in sorted({e["container"] for e in events if "container" in e})[::37]:
        served_box = requests.get(f"{service.base}/api/v1/containers/{number}", headers=read_auth(),
                                  timeout=30).json()
        assert served_box == orjson.loads(orjson.dumps(reference.container(number, now))), number
    for imo in sorted({e["vessel"] for e in events if e["type"] == "vessel.berthed"}):
        served_call = requests.get(f"{service.base}/api/v1/vessels/{imo}", headers=read_auth(),
                                   timeout=30).json()
        expected = reference.vessel(imo, now)
        by_number = sorted(served_call.pop("boxes"), key=lambda b: (b["number"], b["since"] or ""))
        assert by_number == orjson.loads(orjson.dumps(expected.pop("boxes"))), imo  # API: late first
        assert served_call == orjson.loads(orjson.dumps(expected)), imo
