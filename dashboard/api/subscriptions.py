"""DCSA Track & Trace 2.2 `/v2/event-subscriptions` (docs/dcsa.md, "Subscriptions"), behind the
read keys: create, list, read, change, delete a subscription, reset its secret; and two routes of
ours: a subscription's deliveries (`…/deliveries`) and the replay of a parked one
(`…/deliveries/replay`). A reader sees and changes only the subscriptions its key made; a
manager sees them all. Errors are DCSA error bodies, every reason said.
"""

from __future__ import annotations

import base64
import time
import uuid

from flask import Blueprint, Response, g, request

from dashboard.access import Kind, bearer_key, digest
from dashboard.api.dcsa_publisher import API_VERSION, current_page, dcsa_error, page_limit, version_problems
from dashboard.api.ingest import json_response, service
from feeds.consumer import parse_id
from feeds.delivery_state import DeliveryBook
from feeds.events import utc_text
from feeds.subscriptions import (MAX_URL, CallbackPolicy, SubscriptionStore, check_filters, check_secret,
                                 invalid, view)

bp = Blueprint("dcsa_subscriptions", __name__)

ROOT = "/v2/event-subscriptions"
MAX_BODY = 64 * 1024
MAX_PER_OWNER = 100  # subscriptions one key may hold: each costs the deliverer work


class Refused(Exception):
    def __init__(self, status: int, reasons: list[dict]):
        super().__init__(reasons)
        self.status, self.reasons = status, reasons


@bp.errorhandler(Refused)
def refused(exc: Refused) -> Response:
    return dcsa_error(exc.status, exc.reasons)


def _store() -> SubscriptionStore:
    return SubscriptionStore(service().redis, service().config.port_id)


def _owner() -> str | None:
    """Who owns what this caller makes: its key (by digest, so no key is kept); None for a
    manager, who sees every subscription."""
    if g.credential.kind is Kind.MANAGER:
        return None
    return "key:" + digest(bearer_key(request) or "").hex()[:24]


def _body() -> dict:
    reasons = version_problems()
    if (request.content_length or 0) > MAX_BODY:
        raise Refused(413, [invalid(f"body over {MAX_BODY} bytes")])
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        reasons.append(invalid("the body must be a JSON object (Content-Type: application/json)"))
    if reasons:
        raise Refused(400, reasons)
    return body


def _callback_reasons(body: dict) -> list[dict]:
    url = body.get("callbackUrl")
    if not isinstance(url, str) or not url:
        return [invalid("callbackUrl is required: the address the events are posted to")]
    if len(url) > MAX_URL:
        return [invalid(f"callbackUrl: at most {MAX_URL} characters")]
    refusal = CallbackPolicy(service().config.callback_hosts).refusal(url)
    return [{"reason": "callbackNotAllowed", "message": refusal}] if refusal else []


def _secret_reasons(body: dict) -> list[dict]:
    problem = check_secret(body["secret"]) if "secret" in body else "secret is required"
    return [invalid(problem)] if problem else []


def _find(subscription_id: str) -> dict:
    """The caller's subscription, or Refused (400 not a UUID, 404 none of its own)."""
    reasons = version_problems()
    try:
        uuid.UUID(subscription_id)
    except ValueError:
        reasons.append(invalid("subscriptionID: not a UUID"))
    if reasons:
        raise Refused(400, reasons)
    found = _store().get(subscription_id)
    owner = _owner()
    if found is None or owner is not None and found["owner"] != owner:
        raise Refused(404, [{"reason": "notFound", "message": f"no subscription {subscription_id}"}])
    return found


@bp.post(ROOT)
def create() -> Response:
    body = _body()
    filters, reasons = check_filters(body)
    reasons = _callback_reasons(body) + _secret_reasons(body) + reasons
    if reasons:
        raise Refused(400, reasons)
    owner, store = _owner() or f"manager:{g.credential.name}", _store()
    if sum(d["owner"] == owner for d in store.all()) >= MAX_PER_OWNER:
        raise Refused(409, [{"reason": "tooManySubscriptions",
                             "message": f"a key has at most {MAX_PER_OWNER} subscriptions: delete one first"}])
    created = store.create(owner, body["callbackUrl"], body["secret"], filters)
    return json_response(view(created), 201, {"Location": f"{ROOT}/{created['subscriptionID']}"})


