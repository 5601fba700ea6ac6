"""The stack's child processes (dashboard/stack.py): started, checked and stopped with everything
they started.

Each child runs in a session of its own, so a Ctrl-C in the terminal reaches the stack alone and
the stack stops its children in order (workers before Redis); and each dies with the stack even
when the stack is killed (`PR_SET_PDEATHSIG`). That signal follows the *thread* that started the
child: start and restart children from one long-lived thread (the stack's main thread, or a
test's).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
RUN_PY = ROOT / "run.py"
PR_SET_PDEATHSIG = 1  # linux/prctl.h
STOP_SECONDS = 40  # a worker's own grace period is 30 s (dashboard/serving.py); then it is killed
LOG_TAIL = 3000


class StackError(RuntimeError):
    """The set cannot start or keep running; the message says why and where to look."""


class Stopped(Exception):
    """Ctrl-C or SIGTERM while the stack was starting or restarting something."""


def _prctl():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).prctl if name else None
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()  # looked up once, here: the child only calls it between fork and exec


def _die_with_parent() -> None:
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(args: list[str], *, env: dict, log_path: Path, cwd: Path = ROOT) -> subprocess.Popen:
    """Start a child in its own session, writing to `log_path`, tied to this thread's life."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_die_with_parent)


def log_tail(path: Path, size: int = LOG_TAIL) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - size))
            return handle.read().decode(errors="replace")
    except OSError:
        return "(no log)"


def _parents() -> dict[int, int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()  # after "pid (name)": state, ppid, …
            if fields[0] != "Z":
                parents[int(entry)] = int(fields[1])
    return parents


def process_tree(pid: int) -> list[int]:
    """`pid` and every live process below it (Linux /proc)."""
    parents = _parents()
    tree, todo = [], [pid] if pid in parents else []
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(child for child, parent in parents.items() if parent == current)
    return tree


def alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped, is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


@dataclass
class Child:
    """One supervised child: its command, log and process; the pids of its tree as last seen."""

    name: str
    log_path: Path
    process: subprocess.Popen | None = None
    seen: set[int] = field(default_factory=set)  # every pid of every start, for the record
    started_at: float = 0.0
    _tree: list[int] = field(default_factory=list)

    def launch(self, args: list[str], env: dict) -> None:
        self.process = spawn(args, env=env, log_path=self.log_path)
        self.started_at = time.monotonic()
        self.seen.add(self.process.pid)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pids(self) -> list[int]:
        """Its process and what it started (a gunicorn master's worker, nginx's workers)."""
        if not self.running():
            return []
        tree = process_tree(self.process.pid)
        self.seen.update(tree)
        return tree

    def begin_stop(self, signum: int = signal.SIGTERM) -> None:
        self._tree = self.pids()
        if self.running():
            self.process.send_signal(signum)

    def finish_stop(self, timeout: float) -> int | None:
        """Wait for it; past `timeout`, kill it and whatever it started. → its exit code."""
        if self.process is None:
            return None
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            for pid in [*self.pids(), self.process.pid]:
                _signal(pid, signal.SIGKILL)
            code = self.process.wait(10)
        for pid in self._tree:  # a grandchild that outlived its parent
            if pid != self.process.pid and alive(pid):
                _signal(pid, signal.SIGKILL)
        self._tree = []
        return code

    def stop(self, timeout: float, signum: int = signal.SIGTERM) -> int | None:
        self.begin_stop(signum)
        return self.finish_stop(timeout)

    def exited(self, what: str) -> StackError:
        code = self.process.returncode if self.process else None
        return StackError(f"{self.name} {what} (exit code {code}); the end of {self.log_path}:\n"
                          f"{log_tail(self.log_path)}")


def get_json(url: str, timeout: float = 2.0) -> dict | None:
    """The JSON answer of a GET, or None when nothing (good) answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read()) if response.status == 200 else None
    except (OSError, ValueError, urllib.error.URLError):
        return None


def wait_until(checks: dict[str, Callable[[], bool]], *, timeout: float, interrupted: Callable[[], bool],
               what: str) -> None:
    """Poll every check (name → callable; a check may raise StackError) until all have passed."""
    pending = dict(checks)
    deadline = time.monotonic() + timeout
    while pending:
        if interrupted():
            raise Stopped()
        for name, check in list(pending.items()):
            if check():
                del pending[name]
        if pending and time.monotonic() > deadline:
            raise StackError(f"{', '.join(pending)} not {what} after {timeout:g} s")
        if pending:
            time.sleep(0.1)


def python_command(*args: str) -> list[str]:
    return [sys.executable, str(RUN_PY), *args]


@dataclass
class Worker(Child):
    """`python run.py serve --role web|ingest` on a loopback port of its own; nginx is in front."""

    role: str = "web"
    port: int = 0
    data_dir: Path = Path("data")
    demo: bool = False  # this web replica runs the demo simulator (the others follow its log)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        args = ["serve", "--role", self.role, "--host", "127.0.0.1", "--port", str(self.port)]
        return python_command(*args, *([] if self.demo else ["--no-simulator"]))

    def start(self, env: dict) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.launch(self.command(), {**env, "DP_DATA_DIR": str(self.data_dir)})

    def health(self) -> dict | None:
        return get_json(f"http://{self.address}/healthz")

    def ready(self) -> bool:
        """Answering /healthz with status ok: Redis reachable and, for a web replica, caught up
        with the log. StackError when the process has ended."""
        if not self.running():
            raise self.exited("ended while starting")
        health = self.health()
        return bool(health) and health.get("status") == "ok"
