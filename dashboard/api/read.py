"""The read API (docs/api.md): KPIs, their hourly history, vessels and containers, as JSON."""

from __future__ import annotations

import time

from flask import Blueprint, Response, request

from dashboard.api.ingest import error_response, json_response, service
from dashboard.history import KEEP_DAYS
from dashboard.state.timeline import iso
from dashboard.tables import vessel_box_table
from feeds.identifiers import check_container, check_imo, suggest_container

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
    svc = service()
    delayed_only = request.args.get("delayed") in ("1", "true", "yes")
    with svc.store.lock:
        rows = svc.store.state.vessel_list(svc.port_now())
    if delayed_only:
        rows = [row for row in rows if row["delayed"]]
    return json_response({"vessels": rows, "count": len(rows)}, 200)


@bp.get("/api/v1/vessels/<imo>")
def vessel(imo: str) -> Response:
    svc = service()
    canonical, problem = check_imo(imo[:32])
    if problem:
        return error_response(400, "bad_imo", f"{imo[:32]!r}: {problem}")
    with svc.store.lock:
        now = svc.port_now()
        view = svc.store.state.vessel(canonical, now)
    if view is None:
        return error_response(404, "unknown_vessel", f"no call of IMO {canonical} is known")
    view["boxes"] = vessel_box_table(view["boxes"]).to_dict("records")
    return json_response(view, 200)


@bp.get("/api/v1/containers/<number>")
def container(number: str) -> Response:
    svc = service()
    canonical, problem = check_container(number[:32])
    if problem:
        suggestion = suggest_container(number[:32])
        return error_response(400, "bad_container", f"{number[:32]!r}: {problem}",
                              [{"suggestion": suggestion}] if suggestion else None)
    with svc.store.lock:
        view = svc.store.state.container(canonical, svc.port_now())
    if view is None:
        return error_response(404, "unknown_container", f"container {canonical} has not been seen")
    return json_response(view, 200)


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Generated-At"] = f"{time.time():.3f}"
    return response
