"""Local stand-ins for the notification channels, for the tests and the benchmark: one threaded HTTP
server that plays the webhook receiver and the WeCom and DingTalk robots (by path), and a real
SMTP server (aiosmtpd). They check nothing themselves: they keep what came, and the tests check
it independently of dashboard/notify/."""

from __future__ import annotations

import email
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller

from feeds.embedded import free_port
from tests.local_server import LocalHttpServer


@dataclass
class Received:
    path: str  # without the query
    query: dict  # name → first value
    headers: dict
    body: bytes
    at: float = field(default_factory=time.time)

    def json(self):
        return json.loads(self.body)


class HttpReceiver(LocalHttpServer):
    """`answers[path]` = (status, JSON body) to give (200, {"errcode": 0} otherwise);
    `failures[path]` = how many times to give `failure[path]` (500 by default) first;
    `delay` seconds before each answer. Only answered 2xx requests (with a robot's errcode 0)
    count as `delivered`."""

    thread_name = "notify-receiver"

    def __init__(self):
        self.answers: dict[str, tuple[int, dict]] = {}
        self.failures: dict[str, int] = {}
        self.failure: dict[str, tuple[int, dict]] = {}
        self.delay = 0.0
        self.requests: list[Received] = []
        self.delivered: list[Received] = []
        self.in_flight = 0  # requests come in and not yet answered
        self.lock = threading.Lock()
        super().__init__(self._handler())

    def at(self, path: str, delivered: bool = True) -> list[Received]:
        with self.lock:
            return [r for r in (self.delivered if delivered else self.requests) if r.path == path]

    def _answer(self, received: Received) -> tuple[int, dict]:
        with self.lock:
            self.requests.append(received)
            if self.failures.get(received.path, 0) > 0:
                self.failures[received.path] -= 1
                return self.failure.get(received.path, (500, {"errcode": -1}))
            status, body = self.answers.get(received.path, (200, {"errcode": 0, "errmsg": "ok"}))
            if 200 <= status < 300 and body.get("errcode", 0) == 0:
                self.delivered.append(received)
            return status, body

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request
                    self.close_connection = True
                    return
                with receiver.lock:
                    receiver.in_flight += 1
                try:
                    self._reply(body)
                finally:
                    with receiver.lock:
                        receiver.in_flight -= 1

            def _reply(self, body: bytes) -> None:
                time.sleep(receiver.delay)
                parts = urlsplit(self.path)
                query = {name: values[0] for name, values in parse_qs(parts.query).items()}
                status, answer = receiver._answer(Received(parts.path, query, dict(self.headers), body))
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                try:
                    self.wfile.write(raw)
                except OSError:  # the sender died waiting (a test kills it)
                    self.close_connection = True

            def log_message(self, *args):  # quiet
                pass

        return Handler


class _Mailbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append(message)
        return "250 OK"


class SmtpReceiver:
    """A real SMTP server on 127.0.0.1 (aiosmtpd); `messages` are the mails it accepted."""

    def __init__(self):
        self.mailbox = _Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list:
        with self.mailbox.lock:
            return list(self.mailbox.messages)

    def start(self) -> "SmtpReceiver":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def http():
    """A running HttpReceiver (webhook and robots), stopped after the test."""
    receiver = HttpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp():
    """A running SmtpReceiver, stopped after the test."""
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()
