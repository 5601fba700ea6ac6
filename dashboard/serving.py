"""The app under a production server: gunicorn, one worker process with threads.

One worker, because the state lives in the process (a web replica is a process: start more of
them behind nginx, docs/deploy.md); threads (gunicorn's gthread worker), because every wall holds
a WebSocket (simple-websocket, as Flask-SocketIO documents for gunicorn) and partners post while
screens read. The app is built in the worker after the fork (its consumer and timers are
threads, which a fork does not carry over) and stopped there when the worker ends.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import signal
import threading

from gunicorn.app.base import BaseApplication

from dashboard.app import create_app, runtime_of, stop_app
from dashboard.config import Config
from dashboard.memory import limit_arenas

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # linux/prctl.h
STOP_SECONDS = 30  # a stopping worker's time to close its sockets and write its snapshot


class PortPulseServer(BaseApplication):
    """`PortPulseServer(config).run()` serves until SIGTERM or Ctrl-C, then returns (SystemExit)."""

    def __init__(self, config: Config, make_simulator=None):
        self.config, self.make_simulator, self.app = config, make_simulator, None
        super().__init__()

    def load_config(self) -> None:
        settings = {
            "bind": [f"{self.config.host}:{self.config.http_port}"], "workers": 1, "worker_class": "gthread",
            "threads": self.config.web_threads, "graceful_timeout": STOP_SECONDS, "timeout": 120,
            "keepalive": 5, "loglevel": "warning", "accesslog": None, "proc_name": "port-pulse",
            "post_fork": _die_with_parent, "post_worker_init": self._started, "worker_exit": self._ended,
        }
        for name, value in settings.items():
            self.cfg.set(name, value)

    def load(self):
        limit_arenas()  # before the app's threads: dashboard/memory.py
        self.app = create_app(self.config, make_simulator=self.make_simulator)
        return self.app.server

    def _started(self, worker) -> None:
        """Wrap the worker's SIGTERM: the walls' sockets are cut first (their pages reconnect by
        themselves), or the worker would wait its whole grace period for them to end."""
        graceful = worker.handle_exit

        def stop(signum, frame):
            graceful(signum, frame)
            threading.Thread(target=self._cut_sockets, name="cut-sockets", daemon=True).start()
        signal.signal(signal.SIGTERM, stop)  # (Ctrl-C: gunicorn's own quick stop, worker_exit still runs)

    def _cut_sockets(self) -> None:
        runtime_of(self.app).cut_sockets()

    def _ended(self, arbiter, worker) -> None:
        if self.app is not None:
            stop_app(self.app)  # the consumer, the timers, the snapshot at stop


def _die_with_parent(arbiter, worker) -> None:
    """A worker ends with its master, even when the master is killed (kill -9): the pair is one
    service to whoever started it, and an orphan would keep the port and the log."""
    name = ctypes.util.find_library("c")
    try:
        if name:
            ctypes.CDLL(name).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        log.warning("this system cannot tie the worker's life to its master's")
