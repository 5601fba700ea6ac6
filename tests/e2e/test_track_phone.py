"""/track on a phone, in real Chromium: a 390×844 touch screen with a phone's user agent. The member
logs in and lands on its boxes; nothing scrolls sideways; every tap target is 44 px or more; no
console errors; a release published while the page is open shows without a reload."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
import requests

from dashboard.orgs import Directory
from tests import drill_scenario
from tests.e2e.conftest import screenshot
from tests.helpers import auth, container_number, wait_for

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True,
             user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
USER, PASSWORD = "li.wei", "a-long-password-1"
READY, WAITING, INSPECTED = (container_number(n, owner="FLT") for n in (1, 2, 3))
TAP_TARGETS = "a, button, input:not([type=hidden])"


def events(start) -> list[dict]:
    def at(hours: float) -> str:
        return (start + timedelta(hours=hours)).isoformat()

    emma = {"vessel": drill_scenario.EMMA, "voyage": drill_scenario.EMMA_VOYAGE}
    found = [{"id": f"flt-disc-{number}", "type": "container.discharged", "time": at(5), "container": number,
              "direction": "import", "source": "terminal.haitian", "parties": {"trucking": "fleet"}, **emma}
             for number in (READY, WAITING, INSPECTED)]
    found.append({"id": "flt-rel", "type": "customs.released", "time": at(6), "container": READY,
                  "direction": "import", "source": "terminal.haitian"})
    found.append({"id": "flt-insp", "type": "customs.inspection_ordered", "time": at(7), "container": INSPECTED,
                  "direction": "import", "source": "terminal.haitian", "data": {"mode": "physical"}})
    return found


@pytest.fixture
def fleet(service, redis_url, port_id):
    directory = Directory(redis.Redis.from_url(redis_url), port_id)
    directory.add_org("fleet", "Fleet", "trucking")
    directory.add_account(USER, "fleet", PASSWORD)
    session = requests.Session()
    sent = drill_scenario.publish(session.post, service.base)
    batch = events(drill_scenario.t0())
    assert session.post(service.base + "/api/v1/events", json=batch, headers=auth("terminal.haitian")).status_code == 202
    wait_for(lambda: service.health()["events_applied"] >= sent + len(batch), what="the scenario applied")
    return service


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()


def log_in_on_phone(page, base: str) -> None:
    page.goto(f"{base}/login?lang=en")
    page.fill("#username", USER)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def small_tap_targets(page) -> list[str]:
    """Visible links, buttons and fields under 44 × 44 CSS px."""
    return page.evaluate("""selector => [...document.querySelectorAll(selector)]
        .filter(el => el.offsetParent !== null)
        .map(el => [el.outerHTML.slice(0, 80), el.getBoundingClientRect()])
        .filter(([, box]) => box.width < 44 || box.height < 44)
        .map(([html, box]) => `${html} ${Math.round(box.width)}×${Math.round(box.height)}`)""", TAP_TARGETS)


def test_a_trucker_lands_on_his_boxes_and_the_page_fits_a_phone(fleet, phone):
    log_in_on_phone(phone, fleet.base)
    assert phone.url.endswith("/track")
    rows = phone.locator(".track-row .num")
    assert rows.all_inner_texts() == [READY, INSPECTED, WAITING]  # ready for pickup first, then inspection
    assert fits_the_screen(phone) and small_tap_targets(phone) == []
    screenshot(phone, "track-phone-list")
    phone.locator(".track-row a").first.tap()
    phone.wait_for_url(f"**/track/box/{READY}**")
    assert phone.locator(".track-steps .current .what").inner_text() in ("可提箱", "Ready for pickup")
    assert fits_the_screen(phone) and small_tap_targets(phone) == []
    screenshot(phone, "track-phone-box")
    assert phone.console_errors == []


def test_a_release_shows_on_the_open_page_without_a_reload(fleet, phone):
    log_in_on_phone(phone, fleet.base)
    phone.evaluate("window.notReloaded = true")
    assert phone.locator(f'.track-row.action-other a[href^="/track/box/{WAITING}"]').count() == 1
    release = {"id": "flt-rel-live", "type": "customs.released", "time": (drill_scenario.t0() + timedelta(hours=39)).isoformat(),
               "container": WAITING, "direction": "import", "source": "terminal.haitian"}
    answer = requests.post(fleet.base + "/api/v1/events", json=[release], headers=auth("terminal.haitian"), timeout=10)
    assert answer.status_code == 202
    phone.wait_for_selector(f'.track-row.action-ready a[href^="/track/box/{WAITING}"]', timeout=90_000)  # its poll
    assert phone.evaluate("window.notReloaded === true")
    assert phone.locator(".count-ready b").inner_text() == "2"
    assert fits_the_screen(phone) and phone.console_errors == []
