"""A threaded HTTP server on 127.0.0.1 (a free port) that a test starts and stops: the base of
the tests' stand-ins for subscribers' callbacks and notification channels."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer


class LocalHttpServer:
    thread_name = "local-http-server"

    def __init__(self, handler):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def start(self):
        self._thread = threading.Thread(target=self.server.serve_forever, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread:
            self._thread.join(5)
