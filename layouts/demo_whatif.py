"""The presenters' what-if on /demo: a switch per measure, the waterfall of the ticked ones (read
from the reconstruction report, so it follows at once), and a button that restarts the running
demo with them, so the wall's own figures follow too."""

from __future__ import annotations

from dash import dcc, html

from layouts import ids
from layouts.figures_waterfall import pp, split, waterfall
from layouts.i18n import text

DIRECTIONS = ("import", "export")
REPORT_COMMAND = "python run.py simulate --scenario h1-before-after --report simulator/reports/h1-before-after.json"
GRAPH_CONFIG = {"displayModeBar": False}


def whatif_figures(rows: list[dict] | None, report: dict | None, all_on: bool, lang: str) -> tuple:
    """(import, export) waterfalls for the rows of one set of measures; `all_on`: every measure is
    ticked, so the report's unexplained remainder is shown. Empty figures without a report."""
    if rows is None or report is None:
        return {}, {}
    published = report.get("published") or {}
    unexplained = report.get("unexplained") or {}
    return tuple(waterfall(rows, direction, lang, published=published.get(f"{direction}_pct"),
                           unexplained=unexplained.get(f"{direction}_pp") if all_on else None)
                 for direction in DIRECTIONS)


def totals_line(rows: list[dict] | None, report: dict | None, lang: str) -> list:
    """The set's total change per direction, with its interval; or how to make the report."""
    if rows is None or report is None:
        return [html.P(text("whatif_no_report", lang), className="warn"), html.Code(REPORT_COMMAND)]
    _, total = split(rows)
    total = total or {}

    def figure(direction: str) -> str:
        value, ci = total.get(f"{direction}_pp"), total.get(f"{direction}_ci95_pp")
        return pp(value).replace(" pp", " %") + (f" ± {ci:.1f} pp" if ci is not None else "")
    return [html.P(text("whatif_totals", lang, imp=figure("import"), exp=figure("export"),
                        seeds=report.get("seeds", "—")))]


def whatif_panel(measures: list[dict], running: list[str], rows: list[dict] | None, report: dict | None,
                 lang: str) -> html.Section:
    """`measures`: [{id, title: {zh, en}}]; `running`: the ids the demo runs with (ticked);
    `rows`: the waterfall for them (None without a report)."""
    all_on = bool(measures) and {m["id"] for m in measures} <= set(running)
    import_figure, export_figure = whatif_figures(rows, report, all_on, lang)
    return html.Section(className="whatif", children=[
        html.H2(text("whatif_title", lang)),
        html.P(text("whatif_hint", lang), className="whatif-hint"),
        dcc.Checklist(id=ids.DEMO_MEASURES, value=list(running), className="whatif-measures",
                      options=[{"label": m["title"][lang], "value": m["id"]} for m in measures]),
        dcc.Store(id=ids.DEMO_MEASURES_RUNNING, data=list(running)),
        html.Div(className="demo-buttons", children=[
            html.Button(text("whatif_apply", lang), id=ids.DEMO_APPLY_MEASURES)]),
        html.Div(id=ids.DEMO_WHATIF_TOTALS, className="whatif-totals", children=totals_line(rows, report, lang)),
        html.Div(className="whatif-figures", children=[
            dcc.Graph(id=ids.DEMO_WATERFALL_IMPORT, figure=import_figure, config=GRAPH_CONFIG),
            dcc.Graph(id=ids.DEMO_WATERFALL_EXPORT, figure=export_figure, config=GRAPH_CONFIG)]),
        html.A(text("report_link", lang), id=ids.DEMO_REPORT_LINK, href=f"/demo/report?lang={lang}"),
    ])
