"""DCSA Track & Trace 2.2 out: `GET /v2/events` and `GET /v2/events/{eventID}` (docs/dcsa.md).

Partners and shippers read the port's events in their own standard, behind the read keys like the
read API. A web replica's route: it reads the log (feeds/dcsa_log.py) and asks its own state
which events their senders retracted. Every answer carries `API-Version`; every error is the DCSA
error body (error domain 1.0.0), with every reason a request is wrong.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from http import HTTPStatus
from urllib.parse import urlencode

import orjson
from flask import Blueprint, Response, g, request

from dashboard.api.ingest import error_response, service
from dashboard.state import scoped
from feeds import dcsa_log
from feeds.dcsa_filters import DcsaFilters, invalid, parse_filters
from feeds.events import utc_text

bp = Blueprint("dcsa_publisher", __name__)

PREFIX = "/v2/"
API_VERSION = "2.2.0"
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000  # a larger limit is served as pages of MAX_LIMIT
SCAN_BUDGET = 5000  # log entries one request reads at most (then a partial page and Next-Page)
PAGING = ("limit", "cursor", "sort")
SORTS = {"eventCreatedDateTime": False, "eventCreatedDateTime:ASC": False,
         "eventCreatedDateTime:DESC": True}
STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
LIMIT = re.compile(r"[0-9]{1,10}")  # an int32, as the document says; never a 5,000-digit number


class BadRequest(Exception):
    def __init__(self, reasons: list[dict]):
        super().__init__(reasons)
        self.reasons = reasons


def dcsa_error(status: int, reasons: list[dict], headers: dict | None = None) -> Response:
    """The DCSA error body: method, URI, reasons, status and when."""
    body = {"httpMethod": request.method, "requestUri": request.url, "errors": reasons,
            "statusCode": status, "statusCodeText": HTTPStatus(status).phrase,
            "errorDateTime": utc_text(time.time())}
    return _json(body, status, headers)


def json_error(status: int, error: str, message: str, details: list | None = None,
               headers: dict | None = None) -> Response:
    """An error from the checks every route passes (access, limits, the store): on the DCSA routes
    in the DCSA shape, elsewhere in the API's own."""
    if request.path.startswith(PREFIX):
        return dcsa_error(status, [{"reason": error, "message": message}], headers)
    return error_response(status, error, message, details, headers)


def _json(body, status: int, headers: dict | None = None) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json",
                    headers={"API-Version": API_VERSION, **(headers or {})})


def version_problems() -> list[dict]:
    given = request.headers.get("API-Version")
    if given is None or given.strip() == API_VERSION.split(".")[0]:
        return []
    return [invalid(f"API-Version: only the major version {API_VERSION.split('.')[0]} is served here")]


def page_limit(raw: str | None) -> tuple[int, list[dict]]:
    if raw is None:
        return DEFAULT_LIMIT, []
    if not LIMIT.fullmatch(raw.strip()) or not 1 <= int(raw) <= 2 ** 31 - 1:
        return DEFAULT_LIMIT, [invalid("limit: a whole number from 1 to 2147483647")]
    return min(int(raw), MAX_LIMIT), []


def _sort(raw: str | None) -> tuple[bool, list[dict]]:
    key = (raw or "eventCreatedDateTime").strip()
    field, _, direction = key.partition(":")
    normal = f"{field}:{direction.upper()}" if direction else field
    if normal not in SORTS:
        return False, [invalid("sort: eventCreatedDateTime, eventCreatedDateTime:ASC or eventCreatedDateTime:DESC")]
    return SORTS[normal], []


def encode_cursor(query: list[tuple[str, str]], after: str) -> str:
    raw = orjson.dumps({"q": query, "a": after})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _stream_id(value) -> bool:
    """A stream id Redis takes: two 64-bit unsigned numbers."""
    return isinstance(value, str) and bool(STREAM_ID.match(value)) and \
        all(int(part) < 2 ** 64 for part in value.split("-"))


