"""Test helpers: valid events built to order, partner keys, waiting for the consumer."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from stdnum import iso6346

PARTNER_KEYS = {"terminal.haitian": "key-haitian", "customs.xiamen": "key-customs",
                "trucking.x": "key-trucking"}
BASE_TIME = datetime(2026, 11, 27, 8, 0, tzinfo=timezone(timedelta(hours=8)))


def auth(source: str = "trucking.x") -> dict:
    return {"Authorization": f"Bearer {PARTNER_KEYS[source]}"}


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
