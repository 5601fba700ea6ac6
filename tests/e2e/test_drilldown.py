"""The managers' story in a real browser: log in, open the delayed vessels, open one, see who
holds the delay and its boxes, open a box; search; export CSV; live updates that keep the user's
sort; the box page on a phone; free text shown as text."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import requests

from tests import drill_scenario as scenario
from tests.e2e.conftest import log_in_page, screenshot
from tests.helpers import auth, read_auth, wait_for

LATE = scenario.box(21)  # awaiting release since T0+5 h: 11 h past its SLA, waiting on customs


@pytest.fixture
def drilled(service):
    session = requests.Session()
    total = scenario.publish(session.post, service.base)
    wait_for(lambda: service.health()["events_applied"] >= total, what="the scenario applied")
    return service


def api(service, path: str) -> dict:
    return requests.get(service.base + path, headers=read_auth(), timeout=10).json()


def row(page, number: str, grid: str = "box-grid"):
    """A grid row by its id (AG Grid draws a pinned column's part of a row apart: the first part)."""
    return page.locator(f'#{grid} [row-id="{number}"]').first


def row_text(page, number: str, grid: str = "box-grid") -> str:
    return " | ".join(page.locator(f'#{grid} [row-id="{number}"]').all_inner_texts())


def test_three_clicks_from_delayed_vessels_to_the_box_that_holds_it_up(drilled, page):
    log_in_page(page, drilled.base, "/vessels?delayed=1&lang=en")
    emma = row(page, scenario.EMMA, "vessel-grid")
    emma.wait_for()
    assert "berthed late, boxes late" in row_text(page, scenario.EMMA, "vessel-grid")
    assert page.locator(f'#vessel-grid [row-id="{scenario.PROBE_IMO}"]').count() == 0  # on time: filtered out

    emma.get_by_role("link", name=scenario.EMMA_NAME).click()  # click 1: the vessel
    page.wait_for_url(f"**/vessels/{scenario.EMMA}?lang=en")
    bottleneck = page.locator("#vessel-bottleneck tbody tr").first
    bottleneck.wait_for()
    assert bottleneck.inner_text().split("\t")[:3] == ["Import", "Awaiting release", "customs"]
    late = row(page, LATE)
    late.wait_for()
    assert all(word in row_text(page, LATE) for word in ("Awaiting release", "late", "customs"))
    screenshot(page, "drilldown-vessel-en")

    late.get_by_role("link", name=LATE).click()  # click 2: the box
    page.wait_for_url(f"**/containers/{LATE}?lang=en")
    card = page.locator(".status-card")
    card.wait_for()
    assert "Awaiting release" in card.inner_text() and "Released · owned by customs" in card.inner_text()
    ids = page.locator("#page [data-event-id]").evaluate_all("items => items.map(i => i.dataset.eventId)")
    assert ids[:2] == ["disc-0021", "decl-0021"]  # newest first: discharged (T0+5 h), declared (T0+4.5 h)
    assert page.console_errors == []


def search(page, query: str) -> None:
    page.fill("#search", query)
    page.press("#search", "Enter")


def test_search_by_number_vessel_name_and_a_mistyped_number(drilled, page):
    log_in_page(page, drilled.base, "/vessels?lang=en")
    page.locator("#search").wait_for()
    search(page, scenario.box(7))
    page.wait_for_url(f"**/containers/{scenario.box(7)}?lang=en")
    page.locator(".status-card").wait_for()

    search(page, "emma")
    page.wait_for_url(f"**/vessels/{scenario.EMMA}?lang=en")
    page.locator("#vessel-header h1", has_text=scenario.EMMA_NAME).wait_for()

    right = scenario.box(7)
    search(page, right[:10] + str((int(right[10]) + 3) % 10))
    suggestion = page.locator("#search-results a.suggestion")
    suggestion.wait_for()
    assert suggestion.inner_text() == right and "Did you mean" in page.locator("#search-results").inner_text()
    suggestion.click()
    page.wait_for_url(f"**/containers/{right}?lang=en")


def test_csv_export_matches_the_api(drilled, page):
    log_in_page(page, drilled.base, f"/vessels/{scenario.EMMA}?lang=en")
    page.locator("#export-csv").wait_for()
    with page.expect_download() as download:
        page.click("#export-csv")
    raw = open(download.value.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    boxes = api(drilled, f"/api/v1/vessels/{scenario.EMMA}")["boxes"]
    assert [(r["Box"], r["Since"]) for r in rows] == [(b["number"], b["since"]) for b in boxes]


def test_vessel_page_updates_live_and_keeps_the_users_sort(drilled, page):
    log_in_page(page, drilled.base, f"/vessels/{scenario.EMMA}?lang=en")
    late = row(page, LATE)
    late.wait_for()
    number_header = page.locator('#box-grid .ag-header-cell[col-id="number"]')
    number_header.locator(".ag-header-cell-label").click()  # the manager sorts by box number
    wait_for(lambda: number_header.get_attribute("aria-sort") == "ascending", what="the sort applied")
    first_before = page.locator("#box-grid .ag-center-cols-container .ag-row[row-index='0']").get_attribute("row-id")

    release = {"id": "live-rel-0021", "type": "customs.released", "time": (scenario.t0() + timedelta(hours=39)).isoformat(),
               "source": "customs.xiamen", "container": LATE, "direction": "import", "data": {"declaration": "DEC-0021"}}
    assert requests.post(drilled.base + "/api/v1/events", json=release, headers=auth("customs.xiamen"),
                         timeout=10).status_code == 202
    wait_for(lambda: "Awaiting pickup" in row_text(page, LATE), timeout=30, what="the row updated live")
    assert number_header.get_attribute("aria-sort") == "ascending"
    assert page.locator("#box-grid .ag-center-cols-container .ag-row[row-index='0']").get_attribute("row-id") == first_before
    assert "132" not in page.locator("#vessel-bottleneck").inner_text()  # 11 fewer delay hours now
    assert page.console_errors == []


def test_container_page_fits_a_phone(drilled, page):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_page(page, drilled.base, f"/containers/{scenario.box(33)}?lang=zh")
    page.locator(".status-card").wait_for()
    page.locator("#search").wait_for()
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"horizontal scroll: content {widths[0]} px wide on a {widths[1]} px screen"
    screenshot(page, "drilldown-container-390")


def test_free_text_from_events_is_shown_as_text_and_runs_nothing(drilled, page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in_page(page, drilled.base, "/vessels?lang=en")
    row(page, scenario.PROBE_IMO, "vessel-grid").wait_for()
    assert scenario.PROBE_NAME in row_text(page, scenario.PROBE_IMO, "vessel-grid")
    assert page.locator("#vessel-grid img").count() == 0
    page.goto(f"{drilled.base}/vessels/{scenario.PROBE_IMO}?lang=en")
    page.locator("#vessel-header h1").wait_for()
    assert page.locator("#vessel-header h1").inner_text() == scenario.PROBE_NAME
    assert page.locator("#page img").count() == 0 and dialogs == []
