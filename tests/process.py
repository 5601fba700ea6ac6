"""Run the real service (`python run.py`) as a child process for tests that kill or stop it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

import pytest

from feeds.embedded import read_record, terminate, free_port, pid_alive
from tests.helpers import ACCESS_ENV, PARTNER_KEYS, wait_for

ROOT = Path(__file__).resolve().parent.parent


def valkey_pids(folder: Path, *, below: bool = False) -> list[int]:
    """PIDs of valkey-server processes working in `folder` (valkey chdirs to its --dir), or in
    any folder below it."""
    root, found = str(Path(folder).resolve()), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if b"valkey-server" in title and (cwd == root or (below and cwd.startswith(root + os.sep))):
            found.append(int(entry.name))
    return found


class ServiceProcess:
    def __init__(self, data_dir: Path, *, redis_url: str | None = None, port_id: str = "xiamen",
                 extra_env: dict | None = None, args: tuple[str, ...] = ("--no-simulator",),
                 http_port: int | None = None):
        self.data_dir = Path(data_dir)
        self.http_port = http_port or free_port()
        self.base = f"http://127.0.0.1:{self.http_port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DP_")}
        self.env.update({
            "DP_DATA_DIR": str(self.data_dir), "DP_HTTP_PORT": str(self.http_port),
            "DP_PORT_ID": port_id, "DP_SNAPSHOT_SECONDS": "1",
            "DP_PARTNER_KEYS": ",".join(f"{s}={k}" for s, k in PARTNER_KEYS.items()),
            **ACCESS_ENV,
        })
        if redis_url:
            self.env["DP_REDIS_URL"] = redis_url
        self.env.update(extra_env or {})
        self.args = args
        self.process: subprocess.Popen | None = None
        self.log_path = self.data_dir / f"service-{self.http_port}.log"

    def start(self, timeout: float = 30.0) -> "ServiceProcess":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, str(ROOT / "run.py"), *self.args], cwd=ROOT,
                                        env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        wait_for(self._healthy, timeout=timeout, interval=0.1, what=f"service on {self.base}")
        return self

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"service exited with {self.process.returncode}:\n{self.log()}")
        try:
            return requests.get(self.base + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def health(self, timeout: float = 10) -> dict:
        return requests.get(self.base + "/healthz", timeout=timeout).json()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def signal(self, signum: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        self.process.send_signal(signum)
        code = self.process.wait(timeout)
        self._log.close()
        return code

    def worker_pid(self) -> int:
        """The gunicorn worker that holds the app (dashboard/serving.py): the child of run.py
        that is not its embedded Redis. Its memory and CPU are the service's."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        workers = [int(child) for child in children
                   if b"valkey" not in Path(f"/proc/{child}/cmdline").read_bytes()]
        assert len(workers) == 1, f"expected one worker under {pid}, found {workers}"
        return workers[0]

    def redis_record(self) -> dict:
        return json.loads((self.data_dir / "redis.json").read_text())

    def close(self) -> None:
        """Stop the service, and the embedded server a kill -9 may have left without an owner."""
        if self.process and self.process.poll() is None:
            try:
                self.signal(signal.SIGTERM)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
        if "DP_REDIS_URL" not in self.env:
            record = read_record(self.data_dir)
            if record and pid_alive(record["pid"]) and not pid_alive(record.get("owner", 0)):
                terminate(record["pid"])


@pytest.fixture
def start_service():
    """Start services with `start_service(data_dir, ...)`; all of them are stopped at teardown."""
    started: list[ServiceProcess] = []

    def start(*args, **kwargs) -> ServiceProcess:
        service = ServiceProcess(*args, **kwargs)
        started.append(service)
        return service.start()

    yield start
    for service in started:
        service.close()
