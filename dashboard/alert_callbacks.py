"""The alerts' callbacks on the managers' pages (docs/alerts.md): the strip on a vessel's or a
box's page (its open alert; Acknowledge with a note, Resolve with a reason, in the manager's
name) and the board at /alerts, read again when its socket room says an alert changed."""

from __future__ import annotations

import time

from dash import Dash, Input, Output, State, ctx, no_update
from flask import g

from dashboard.access import Kind
from dashboard.alerts.store import AlertConflict, AlertNotFound
from dashboard.alerts.views import open_views, subject_alert
from dashboard.pages import query_lang
from dashboard.runtime import current_runtime
from layouts import ids
from layouts.alerts import alert_status, board_rows, strip_class
from layouts.i18n import text

STRIP_OUTPUTS = 9
# The strip asks the server only on a manager's page: an organisation's member opens the same
# vessel and box pages, and its session may not call this callback (dashboard/access.py, 403).
# The frame lists /alerts only for those who may open it (dashboard/pages.py asks `may_open`).
MANAGERS_ONLY = """function (subject) {
  var manager = document.querySelector('.manager-nav a[href^="/alerts"]') !== null;
  return subject && manager ? subject : window.dash_clientside.no_update;
}"""


def _svc():
    return current_runtime().svc


def act(action: str | None, alert_id: str | None, note: str | None, reason: str | None, lang: str) -> tuple[str, bool]:
    """Carry out the pressed button on the alert shown; → (what to tell the manager, a problem?)."""
    if action not in (ids.ALERT_ACK, ids.ALERT_RESOLVE) or not alert_id:
        return "", False
    store, name = _svc().alerts, g.credential.name
    try:
        if action == ids.ALERT_ACK:
            store.acknowledge(alert_id, name, (note or "").strip()[:1000])
            return text("alert_done_ack", lang), False
        if not (reason or "").strip():
            return text("alert_reason_needed", lang), True
        store.resolve(alert_id, name, reason.strip()[:1000])
        return text("alert_done_resolve", lang), False
    except (AlertConflict, AlertNotFound) as refused:
        return text("alert_refused", lang, why=str(refused)), True


def on_strip(subject: dict | None, _ack, _resolve, note: str | None, reason: str | None, current: str | None):
    """On the page's first draw and on each button: the subject's open alert, after the action
    (an alert someone else took meanwhile: the button says by whom)."""
    if not subject or g.credential.kind is not Kind.MANAGER:
        return (True,) + (no_update,) * (STRIP_OUTPUTS - 1)
    lang = subject["lang"]
    message, problem = act(ctx.triggered_id, current, note, reason, lang)
    svc = _svc()
    alert = subject_alert(open_views(svc.alerts, svc.profile.timezone), subject)
    done = bool(message) and not problem
    return (alert is None and not message, strip_class(alert), alert_status(alert, lang), message,
            "alert-message" + (" is-problem" if problem else ""), alert["id"] if alert else None,
            bool(alert) and alert["state"] == "acknowledged", "" if done else no_update, "" if done else no_update)


def refresh_board(_tick, search: str | None):
    svc = _svc()
    return board_rows(open_views(svc.alerts, svc.profile.timezone), time.time(), query_lang(search))


def register(app: Dash) -> None:
    app.clientside_callback(MANAGERS_ONLY, Output(ids.ALERT_GATE, "data"), Input(ids.ALERT_SUBJECT, "data"))
    app.callback(Output(ids.ALERT_STRIP, "hidden"), Output(ids.ALERT_STRIP, "className"),
                 Output(ids.ALERT_STATUS, "children"), Output(ids.ALERT_MESSAGE, "children"),
                 Output(ids.ALERT_MESSAGE, "className"), Output(ids.ALERT_CURRENT, "data"),
                 Output(ids.ALERT_ACK, "disabled"), Output(ids.ALERT_NOTE, "value"), Output(ids.ALERT_REASON, "value"),
                 Input(ids.ALERT_GATE, "data"), Input(ids.ALERT_ACK, "n_clicks"), Input(ids.ALERT_RESOLVE, "n_clicks"),
                 State(ids.ALERT_NOTE, "value"), State(ids.ALERT_REASON, "value"),
                 State(ids.ALERT_CURRENT, "data"), prevent_initial_call=True)(on_strip)
    app.callback(Output(ids.ALERTS_GRID, "rowData"), Input(ids.ALERTS_SOCKET, "data-refresh"),
                 State(ids.URL, "search"), prevent_initial_call=True)(refresh_board)
