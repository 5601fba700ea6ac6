"""The wall in headless Chromium: sizes, languages, live updates, and never stale in silence."""

from __future__ import annotations

import signal
from datetime import datetime, timezone

import pytest
import requests

from feeds.embedded import EmbeddedRedis, terminate
from layouts import ids
from tests.e2e.conftest import open_wall as open_wall_with_token, screenshot
from tests.helpers import auth, container_number, wait_for


def now_text() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def gate_in(n: int, event_id: str) -> dict:
    return {"id": event_id, "type": "gate.in", "time": now_text(), "source": "trucking.x",
            "container": container_number(n), "direction": "export", "data": {"gate": "HT-G1"}}


def open_wall(page, service, query: str = "", size=(1920, 1080)):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_wall_with_token(page, service.base, query)
    page.wait_for_selector(f"#{ids.TICKER}", state="attached")
    page.wait_for_function("document.querySelector('#live-badge') !== null")


def no_scrollbars(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= innerWidth && "
                         "document.documentElement.scrollHeight <= innerHeight")


@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)], ids=["1080p", "4K"])
def test_wall_fills_the_screen_without_scrollbars_or_console_errors(service, page, size):
    open_wall(page, service, size=size)
    scale = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--wall-scale')")
    assert float(scale) == pytest.approx(size[0] / 1920)
    assert no_scrollbars(page)
    screenshot(page, f"wall-zh-{size[1]}p")
    assert page.console_errors == []


def test_kpi_numerals_and_labels_are_readable_from_five_metres(service, page):
    open_wall(page, service)
    sizes = page.evaluate("""() => ({
        value: parseFloat(getComputedStyle(document.querySelector('[data-kpi="vessels.at_berth"]')).fontSize),
        label: parseFloat(getComputedStyle(document.querySelector('.kpi-label')).fontSize)})""")
    assert sizes["value"] >= 48 and sizes["label"] >= 20


def test_kpis_and_ticker_change_when_events_are_published(service, page):
    open_wall(page, service)
    counter = '[data-kpi="gate_lifts_last_hour.in"]'
    assert page.inner_text(counter) == "0"
    response = requests.post(service.base + "/api/v1/events", json=gate_in(1, "marker-1"), headers=auth(), timeout=10)
    assert response.status_code == 202
    page.wait_for_selector(f'#{ids.TICKER} [data-event-id="marker-1"]', timeout=10_000)
    page.wait_for_function(f"document.querySelector('{counter}').textContent === '1'", timeout=10_000)
    assert page.console_errors == []


def test_english_and_chinese_walls_speak_their_language(service, page):
    open_wall(page, service, "?lang=en")
    assert "at berth" in page.inner_text(".kpi-strip")
    screenshot(page, "wall-en-1080p")
    open_wall(page, service, "?lang=zh")
    assert "在泊" in page.inner_text(".kpi-strip")
    assert page.console_errors == []


def test_clearance_tiles_show_the_mean_against_the_last_7_days_within_their_tiles(service, page):
    """The clearance tiles show the mean (captioned so), the change "vs last 7 days" ("—" with no
    history: no baseline), and nothing spills out of a tile, in either language."""
    for query, words in (("?lang=en", ("mean", "vs last 7 days")), ("?lang=zh", ("均值", "较前7天"))):
        open_wall(page, service, query)
        tile = page.locator(".kpi-tile", has=page.locator('[data-kpi="clearance_hours.import.mean"]'))
        text = tile.inner_text()
        assert all(word in text for word in words), text
        assert page.inner_text('[data-kpi="clearance_hours.import.change_pct"]') == "—"
        assert page.locator('[data-kpi="clearance_hours.export.mean"]').count() == 1
        overflowing = page.evaluate("""() => [...document.querySelectorAll('.kpi-tile')]
            .filter(t => t.scrollWidth > t.clientWidth + 1).map(t => t.innerText)""")
        assert overflowing == []
    assert page.console_errors == []


def banner_visible(page) -> bool:
    return page.evaluate(f"!document.getElementById('{ids.STALE_BANNER}').hidden")


def test_stale_banner_shows_when_redis_goes_away_and_clears_when_it_is_back(tmp_path, start_service, page):
    service = start_service(tmp_path)
    record = service.redis_record()
    open_wall(page, service)
    wait_for(lambda: not banner_visible(page), what="a fresh wall")
    terminate(record["pid"])
    wait_for(lambda: banner_visible(page), timeout=20, what="the stale banner")
    assert "Redis" in page.inner_text(f"#{ids.STALE_BANNER}") or "数据存储" in page.inner_text(f"#{ids.STALE_BANNER}")
    port = int(record["url"].rsplit(":", 1)[1].split("/")[0])
    server = EmbeddedRedis(tmp_path, port=port)
    server.start()
    try:
        wait_for(lambda: not banner_visible(page), timeout=30, what="the banner to clear without a reload")
    finally:
        server.stop()


def test_stale_banner_shows_when_the_socket_goes_away_and_clears_on_reconnect(tmp_path, redis_url, port_id,
                                                                               start_service, page):
    service = start_service(tmp_path / "a", redis_url=redis_url, port_id=port_id)
    open_wall(page, service)
    wait_for(lambda: not banner_visible(page), what="a fresh wall")
    service.signal(signal.SIGTERM)
    wait_for(lambda: banner_visible(page), timeout=20, what="the stale banner after the server went away")
    start_service(tmp_path / "b", redis_url=redis_url, port_id=port_id, http_port=service.http_port)
    wait_for(lambda: not banner_visible(page), timeout=60, what="the banner to clear on reconnect, without a reload")
