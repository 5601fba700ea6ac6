"""Headless Chromium (Debian's package) driven by Playwright, and the real service to point it at.

A missing browser fails the run with the way to install it; it never skips."""

from __future__ import annotations

import shutil
from urllib.parse import urlencode
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.helpers import MANAGER, MANAGER_PASSWORD, WALL_TOKEN
from tests.process import ROOT

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if not executable:
        pytest.fail("Debian's chromium is not installed: `apt-get install -y chromium` "
                    "(make test does it when run as root)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()


@pytest.fixture
def service(tmp_path, redis_url, port_id, start_service):
    return start_service(tmp_path, redis_url=redis_url, port_id=port_id)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def log_in_page(page, base: str, next_path: str = "/vessels") -> None:
    """Log the browser in through the form, as a manager does; it lands on `next_path`."""
    page.goto(f"{base}/login?" + urlencode({"next": next_path}))
    page.fill("#username", MANAGER)
    page.fill("#password", MANAGER_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def open_wall(page, base: str, query: str = "") -> None:
    """Open the wall with the display token, as a wall screen's first start does."""
    page.goto(f"{base}/?token={WALL_TOKEN}" + (f"&{query.lstrip('?')}" if query else ""))
