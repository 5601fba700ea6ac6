"""The demo in the running service: a living port within seconds, controlled over HTTP, from the
shell (`run.py simulate`) and reset without touching live data."""

from __future__ import annotations

import subprocess
import sys

import redis
import requests

from dashboard.state.port import PortState
from feeds.keys import PortKeys
from feeds.publisher import Publisher
from tests.helpers import gate_event, log_in, read_auth, wait_for
from tests.process import ROOT

DEMO_ENV = {"DP_DEMO_BOXES_PER_DAY": "3000"}


def status(service) -> dict:
    return requests.get(service.base + "/api/v1/demo", headers=read_auth(), timeout=10).json()


def read(service, path: str) -> dict:
    return requests.get(service.base + path, headers=read_auth(), timeout=10).json()


MANAGERS: dict[str, requests.Session] = {}  # service address → a logged-in session


def manager(service) -> requests.Session:
    """A manager's session (one login per service): the demo's commands are theirs."""
    if service.base not in MANAGERS:
        session = requests.Session()
        answer = log_in(session, service.base)
        assert [r.status_code for r in answer.history] == [302], answer.text[:200]  # logged in: sent on
        MANAGERS[service.base] = session
    return MANAGERS[service.base]


def command(service, **body) -> requests.Response:
    return manager(service).post(service.base + "/api/v1/demo", json=body, timeout=30)


def test_default_service_runs_the_demo_and_shows_a_living_port(tmp_path, start_service):
    service = start_service(tmp_path, args=(), extra_env=DEMO_ENV)
    wait_for(lambda: service.health()["events_applied"] > 1000, timeout=60, what="demo events applied")
    health = service.health()
    assert health["port_id"] == "demo" and health["clock"] == "event"
    assert health["demo"]["scenario"] == "normal" and health["demo"]["speed"] == 60
    wait_for(lambda: read(service, "/api/v1/vessels")["count"] > 0,
             timeout=60, what="vessels in the read API")
    kpis = read(service, "/api/v1/kpis")
    assert kpis["containers"]["in_port"] > 0


def test_pause_stops_the_feed_and_resume_starts_it_again(tmp_path, start_service):
    service = start_service(tmp_path, args=(), extra_env=DEMO_ENV)
    wait_for(lambda: not status(service)["warming_up"], timeout=90, what="the warm-up to finish")
    assert command(service, action="pause").json()["paused"] is True
    published = status(service)["events_published"]
    wait_for(lambda: service.health()["lag"] == 0, what="the consumer to catch up")
    assert status(service)["events_published"] == published
    assert command(service, action="resume").json()["paused"] is False
    before = status(service)["port_time"]
    assert command(service, action="jump", hours=2).status_code == 200
    wait_for(lambda: status(service)["port_time"] > before, what="port time to move on")


def test_bad_commands_get_400_with_the_reason(tmp_path, start_service):
    service = start_service(tmp_path, args=(), extra_env=DEMO_ENV)
    assert command(service, action="fly").status_code == 400
    response = command(service, action="start", scenario="volcano")
    assert response.status_code == 400 and "normal" in response.json()["message"]
    assert command(service, action="speed", speed=100000).status_code == 400


def test_shell_command_drives_the_running_demo(tmp_path, start_service):
    service = start_service(tmp_path, args=(), extra_env=DEMO_ENV)
    env = {**service.env}
    result = subprocess.run([sys.executable, "run.py", "simulate", "--scenario", "typhoon", "--speed", "600"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    wait_for(lambda: status(service)["scenario"] == "typhoon" and status(service)["speed"] == 600,
             timeout=30, what="the demo to switch to the typhoon at ×600")


def test_reset_clears_the_demo_namespace_alone_and_the_state(tmp_path, start_service):
    service = start_service(tmp_path, args=(), extra_env=DEMO_ENV)
    live = Publisher(redis.Redis.from_url(service.redis_record()["url"]), "xiamen")
    live.publish([gate_event(1)])
    wait_for(lambda: service.health()["events_applied"] > 100, timeout=60, what="demo events applied")
    assert command(service, action="reset").json()["running"] is False
    wait_for(lambda: service.health()["events_applied"] == 0, what="an empty state after the reset")
    assert read(service, "/api/v1/vessels")["count"] == 0
    assert live.client.xlen(PortKeys("xiamen").events) == 1, "live data must survive a demo reset"
    # left: the new generation (other replicas follow it), the jobs' leases (taken again at once),
    # the organisations, accounts, watchlists and channels (a reset wipes data, never people), and at most the
    # empty state's snapshot
    kept = {key.encode() for key in PortKeys("demo").directory() + PortKeys("demo").notify()}
    left = set(live.client.keys("dp:{demo}:*")) - {b"dp:{demo}:snapshot", b"dp:{demo}:generation"} - kept
    assert all(key.startswith((b"dp:{demo}:snapshot:", b"dp:{demo}:lease:")) for key in left), left
    snapshot = live.client.hgetall("dp:{demo}:snapshot")
    if snapshot:
        chunks = b"".join(live.client.get(f"dp:{{demo}}:snapshot:{snapshot[b'generation'].decode()}:{i}")
                          for i in range(int(snapshot[b"chunks"])))
        assert PortState.from_snapshot(chunks).applied == 0, "a snapshot of the old demo survived the reset"


WHATIF_ENV = {**DEMO_ENV, "DP_DEMO_REPORT": str(ROOT / "tests" / "data" / "whatif-report.json")}


def test_start_with_measures_and_a_wrong_measure_is_a_400_naming_it(tmp_path, start_service):
    service = start_service(tmp_path, args=(), extra_env=WHATIF_ENV)
    assert status(service)["measures"] == sorted(["early_declaration", "paperless_declaration", "boarding_appointment",
                                                  "appointment_free_inspection", "smart_diversion"])  # normal's own
    answer = command(service, action="start", scenario="typhoon", speed=600,
                     measures=["smart_diversion", "appointment_free_inspection"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["measures"] == ["appointment_free_inspection", "smart_diversion"]
    wait_for(lambda: status(service)["events_published"] > 0, timeout=60, what="the run with two measures to publish")
    refused = command(service, action="start", scenario="normal", measures=["smart_diversion", "teleport"])
    assert refused.status_code == 400 and "teleport" in refused.json()["message"]
    assert command(service, action="start", measures="smart_diversion").status_code == 400  # a list, not a string
    now = status(service)  # the run goes on as it was
    assert (now["scenario"], now["speed"], now["running"]) == ("typhoon", 600, True)
    assert now["measures"] == ["appointment_free_inspection", "smart_diversion"]
    assert service.health()["demo"]["measures"] == now["measures"]


def test_shell_measures_drive_the_running_demo_and_a_wrong_one_is_named(tmp_path, start_service):
    wrong = subprocess.run([sys.executable, "run.py", "simulate", "--measures", "early_declaration,teleport"],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "teleport" in wrong.stderr
    service = start_service(tmp_path, args=(), extra_env=WHATIF_ENV)
    result = subprocess.run([sys.executable, "run.py", "simulate", "--scenario", "normal", "--measures",
                             "early_declaration,boarding_appointment"],
                            cwd=ROOT, env={**service.env}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    wait_for(lambda: status(service)["measures"] == ["boarding_appointment", "early_declaration"],
             timeout=30, what="the demo to restart with two measures")
