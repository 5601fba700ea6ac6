"""`POST /api/v1/events`: partners send one event or an array; each bad one gets its reasons.

Whole-request problems, checked in this order: 401 unknown key (dashboard/access.py), 413 too large, 400 not JSON (or
not an object or array), 403 an event speaking for another partner, 503 Redis unreachable (with
Retry-After; nothing stored, a retry is safe). Otherwise 202 with per-event results; a retraction
naming no event of the sender's is one of the rejected events.
"""

from __future__ import annotations

from datetime import datetime, timezone

import orjson
from flask import Blueprint, Response, g, request

from dashboard.runtime import current_runtime
from feeds.events import DEEP, RETRACTED, idempotency_key, too_deep, validate_event
from feeds.redis_client import STORE_ERRORS, NotReplicated

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_BATCH_EVENTS = 5000
RETRY_AFTER_SECONDS = 5
DEAD_LETTER_HEAD = 64 * 1024  # what the dead-letter log keeps of a body too large to take

bp = Blueprint("ingest", __name__)


class RequestRejected(Exception):
    def __init__(self, status: int, error: str, message: str, details: list | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.details = status, error, message, details or []


def json_response(body: dict, status: int, headers: dict | None = None) -> Response:
    return Response(orjson.dumps(body), status=status, headers=headers, mimetype="application/json")


def error_response(status: int, error: str, message: str, details: list | None = None,
                   headers: dict | None = None) -> Response:
    body = {"error": error, "message": message}
    if details:
        body["details"] = details
    return json_response(body, status, headers)


def service():
    return current_runtime().svc


def read_body() -> bytes:
    """The body, read once and kept for the dead-letter log (`g.body`); RequestRejected 413 when
    it is over the limit, whether its length was declared or it came in chunks."""
    declared_too_large = (request.content_length or 0) > MAX_BODY_BYTES
    g.body = request.stream.read(DEAD_LETTER_HEAD if declared_too_large else MAX_BODY_BYTES + 1)
    if declared_too_large or len(g.body) > MAX_BODY_BYTES:
        g.body = g.body[:DEAD_LETTER_HEAD]
        raise RequestRejected(413, "too_large", f"body over {MAX_BODY_BYTES} bytes")
    return g.body


def read_events() -> list:
    """The body as a list of raw events, or RequestRejected (413, then 400)."""
    body = read_body()
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RequestRejected(400, "not_json", f"body is not JSON: {exc}") from None
    if not isinstance(parsed, (dict, list)):
        raise RequestRejected(400, "not_event", "body must be an event object or an array of events")
    events = parsed if isinstance(parsed, list) else [parsed]
    if len(events) > MAX_BATCH_EVENTS:
        raise RequestRejected(413, "too_many_events", f"more than {MAX_BATCH_EVENTS} events")
    return events


def check_sources(events: list, source: str) -> None:
    """403 when any event speaks for another partner (the whole request is refused)."""
    foreign = [{"index": i, "source": e["source"][:80] if isinstance(e["source"], str) else type(e["source"]).__name__}
               for i, e in enumerate(events) if isinstance(e, dict) and "source" in e and e["source"] != source
               and not too_deep(e)]
    if foreign:
        raise RequestRejected(403, "wrong_source",
                              f"this key speaks only for {source}; nothing was stored", foreign)


def v1_event(raw, source: str, now: datetime) -> tuple[dict | None, list[dict]]:
    return validate_event(raw, now=now)


def v1_id(raw) -> str | None:
    event_id = raw.get("id") if isinstance(raw, dict) else None
    return event_id if isinstance(event_id, str) else None


@bp.post("/api/v1/events")
def post_events() -> Response:
    return ingest(v1_event, v1_id, check=check_sources)


def ingest(convert, id_of, check=None) -> Response:
    """One request of a partner's events: `convert(raw, source, now)` → (v1 event, problems) for
    each; `check(events, source)` may refuse the whole request first. The answer: docs/api.md."""
    svc = service()
    source = g.credential.name  # a partner's: dashboard/access.py let only partners in
    try:
        events = read_events()
        if check is not None:
            check(events, source)
        return accept_events(svc, source, events, convert, id_of)
    except RequestRejected as rejected:
        dead_letter_request(svc, source, rejected)
        return error_response(rejected.status, rejected.error, rejected.message, rejected.details)
    except NotReplicated as short:  # kept by the primary, no replica has it yet: not safe to acknowledge
        return error_response(503, "not_replicated", f"the events reached the store but {short}; retry later: "
                              "events kept already are not stored twice", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    except STORE_ERRORS:  # down, loading its file, out of memory, failing over: retry later
        return error_response(503, "unavailable", "event store unreachable; nothing was stored, retry later",
                              headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def accept_events(svc, source: str, events: list, convert, id_of) -> Response:
    now = datetime.now(timezone.utc)  # the wall clock: live partners, not replays
    good, rejected = [], []
    for index, raw in enumerate(events):
        deep = too_deep(raw)  # too deep to look into safely: refused before any check or mapping
        event, problems = (None, [{"field": "", "problem": DEEP}]) if deep else convert(raw, source, now)
        if problems:
            rejected.append({"index": index, "id": None if deep else id_of(raw), "errors": problems, "raw": raw})
        else:
            good.append((index, event, raw))
    good = drop_unknown_retractions(svc, source, good, rejected)
    stream_ids = svc.publisher.publish([event for _, event, _ in good]) if good else []
    for item in rejected:
        svc.publisher.dead_letter(source, item["errors"], item.pop("raw"), status=202)
    accepted = sum(1 for sid in stream_ids if sid)
    return json_response({"accepted": accepted, "duplicates": len(stream_ids) - accepted,
                          "rejected": rejected}, 202)


UNKNOWN = {"field": "data.retracted_id",
           "problem": "no event of yours with this id (never sent, or older than the log keeps)"}


def drop_unknown_retractions(svc, source: str, good: list, rejected: list) -> list:
    """A retraction must name an event of the sender's: accepted before (the publisher's dedupe
    set) or in this batch, before or after it. The others join `rejected`, in index order."""
    targets = {index: event["data"]["retracted_id"] for index, event, _ in good if event["type"] == RETRACTED}
    if not targets:
        return good
    in_batch = {event["id"] for _, event, _ in good}
    asked = sorted({target for target in targets.values() if target not in in_batch})
    stored = dict(zip(asked, svc.publisher.known([idempotency_key({"source": source, "id": t}) for t in asked])))
    unknown = {index for index, target in targets.items() if target not in in_batch and not stored[target]}
    rejected += [{"index": index, "id": event["id"], "errors": [UNKNOWN], "raw": raw}
                 for index, event, raw in good if index in unknown]
    rejected.sort(key=lambda item: item["index"])
    return [item for item in good if item[0] not in unknown]


def dead_letter_request(svc, source: str, rejected: RequestRejected) -> None:
    reasons = [{"field": "", "problem": rejected.message}] + [
        {"field": f"[{d['index']}].source", "problem": f"{d['source']} is not {source}"}
        for d in rejected.details]
    try:
        svc.publisher.dead_letter(source, reasons, g.get("body", b""), status=rejected.status)
    except STORE_ERRORS:
        pass  # the answer still goes out; Redis being down is the 503 path
