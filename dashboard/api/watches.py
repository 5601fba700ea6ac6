"""A person's watchlist and live notices (docs/notifications.md): `GET/POST /api/v1/watches`,
`DELETE /api/v1/watches/<kind>/<key>`, `GET /api/v1/notices?after=<seq>`.

Managers and members, sessions only (dashboard/access.py); a POST or DELETE must come from this
site. A member may watch only what its organisation sees: anything else answers the same 404 as
what does not exist. `org:*` watches everything the member's organisation is a party of.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from dashboard.api.ingest import error_response, json_response, service
from dashboard.notify.audience import may_watch
from dashboard.notify.live import MAX_PAGE, live_notices
from dashboard.notify.watches import WatchError, WatchStore, watch_key, watch_store
from feeds.consumer import parse_id

bp = Blueprint("watches", __name__)
ROOT = "/api/v1/watches"


def _watches() -> WatchStore:
    return watch_store(service())


def _user() -> str:
    return g.credential.name


def _not_found(kind: str, key: str) -> Response:
    """The one answer for an unknown subject and for one the caller may not see."""
    return error_response(404, "not_found", f"no {kind} {key[:80]!r}")


def _sees(kind: str, key: str) -> bool:
    """Does the subject exist, for this caller? (`key` normalised by watch_key.)"""
    svc = service()
    with svc.store.lock:
        return may_watch(svc.store.state, kind, key, g.credential.identities)


def _view(key: str) -> dict:
    kind, _, rest = key.partition(":")
    return {"kind": kind, "key": rest}


@bp.get(ROOT)
def list_watches() -> Response:
    return json_response({"watches": [_view(key) for key in _watches().of(_user())]}, 200)


@bp.post(ROOT)
def add_watch() -> Response:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("kind"), str) or not isinstance(body.get("key"), str):
        return error_response(400, "bad_request", 'the body is {"kind": box|vessel|declaration|org, "key": …}')
    try:
        key = watch_key(body["kind"], body["key"])
    except WatchError as exc:
        return error_response(400, "bad_request", str(exc))
    kind, _, rest = key.partition(":")
    if not _sees(kind, rest):
        return _not_found(kind, rest)
    try:
        added = _watches().add(_user(), key)
    except WatchError as exc:
        return error_response(400, "bad_request", str(exc))
    return json_response(_view(key), 201 if added else 200)


@bp.delete(f"{ROOT}/<kind>/<key>")
def remove_watch(kind: str, key: str) -> Response:
    try:
        normal = watch_key(kind, key)
    except WatchError:
        return _not_found(kind, key)
    if not _watches().remove(_user(), normal):
        return _not_found(kind, key)
    return Response(status=204)


@bp.get("/api/v1/notices")
def notices() -> Response:
    """The caller's live notices newer than `after` (a `seq` from an earlier answer), newest first."""
    after = request.args.get("after") or None
    if after is not None:
        try:
            parse_id(after)
        except (ValueError, IndexError):
            return error_response(400, "bad_request", "after is a notice's `seq`, such as 1764661234567-0")
    return json_response({"notices": live_notices(service()).after(_user(), after, MAX_PAGE)}, 200)
