"""The whole set (`python run.py stack`) at a small size, started as a presenter starts it: two web
replicas and an ingest worker behind nginx, one embedded Redis, no simulator. A wall opened
through nginx (headless Chromium) shows an event a partner posted through nginx, which nginx
handed to the ingest worker; SIGTERM stops the set and leaves none of its processes running."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from dashboard.stack_procs import process_tree
from feeds.embedded import free_port
from layouts import ids
from tests.e2e.conftest import open_wall
from tests.helpers import auth, container_number, wait_for
from tests.process import ROOT
from tests.stack_kit import assert_all_gone, nginx, stack_env  # noqa: F401  (nginx: a fixture)

pytestmark = pytest.mark.e2e

START_SECONDS = 60
ACCESS_LINE = re.compile(r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) .* upstream=(?P<upstream>\S+)')


class StackProcess:
    """`python run.py stack …` as a child process, its output in the data folder."""

    def __init__(self, data_dir: Path, port_id: str, *args: str):
        self.data_dir, self.port = data_dir, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.args = ["stack", "--port", str(self.port), *args]
        self.env = stack_env(data_dir, port_id)
        self.log_path = data_dir / "stack.out"
        self.process: subprocess.Popen | None = None
        self.record: dict = {}

    def start(self) -> "StackProcess":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([sys.executable, str(ROOT / "run.py"), *self.args], cwd=ROOT,
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_for(self._ready, timeout=START_SECONDS, interval=0.2, what=f"the set on {self.base}")
        self.record = json.loads((self.data_dir / "stack" / "stack.json").read_text())
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"run.py stack ended with {self.process.returncode}:\n{self.output()}")
        if not (self.data_dir / "stack" / "stack.json").exists():
            return False
        try:
            return requests.get(self.base + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def access_log(self) -> list[dict]:
        text = (self.data_dir / "stack" / "nginx" / "logs" / "access.log").read_text()
        return [m.groupdict() for m in map(ACCESS_LINE.search, text.splitlines()) if m]

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                for pid in process_tree(self.process.pid):
                    os.kill(pid, signal.SIGKILL)


@pytest.fixture
def small_set(tmp_path, port_id, nginx):
    stack = StackProcess(tmp_path, port_id, "--web", "2", "--ingest", "1", "--shards", "3", "--no-simulator")
    try:
        yield stack.start()
    finally:
        stack.close()


def marker_event() -> dict:
    return {"id": "through-nginx-1", "type": "gate.in", "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "source": "trucking.x", "container": container_number(4242), "direction": "export",
            "data": {"gate": "HT-G1"}}


def test_stack_wall_through_nginx_shows_an_event_posted_to_an_ingest_worker_and_sigterm_leaves_nothing(small_set, page):
    stack = small_set
    workers = {w["name"]: w for w in stack.record["workers"]}
    assert sorted(workers) == ["ingest-1", "web-1", "web-2"]
    processes = set(process_tree(stack.process.pid))
    expected = {stack.record["nginx"]["pid"], *(w["pid"] for w in workers.values())}
    assert expected <= processes, f"the record names processes that are not the set's: {stack.record}"
    assert len(processes) >= 1 + 2 + 2 * 3 + 1, f"the stack, nginx (master, workers), 3 gunicorn pairs, Redis: {processes}"

    open_wall(page, stack.base, "lang=en")
    page.wait_for_selector(f"#{ids.TICKER}", state="attached")
    event = marker_event()
    response = requests.post(stack.base + "/api/v1/events", json=event, headers=auth(), timeout=10)
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1
    page.wait_for_selector(f'#{ids.TICKER} [data-event-id="{event["id"]}"]', state="attached", timeout=15_000)

    lines = stack.access_log()
    posts = [line for line in lines if line["method"] == "POST" and line["path"] == "/api/v1/events"]
    assert [line["upstream"] for line in posts] == [workers["ingest-1"]["address"]], posts
    sockets = {line["upstream"] for line in lines if line["path"].startswith("/socket.io/")}
    web = {workers["web-1"]["address"], workers["web-2"]["address"]}
    assert len(sockets) == 1 and sockets <= web, f"one page's socket requests went to {sockets}: not sticky"
    assert page.console_errors == []

    started = time.monotonic()
    stack.process.send_signal(signal.SIGTERM)
    assert stack.process.wait(60) == 0, stack.output()
    print(f"the set stopped {time.monotonic() - started:.1f} s after SIGTERM; its processes: {sorted(processes)}")
    assert_all_gone(processes)
    assert not (stack.data_dir / "stack" / "stack.json").exists()
