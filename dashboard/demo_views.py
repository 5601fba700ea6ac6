"""The /demo pages' what-if pieces, built from the demo's plain data (dashboard/demo.py: its
measures, the reconstruction report, the waterfall for a set) by the layouts."""

from __future__ import annotations

from layouts.demo_report import report_page
from layouts.demo_whatif import totals_line, whatif_figures, whatif_panel


def whatif_view(demo, enabled: list[str], lang: str) -> tuple:
    """(import figure, export figure, totals line) for a set of measure ids."""
    report = demo.report()
    rows = demo.waterfall(enabled) if report is not None else None
    all_on = {m["id"] for m in demo.measures()} <= set(enabled)
    return (*whatif_figures(rows, report, all_on, lang), totals_line(rows, report, lang))


def panel_for(demo, status: dict, lang: str):
    """The what-if panel, ticked as the demo runs; None when the simulator offers no measures."""
    measures = demo.measures()
    if not measures:
        return None
    running = [m["id"] for m in measures if m["id"] in set(status.get("measures") or [])]
    report = demo.report()
    return whatif_panel(measures, running, demo.waterfall(running) if report is not None else None, report, lang)


def report_view(demo, lang: str):
    """/demo/report: the shipped reconstruction report as a page."""
    return report_page(demo.report(), lang)
