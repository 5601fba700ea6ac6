"""The alerts API (docs/alerts.md): open alerts, their history as CSV, and a manager's
acknowledgement or resolution. Readers and managers read; only managers change (dashboard/access.py)."""

from __future__ import annotations

import time

import orjson
import pandas as pd
from flask import Blueprint, Response, g, request

from dashboard.alerts.store import AlertConflict, AlertNotFound
from dashboard.alerts.views import public
from dashboard.api.ingest import error_response, json_response, service
from dashboard.state.timeline import iso
from layouts.i18n import pick, text

bp = Blueprint("alerts", __name__)

STATES = ("open", "acknowledged", "all")
MAX_NOTE = 1000  # characters of a note or a reason
HISTORY_COLUMNS = ("at", "alert_id", "event", "kind", "subject", "severity", "by", "note", "reason", "text", "link")


@bp.get("/api/v1/alerts")
def list_alerts() -> Response:
    wanted = request.args.get("state", "open")
    if wanted not in STATES:
        return error_response(400, "bad_state", f"state must be one of {', '.join(STATES)}")
    svc = service()
    alerts = svc.alerts.open_alerts()
    if wanted != "all":
        alerts = [alert for alert in alerts if alert["state"] == wanted]
    zone = svc.profile.timezone
    return json_response({"alerts": [public(alert, zone) for alert in alerts], "count": len(alerts)}, 200)


@bp.get("/api/v1/alerts/history.csv")
def history_csv() -> Response:
    svc = service()
    lang = pick(request.args.get("lang"))
    days_limit = svc.config.alert_history_days
    try:
        days = float(request.args.get("days", "7"))
    except ValueError:
        days = -1
    if not 0 < days <= days_limit:
        return error_response(400, "bad_days", f"days must be a number in (0, {days_limit}]")
    zone = svc.profile.timezone
    rows = [{"at": iso(entry["at"], zone), "alert_id": entry["alert_id"], "event": entry["event"],
             "kind": entry["alert"]["kind"], "subject": entry["alert"]["subject"],
             "severity": entry["alert"]["severity"], "by": entry["by"], "note": entry["note"],
             "reason": entry["reason"], "text": entry["alert"]["text"][lang], "link": entry["alert"]["link"]}
            for entry in svc.alerts.history(time.time() - days * 86_400)]
    frame = pd.DataFrame.from_records(rows, columns=list(HISTORY_COLUMNS))
    frame.columns = [text(f"col_alert_{column}", lang) for column in HISTORY_COLUMNS]
    body = frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="alerts-history.csv"', "Cache-Control": "no-store"})


def read_words(field: str, required: bool) -> tuple[str | None, list[dict]]:
    """The body's `field` (a note or a reason) and every problem with the body."""
    try:
        body = orjson.loads(request.get_data() or b"{}")
    except orjson.JSONDecodeError:
        return None, [{"field": "", "problem": "the body is not JSON"}]
    if not isinstance(body, dict):
        return None, [{"field": "", "problem": "the body must be a JSON object"}]
    problems = [{"field": name, "problem": "unknown field"} for name in sorted(body) if name != field]
    value = body.get(field)
    if value is None and not required:
        value = ""
    if not isinstance(value, str):
        problems.append({"field": field, "problem": "required, a string" if value is None else "must be a string"})
    elif required and not value.strip():
        problems.append({"field": field, "problem": "required: say why"})
    elif len(value) > MAX_NOTE:
        problems.append({"field": field, "problem": f"at most {MAX_NOTE} characters"})
    return (value.strip() if isinstance(value, str) else None), problems


@bp.post("/api/v1/alerts/<alert_id>/ack")
def acknowledge(alert_id: str) -> Response:
    note, problems = read_words("note", required=False)
    if problems:
        return error_response(400, "bad_request", "the acknowledgement is not valid", problems)
    return _change(lambda store: store.acknowledge(alert_id, g.credential.name, note))


@bp.post("/api/v1/alerts/<alert_id>/resolve")
def resolve(alert_id: str) -> Response:
    reason, problems = read_words("reason", required=True)
    if problems:
        return error_response(400, "bad_request", "the resolution is not valid", problems)
    return _change(lambda store: store.resolve(alert_id, g.credential.name, reason))


def _change(transition) -> Response:
    svc = service()
    try:
        alert = transition(svc.alerts)
    except AlertNotFound as missing:
        return error_response(404, "not_found", f"no open alert {str(missing)[:200]}")
    except AlertConflict as conflict:
        return error_response(409, "conflict", str(conflict)[:300])
    return json_response(public(alert, svc.profile.timezone), 200)


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Generated-At"] = f"{time.time():.3f}"
    return response
