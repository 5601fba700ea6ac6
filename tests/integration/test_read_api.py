"""The read API over the Flask test client, on a real Redis: KPIs, history, vessels, boxes."""

from __future__ import annotations

import time

import pytest

from dashboard.app import service_of
from tests.helpers import BASE_TIME, container_number, read_auth, wait_for

VESSEL = "9321483"


def at(hours: float) -> str:
    from datetime import timedelta
    return (BASE_TIME + timedelta(hours=hours)).isoformat()


def story() -> list[dict]:
    """One call, three import boxes: two gated out (3 h and 5 h after berthing; the call has no
    vessel.arrived, so their clearance runs from the berthing), one waiting."""
    terminal = {"source": "terminal.haitian", "vessel": VESSEL, "voyage": "001E"}
    events = [
        {"id": "eta", "type": "vessel.eta", "time": at(-24), "classifier": "estimated",
         "data": {"eta": at(0), "name": "Emma Maersk", "berth": "HT-1"}, **terminal},
        {"id": "berth", "type": "vessel.berthed", "time": at(1), "data": {"berth": "HT-1", "terminal": "haitian"},
         **terminal},
    ]
    for n, out in ((1, 4), (2, 6), (3, None)):
        box = {"container": container_number(n), "direction": "import"}
        events.append({"id": f"disc-{n}", "type": "container.discharged", "time": at(2),
                       "data": {"to": "direct"}, **terminal, **box})
        events.append({"id": f"rel-{n}", "type": "customs.released", "time": at(2.5),
                       "source": "customs.xiamen", **box})
        if out:
            events.append({"id": f"out-{n}", "type": "gate.out", "time": at(out), "source": "trucking.x", **box})
    return events


def publish_story(app) -> None:
    svc = service_of(app)
    svc.publisher.publish(story())
    wait_for(lambda: svc.store.state.applied == len(story()), what="the story applied")


@pytest.fixture
def config(config):
    return config.replace(clock="event")  # the port clock is the latest event: exact figures


@pytest.fixture
def reader(client):
    """A reader's client: every request carries the read key."""
    client.environ_base["HTTP_AUTHORIZATION"] = read_auth()["Authorization"]
    return client


def test_kpis_give_exact_clearance_and_counts(app, reader):
    publish_story(app)
    body = reader.get("/api/v1/kpis").json
    assert body["now"] == at(6)
    assert body["clearance_hours"]["import"] == {
        "median": 4.0, "p90": pytest.approx(4.8), "mean": 4.0, "n": 2, "baseline": None, "change_pct": None,
        "baseline_window": {"from": at(6 - 8 * 24), "to": at(6 - 24), "n": 0, "min_n": 30}}
    assert body["vessels"]["at_berth"] == 1
    assert body["containers"]["import"]["awaiting_pickup"] == 1
    assert body["containers"]["import"]["gated_out"] == 2
    assert body["gate_lifts_last_hour"] == {"in": 0, "out": 1}
    assert body["feeds"]["trucking.x"]["events"] == 2


def test_vessel_list_and_delayed_filter(app, reader):
    publish_story(app)
    rows = reader.get("/api/v1/vessels").json["vessels"]
    assert [(r["imo"], r["status"], r["delayed"]) for r in rows] == [(VESSEL, "at_berth", False)]
    assert reader.get("/api/v1/vessels?delayed=1").json == {"vessels": [], "count": 0}


def test_vessel_detail_lists_its_boxes_late_ones_first(app, reader):
    publish_story(app)
    body = reader.get(f"/api/v1/vessels/{VESSEL}").json
    assert body["name"] == "Emma Maersk" and body["berth"] == "HT-1"
    assert body["progress"]["discharged"] == 3
    assert [b["number"] for b in body["boxes"]] == [container_number(n) for n in (1, 2, 3)]


def test_unknown_vessel_is_404_and_malformed_imo_400(reader):
    assert reader.get("/api/v1/vessels/1234567").status_code == 404
    response = reader.get("/api/v1/vessels/1234568")
    assert response.status_code == 400 and "check digit" in response.json["message"]


def test_container_timeline_in_time_order_with_stage_and_owner(app, reader):
    publish_story(app)
    body = reader.get(f"/api/v1/containers/{container_number(3)}").json
    assert body["stage"] == "awaiting_pickup" and body["waiting_on"] == "trucking"
    assert body["next"] == {"type": "gate.out", "owner": "trucking"}
    assert [e["id"] for e in body["timeline"]] == ["disc-3", "rel-3"]
    assert body["since"] == at(2.5)


def test_container_with_wrong_check_digit_gets_400_with_the_fix(reader):
    good = container_number(7)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    response = reader.get(f"/api/v1/containers/{bad}")
    assert response.status_code == 400
    assert response.json["details"] == [{"suggestion": good}]
    assert reader.get(f"/api/v1/containers/{good}").status_code == 404


def test_kpi_history_is_kept_hourly_in_redis(app, reader):
    publish_story(app)
    svc = service_of(app)
    # history is recorded only by a consumer that has caught up (a replaying state's KPIs are not
    # the port's): on a loaded machine the consumer may still be reading when the story is applied
    wait_for(lambda: svc.consumer.health.caught_up, what="the consumer caught up")
    svc.record_history()
    body = reader.get("/api/v1/kpis/history?metric=clearance_hours.import.median&days=7").json
    assert body["points"] == [{"hour": at(6), "value": 4.0}]
    assert reader.get("/api/v1/kpis/history?metric=nope&days=7").status_code == 400
    assert reader.get("/api/v1/kpis/history?metric=clearance_hours.import.median&days=0").status_code == 400


def test_read_api_answers_are_not_cached_by_clients(reader):
    assert reader.get("/api/v1/kpis").headers["Cache-Control"] == "no-store"
    assert time.time() - float(reader.get("/api/v1/kpis").headers["X-Generated-At"]) < 60
