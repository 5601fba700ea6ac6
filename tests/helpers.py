"""Test helpers: valid events built to order, partner keys, waiting for the consumer."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

from stdnum import iso6346
from werkzeug.security import generate_password_hash

PARTNER_KEYS = {"terminal.haitian": "key-haitian", "customs.xiamen": "key-customs",
                "trucking.x": "key-trucking"}
READ_KEY = "key-reader"
WALL_TOKEN = "wall-token-for-tests"
MANAGER, MANAGER_PASSWORD = "manager", "harbour-master-42"
MANAGER_HASH = generate_password_hash(MANAGER_PASSWORD)
SECRET_KEY = "secret-key-for-tests"
ACCESS_ENV = {"DP_READ_KEYS": READ_KEY, "DP_WALL_TOKEN": WALL_TOKEN,
              "DP_USERS": f"{MANAGER}={MANAGER_HASH}", "DP_SECRET_KEY": SECRET_KEY}
ACCESS_CONFIG = dict(read_keys=(READ_KEY,), wall_token=WALL_TOKEN, users={MANAGER: MANAGER_HASH},
                     secret_key=SECRET_KEY)
BASE_TIME = datetime(2026, 11, 27, 8, 0, tzinfo=timezone(timedelta(hours=8)))


def auth(source: str = "trucking.x") -> dict:
    return {"Authorization": f"Bearer {PARTNER_KEYS[source]}"}


def read_auth() -> dict:
    """The header of a reader: the read API and /metrics."""
    return {"Authorization": f"Bearer {READ_KEY}"}


def csrf_token(page_html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert match, "the login form carries no CSRF token"
    return match.group(1)


def log_in(client, base: str = "", user: str = MANAGER, password: str = MANAGER_PASSWORD, next_path: str = "/"):
    """Log a Flask test client or a requests.Session in through the form; → the POST's answer."""
    token = csrf_token(client.get(base + "/login").text)
    return client.post(base + "/login", data={"username": user, "password": password, "csrf_token": token,
                                              "next": next_path})


def container_number(n: int, owner: str = "TEST") -> str:
    """A valid ISO 6346 number for any n < 1,000,000 (owner code ending in U)."""
    body = f"{owner[:3]}U{n:06d}"
    return body + iso6346.calc_check_digit(body)


def gate_event(n: int, source: str = "trucking.x", **overrides) -> dict:
    event = {
        "id": f"gate-{n}", "type": "gate.in", "time": (BASE_TIME + timedelta(seconds=n)).isoformat(),
        "source": source, "container": container_number(n), "direction": "export",
        "data": {"gate": "G1", "lane": 1 + n % 4},
    }
    event.update(overrides)
    return event


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.02, what: str = "condition"):
    """Poll until predicate() is truthy; fail with `what` after timeout (no timing is asserted)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
