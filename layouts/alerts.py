"""Alerts with owners on the managers' pages (docs/alerts.md): the strip on a vessel's or a box's
page (its open alert, Acknowledge with a note, Resolve with a reason) and the board at /alerts.
Pure builders: the alerts come in as the API gives them (dashboard/alerts/views.py)."""

from __future__ import annotations

from datetime import datetime

import dash_ag_grid as dag
from dash import dcc, html
from dash_socketio import DashSocketIO

from layouts import ids
from layouts.i18n import duration, stamp, text
from layouts.manager import GRID_THEME, page_title



# -- the strip on /vessels/<imo> and /containers/<n> --------------------------------------------
def alert_strip(subject: dict, lang: str) -> html.Section:
    """Hidden until its callback (dashboard/alert_callbacks.py) finds an open alert of `subject`
    (`{"imo", "voyage"}` or `{"number"}`); the controls are always there, so the callback that
    reads them needs no component that may be missing."""
    return html.Section(id=ids.ALERT_STRIP, className="alert-strip", hidden=True, children=[
        html.Div(id=ids.ALERT_STATUS, className="alert-status"),
        html.Div(className="alert-controls", children=[
            html.Div(className="alert-control", children=[
                dcc.Input(id=ids.ALERT_NOTE, type="text", placeholder=text("alert_note", lang), maxLength=1000),
                html.Button(text("alert_ack", lang), id=ids.ALERT_ACK, className="button")]),
            html.Div(className="alert-control", children=[
                dcc.Input(id=ids.ALERT_REASON, type="text", placeholder=text("alert_reason", lang), maxLength=1000),
                html.Button(text("alert_resolve", lang), id=ids.ALERT_RESOLVE, className="button")]),
        ]),
        html.Div(id=ids.ALERT_MESSAGE, className="alert-message", role="status"),
        dcc.Store(id=ids.ALERT_SUBJECT, data={**subject, "lang": lang}),
        dcc.Store(id=ids.ALERT_CURRENT), dcc.Store(id=ids.ALERT_GATE),
    ])


def alert_status(alert: dict | None, lang: str) -> list:
    """What the strip says of its alert (None: nothing open)."""
    if alert is None:
        return []
    words = alert["text"][lang]
    if alert["state"] == "acknowledged":
        lines = [html.Div(text("alert_acked_by", lang, text=words, name=alert["acknowledged_by"],
                               time=stamp(alert["acknowledged_at"], lang)), className="alert-owner-line")]
        if alert.get("note"):
            lines.append(html.Div(text("alert_note_shown", lang, note=alert["note"]), className="alert-note-shown"))
    else:
        lines = [html.Div(text("alert_open_since", lang, text=words, time=stamp(alert["raised_at"], lang)))]
    if alert["escalated"]:
        lines.append(html.Div(text("alert_state_escalated", lang), className="alert-escalated"))
    return lines


def strip_class(alert: dict | None) -> str:
    return "alert-strip" + (" alert-acknowledged" if alert and alert["state"] == "acknowledged" else "")


# -- /alerts ----------------------------------------------------------------------------------
def state_words(alert: dict, lang: str) -> str:
    words = text(f"alert_state_{alert['state']}", lang)
    return f"{words} · {text('alert_state_escalated', lang)}" if alert["escalated"] else words


def board_rows(alerts: list[dict], now: float, lang: str) -> list[dict]:
    """One row per open alert, newest first (the order the API gives, to the millisecond; the grid
    keeps it until the manager sorts)."""
    return [{"id": alert["id"], "raised": stamp(alert["raised_at"], lang),
             "severity": text(f"alert_severity_{alert['severity']}", lang),
             "subject_link": f"{text('alert_kind_' + alert['kind'], lang)} {alert['subject']}",
             "href": f"{alert['link']}?lang={lang}", "text": alert["text"][lang],
             "state": state_words(alert, lang), "state_code": alert["state"], "escalated": alert["escalated"],
             "owner": alert["acknowledged_by"] or "", "note": alert.get("note") or "",
             "age": duration(now - datetime.fromisoformat(alert["raised_at"]).timestamp(), lang)}
            for alert in alerts]


def alerts_page(alerts: list[dict], now: float, lang: str) -> html.Div:
    def column(field: str, key: str, **options) -> dict:
        return {"field": field, "headerName": text(key, lang), **options}
    columns = [column("raised", "col_alert_raised", maxWidth=170),
               column("severity", "col_alert_severity", maxWidth=110),
               column("subject_link", "col_alert_subject_link", cellRenderer="PageLink", minWidth=170),
               column("text", "col_alert_text", minWidth=320), column("state", "col_alert_state"),
               column("owner", "col_alert_owner"), column("note", "col_alert_note"),
               column("age", "col_alert_age", maxWidth=130)]
    grid = dag.AgGrid(id=ids.ALERTS_GRID, rowData=board_rows(alerts, now, lang), columnDefs=columns,
                      getRowId="params.data.id", className="grid",
                      defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1},
                      rowClassRules={"alert-row-acknowledged": "params.data.state_code == 'acknowledged'",
                                     "alert-row-escalated": "params.data.escalated"},
                      dashGridOptions={"theme": GRID_THEME, "animateRows": False}, style={"height": "70vh"})
    export = html.A(text("alerts_csv", lang), id=ids.ALERTS_CSV, className="button alerts-export",
                    href=f"/api/v1/alerts/history.csv?days=30&lang={lang}", download="alerts-history.csv")
    hint = None if alerts else html.P(text("alerts_none", lang), className="hint")
    return html.Div(className="alerts-page", children=[
        page_title(text("alerts_title", lang), export, hint), html.Section(grid, className="panel"),
        # the board's socket room says when an alert changed (dashboard/sockets.py), and once a minute
        DashSocketIO(id=ids.ALERTS_SOCKET, eventNames=["refresh"], options={"query": {"page": "alerts"}})])
