"""The presenter's /demo page in a real browser: the run's state, and its buttons work."""

from __future__ import annotations

import pytest

from layouts import ids
from tests.e2e.conftest import log_in_page, screenshot
from tests.helpers import wait_for


@pytest.fixture
def demo_service(tmp_path, start_service):
    return start_service(tmp_path, args=(), extra_env={"DP_DEMO_BOXES_PER_DAY": "3000"})


def test_demo_page_pauses_and_resumes_the_running_demo(demo_service, page):
    wait_for(lambda: not demo_service.health()["demo"]["warming_up"], timeout=90, what="the warm-up")
    log_in_page(page, demo_service.base, "/demo?lang=en")
    page.wait_for_selector(f"#{ids.DEMO_STATUS}")
    assert "normal" in page.inner_text(f"#{ids.DEMO_STATUS}")
    page.click(f"#{ids.DEMO_PAUSE}")
    page.wait_for_function(f"document.querySelector('#{ids.DEMO_STATUS}').innerText.includes('paused')")
    assert demo_service.health()["demo"]["paused"] is True
    page.click(f"#{ids.DEMO_RESUME}")
    page.wait_for_function(f"document.querySelector('#{ids.DEMO_STATUS}').innerText.includes('running')")
    assert demo_service.health()["demo"]["paused"] is False
    screenshot(page, "demo-controls")
    assert page.console_errors == []


def test_demo_page_on_a_live_only_service_says_so(service, page):
    log_in_page(page, service.base, "/demo?lang=en")
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == "No demo"
    assert page.console_errors == []
