"""`/feeds`: each partner's feed (last event, rate, rejects) and the dead-letter log made readable."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import html
from dash_socketio import DashSocketIO

from layouts import ids
from layouts.i18n import number, stamp, text
from layouts.manager import GRID_THEME, page_title

RAW_SHOWN = 400  # characters of a rejected input shown; the API has it whole (up to 64 KB)


def partner_rows(partners: list[dict], lang: str) -> list[dict]:
    return [{"source": p["source"], "last_event": stamp(p["last_event"], lang), "per_minute": p["events_per_minute"],
             "events": p["events"], "rejects": p["rejects"]} for p in partners]


def partner_grid(partners: list[dict], lang: str) -> dag.AgGrid:
    columns = [{"field": field, "headerName": text(f"col_{field}", lang),
                **({"filter": "agNumberColumnFilter"} if field in ("per_minute", "events", "rejects") else {})}
               for field in ("source", "last_event", "per_minute", "events", "rejects")]
    return dag.AgGrid(id=ids.FEEDS_GRID, rowData=partner_rows(partners, lang), columnDefs=columns,
                      getRowId="params.data.source", className="grid",
                      defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1},
                      dashGridOptions={"theme": GRID_THEME, "domLayout": "autoHeight"})


def reject_list(report: dict, lang: str) -> list:
    title = html.H2(text("latest_rejects", lang))
    if report["redis"] != "up":
        return [title, html.P(text("redis_down", lang), className="warn")]
    if not report["latest_rejects"]:
        return [title, html.P(text("no_rejects", lang))]
    items = []
    for entry in report["latest_rejects"]:
        reasons = [html.Li([html.Code(reason.get("field") or "—"), " ", reason.get("problem", "")])
                   for reason in entry["reasons"]]
        raw = entry["raw"][:RAW_SHOWN] + ("…" if len(entry["raw"]) > RAW_SHOWN or entry["truncated"] else "")
        items.append(html.Li(className="reject", **{"data-reject-id": entry["id"]}, children=[
            html.Div([html.Strong(entry["source"]), " · ", entry["received"],
                      f" · HTTP {entry['status']}" if entry["status"] else ""], className="reject-head"),
            html.Ul(reasons, className="reasons"), html.Pre(raw, className="raw")]))
    return [title, html.Ol(items, className="rejects")]


def feeds_page(report: dict, lang: str) -> html.Div:
    totals = sum(p["rejects"] for p in report["partners"])
    return html.Div([page_title(text("feeds_title", lang), html.P(f"{text('col_rejects', lang)}: {number(totals, lang)}")),
                     html.Section(partner_grid(report["partners"], lang), className="panel"),
                     html.Section(reject_list(report, lang), id=ids.FEEDS_REJECTS, className="panel"),
                     DashSocketIO(id=ids.FEEDS_SOCKET, eventNames=["refresh"], options={"query": {"page": "feeds"}})])
