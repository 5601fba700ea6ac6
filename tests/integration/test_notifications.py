"""Watchlists and notifications (docs/notifications.md) on a real app, a real Redis, a local HTTP
receiver standing in for the webhook and the WeCom and DingTalk robots, and a real SMTP server."""

from __future__ import annotations

from collections import Counter

import pytest

from dashboard.app import create_app, stop_app
from dashboard.notify.outbox import Outbox
from tests.helpers import wait_for
from tests.integration.notify_scenario import (DING_SECRET, EMMA, FLEET_BOX, OTHER_BOX, VOYAGE, WEBHOOK_SECRET,
                                               add_channels, add_people, applied, at, dingtalk_sign, discharge,
                                               member, notice_ids, post, release, webhook_signature)


@pytest.fixture
def app(config, smtp):
    """The one app of the test (conftest's `client` and `manager_client` are its): a second one
    with the same data directory would hold the worker's lease too."""
    app = create_app(config.replace(callback_hosts=("127.0.0.1",), smtp_url=smtp.url, notify_retry_ms=50,
                                    notify_delay_check_seconds=1, notify_digest_unit_seconds=2,
                                    notify_base_url="https://pulse.example"))
    add_people(app.server.extensions["portpulse"].svc.directory)
    yield app
    stop_app(app)


@pytest.fixture
def notify_app(app):
    return app


def svc_of(app):
    return app.server.extensions["portpulse"].svc


def released_box(app, client, li) -> None:
    """The fleet's box discharged, watched by li, then released."""
    post(client, [discharge(FLEET_BOX, 1, {"trucking": "fleet"})], "terminal.haitian")
    applied(app, 1)
    assert li.post("/api/v1/watches", json={"kind": "box", "key": FLEET_BOX}).status_code == 201
    post(client, [release(FLEET_BOX, 1)], "customs.xiamen")


def test_a_released_box_reaches_every_channel_once_with_one_notice_id(notify_app, client, http, smtp):
    add_channels(svc_of(notify_app), http)
    li = member(notify_app, "li")
    released_box(notify_app, client, li)
    # released, and (discharged and released) ready for pickup: two notices, each once per channel
    wait_for(lambda: len(http.at("/fleet/hook")) == 2 and len(http.at("/fleet/cgi-bin/webhook/send")) == 2
             and len(http.at("/fleet/robot/send")) == 2 and len(smtp.messages) == 2, what="every channel told")

    hooks = http.at("/fleet/hook")
    for hook in hooks:
        assert hook.headers["Notification-Signature"] == webhook_signature(hook.body, WEBHOOK_SECRET)
    kinds = {hook.json()["notices"][0]["kind"]: hook.headers["X-PortPulse-Notice"] for hook in hooks}
    assert set(kinds) == {"released", "ready_for_pickup"}
    released = kinds["released"]
    assert hooks[0].json()["notices"][0]["url"].startswith("https://pulse.example/track/box/" + FLEET_BOX)

    for robot in http.at("/fleet/cgi-bin/webhook/send"):
        body = robot.json()
        assert body["msgtype"] == "markdown" and FLEET_BOX in body["markdown"]["content"]
        assert robot.query["key"] == "wecom-key-123"
    for robot in http.at("/fleet/robot/send"):
        body = robot.json()
        assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"title", "text"}
        assert robot.query["sign"] == dingtalk_sign(robot.query["timestamp"], DING_SECRET)
        assert robot.query["access_token"] == "ding-token"
    mail_ids = [m["X-PortPulse-Notice"] for m in smtp.messages]
    assert all(m["Message-ID"].startswith(f"<{m['X-PortPulse-Notice']}.") for m in smtp.messages)

    for received in (notice_ids(hooks), notice_ids(http.at("/fleet/cgi-bin/webhook/send")),
                     notice_ids(http.at("/fleet/robot/send")), mail_ids):
        assert Counter(received) == Counter({released: 1, kinds["ready_for_pickup"]: 1})
    notices = li.get("/api/v1/notices").json["notices"]
    assert {n["id"] for n in notices} == set(kinds.values())
    assert li.get("/api/v1/notices", query_string={"after": notices[0]["seq"]}).json["notices"] == []


