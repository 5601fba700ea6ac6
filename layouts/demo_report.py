"""/demo/report: the before/after reconstruction report as a page — the port-wide change against
the published one, the full waterfall, the diverted boxes, and the model's assumptions."""

from __future__ import annotations

from dash import dcc, html

from layouts import ids
from layouts.demo_whatif import DIRECTIONS, GRAPH_CONFIG, REPORT_COMMAND
from layouts.figures_waterfall import percent, pp, waterfall
from layouts.i18n import number, text


def _hours(value: float | None, lang: str) -> str:
    return "—" if value is None else number(value, lang, 2) + (" 时" if lang == "zh" else " h")


def _change(row: dict) -> str:
    ci = row.get("ci95_pp")
    return percent(row.get("change_pct")) + (f" ± {ci:.2f} pp" if ci is not None else "")


def port_wide_table(report: dict, lang: str) -> html.Table:
    clearance = report.get("port_wide", {}).get("clearance_hours", {})
    published = report.get("published") or {}
    head = html.Tr([html.Th(text(key, lang)) for key in ("report_direction", "report_before", "report_after",
                                                          "report_change", "report_published", "whatif_unexplained")])
    unexplained = report.get("unexplained") or {}
    rows = []
    for direction in DIRECTIONS:
        row, target = clearance.get(direction, {}), published.get(f"{direction}_pct")
        gap = unexplained.get(f"{direction}_pp")  # published − the model's change, as in the waterfall
        rows.append(html.Tr([html.Td(text(direction, lang)), html.Td(_hours(row.get("before"), lang), className="num"),
                             html.Td(_hours(row.get("after"), lang), className="num"),
                             html.Td(_change(row), className="num"), html.Td(percent(target), className="num"),
                             html.Td(pp(gap), className="num")], **{"data-direction": direction}))
    return html.Table([html.Thead(head), html.Tbody(rows)], id=ids.REPORT_PORT_WIDE, className="facts")


def diverted_table(report: dict, lang: str) -> html.Div:
    diverted = report.get("diverted_boxes") or {}
    rows = []
    for key, label, digits in (("moves", "report_moves", 2), ("hours_to_first_destination", "report_hours", 2)):
        figure = diverted.get(key) or {}
        before, after = figure.get("before"), figure.get("after")
        rows.append(html.Tr([html.Td(text(label, lang)),
                             html.Td(f"{number(before, lang, digits)} → {number(after, lang, digits)}", className="num"),
                             html.Td(percent(figure.get("change_pct")), className="num")], **{"data-figure": key}))
    return html.Div(id=ids.REPORT_DIVERTED, children=[
        html.Table(html.Tbody(rows), className="facts"),
        html.P(text("report_boxes", lang, n=number(diverted.get("n"), lang)))])


def assumption_text(item) -> str:
    """An assumption as the report lists it: a sentence, (name, value, why), or a mapping."""
    if isinstance(item, (list, tuple)):
        name, *rest = [str(part) for part in item] or [""]
        return f"{name} = {rest[0]} — {' '.join(rest[1:])}" if len(rest) > 1 else " = ".join([name, *rest])
    if isinstance(item, dict):
        return " · ".join(f"{key}: {value}" for key, value in item.items())
    return str(item)


def report_page(report: dict | None, lang: str) -> html.Div:
    back = html.A(text("report_back", lang), href=f"/demo?lang={lang}")
    if report is None:
        return html.Div(className="demo-report", children=[
            html.H1(text("report_title", lang)), html.P(text("whatif_no_report", lang)),
            html.Code(REPORT_COMMAND), html.P(back)])
    rows = report.get("waterfall") or []
    unexplained, published = report.get("unexplained") or {}, report.get("published") or {}
    figures = [dcc.Graph(id=graph_id, config=GRAPH_CONFIG,
                         figure=waterfall(rows, direction, lang, unexplained=unexplained.get(f"{direction}_pp"),
                                          published=published.get(f"{direction}_pct"), height=420))
               for graph_id, direction in ((ids.REPORT_WATERFALL_IMPORT, "import"),
                                           (ids.REPORT_WATERFALL_EXPORT, "export"))]
    return html.Div(className="demo-report", children=[
        html.H1(text("report_title", lang)),
        html.P([text("report_seeds", lang, seeds=report.get("seeds", "—")), " · ", back]),
        html.Section(className="panel", children=[html.H2(text("report_port_wide", lang)),
                                                  port_wide_table(report, lang)]),
        html.Section(className="panel", children=[html.H2(text("report_waterfall", lang)),
                                                  html.Div(figures, className="whatif-figures")]),
        html.Section(className="panel", children=[html.H2(text("report_diverted", lang)),
                                                  diverted_table(report, lang)]),
        html.Section(className="panel", children=[
            html.H2(text("report_assumptions", lang)),
            html.Ul([html.Li(assumption_text(item)) for item in report.get("assumptions") or []],
                    id=ids.REPORT_ASSUMPTIONS)]),
    ])
