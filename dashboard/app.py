"""The app factory: `create_app(config)` builds the Flask server, the Dash app, Socket.IO and the
service runtime; tests build as many apps as they like."""

from __future__ import annotations

import logging
from pathlib import Path

from dash import Dash, dcc, html
from flask import Flask
from flask_socketio import SocketIO

from dashboard import access, auth, callbacks, demo
from dashboard.api import errors, export, health, ingest, partners, read
from dashboard.config import Config
from dashboard.emitter import WallEmitter
from dashboard.limits import make_limiter, partner_key
from dashboard.sockets import ManagerRooms, register_sockets
from dashboard.service import PortPulse
from layouts import ids

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def create_app(config: Config | None = None, *, start: bool = True, make_simulator=None) -> Dash:
    """Build one app. With `start`, its consumer and timers run until `stop_app(app)`; with
    `make_simulator(svc, reset_namespace)` (run.py's, in demo mode) the demo runs in it too."""
    config = config or Config.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = Flask(__name__)
    svc = PortPulse(config)
    server.extensions["portpulse"] = svc
    server.extensions["portpulse_metrics"] = health.metrics_registry(svc)
    guard(server, svc, config)
    for blueprint in (auth.bp, ingest.bp, partners.bp, health.bp, read.bp, export.bp, demo.bp):
        server.register_blueprint(blueprint)
    errors.install(server)
    socketio = server.extensions["portpulse_socketio"] = SocketIO(server, async_mode="threading")
    emitter = server.extensions["portpulse_emitter"] = WallEmitter(
        svc, socketio, demo_status=lambda: _demo_status(server))
    manager_rooms = server.extensions["portpulse_manager_rooms"] = ManagerRooms(svc, socketio)
    register_sockets(socketio, svc, emitter, manager_rooms)

    app = Dash(__name__, server=server, assets_folder=str(ASSETS), title="Port Pulse",
               update_title=None, suppress_callback_exceptions=True)
    app.layout = html.Div([dcc.Location(id=ids.URL), html.Div(id=ids.PAGE)])
    callbacks.register(app)
    if start:
        svc.start()
        if config.demo and make_simulator is not None:
            control = server.extensions["portpulse_demo"] = demo.DemoControl(svc, make_simulator)
            control.start(config.demo_scenario, config.demo_speed)
        emitter.start()
        manager_rooms.start()
    return app


def guard(server: Flask, svc: PortPulse, config: Config) -> None:
    """Sessions, the access matrix on every request (docs/access.md), and the request limits."""
    auth.configure_sessions(server, config)
    server.before_request(lambda: access.check_request(svc, ingest.error_response))
    limiter = server.extensions["portpulse_limiter"] = make_limiter(server, config)
    limiter.limit(auth.LOGIN_LIMIT, methods=["POST"], deduct_when=auth.failed_login)(auth.bp)
    partner_limit = limiter.shared_limit(config.partner_rate_limit, scope="partner-api", key_func=partner_key)
    partner_limit(ingest.bp)
    partner_limit(partners.bp)


def _demo_status(server: Flask) -> dict | None:
    control = server.extensions.get("portpulse_demo")
    return control.status() if control else None


def service_of(app: Dash) -> PortPulse:
    return app.server.extensions["portpulse"]


def socketio_of(app: Dash) -> SocketIO:
    return app.server.extensions["portpulse_socketio"]


def stop_app(app: Dash) -> None:
    app.server.extensions["portpulse_emitter"].stop()
    app.server.extensions["portpulse_manager_rooms"].stop()
    control = app.server.extensions.get("portpulse_demo")
    if control is not None:
        control.stop()
    service_of(app).stop()
