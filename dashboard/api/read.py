"""The read API (docs/api.md): KPIs, their hourly history, vessels and containers, as JSON."""

from __future__ import annotations

import time

from flask import Blueprint, Response, g, request

from dashboard.api.ingest import error_response, json_response, service
from dashboard.history import KEEP_DAYS
from dashboard import reports
from dashboard.state.timeline import iso

bp = Blueprint("read", __name__)


@bp.get("/api/v1/kpis")
def kpis() -> Response:
    return json_response(service().kpis(), 200)


@bp.get("/api/v1/kpis/history")
def kpi_history() -> Response:
    svc = service()
    metric = request.args.get("metric", "")
    try:
        days = float(request.args.get("days", "7"))
    except ValueError:
        days = -1
    if not 0 < days <= KEEP_DAYS:
        return error_response(400, "bad_days", f"days must be a number in (0, {KEEP_DAYS}]")
    known = svc.history.metrics()
    if metric not in known:
        return error_response(400, "unknown_metric",
                              f"unknown metric {metric[:100]!r}; known: see `metrics`", [{"metrics": known}])
    zone = svc.profile.timezone
    series = svc.history.series(metric, days, svc.port_now())
    return json_response({"metric": metric, "days": days, "unit": "hourly",
                          "points": [{"hour": iso(hour, zone), "value": value} for hour, value in series]}, 200)


@bp.get("/api/v1/vessels")
def vessels() -> Response:
    rows = reports.vessel_list(service(), delayed_only=request.args.get("delayed") in ("1", "true", "yes"),
                               identities=g.credential.identities)
    return json_response({"vessels": rows, "count": len(rows)}, 200)


@bp.get("/api/v1/vessels/<imo>")
def vessel(imo: str) -> Response:
    return _report(reports.vessel_report, imo)


@bp.get("/api/v1/containers/<number>")
def container(number: str) -> Response:
    return _report(reports.container_report, number)


@bp.get("/api/v1/search")
def search() -> Response:
    return json_response(reports.search_report(service(), request.args.get("q", ""),
                                               identities=g.credential.identities), 200)


@bp.get("/api/v1/feeds")
def feeds() -> Response:
    return json_response(reports.feeds_report(service()), 200)


def _report(build, key: str) -> Response:
    try:
        return json_response(build(service(), key, identities=g.credential.identities), 200)
    except reports.NotFound as missing:
        details = [{"suggestion": missing.suggestion}] if missing.suggestion else None
        return error_response(missing.status, missing.error, missing.problem, details)


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Generated-At"] = f"{time.time():.3f}"
    return response
