"""Request limits (flask-limiter), counted in the service's own Redis so that every process of
one port shares them. Failed logins are limited per client address; the partner routes per
partner (`DP_PARTNER_RATE_LIMIT`, one budget across its routes)."""

from __future__ import annotations

import math
import time

from flask import Flask, Response, g, request
from flask_limiter import HeaderNames, Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from dashboard.access import is_api
from dashboard.api.ingest import error_response
from dashboard.runtime import current_runtime
from feeds.keys import PortKeys


def partner_key() -> str:
    """Partner routes are limited per partner: every key of one partner shares its budget."""
    credential = getattr(g, "credential", None)
    return f"partner:{credential.name}" if credential and credential.name else get_remote_address()


def make_limiter(server: Flask, config) -> Limiter:
    storage = config.redis_url.replace("redis://", "redis+cluster://", 1) if config.redis_cluster else config.redis_url
    limiter = Limiter(get_remote_address, app=server, storage_uri=storage,
                      key_prefix=PortKeys(config.port_id).limits, headers_enabled=True,
                      # flask-limiter would put a Retry-After on every answer it counts (a 202
                      # too, and over a 503's own): only a 429 says to wait (see too_many)
                      header_name_mapping={HeaderNames.RETRY_AFTER: "X-RateLimit-Retry-After"},
                      strategy="moving-window",
                      swallow_errors=True)  # Redis away: let requests through rather than fail them
    server.register_error_handler(RateLimitExceeded, too_many)
    return limiter


def too_many(exc: RateLimitExceeded) -> Response:
    """429, as JSON on the API and as text on pages, with Retry-After: seconds until one more
    request is counted again."""
    limit = current_runtime().limiter.current_limit
    wait = {"Retry-After": str(max(1, math.ceil(limit.reset_at - time.time())) if limit else 60)}
    message = f"too many requests ({exc.description}): wait and try again"
    if is_api(request.path):
        return error_response(429, "rate_limited", message, headers=wait)
    return Response(message, status=429, mimetype="text/plain", headers=wait)