def test_the_same_milestone_again_is_never_sent_twice(notify_app, client, http, smtp, config):
    add_channels(svc_of(notify_app), http, kinds=("webhook",))
    li = member(notify_app, "li")
    released_box(notify_app, client, li)
    wait_for(lambda: len(http.at("/fleet/hook")) == 2, what="the first notices")
    # a second release of the same visit (another id), a replayed duplicate, and a second replica
    second = create_app(config.replace(callback_hosts=("127.0.0.1",), http_port=config.http_port + 1,
                                       data_dir=config.data_dir / "replica-2"))
    try:
        post(client, [release(FLEET_BOX, 2, hours=2.5), release(FLEET_BOX, 1)], "customs.xiamen")
        svc_of(notify_app).redis.delete(svc_of(notify_app).publisher.keys.notify_cursor)  # read it all again
        marker = [discharge(OTHER_BOX, 9, {"trucking": "other"})]
        post(client, marker, "terminal.haitian")
        applied(notify_app, 4)
        cursor = svc_of(notify_app).publisher.keys.notify_cursor
        head = svc_of(notify_app).redis.xrevrange(svc_of(notify_app).publisher.keys.events, count=1)[0][0]
        wait_for(lambda: svc_of(notify_app).redis.get(cursor) == head, what="the worker past the marker")
    finally:
        stop_app(second)
    assert len(http.at("/fleet/hook", delivered=False)) == 2
    assert len(member(notify_app, "li").get("/api/v1/notices").json["notices"]) == 2


def test_a_member_cannot_watch_or_hear_of_a_box_outside_its_organisation(notify_app, client, http, smtp):
    add_channels(svc_of(notify_app), http, kinds=("webhook",), org="other")
    post(client, [discharge(FLEET_BOX, 1, {"trucking": "fleet"})], "terminal.haitian")
    applied(notify_app, 1)
    wu = member(notify_app, "wu")
    unseen = wu.post("/api/v1/watches", json={"kind": "box", "key": FLEET_BOX})
    unknown = wu.post("/api/v1/watches", json={"kind": "box", "key": "ZZZU0000000"})
    assert unseen.status_code == unknown.status_code == 404
    assert unseen.json["error"] == unknown.json["error"] == "not_found"
    assert wu.post("/api/v1/watches", json={"kind": "org", "key": "*"}).status_code == 201
    post(client, [release(FLEET_BOX, 1)], "customs.xiamen")
    post(client, [discharge(OTHER_BOX, 2, {"trucking": "other"})], "terminal.haitian")
    post(client, [release(OTHER_BOX, 2)], "customs.xiamen")
    def boxes_told(notices) -> list[str]:  # (their call's delay may come too: `other` is a party of it)
        return [n["subject"]["key"] for n in notices if n["subject"]["kind"] == "box"]
    wait_for(lambda: len(boxes_told(n for hook in http.at("/other/hook") for n in hook.json()["notices"])) == 2,
             what="the other box's notices")
    assert set(boxes_told(n for hook in http.at("/other/hook") for n in hook.json()["notices"])) == {OTHER_BOX}
    assert set(boxes_told(wu.get("/api/v1/notices").json["notices"])) == {OTHER_BOX}
    assert wu.delete(f"/api/v1/watches/box/{FLEET_BOX}").status_code == 404
    assert wu.delete("/api/v1/watches/org/*").status_code == 204
    assert wu.get("/api/v1/watches").json["watches"] == []


def test_a_digest_channel_sends_one_message_listing_the_window(notify_app, client, http, smtp):
    add_channels(svc_of(notify_app), http, kinds=("webhook", "wecom"), digest_minutes=1)
    li = member(notify_app, "li")
    boxes = [(FLEET_BOX, 1), (OTHER_BOX, 2)]
    post(client, [discharge(number, n, {"trucking": "fleet"}) for number, n in boxes], "terminal.haitian")
    applied(notify_app, 2)
    for number, _n in boxes:  # the boxes themselves (`org:*` would bring their late call's delay too)
        assert li.post("/api/v1/watches", json={"kind": "box", "key": number}).status_code == 201
    post(client, [release(number, n) for number, n in boxes], "customs.xiamen")
    wait_for(lambda: http.at("/fleet/hook") and http.at("/fleet/cgi-bin/webhook/send"), what="the digests")
    (hook,) = http.at("/fleet/hook")
    body = hook.json()
    assert body["digest"] is True and len(body["notices"]) == 4  # released and ready, for both boxes
    assert hook.headers["X-PortPulse-Notice"] == body["noticeId"]
    content = http.at("/fleet/cgi-bin/webhook/send")[0].json()["markdown"]["content"]
    assert FLEET_BOX in content and OTHER_BOX in content


