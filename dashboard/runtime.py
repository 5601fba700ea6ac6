"""What one process runs for its role, started and stopped together (docs/deploy.md).

- `ingest`: stateless; checks partners' events and publishes them, answers the partner routes
  and /healthz. Any number of them behind nginx.
- `web`: a replica; consumes the log into its own state and serves the wall, the pages, the
  read API and the sockets; one of them at a time posts the subscriptions' callbacks. Any
  number of them behind nginx, each client kept on one.
- `all` (the default, what `make run` starts): both in one process.

The app keeps its runtime on `server.extensions["portpulse"]`, the one key (never a module global).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from flask import current_app

from dashboard.config import Config
from dashboard.deliverer import start_deliverer
from dashboard.service import PortPulse

log = logging.getLogger(__name__)

ROLES = ("all", "web", "ingest")
EXTENSION = "portpulse"


@dataclass
class Runtime:
    config: Config
    svc: PortPulse
    socketio: Any  # flask_socketio.SocketIO
    emitter: Any  # dashboard.emitter.WallEmitter
    manager_rooms: Any  # dashboard.sockets.ManagerRooms
    metrics: Any  # prometheus_client.CollectorRegistry
    limiter: Any  # flask_limiter.Limiter
    make_simulator: Callable | None = None
    demo: Any = None  # dashboard.demo.DemoControl, once the demo runs here
    deliverer: Any = None  # feeds.deliveries.Deliverer: the subscriptions' callbacks (web role)

    @property
    def serves_screens(self) -> bool:
        """Holds a state: the wall, the pages, the read API, the sockets."""
        return self.config.role in ("all", "web")

    @property
    def ingests(self) -> bool:
        return self.config.role in ("all", "ingest")

    def start(self) -> "Runtime":
        if not self.serves_screens:
            return self  # an ingest worker holds no state: nothing runs in the background
        self.svc.start()
        if self.config.demo and self.make_simulator is not None:
            from dashboard.demo import DemoControl
            self.demo = DemoControl(self.svc, self.make_simulator)
            self.demo.start(self.config.demo_scenario, self.config.demo_speed)
        self.emitter.start()
        self.manager_rooms.start()
        self.deliverer = start_deliverer(self.svc)
        return self

    def cut_sockets(self) -> None:
        """Drop every socket without a goodbye, as a process that ends does: the pages see their
        connection lost and reconnect by themselves (told to go, they would not)."""
        eio = self.socketio.server.eio
        for socket in list(eio.sockets.values()):  # engine.io's own table: it has no public "all"
            socket.close(wait=False, abort=True)

    def stop(self) -> None:
        # again: a page may have reconnected between the stop signal and the listener closing,
        # and its long-poll would hold the process's exit for up to a ping interval
        self.cut_sockets()
        self.emitter.stop()
        self.manager_rooms.stop()
        if self.demo is not None:
            self.demo.stop()
        if self.deliverer is not None:
            self.deliverer.stop()  # deliveries under way finish and are recorded: none is sent twice
        self.svc.stop()

    def demo_status(self) -> dict | None:
        return self.demo.status() if self.demo else None


def current_runtime() -> Runtime:
    """The runtime of the app serving the current request."""
    return current_app.extensions[EXTENSION]
