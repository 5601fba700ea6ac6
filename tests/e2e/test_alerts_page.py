"""Alerts with owners in a real browser (docs/alerts.md): a manager acknowledges Emma Maersk's
delay from the vessel page with a note; the wall, open on another screen, shows it dimmed with
the manager's name without a reload; the alert board lists it."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from tests import drill_scenario as scenario
from tests.e2e.conftest import log_in_page, open_wall, screenshot
from tests.helpers import MANAGER, read_auth, wait_for
from tests.process import ROOT

EMMA_ITEM = f'#alerts li[data-vessel="{scenario.EMMA}"]'


@pytest.fixture
def drilled(service):
    total = scenario.publish(requests.Session().post, service.base)
    wait_for(lambda: service.health()["events_applied"] >= total, what="the scenario applied")

    def emma_raised():
        alerts = requests.get(service.base + "/api/v1/alerts", headers=read_auth(), timeout=10).json()["alerts"]
        return any(alert["kind"] == "call" and alert["subject"] == scenario.EMMA for alert in alerts)
    wait_for(emma_raised, timeout=30, what="Emma's alert raised")
    return service


def test_a_manager_acknowledges_on_the_vessel_page_and_the_wall_shows_the_owner_live(drilled, page, browser):
    wall_context = browser.new_context(viewport={"width": 1920, "height": 1080})
    wall = wall_context.new_page()
    try:
        open_wall(wall, drilled.base, "lang=en")
        wall.locator(f'{EMMA_ITEM}[data-alert-state="open"]').wait_for(timeout=30_000)

        log_in_page(page, drilled.base, f"/vessels/{scenario.EMMA}?lang=en")
        strip = page.locator("#alert-strip")
        strip.wait_for(state="visible")
        assert "not acknowledged" in page.locator("#alert-status").inner_text()
        page.fill("#alert-note", "calling the terminal")
        page.click("#alert-ack")
        page.locator("#alert-status", has_text=f"acknowledged by {MANAGER}").wait_for()
        assert "Note: calling the terminal" in page.locator("#alert-status").inner_text()
        assert page.locator("#alert-ack").is_disabled()
        screenshot(page, "alerts-vessel-acknowledged-en")

        acknowledged = wall.locator(f'{EMMA_ITEM}.alert-acknowledged[data-alert-state="acknowledged"]')
        acknowledged.wait_for(timeout=30_000)  # pushed to the open wall: no reload
        assert acknowledged.locator(".alert-owner").inner_text() == f"✓ {MANAGER}"
        assert float(acknowledged.evaluate("li => getComputedStyle(li).opacity")) < 1
        screenshot(wall, "alerts-wall-acknowledged-en")

        page.goto(f"{drilled.base}/alerts?lang=en")
        row = page.locator(f'#alerts-grid .ag-row:has-text("{scenario.EMMA}")').first
        row.wait_for()
        assert "acknowledged" in row.inner_text() and MANAGER in row.inner_text()
        screenshot(page, "alerts-board-en")
        assert page.locator("#alerts-csv").get_attribute("href").startswith("/api/v1/alerts/history.csv")
        # resolved elsewhere while the board is open: its socket room says so, the row goes, no reload
        alert_id = row.get_attribute("row-id")
        page.wait_for_timeout(3000)  # past the refresh every room gets once after a page joins it
        answer = page.request.post(f"{drilled.base}/api/v1/alerts/{alert_id}/resolve", data={"reason": "paper release"},
                                   headers={"Origin": drilled.base})
        assert answer.status == 200, answer.text()
        page.locator(f'#alerts-grid .ag-row[row-id="{alert_id}"]').wait_for(state="detached", timeout=15_000)
        assert page.console_errors == []
    finally:
        wall_context.close()


def test_an_organisations_member_sees_no_alert_strip_and_no_error_on_a_vessel_page(drilled, page):
    for args, given in ((["add-org", "trux", "--name", "Trux", "--kind", "trucking", "--source", "trucking.x"], None),
                        (["add-user", "trux-user", "--org", "trux"], "a-long-password-1\n")):
        done = subprocess.run([sys.executable, "run.py", *args], input=given, text=True, cwd=ROOT, env=drilled.env,
                              capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr
    page.goto(f"{drilled.base}/login?next=/vessels/{scenario.EMMA}")
    page.fill("#username", "trux-user")
    page.fill("#password", "a-long-password-1")
    def vessel_refreshed(response) -> bool:  # the room's first notice: after the page's first callbacks
        return "_dash-update-component" in response.url and "vessel-header" in (response.request.post_data or "")
    with page.expect_response(vessel_refreshed, timeout=30_000):
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.locator("#vessel-header h1").wait_for()
    assert page.locator("#alert-strip").is_hidden()
    assert page.console_errors == []  # the strip never asked the server (a member may not)
