"""The API answers for itself where Flask and Dash would answer with a page: an unknown `/api/`
path is a 404 and a method a route does not take a 405 with the route's real `Allow` (Dash's
catch-all page route would otherwise take every GET), the event store away is a 503 with
`Retry-After`, and anything unexpected a 500 — all JSON, like every other answer of the API."""

from __future__ import annotations

import logging

import redis
from redis.exceptions import RedisClusterException
from dash.exceptions import DependencyException
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from dashboard.api.dcsa_publisher import json_error as error_response  # DCSA routes: DCSA's shape
from dashboard.api.ingest import RETRY_AFTER_SECONDS

log = logging.getLogger(__name__)
PAGE_RULES = ("/", "/<path:path>")  # Dash's: every GET that no other route takes
API_PREFIXES = ("/api/", "/v2/")  # /v2/: DCSA Track & Trace out


def install(server: Flask) -> None:
    """After every blueprint is registered: the API's own routes are known from then on."""
    api = Map([Rule(rule.rule, methods=rule.methods, endpoint=rule.endpoint)
               for rule in server.url_map.iter_rules() if rule.rule.startswith(API_PREFIXES)])

    def allowed(path: str) -> list[str]:
        return sorted(api.bind("api").allowed_methods(path))

    @server.before_request
    def api_paths_are_not_pages():
        rule = request.url_rule
        if request.path.startswith(API_PREFIXES) and rule is not None and rule.rule in PAGE_RULES:
            methods = allowed(request.path)
            if methods:
                return method_not_allowed(methods)
            return error_response(404, "not_found", f"no API route {request.path[:200]}")
        return None

    @server.after_request
    def real_allow_header(response: Response) -> Response:
        if request.path.startswith(API_PREFIXES) and "Allow" in response.headers:
            response.headers["Allow"] = ", ".join(allowed(request.path))
        return response

    server.register_error_handler(HTTPException, lambda exc: http_error(exc, allowed))
    server.register_error_handler(DependencyException, unknown_script)
    for error in (redis.RedisError, RedisClusterException):  # (the cluster client's is no RedisError)
        server.register_error_handler(error, store_away)
    server.register_error_handler(Exception, unexpected)


def method_not_allowed(methods: list[str]) -> Response:
    return error_response(405, "method_not_allowed", f"{request.method} is not one of {', '.join(methods)}",
                          headers={"Allow": ", ".join(methods)})


def http_error(exc: HTTPException, allowed) -> Response | HTTPException:
    """On the API, Flask's own errors (404, 405, …) as JSON; elsewhere as Flask words them."""
    if not request.path.startswith(API_PREFIXES):
        return exc
    if isinstance(exc, MethodNotAllowed):
        return method_not_allowed(allowed(request.path))
    if isinstance(exc, NotFound):
        return error_response(404, "not_found", f"no API route {request.path[:200]}")
    return error_response(exc.code or 500, exc.name.lower().replace(" ", "_"), exc.description or exc.name)


def unknown_script(exc: DependencyException) -> Response:
    """Dash asked for a script of a library it does not have (a typo, or a probe): not a failure."""
    return Response("No such script.", status=404, mimetype="text/plain")


def store_away(exc: Exception) -> Response:
    log.warning("%s %s: event store unreachable: %s", request.method, request.path, exc)
    return error_response(503, "unavailable", "event store unreachable, retry later",
                          headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def unexpected(exc: Exception) -> Response:
    """A bug: logged with its traceback, answered without one (no internals in an answer)."""
    if isinstance(exc, HTTPException):
        return exc
    log.exception("%s %s failed", request.method, request.path)
    if request.path.startswith(API_PREFIXES):
        return error_response(500, "internal", "the service failed on this request; it is logged")
    return Response("The service failed on this request; it is logged.", status=500, mimetype="text/plain")