def test_a_failing_receiver_is_retried_with_backoff_and_logged(notify_app, client, http, smtp):
    add_channels(svc_of(notify_app), http, kinds=("webhook", "wecom"))
    http.failures["/fleet/hook"] = 2
    http.failures["/fleet/cgi-bin/webhook/send"] = 2
    http.failure["/fleet/cgi-bin/webhook/send"] = (200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    li = member(notify_app, "li")
    released_box(notify_app, client, li)
    wait_for(lambda: len(http.at("/fleet/hook")) == 2 and len(http.at("/fleet/cgi-bin/webhook/send")) == 2,
             what="delivered in the end")
    outbox = Outbox(svc_of(notify_app).redis, svc_of(notify_app).config.port_id)
    wait_for(lambda: sum(r["outcome"] == "delivered" for r in outbox.log("fleet", 100)) == 4, what="logged")
    log = outbox.log("fleet", 100)
    outcomes = Counter((record["kind"], record["outcome"]) for record in log)
    assert outcomes[("webhook", "failed")] == 2 and outcomes[("webhook", "delivered")] == 2
    assert outcomes[("wecom", "failed")] == 2 and outcomes[("wecom", "delivered")] == 2
    assert any(record["error"] and "errcode 93000" in record["error"] for record in log)
    assert {record["status"] for record in log if record["kind"] == "webhook" and record["outcome"] == "failed"} == {500}


def test_vessel_berthed_and_delayed_reach_the_vessels_watchers(notify_app, client, http, smtp):
    add_channels(svc_of(notify_app), http, kinds=("webhook",))
    late = {"id": "eta-1", "type": "vessel.eta", "time": at(0), "source": "terminal.haitian", "vessel": EMMA,
            "voyage": VOYAGE, "classifier": "estimated", "data": {"eta": at(1)}, "parties": {"agent": "fleet"}}
    post(client, [late, discharge(FLEET_BOX, 1, {"trucking": "fleet"})], "terminal.haitian")
    applied(notify_app, 2)
    li = member(notify_app, "li")
    assert li.post("/api/v1/watches", json={"kind": "vessel", "key": EMMA}).status_code == 201
    wait_for(lambda: http.at("/fleet/hook"), what="the delay told")  # overdue: 40 h past its ETA
    post(client, [{"id": "berth-1", "type": "vessel.berthed", "time": at(30), "source": "terminal.haitian",
                   "vessel": EMMA, "voyage": VOYAGE}], "terminal.haitian")
    wait_for(lambda: len(http.at("/fleet/hook")) == 2, what="the berthing told")
    kinds = [hook.json()["notices"][0]["kind"] for hook in http.at("/fleet/hook")]
    assert kinds == ["vessel_delayed", "vessel_berthed"]
    assert all(hook.json()["notices"][0]["link"] == f"/vessels/{EMMA}" for hook in http.at("/fleet/hook"))
    assert {n["kind"] for n in li.get("/api/v1/notices").json["notices"]} == {"vessel_delayed", "vessel_berthed"}


def test_metrics_count_the_notifications(notify_app, client, http, smtp, manager_client):
    add_channels(svc_of(notify_app), http, kinds=("webhook",))
    released_box(notify_app, client, member(notify_app, "li"))
    wait_for(lambda: len(http.at("/fleet/hook")) == 2, what="the notices")
    sent = 'dp_notify_deliveries_sent_total{kind="webhook"} 2.0'  # counted once the answer is recorded
    def scraped():
        text = manager_client.get("/metrics").get_data(as_text=True)
        return text if sent in text else None
    text = wait_for(scraped, what="the sends counted")
    assert "dp_notify_notices_raised_total 2.0" in text
    assert "dp_notify_outbox_depth" in text
