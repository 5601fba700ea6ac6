"""The app factory: `create_app(config)` builds the Flask server, the Dash app, Socket.IO and the
service runtime; tests build as many apps as they like."""

from __future__ import annotations

import logging
from pathlib import Path

from dash import Dash, dcc, html
from flask import Flask, request
from flask_socketio import SocketIO
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard import access, admin, auth, callbacks, demo, track
from dashboard.api import alerts as alerts_api, dcsa_publisher, errors, export, health, ingest, partners, read, subscriptions, watches
from dashboard.config import Config
from dashboard.emitter import WallEmitter
from dashboard.limits import make_limiter, partner_key
from dashboard.sockets import ManagerRooms, register_sockets
from dashboard.runtime import EXTENSION, Runtime
from dashboard.service import PortPulse
from layouts import ids

ASSETS = Path(__file__).resolve().parent.parent / "assets"
INGEST_BLUEPRINTS = {ingest.bp.name, partners.bp.name, health.bp.name}


def create_app(config: Config | None = None, *, start: bool = True, make_simulator=None) -> Dash:
    """Build one app for `config.role` (dashboard/runtime.py). With `start`, what the role runs
    in the background runs until `stop_app(app)`; with `make_simulator(svc, reset_namespace)`
    (run.py's, in demo mode) the demo runs in it too."""
    config = config or Config.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = Flask(__name__)
    svc = PortPulse(config)
    limiter = guard(server, svc, config)
    for blueprint in (auth.bp, ingest.bp, partners.bp, health.bp, read.bp, export.bp, demo.bp,
                      dcsa_publisher.bp, subscriptions.bp, admin.bp, track.bp, alerts_api.bp, watches.bp):
        server.register_blueprint(blueprint)
    errors.install(server)
    socketio = SocketIO(server, async_mode="threading")
    if config.trusted_proxies:  # the client's own address for the login limit and the logs, not nginx's
        n = config.trusted_proxies
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=n, x_proto=n, x_host=n)
    runtime = server.extensions[EXTENSION] = Runtime(
        config=config, svc=svc, socketio=socketio, emitter=None, manager_rooms=None,
        metrics=health.metrics_registry(svc), limiter=limiter, make_simulator=make_simulator)
    runtime.emitter = WallEmitter(svc, socketio, demo_status=runtime.demo_status)
    runtime.manager_rooms = ManagerRooms(svc, socketio)
    register_sockets(socketio, svc, runtime.emitter, runtime.manager_rooms)

    app = Dash(__name__, server=server, assets_folder=str(ASSETS), title="Port Pulse",
               update_title=None, suppress_callback_exceptions=True)
    app.layout = html.Div([dcc.Location(id=ids.URL), html.Div(id=ids.PAGE)])
    callbacks.register(app)
    if start:
        runtime.start()
    return app


def guard(server: Flask, svc: PortPulse, config: Config):
    """Sessions, the access matrix on every request (docs/access.md), and the request limits."""
    auth.configure_sessions(server, config)
    if config.role == "ingest":
        server.before_request(_partner_routes_only)
    server.before_request(lambda: access.check_request(svc, dcsa_publisher.json_error))
    limiter = make_limiter(server, config)
    limiter.limit(auth.LOGIN_LIMIT, methods=["POST"], deduct_when=auth.failed_login)(auth.bp)
    partner_limit = limiter.shared_limit(config.partner_rate_limit, scope="partner-api", key_func=partner_key)
    partner_limit(ingest.bp)
    partner_limit(partners.bp)
    return limiter


def _partner_routes_only():
    """An ingest worker answers the partners' routes and the health ones; nginx sends it nothing
    else (deploy/nginx.conf), and a request that strays there is told where it is."""
    if request.blueprint not in INGEST_BLUEPRINTS:
        return ingest.error_response(404, "not_here", f"{request.path[:200]} is served by the web replicas; "
                                     "this is an ingest worker (partner routes and /healthz only)")
    return None


def runtime_of(app: Dash) -> Runtime:
    return app.server.extensions[EXTENSION]


def service_of(app: Dash) -> PortPulse:
    return runtime_of(app).svc


def socketio_of(app: Dash) -> SocketIO:
    return runtime_of(app).socketio


def stop_app(app: Dash) -> None:
    runtime_of(app).stop()
