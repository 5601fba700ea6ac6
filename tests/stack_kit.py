"""What the tests of the set (`run.py stack`, dashboard/stack.py) share: nginx (a missing one
fails the test with the way to install it; it never skips), the workers' environment, partners
that retry as a partner should, and checking that no process is left."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from dashboard.config import Config
from dashboard.stack import Stack
from dashboard.stack_nginx import nginx_binary
from dashboard.stack_procs import StackError, alive
from feeds.embedded import free_port
from tests.helpers import ACCESS_ENV, PARTNER_KEYS, container_number, wait_for


@pytest.fixture
def nginx() -> str:
    try:
        return nginx_binary()
    except StackError as exc:
        pytest.fail(f"{exc} (.ci/ensure-nginx)")


def stack_env(data_dir: Path, port_id: str, **extra: str) -> dict:
    """A clean `DP_*` environment: the tests' partner keys and access, this test's folder and port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DP_")}
    env.update({"DP_DATA_DIR": str(data_dir), "DP_PORT_ID": port_id, "DP_SNAPSHOT_SECONDS": "2",
                "DP_PARTNER_KEYS": ",".join(f"{s}={k}" for s, k in PARTNER_KEYS.items()), **ACCESS_ENV, **extra})
    return env


@contextmanager
def partners_set(folder: Path, port_id: str, *, shards: int, redis_url: str | None = None):
    """2 web replicas and 2 ingest workers behind nginx, no simulator, partners unlimited; on
    `redis_url`, or (none given) on a cluster of `shards` primaries the set starts itself."""
    env = stack_env(folder, port_id, DP_PARTNER_RATE_LIMIT="100000 per minute")
    config = Config.from_env(env).replace(http_port=free_port(), **({"redis_url": redis_url} if redis_url else {}))
    stack = Stack(config, web=2, ingest=2, shards=shards, simulator=False, env=env, folder=folder / "stack")
    try:
        yield stack.start()
    finally:
        stack.stop()


def assert_all_gone(pids: set[int], timeout: float = 15.0) -> None:
    wait_for(lambda: not [pid for pid in pids if alive(pid)], timeout=timeout, interval=0.1,
             what=f"every process of the set to end: still running {[pid for pid in pids if alive(pid)]}")


BATCH = 5
PAUSE = 0.05  # between a partner's requests


class Partner(threading.Thread):
    """Sends batches of gate lifts until told to stop, each batch until it is taken: after a 503
    or 429 it waits as Retry-After says, after a refused connection 0.2 s. Notes when each 202
    came, every status, and anything a partner could not act on."""

    def __init__(self, base: str, source: str, owner: str, *, retry_for: float = 60.0):
        super().__init__(name=f"partner-{source}", daemon=True)
        self.base, self.source, self.owner, self.retry_for = base, source, owner, retry_for
        self.headers = {"Authorization": f"Bearer {PARTNER_KEYS[source]}"}
        self.statuses: Counter = Counter()
        self.refused = 0
        self.unexpected: list[str] = []
        self.acknowledged: set[str] = set()
        self.taken_at: list[float] = []  # monotonic time of every 202
        self.halt = threading.Event()

    def run(self) -> None:
        session, n = requests.Session(), 0
        try:
            while not self.halt.is_set() and not self.unexpected:
                stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
                batch = [{"id": f"{self.owner}-{n + i}", "type": "gate.in", "time": stamp, "source": self.source,
                          "container": container_number(n + i, self.owner), "direction": "export",
                          "data": {"gate": "HT-G1"}} for i in range(BATCH)]
                self.deliver(session, batch)
                n += BATCH
                time.sleep(PAUSE)
        except Exception as exc:  # the test names it
            self.unexpected.append(f"the partner failed: {exc!r}")

    def deliver(self, session: requests.Session, batch: list[dict]) -> None:
        deadline = time.monotonic() + self.retry_for
        while time.monotonic() < deadline:
            try:
                response = session.post(self.base + "/api/v1/events", json=batch, headers=self.headers, timeout=20)
            except requests.ConnectionError:
                self.refused += 1
                time.sleep(0.2)
                continue
            self.statuses[response.status_code] += 1
            retry_after = response.headers.get("Retry-After")
            if response.status_code == 202 and not response.json()["rejected"]:
                self.acknowledged.update(event["id"] for event in batch)
                self.taken_at.append(time.monotonic())
                return
            if response.status_code in (429, 503) and retry_after:
                time.sleep(float(retry_after))
                continue
            self.unexpected.append(f"{response.status_code} (Retry-After {retry_after}): {response.text[:300]}")
            return
        self.unexpected.append(f"a batch not taken within {self.retry_for:g} s")
