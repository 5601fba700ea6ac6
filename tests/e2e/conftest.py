"""The real service to point the browser at (tests/browser.py), and the ways in: the manager's
login form, the wall's display token; screenshots into test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.browser import CHROMIUM_ARGS  # noqa: F401  (the benchmarks take it from here)
from tests.helpers import MANAGER, MANAGER_PASSWORD, WALL_TOKEN
from tests.process import ROOT

ARTIFACTS = ROOT / "test-artifacts"

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
