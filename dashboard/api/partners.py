"""The partners' other routes: `POST /api/v1/dcsa/events` (DCSA Track & Trace events, mapped by
feeds/dcsa.py, answered like `/api/v1/events`) and `GET /api/v1/rejects` (a partner's own
rejected inputs with their reasons)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, g, request

from dashboard.api.ingest import RETRY_AFTER_SECONDS, error_response, ingest, json_response, service
from feeds import dcsa
from feeds.events import validate_event
from feeds.redis_client import STORE_ERRORS

MAX_REJECTS = 500

bp = Blueprint("partners", __name__)


def dcsa_event(raw, source: str, now: datetime) -> tuple[dict | None, list[dict]]:
    """Mapped, then checked like any v1 event; the reasons of either step come back."""
    event, problems = dcsa.from_dcsa(raw, source)
    return (None, problems) if problems else validate_event(event, now=now)


@bp.post("/api/v1/dcsa/events")
def post_dcsa_events() -> Response:
    return ingest(dcsa_event, dcsa.event_id)


@bp.get("/api/v1/rejects")
def rejects() -> Response:
    """The newest first; `?limit=` up to 500 (default 100)."""
    try:
        limit = int(request.args.get("limit", "100"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_REJECTS:
        return error_response(400, "bad_limit", f"limit must be a whole number from 1 to {MAX_REJECTS}")
    try:
        entries = service().publisher.dead_letters(limit, source=g.credential.name)
    except STORE_ERRORS:
        return error_response(503, "unavailable", "event store unreachable, retry later",
                              headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return json_response({"source": g.credential.name, "rejects": entries, "count": len(entries)}, 200)
