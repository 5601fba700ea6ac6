"""Alerts with owners over HTTP (docs/alerts.md), from the late scenario of
tests/drill_scenario.py: Emma Maersk berthed late with 16 boxes past their SLA (12 awaiting
release, 4 in inspection). Raised by the leader job, acknowledged and resolved by managers,
resolved by the events, escalated past the threshold; the history as CSV; who may do what."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta

import pytest

from dashboard.alerts import rules
from dashboard.app import create_app, service_of, stop_app
from tests import drill_scenario as scenario
from tests.helpers import auth, log_in, read_auth, wait_for

CALL_KEY = f"call:{scenario.EMMA}:{scenario.EMMA_VOYAGE}"


def make_app(config, **changes):
    app = create_app(config.replace(**changes))
    client = app.server.test_client()
    scenario.publish(client.post)
    total = sum(len(batch) for batch in scenario.events().values())
    wait_for(lambda: service_of(app).store.state.applied >= total, what="the scenario applied")
    return app


@pytest.fixture
def late(config):
    app = make_app(config)
    yield app
    stop_app(app)


@pytest.fixture
def manager(late):
    client = late.server.test_client()
    assert log_in(client).status_code == 302
    return client


def open_alerts(client, state: str = "open") -> list[dict]:
    answer = client.get(f"/api/v1/alerts?state={state}", headers=read_auth())
    assert answer.status_code == 200, answer.json
    return answer.json["alerts"]


def raised(client, count: int = 10) -> dict:
    """Wait for the job to raise the scenario's alerts; → by condition key."""
    found = wait_for(lambda: (lambda alerts: alerts if len(alerts) >= count else None)(open_alerts(client, "all")),
                     what=f"{count} alerts raised")
    return {alert["key"]: alert for alert in found}


def stuck_box_alert(alerts: dict, n: int) -> dict:
    return next(alert for alert in alerts.values() if alert["kind"] == "box" and alert["subject"] == scenario.box(n))


def test_the_late_scenario_raises_the_delayed_call_and_the_worst_stuck_boxes_of_each_stage(late):
    alerts = raised(late.server.test_client())
    assert set(alerts) >= {CALL_KEY}
    call = alerts[CALL_KEY]
    assert call["state"] == "open" and call["detail"]["reasons"] == ["berthed_late", "boxes_late"]
    assert call["link"] == f"/vessels/{scenario.EMMA}" and call["id"].startswith(CALL_KEY + ":")
    boxes = [alert for alert in alerts.values() if alert["kind"] == "box"]
    by_stage = {stage: sorted(a["subject"] for a in boxes if a["detail"]["stage"] == stage)
                for stage in ("awaiting_release", "in_inspection")}
    # the worst 5 of the stage: the same delay, so the lowest numbers
    assert by_stage["awaiting_release"] == [scenario.box(n) for n in range(21, 26)]
    assert by_stage["in_inspection"] == [scenario.box(n) for n in scenario.LATE_INSPECTION]
    assert len(alerts) == 10


def test_a_manager_acknowledges_with_a_note_and_a_second_acknowledgement_is_409(late, manager):
    alert = raised(manager)[CALL_KEY]
    answer = manager.post(f"/api/v1/alerts/{alert['id']}/ack", json={"note": "calling the terminal"})
    assert answer.status_code == 200, answer.json
    assert answer.json["state"] == "acknowledged" and answer.json["acknowledged_by"] == "manager"
    assert answer.json["note"] == "calling the terminal" and answer.json["acknowledged_at"]
    assert [a["id"] for a in open_alerts(manager, "acknowledged")] == [alert["id"]]
    assert alert["id"] not in {a["id"] for a in open_alerts(manager, "open")}
    again = manager.post(f"/api/v1/alerts/{alert['id']}/ack", json={"note": "me too"})
    assert again.status_code == 409 and again.json["error"] == "conflict"
    assert "acknowledged already by manager" in again.json["message"]


def test_a_manager_resolves_by_hand_with_a_reason_and_resolving_again_is_409(late, manager):
    alert = stuck_box_alert(raised(manager), 33)
    missing_reason = manager.post(f"/api/v1/alerts/{alert['id']}/resolve", json={"reason": " ", "extra": 1})
    assert missing_reason.status_code == 400
    assert {d["field"] for d in missing_reason.json["details"]} == {"reason", "extra"}
    answer = manager.post(f"/api/v1/alerts/{alert['id']}/resolve", json={"reason": "inspection done on paper"})
    assert answer.status_code == 200 and answer.json["state"] == "resolved"
    assert answer.json["resolved_by"] == "manager" and answer.json["reason"] == "inspection done on paper"
    assert alert["id"] not in {a["id"] for a in open_alerts(manager, "all")}
    again = manager.post(f"/api/v1/alerts/{alert['id']}/resolve", json={"reason": "again"})
    assert again.status_code == 409 and "resolved already by manager" in again.json["message"]
    assert manager.post("/api/v1/alerts/box:nothing:1/ack", json={}).status_code == 404
    # the box is still late, but a manager said why: not raised again while it lasts
    svc = service_of(late)
    with svc.store.lock:
        current = rules.conditions(svc.store.state, svc.port_now())
    assert alert["key"] in current
    svc.alert_lifecycle.step(current, time.time())
    assert alert["key"] not in {a["key"] for a in open_alerts(manager, "all")}
    svc.alert_lifecycle.step({}, time.time())  # the condition gone: it would be a new alert when it comes back
    assert svc.alerts.dismissed() == set()


