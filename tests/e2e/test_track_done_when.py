"""The issue's "Done when", end to end: a trucking company's user, on a phone, sees only its boxes,
watches one and receives its release on a webhook, a robot message and an e-mail.

The real service (run.py, tests/process.py: its notifier holds the lease and sends), real
Chromium at 390×844 with touch, a local receiver standing in for the signed webhook and the WeCom
and DingTalk robots, a real SMTP server (aiosmtpd). The release of a discharged import box is two
milestones, `released` and `ready_for_pickup` (docs/notifications.md): each channel gets exactly
one message for each, and the release's once."""

from __future__ import annotations

from collections import Counter

import pytest
import redis
import requests

from dashboard.notify.outbox import Outbox
from dashboard.orgs import Directory
from tests.e2e.conftest import screenshot
from tests.e2e.test_track_phone import PHONE, fits_the_screen, small_tap_targets
from tests.helpers import auth, container_number, wait_for
from tests.integration.notify_scenario import (DING_SECRET, FLEET_BOX, OTHER_BOX, PASSWORD, WEBHOOK_SECRET,
                                               add_channels_on, add_people, dingtalk_sign, discharge, release,
                                               webhook_signature)

SECOND_FLEET_BOX = container_number(13, owner="FLT")
MAILBOX = "ops@fleet.example"
CHANNEL_PATHS = {"webhook": "/fleet/hook", "wecom": "/fleet/cgi-bin/webhook/send", "dingtalk": "/fleet/robot/send"}


@pytest.fixture
def port(redis_url, port_id, http):
    """The fleet (trucking) with its user li and its four channels; another trucking company."""
    client = redis.Redis.from_url(redis_url)
    add_people(Directory(client, port_id))
    add_channels_on(client, port_id, http, smtp_to=MAILBOX)
    yield client
    client.close()


@pytest.fixture
def fleet(port, tmp_path, redis_url, port_id, start_service, http, smtp):
    """The service, its notifier sending to the local receivers; two fleet boxes and one of the
    other company discharged."""
    env = {"DP_CALLBACK_HOSTS": "127.0.0.1", "DP_SMTP_URL": smtp.url, "DP_NOTIFY_RETRY_MS": "100",
           "DP_NOTIFY_BASE_URL": "https://pulse.example"}
    service = start_service(tmp_path, redis_url=redis_url, port_id=port_id, extra_env=env)
    boxes = [discharge(FLEET_BOX, 1, {"trucking": "fleet"}), discharge(SECOND_FLEET_BOX, 2, {"trucking": "fleet"}),
             discharge(OTHER_BOX, 3, {"trucking": "other"})]
    publish(service, boxes, "terminal.haitian")
    wait_for(lambda: service.health()["events_applied"] >= len(boxes), what="the boxes discharged")
    return service


def publish(service, events: list[dict], source: str) -> None:
    answer = requests.post(service.base + "/api/v1/events", json=events, headers=auth(source), timeout=10)
    assert answer.status_code == 202 and answer.json()["rejected"] == [], answer.text


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()


def watch_on_the_phone(page, base: str) -> None:
    """li logs in, sees the fleet's two boxes only, opens FLEET_BOX and taps Watch."""
    page.goto(f"{base}/login?lang=en")
    page.fill("#username", "li")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.endswith("/track")
    assert sorted(page.locator(".track-row .num").all_inner_texts()) == sorted([FLEET_BOX, SECOND_FLEET_BOX])
    assert OTHER_BOX not in page.content()
    page.locator(f'.track-row a[href^="/track/box/{FLEET_BOX}"]').tap()
    page.wait_for_url(f"**/track/box/{FLEET_BOX}**")
    with page.expect_navigation():
        page.locator(".track-watch-form button.watch").tap()
    assert page.url.split("?")[0].endswith(f"/track/box/{FLEET_BOX}")
    assert page.locator(".track-watch.on").count() == 1
    assert page.locator(".track-watch-form button.unwatch").count() == 1
    assert fits_the_screen(page) and small_tap_targets(page) == []


def channel_messages(http, smtp) -> dict[str, list[tuple[str, str]]]:
    """Per channel, (notice id, what the message says) of every message delivered."""
    found = {kind: [(r.headers["X-PortPulse-Notice"], r.body.decode()) for r in http.at(path)]
             for kind, path in CHANNEL_PATHS.items()}
    found["email"] = [(m["X-PortPulse-Notice"], m["Subject"] + "\n" + m.get_payload(decode=True).decode())
                      for m in smtp.messages]
    return found


def test_a_trucker_watches_a_box_on_the_phone_and_its_release_reaches_every_channel_and_the_page(
        fleet, phone, port, port_id, http, smtp):
    watch_on_the_phone(phone, fleet.base)
    phone.evaluate("window.notReloaded = true")

    publish(fleet, [release(FLEET_BOX, 1)], "customs.xiamen")
    wait_for(lambda: all(len(sent) == 2 for sent in channel_messages(http, smtp).values()), timeout=60,
             what="released and ready for pickup on every channel")
    wait_for(lambda: Outbox(port, port_id).depth() == 0, what="nothing left to send")

    messages = channel_messages(http, smtp)
    released = {r.json()["notices"][0]["kind"]: r.headers["X-PortPulse-Notice"] for r in http.at("/fleet/hook")}
    assert set(released) == {"released", "ready_for_pickup"}
    for kind, sent in messages.items():
        ids = Counter(notice for notice, _ in sent)
        assert ids == Counter(released.values()), f"{kind}: {ids}"  # the release exactly once, no repeat
        assert all(FLEET_BOX in said and OTHER_BOX not in said and SECOND_FLEET_BOX not in said
                   for _, said in sent), kind
    for hook in http.at("/fleet/hook"):
        assert hook.headers["Notification-Signature"] == webhook_signature(hook.body, WEBHOOK_SECRET)
    assert all(r.query["key"] == "wecom-key-123" for r in http.at(CHANNEL_PATHS["wecom"]))
    assert all(r.query["sign"] == dingtalk_sign(r.query["timestamp"], DING_SECRET)
               for r in http.at(CHANNEL_PATHS["dingtalk"]))
    assert all(m["To"] == MAILBOX for m in smtp.messages)

    # the open page's poll (every 20 s) puts the notice on top of the strip
    phone.wait_for_function("document.querySelectorAll('#track-notices li').length === 2", timeout=90_000)
    assert phone.evaluate("window.notReloaded === true")
    titles = phone.locator("#track-notices li span").all_inner_texts()
    assert sorted(titles) == sorted([f"Box {FLEET_BOX} released", f"Box {FLEET_BOX} ready for pickup"])
    links = phone.locator("#track-notices li a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert links == [f"/track/box/{FLEET_BOX}?lang=en"] * 2
    assert phone.locator(".track-notices-empty").count() == 0
    assert fits_the_screen(phone) and small_tap_targets(phone) == []
    screenshot(phone, "track-phone-notice")

    with phone.expect_navigation():  # its boxes: the watched one starred, the same notices on top
        phone.locator(".track-back a").tap()
    assert phone.locator(".track-row:has(.watch-mark) .num").all_inner_texts() == [FLEET_BOX]
    assert phone.locator("#track-notices li").count() == 2
    assert fits_the_screen(phone) and small_tap_targets(phone) == []
    screenshot(phone, "track-phone-watched-list")
    assert phone.console_errors == []
