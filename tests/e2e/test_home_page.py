"""The landing page in a real browser: served by the real service, seeded from its state."""

from __future__ import annotations

import requests

from layouts import ids
from tests.e2e.conftest import screenshot
from tests.helpers import auth, gate_event, wait_for


def test_home_page_shows_port_and_applied_events_without_console_errors(service, page):
    requests.post(service.base + "/api/v1/events", json=[gate_event(i) for i in range(3)],
                  headers=auth(), timeout=10).raise_for_status()
    wait_for(lambda: service.health()["events_applied"] == 3, what="three events applied")
    page.goto(service.base + "/")
    page.wait_for_selector(f"#{ids.HOME_TITLE}")
    assert page.inner_text(f"#{ids.HOME_TITLE}") == "Port Pulse"
    assert page.inner_text(f"#{ids.HOME_APPLIED}") == "3"
    screenshot(page, "home-1080p")
    assert page.console_errors == []