def test_an_alert_whose_condition_is_gone_is_resolved_by_the_events(late, manager):
    alert = stuck_box_alert(raised(manager), 21)
    release = {"id": "alert-rel-0021", "type": "customs.released", "source": "customs.xiamen",
               "time": (scenario.t0() + timedelta(hours=39)).isoformat(), "container": scenario.box(21),
               "direction": "import", "data": {"declaration": "DEC-0021"}}
    assert manager.post("/api/v1/events", json=release, headers=auth("customs.xiamen")).status_code == 202
    wait_for(lambda: alert["id"] not in {a["id"] for a in open_alerts(manager, "all")}, what="resolved by the events")
    history = service_of(late).alerts.history(0)
    resolved = [e for e in history if e["alert_id"] == alert["id"] and e["event"] == "resolved"]
    assert len(resolved) == 1 and resolved[0]["by"] == "events"
    # the stage's next worst box takes the freed place
    wait_for(lambda: any(a["subject"] == scenario.box(26) for a in open_alerts(manager)), what="box 26 raised")


def test_an_unacknowledged_alert_escalates_once_to_the_task_force(config, monkeypatch):
    sent = []
    # what the notifications' outbox is asked to send (its deliveries: tests/integration/test_notifications.py)
    monkeypatch.setattr("dashboard.alerts.lifecycle.notify_org",
                        lambda client, port_id, org_id, notice: sent.append((org_id, notice)) or 1)
    app = make_app(config, alert_escalate_minutes=0.01)
    try:
        svc = service_of(app)
        svc.directory.add_org("taskforce", "Port task force", "taskforce")
        svc.directory.add_org("truckers", "Truckers", "trucking", ["trucking.x"])
        client = app.server.test_client()
        raised(client)
        wait_for(lambda: all(a["escalated"] for a in open_alerts(client, "all")), what="every alert escalated")
        history = svc.alerts.history(0)
        escalations = [e for e in history if e["event"] == "escalated"]
        assert len(escalations) == len({e["alert_id"] for e in escalations}) >= 10  # once each
        assert {org for org, _ in sent} == {"taskforce"}
        notice = next(n for _, n in sent if n["id"].startswith(CALL_KEY))
        assert notice["id"].endswith(":escalated") and notice["link"] == f"/vessels/{scenario.EMMA}"
        assert set(notice["title"]) == set(notice["text"]) == {"zh", "en"}
    finally:
        stop_app(app)


def test_the_history_exports_as_csv_with_a_byte_order_mark(late, manager):
    alert = raised(manager)[CALL_KEY]
    assert manager.post(f"/api/v1/alerts/{alert['id']}/ack", json={"note": "on it"}).status_code == 200
    answer = manager.get("/api/v1/alerts/history.csv?days=1&lang=en")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    raw = answer.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte-order mark: Excel would garble Chinese text"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == ["Time", "Alert", "Change", "Kind", "Subject", "Severity", "By", "Note", "Reason",
                             "Text", "Link"]
    mine = [row for row in rows if row["Alert"] == alert["id"]]
    assert [row["Change"] for row in mine] == ["raised", "acknowledged"]
    assert mine[1]["By"] == "manager" and mine[1]["Note"] == "on it"
    assert manager.get("/api/v1/alerts/history.csv?days=0").status_code == 400
    assert "待放行" in manager.get("/api/v1/alerts/history.csv?days=1").get_data().decode("utf-8-sig")


def test_readers_read_but_may_not_change_and_anonymous_callers_are_401(late, manager):
    alert = raised(manager)[CALL_KEY]
    client = late.server.test_client()
    assert client.get("/api/v1/alerts", headers=read_auth()).status_code == 200
    assert client.get("/api/v1/alerts/history.csv", headers=read_auth()).status_code == 200
    reader = client.post(f"/api/v1/alerts/{alert['id']}/ack", json={}, headers=read_auth())
    assert reader.status_code == 403 and reader.json["error"] == "forbidden"
    assert client.get("/api/v1/alerts").status_code == 401
    assert client.post(f"/api/v1/alerts/{alert['id']}/resolve", json={"reason": "x"}).status_code == 401
    foreign = manager.post(f"/api/v1/alerts/{alert['id']}/ack", json={}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403 and foreign.json["error"] == "cross_origin"
    assert client.get("/api/v1/alerts?state=closed", headers=read_auth()).status_code == 400


def test_the_escalation_notice_is_one_the_notifications_module_takes(late):
    from dashboard.alerts.lifecycle import escalate, escalation_notice
    from dashboard.notify.outbox import check_notice

    svc = service_of(late)
    raised(late.server.test_client())
    alert = next(a for a in svc.alerts.open_alerts() if a["key"] == CALL_KEY)
    notice = escalation_notice(alert, alert["raised_at"])
    check_notice(notice)  # raises on a notice it would not send
    assert notice["id"] == f"{alert['id']}:escalated" and "Emma Maersk" in notice["title"]["en"]
    svc.directory.add_org("taskforce", "Port task force", "taskforce")
    assert escalate(svc.redis, svc.config.port_id, svc.directory, alert, alert["raised_at"]) == 0  # no channels yet