def decode_cursor(token: str) -> tuple[list[tuple[str, str]], str]:
    """A cursor → (the query it pages through, the stream id it goes on after); BadRequest else."""
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        query = [(str(name), str(value)) for name, value in data["q"]]
        after = data["a"]
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError):
        raise BadRequest([invalid("cursor: not a cursor this server gave")]) from None
    if not _stream_id(after) or any(name == "cursor" for name, _ in query):
        raise BadRequest([invalid("cursor: not a cursor this server gave")])
    return query, after


def _query() -> tuple[list[tuple[str, str]], str | None]:
    """The query this page belongs to (a cursor carries its own) and the cursor's stream id."""
    given = [(name, value) for name, value in request.args.items(multi=True)]
    if "cursor" not in request.args:
        return given, None
    if len(given) > 1:
        raise BadRequest([invalid("cursor: a cursor carries its query; send it alone")])
    return decode_cursor(request.args["cursor"])


def _parse(query: list[tuple[str, str]]) -> tuple[DcsaFilters, int, bool]:
    grouped: dict[str, list[str]] = {}
    for name, value in query:
        grouped.setdefault(name, []).append(value)
    filters, reasons = parse_filters(grouped, ignore=PAGING)
    limit, bad_limit = page_limit(grouped.get("limit", [None])[-1])
    descending, bad_sort = _sort(grouped.get("sort", [None])[-1])
    reasons = version_problems() + reasons + bad_limit + bad_sort
    if reasons:
        raise BadRequest(reasons)
    return filters, limit, descending


def current_page() -> str:
    """This page's address with its query exactly as sent: `request.url` would decode it, and a
    header cannot carry the characters it may then hold."""
    raw_query = request.query_string.decode("latin-1")
    return request.base_url + (f"?{raw_query}" if raw_query else "")


def _url(query: list[tuple[str, str]]) -> str:
    return request.base_url + ("?" + urlencode(query) if query else "")


def visible_to(svc):
    """None for readers who see the whole port; for an organisation's, which events are about its
    cargo (dashboard/state/scoped.py), asked of the state once per chunk of the log. Its pages end
    at the state's last applied entry: what the state has not seen yet comes on a later page,
    never skipped."""
    identities = g.credential.identities
    if identities is None:
        return None

    def visible(events: list[dict]) -> list[bool]:
        with svc.store.lock:
            return [scoped.sees_event(svc.store.state, event, identities) for event in events]
    return visible


@bp.get("/v2/events")
def events() -> Response:
    try:
        query, after = _query()
        filters, limit, descending = _parse(query)
    except BadRequest as bad:
        return dcsa_error(400, bad.reasons)
    svc = service()
    page = dcsa_log.read_page(svc.redis, svc.publisher.keys.events, filters, limit=limit,
                              descending=descending, after=after, budget=SCAN_BUDGET,
                              port=svc.profile.unlocode, retracted=svc.retracted, visible=visible_to(svc),
                              until=None if g.credential.identities is None else svc.store.state.last_stream_id)
    headers = {"Current-Page": current_page(), "First-Page": _url(query)}
    if page.after:
        headers["Next-Page"] = _url([("cursor", encode_cursor(query, page.after))])
    return _json(page.events, 200, headers)


@bp.get("/v2/events/<event_id>")
def event(event_id: str) -> Response:
    reasons = version_problems()
    try:
        event_id = str(uuid.UUID(event_id))  # any spelling of a UUID, compared in the canonical one
    except ValueError:
        reasons.append(invalid("eventID: not a UUID"))
    if reasons:
        return dcsa_error(400, reasons)
    svc = service()
    found = dcsa_log.find(svc.redis, svc.publisher.keys.events, event_id, port=svc.profile.unlocode,
                          retracted=svc.retracted, visible=visible_to(svc))
    if found is None:
        return dcsa_error(404, [{"reason": "notFound", "message": f"no event {event_id}"}])
    return _json(found, 200)


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("API-Version", API_VERSION)
    return response
