"""The presenters' what-if on /demo in a real browser: untick a measure, the waterfall loses its
bar and its total moves at once; "apply to the wall" restarts the running demo with the measures
left; and the reconstruction report's page (fixture report: tests/data/whatif-report.json)."""

from __future__ import annotations

import json

import pytest

from layouts import ids
from tests.e2e.conftest import log_in_page, screenshot
from tests.helpers import wait_for
from tests.process import ROOT

FIXTURE = ROOT / "tests" / "data" / "whatif-report.json"


@pytest.fixture
def whatif_service(tmp_path, start_service):
    return start_service(tmp_path, args=(), extra_env={"DP_DEMO_BOXES_PER_DAY": "3000",
                                                        "DP_DEMO_REPORT": str(FIXTURE)})


def bars(page, graph_id: str) -> dict:
    """The waterfall trace as the browser holds it: {"x": labels, "y": values}."""
    return page.evaluate("""id => {
        const plot = document.querySelector('#' + id + ' .js-plotly-plot');
        return plot && plot.data ? {x: Array.from(plot.data[0].x), y: Array.from(plot.data[0].y)} : null;
    }""", graph_id)


def test_unticking_a_measure_changes_the_waterfall_and_restarts_the_demo_with_the_rest(whatif_service, page):
    log_in_page(page, whatif_service.base, "/demo?lang=en")
    page.wait_for_selector(f"#{ids.DEMO_WATERFALL_EXPORT} .js-plotly-plot .waterfalllayer .point")
    before = bars(page, ids.DEMO_WATERFALL_EXPORT)
    assert "Smart diversion" in before["x"] and before["x"][-2:] == ["Model total", "Unexplained"]
    assert page.is_checked(f"#{ids.DEMO_MEASURES} input[value=smart_diversion]")

    page.uncheck(f"#{ids.DEMO_MEASURES} input[value=smart_diversion]")
    page.wait_for_function("""id => {
        const plot = document.querySelector('#' + id + ' .js-plotly-plot');
        return plot && !Array.from(plot.data[0].x).includes('Smart diversion');
    }""", arg=ids.DEMO_WATERFALL_EXPORT)
    after = bars(page, ids.DEMO_WATERFALL_EXPORT)
    assert after["x"][-1] == "Model total"  # no "unexplained" without every measure
    assert after["y"][-1] > before["y"][-2] + 3  # the export total is less of a cut without diversion
    assert "Smart diversion" not in bars(page, ids.DEMO_WATERFALL_IMPORT)["x"]
    assert whatif_service.health()["demo"]["measures"] == sorted(json.loads(FIXTURE.read_text())["what_if"]["measures"])

    page.click(f"#{ids.DEMO_APPLY_MEASURES}")
    page.wait_for_selector(f"#{ids.DEMO_STATUS} [data-measures='appointment_free_inspection,boarding_appointment,"
                           "early_declaration,paperless_declaration']")
    wait_for(lambda: whatif_service.health()["demo"]["measures"] == [
        "appointment_free_inspection", "boarding_appointment", "early_declaration", "paperless_declaration"],
        what="the demo restarted without smart diversion")
    assert whatif_service.health()["demo"]["running"] is True
    assert not page.is_checked(f"#{ids.DEMO_MEASURES} input[value=smart_diversion]")
    screenshot(page, "demo-whatif")

    page.click(f"#{ids.DEMO_REPORT_LINK}")
    page.wait_for_selector(f"#{ids.REPORT_PORT_WIDE}")
    table = page.inner_text(f"#{ids.REPORT_PORT_WIDE}")
    assert "−9.76 %" in table and "−29.08 %" in table
    assert "TEST_SHARE" in page.inner_text(f"#{ids.REPORT_ASSUMPTIONS}")
    page.wait_for_selector(f"#{ids.REPORT_WATERFALL_IMPORT} .js-plotly-plot .waterfalllayer .point")
    assert "Smart diversion" in bars(page, ids.REPORT_WATERFALL_IMPORT)["x"]  # the report: every measure
    screenshot(page, "demo-report")
    assert page.console_errors == []
