"""`/vessels` (every call, a sortable and filterable grid) and `/vessels/<imo>` (one call: header,
where its boxes are, who holds the delay, the box table, its timeline and earlier calls)."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html
from dash_socketio import DashSocketIO

from layouts import ids
from layouts.alerts import alert_strip
from layouts.container import event_class, retracted_note
from layouts.i18n import duration, number, share, stage_name, stamp, text
from layouts.manager import GRID_THEME, page_title

STAGE_ORDER = {"import": ("awaiting_discharge", "awaiting_release", "in_inspection", "awaiting_pickup", "gated_out"),
               "export": ("awaiting_gate_in", "awaiting_release", "in_inspection", "awaiting_loading", "loaded")}


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _column(field: str, lang: str, **options) -> dict:
    return {"field": field, "headerName": text(f"col_{field}", lang), **options}


# -- /vessels ----------------------------------------------------------------------------------
def vessel_list_rows(rows: list[dict], lang: str) -> list[dict]:
    def progress(done, planned):
        return f"{done} / {planned}" if planned else str(done)
    return [{"imo": row["imo"], "name": row["name"] or row["imo"], "href": f"/vessels/{row['imo']}?lang={lang}",
             "voyage": row["voyage"], "status": text(f"status_{row['status']}", lang),
             "terminal": row["terminal"], "berth": row["berth"], "eta": stamp(row["eta"], lang),
             "berthed": stamp(row["berthed"], lang), "hours_in_port": _hours(row["hours_in_port"]),
             "discharged": progress(row["progress"]["discharged"], row["progress"]["to_discharge"]),
             "loaded": progress(row["progress"]["loaded"], row["progress"]["to_load"]),
             "delay": ", ".join(text(f"reason_{reason}", lang) for reason in row["delay_reasons"])}
            for row in rows]


def vessel_list_page(rows: list[dict], lang: str, delayed_only: bool) -> html.Div:
    columns = [_column("name", lang, cellRenderer="PageLink", pinned="left", minWidth=200),
               _column("imo", lang, maxWidth=130), _column("voyage", lang, maxWidth=130),
               _column("status", lang, maxWidth=140), _column("terminal", lang), _column("berth", lang, maxWidth=110),
               _column("eta", lang), _column("berthed", lang),
               _column("hours_in_port", lang, filter="agNumberColumnFilter", maxWidth=140),
               _column("discharged", lang, maxWidth=150), _column("loaded", lang, maxWidth=150),
               _column("delay", lang, cellClass="delay-cell", minWidth=180)]
    grid = dag.AgGrid(id=ids.VESSEL_GRID, rowData=vessel_list_rows(rows, lang), columnDefs=columns,
                      defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1},
                      getRowId="params.data.imo", columnSize="autoSize", className="grid",
                      filterModel={"delay": {"filterType": "text", "type": "notBlank"}} if delayed_only else {},
                      dashGridOptions={"theme": GRID_THEME, "animateRows": False}, style={"height": "75vh"})
    hint = html.P(text("delayed_only", lang), className="hint") if delayed_only else None
    return html.Div([page_title(text("vessels_title", lang), hint), grid,
                     DashSocketIO(id=ids.VESSEL_LIST_SOCKET, eventNames=["refresh"], options={"query": {"page": "vessels"}})])


# -- /vessels/<imo> ----------------------------------------------------------------------------
def vessel_header(view: dict, lang: str) -> list:
    facts = [("col_imo", view["imo"]), ("col_voyage", view["voyage"] or "—"), ("col_status", text(f"status_{view['status']}", lang)),
             ("col_terminal", view["terminal"] or "—"), ("col_berth", view["berth"] or "—"),
             ("col_eta", stamp(view["eta"], lang)), ("col_ata", stamp(view["arrived"] or view["berthed"], lang)),
             ("col_berthed", stamp(view["berthed"], lang)), ("col_atd", stamp(view["departed"], lang)),
             ("col_hours_in_port", duration(None if view["hours_in_port"] is None else view["hours_in_port"] * 3600, lang))]
    children = [html.H1(view["name"] or view["imo"]),
                html.Dl([html.Div([html.Dt(text(key, lang)), html.Dd(value)]) for key, value in facts])]
    if view["delayed"]:
        reasons = ", ".join(text(f"reason_{reason}", lang) for reason in view["delay_reasons"])
        children.append(html.P(text("delayed_vessel", lang, name=view["name"] or view["imo"], why=reasons),
                               className="delayed-flag"))
    if view["contradictory"]:
        children.append(html.P(text("contradictory", lang), className="warn"))
    return children


def stage_breakdown(boxes: list[dict], lang: str) -> list:
    counts: dict[tuple, int] = {}
    for box in boxes:
        counts[(box["direction"], box["stage"])] = counts.get((box["direction"], box["stage"]), 0) + 1
    rows = []
    for direction, stages in STAGE_ORDER.items():
        total = sum(counts.get((direction, stage), 0) for stage in stages) or 1
        for stage in stages:
            n = counts.get((direction, stage), 0)
            rows.append(html.Tr([html.Td(text(direction, lang)), html.Td(text(f"stage_{stage}", lang)),
                                 html.Td(number(n, lang), className="num"),
                                 html.Td(html.Div(className="bar", style={"width": f"{100 * n / total:.0f}%"}))]))
    return [html.H2(text("stage_breakdown", lang)), html.Table(html.Tbody(rows), className="facts")]


def bottleneck(view: dict, lang: str) -> list:
    found = view.get("bottleneck")
    title = html.H2(text("bottleneck", lang))
    if not found:
        return [title, html.P(text("bottleneck_none", lang), className="ok")]
    total = found["total_delay_hours"]
    rows = [html.Tr([html.Td(text(item["direction"], lang)), html.Td(text(f"stage_{item['stage']}", lang)),
                     html.Td(text(f"party_{item['party']}", lang)), html.Td(number(item["delay_hours"], lang, 1), className="num"),
                     html.Td(share(item["delay_hours"] / total if total else None, lang), className="num")])
            for item in found["stages"]]
    head = html.Tr([html.Th(text(key, lang)) for key in ("col_direction", "col_stage", "col_party", "col_delay_hours", "col_share")])
    return [title, html.P(text("delay_total", lang, hours=number(total, lang, 1))),
            html.Table([html.Thead(head), html.Tbody(rows)], className="facts bottleneck")]


def box_rows(boxes: list[dict], lang: str) -> list[dict]:
    return [{"number": box["number"], "href": f"/containers/{box['number']}?lang={lang}",
             "direction": text(box["direction"], lang) if box["direction"] else "—",
             "stage": stage_name(box["stage"], lang),
             "hours_in_stage": _hours(box["hours_in_stage"]),
             "sla": text(f"sla_{box['sla']}", lang) if box["sla"] else "—", "sla_code": box["sla"] or "none",
             "waiting_on": text(f"party_{box['waiting_on']}", lang) if box["waiting_on"] else "—",
             "delay_hours": _hours(box["delay_hours"])}
            for box in boxes]


def box_grid(view: dict, lang: str) -> dag.AgGrid:
    number_filter = {"filter": "agNumberColumnFilter", "maxWidth": 150}
    columns = [_column("number", lang, cellRenderer="PageLink", pinned="left", minWidth=150),
               _column("direction", lang, maxWidth=130), _column("stage", lang),
               _column("hours_in_stage", lang, **number_filter),
               _column("sla", lang, maxWidth=130, cellClassRules={"sla-late": "params.data.sla_code == 'late'",
                                                                  "sla-warn": "params.data.sla_code == 'warn'"}),
               _column("waiting_on", lang), _column("delay_hours", lang, sort="desc", **number_filter)]
    return dag.AgGrid(id=ids.BOX_GRID, rowData=box_rows(view["boxes"], lang), columnDefs=columns,
                      defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1},
                      getRowId="params.data.number", className="grid",
                      dashGridOptions={"theme": GRID_THEME, "animateRows": False, "rowBuffer": 20},
                      style={"height": "60vh"})


def call_timeline(entries: list[dict], lang: str) -> list:
    items = [html.Li(**{"data-event-id": entry["id"]}, className=event_class(entry), children=[
        html.Time(stamp(entry["time"], lang), dateTime=entry["time"]),
        html.Span(text(f"event_{entry['type']}", lang), className="what"),
        html.Span(text(f"classifier_{entry['classifier']}", lang), className="classifier")
        if entry["classifier"] != "actual" else None,
        html.Span(entry["source"], className="who"),
        retracted_note(entry, lang) if "retracted" in entry else None]) for entry in entries]
    return [html.H2(text("timeline", lang)), html.Ol(items, className="timeline")]


def earlier_calls(calls: list[dict], lang: str) -> list:
    if not calls:
        return [html.H2(text("earlier_calls", lang)), html.P(text("no_earlier_calls", lang))]
    rows = [html.Tr([html.Td(call["voyage"] or "—"), html.Td(stamp(call["berthed"], lang)),
                     html.Td(stamp(call["departed"], lang)), html.Td(text(f"status_{call['status']}", lang))])
            for call in calls]
    head = html.Tr([html.Th(text(key, lang)) for key in ("col_voyage", "col_berthed", "col_atd", "col_status")])
    return [html.H2(text("earlier_calls", lang)), html.Table([html.Thead(head), html.Tbody(rows)], className="facts")]


def vessel_page(view: dict, lang: str) -> html.Div:
    imo = view["imo"]
    export = html.A(text("export_csv", lang), id=ids.EXPORT_CSV, className="button",
                    href=f"/vessels/{imo}/boxes.csv?lang={lang}", download=f"{imo}-boxes.csv")
    return html.Div(className="vessel-page", children=[
        html.Section(vessel_header(view, lang), id=ids.VESSEL_HEADER, className="vessel-header"),
        alert_strip({"imo": imo, "voyage": view["voyage"]}, lang),  # shown when the call has an open alert
        html.Div(className="vessel-facts", children=[
            html.Section(stage_breakdown(view["boxes"], lang), id=ids.VESSEL_STAGES, className="panel"),
            html.Section(bottleneck(view, lang), id=ids.VESSEL_BOTTLENECK, className="panel"),
        ]),
        html.Section(className="panel", children=[
            html.Div([html.H2(text("boxes_title", lang)), export], className="section-head"), box_grid(view, lang)]),
        html.Div(className="vessel-facts", children=[
            html.Section(call_timeline(view["timeline"], lang), id=ids.VESSEL_TIMELINE, className="panel"),
            html.Section(earlier_calls(view["earlier_calls"], lang), id=ids.VESSEL_EARLIER, className="panel"),
        ]),
        DashSocketIO(id=ids.VESSEL_SOCKET, eventNames=["refresh"], options={"query": {"vessel": imo}}),
        dcc.Store(id=ids.VESSEL_KEY, data={"imo": imo, "lang": lang}),
    ])
