"""The app factory: `create_app(config)` builds the Flask server, the Dash app, Socket.IO and the
service runtime; tests build as many apps as they like."""

from __future__ import annotations

import logging
from pathlib import Path

from dash import Dash
from flask import Flask
from flask_socketio import SocketIO

from dashboard.api import health, ingest, read
from dashboard.config import Config
from dashboard.service import PortPulse
from layouts.home import home_layout

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def create_app(config: Config | None = None, *, start: bool = True) -> Dash:
    """Build one app. With `start`, its consumer and snapshot timer run until `stop_app(app)`."""
    config = config or Config.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = Flask(__name__)
    svc = PortPulse(config)
    server.extensions["portpulse"] = svc
    server.extensions["portpulse_metrics"] = health.metrics_registry(svc)
    server.register_blueprint(ingest.bp)
    server.register_blueprint(health.bp)
    server.register_blueprint(read.bp)
    server.extensions["portpulse_socketio"] = SocketIO(server, async_mode="threading")

    app = Dash(__name__, server=server, assets_folder=str(ASSETS), title="Port Pulse",
               update_title=None)
    app.layout = lambda: _home(svc)
    if start:
        svc.start()
    return app


def _home(svc: PortPulse):
    with svc.store.lock:
        counters = svc.store.state.counters()
    return home_layout(svc.config.port_id, counters["events_applied"], counters["last_stream_id"])


def service_of(app: Dash) -> PortPulse:
    return app.server.extensions["portpulse"]


def socketio_of(app: Dash) -> SocketIO:
    return app.server.extensions["portpulse_socketio"]


def stop_app(app: Dash) -> None:
    service_of(app).stop()