@bp.get(ROOT)
def listing() -> Response:
    """The caller's subscriptions, oldest first; the cursor names the last one a page showed, by
    when it was made, so a deletion between two pages skips nothing."""
    limit, reasons = page_limit(request.args.get("limit"))
    after = _place(request.args.get("cursor"), reasons)
    if reasons := version_problems() + reasons:
        raise Refused(400, reasons)
    owner = _owner()
    rest = [d for d in _store().all() if (owner is None or d["owner"] == owner) and (after is None or _key(d) > after)]
    page = rest[:limit]
    headers = {"Current-Page": current_page()}
    if len(rest) > limit:
        cursor = base64.urlsafe_b64encode(" ".join(_key(page[-1])).encode()).decode()
        headers["Next-Page"] = f"{request.base_url}?limit={limit}&cursor={cursor}"
    return json_response([view(d) for d in page], 200, headers)


def _key(definition: dict) -> tuple[str, str]:
    return definition["created"], definition["subscriptionID"]


def _place(cursor: str | None, reasons: list[dict]) -> tuple[str, str] | None:
    if cursor is None:
        return None
    try:
        created, _, sid = base64.urlsafe_b64decode(cursor.encode()).decode().partition(" ")
        uuid.UUID(sid)
        return created, sid
    except (ValueError, UnicodeError):
        reasons.append(invalid("cursor: not a cursor this server gave"))
        return None


@bp.get(f"{ROOT}/<subscription_id>")
def read(subscription_id: str) -> Response:
    return json_response(view(_find(subscription_id)), 200)


@bp.put(f"{ROOT}/<subscription_id>")
def change(subscription_id: str) -> Response:
    found, body = _find(subscription_id), _body()
    filters, reasons = check_filters(body)
    reasons = _callback_reasons(body) + reasons
    if "secret" in body:
        reasons.append(invalid(f"secret: change it with PUT {ROOT}/{{subscriptionID}}/secret"))
    if body.get("subscriptionID", subscription_id) != subscription_id:
        reasons.append(invalid("subscriptionID: not the one in the path"))
    if reasons:
        raise Refused(400, reasons)
    changed = {**found, "callbackUrl": body["callbackUrl"], "filters": filters}
    _keep(changed)
    return json_response(view(changed), 200)


@bp.put(f"{ROOT}/<subscription_id>/secret")
def reset_secret(subscription_id: str) -> Response:
    found, body = _find(subscription_id), _body()
    if reasons := _secret_reasons(body):
        raise Refused(400, reasons)
    _keep({**found, "secret": body["secret"]})
    return Response(status=204)


def _keep(definition: dict) -> None:
    if not _store().replace(definition):  # deleted meanwhile
        raise Refused(404, [{"reason": "notFound", "message": f"no subscription {definition['subscriptionID']}"}])


@bp.delete(f"{ROOT}/<subscription_id>")
def delete(subscription_id: str) -> Response:
    _store().delete(_find(subscription_id)["subscriptionID"])
    return Response(status=204)


@bp.get(f"{ROOT}/<subscription_id>/deliveries")
def deliveries(subscription_id: str) -> Response:
    sid = _find(subscription_id)["subscriptionID"]
    limit = max(1, min(200, request.args.get("limit", 50, type=int) or 50))
    svc = service()
    book = DeliveryBook(svc.redis, svc.config.port_id)
    return json_response(_status(sid, book.state(sid), book.attempts(sid, limit), _head(svc)), 200)


def _head(svc) -> str | None:
    newest = svc.redis.xrevrange(svc.publisher.keys.events, count=1)
    return newest[0][0].decode() if newest else None


def _status(sid: str, state: dict, attempts: list[dict], head: str | None) -> dict:
    cursor = state.get("cursor") or "0-0"
    behind = max(0, parse_id(head)[0] - parse_id(cursor)[0]) / 1000 if head and parse_id(head) > parse_id(cursor) else 0
    parked, next_at = float(state.get("parked_at") or 0), float(state.get("next_at") or 0)
    failing = float(state.get("failing_since") or 0)
    return {
        "subscriptionID": sid, "status": "parked" if parked else "retrying" if failing else "active",
        "position": cursor, "behindSeconds": behind, "delivered": int(state.get("delivered") or 0),
        "failedAttempts": int(state.get("attempts") or 0),
        "failingSince": utc_text(failing) if failing else None,
        "nextAttemptAt": utc_text(next_at) if next_at > time.time() and not parked else None,
        "parkedAt": utc_text(parked) if parked else None, "parkedReason": state.get("parked_reason") or None,
        "attempts": attempts,
    }


@bp.post(f"{ROOT}/<subscription_id>/deliveries/replay")
def replay(subscription_id: str) -> Response:
    sid = _find(subscription_id)["subscriptionID"]
    svc = service()
    if not DeliveryBook(svc.redis, svc.config.port_id).replay(sid):
        raise Refused(409, [{"reason": "notParked", "message": "the subscription is not parked: nothing to replay"}])
    return json_response({"subscriptionID": sid, "status": "active"}, 202)


@bp.after_request
def headers(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("API-Version", API_VERSION)
    return response
