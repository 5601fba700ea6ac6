"""A subscriber's callback endpoint for the tests and the benchmark: a threaded HTTP server on
127.0.0.1 that checks the signature of every delivery it gets and keeps them all."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.local_server import LocalHttpServer


@dataclass
class Delivery:
    subscription: str
    path: str
    events: list[dict]
    headers: dict
    received: float = field(default_factory=time.time)


def signature_of(body: bytes, secret: str) -> str:
    """What a subscriber computes, independently of feeds/delivery_state.py."""
    return "sha256=" + hmac.new(base64.b64decode(secret), body, hashlib.sha256).hexdigest()


class CallbackReceiver(LocalHttpServer):
    """`secrets[subscription id]` is the secret a delivery must be signed with; `answers[path]`
    the status to give (204 otherwise), `failures[path]` how many more times to give 500 first;
    `delay` seconds it takes to answer each."""

    thread_name = "callback-receiver"

    def __init__(self):
        self.secrets: dict[str, str] = {}
        self.answers: dict[str, int] = {}
        self.failures: dict[str, int] = {}
        self.delay = 0.0
        self.deliveries: list[Delivery] = []
        self.refused: list[tuple[str, str]] = []  # (path, why): bad signatures, unknown ids
        self.lock = threading.Lock()
        super().__init__(self._handler())

    def url(self, path: str = "/hook") -> str:
        return super().url(path)

    def events(self, subscription: str) -> list[dict]:
        """Every event accepted for `subscription`, in the order they came."""
        with self.lock:
            return [e for d in self.deliveries if d.subscription == subscription for e in d.events]

    def _answer(self, path: str, subscription: str, signature: str, body: bytes, headers: dict) -> int:
        with self.lock:
            secret = self.secrets.get(subscription)
            if secret is None or not hmac.compare_digest(signature, signature_of(body, secret)):
                self.refused.append((path, f"bad signature for {subscription}"))
                return 401
            if self.failures.get(path, 0) > 0:
                self.failures[path] -= 1
                return 500
            status = self.answers.get(path, 204)
            if 200 <= status < 300:
                self.deliveries.append(Delivery(subscription, path, json.loads(body), headers))
            return status

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real subscriber's server would

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request (a test kills it): no delivery
                    self.close_connection = True
                    return
                time.sleep(receiver.delay)
                status = receiver._answer(self.path, self.headers.get("Subscription-ID", ""),
                                          self.headers.get("Notification-Signature", ""), body, dict(self.headers))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # quiet
                pass

        return Handler
