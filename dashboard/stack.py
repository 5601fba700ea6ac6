"""`python run.py stack`: the whole set on one machine, one command.

    Stack(config, web=2, ingest=2, shards=3).start()   … .restart("web-1") … .stop()

Redis (a Redis Cluster of `shards` primaries with a replica each, or with `shards=0` one embedded
valkey-server; none with a configured URL), the ingest workers and web replicas (each
`run.py serve --role …`, a gunicorn process of its own on a loopback port, its own data folder,
the same secrets), and nginx in front on the set's port (deploy/nginx.conf, dashboard/stack_nginx.py).

With the demo, one web replica runs the simulator in the `demo` namespace; the others follow its
log on the event clock, so every replica shows the same demo. The demo resets its namespace when
it starts, so it starts first, the other web replicas after it; restarting it restarts them too.

Start order: Redis; the demo's replica and the ingest workers; the other web replicas; nginx once
every worker answers /healthz with status ok. Stop order: nginx, the workers, Redis. A failure
(or Ctrl-C) half way stops whatever had started. While it runs, `stack.json` in its folder names
every process, port and log.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from pathlib import Path
from typing import Callable

from dashboard.config import Config
from dashboard.stack_nginx import Nginx
from dashboard.stack_procs import STOP_SECONDS, StackError, Worker, alive, wait_until
from feeds.embedded import EmbeddedRedis, free_port, terminate

RECORD = "stack.json"
NGINX_READY_SECONDS = 30
CRASH_LOOP_SECONDS = 30  # a worker that ends this soon after its start is not started again: the set stops
SERVER_GIVE_UP_SECONDS = 30  # a cluster server nobody replaced comes back with its own file after this
PER_WORKER = ("DP_HOST", "DP_HTTP_PORT", "DP_ROLE", "DP_DATA_DIR")  # each worker gets its own


class Stack:
    def __init__(self, config: Config, *, web: int = 2, ingest: int = 2, shards: int = 3,
                 simulator: bool = True, env: dict | None = None, folder: Path | None = None,
                 demo_port_id: str = "demo", say: Callable[[str], None] | None = None,
                 ready_seconds: float = 120.0):
        if web < 1 or ingest < 1 or shards < 0:
            raise ValueError("a set has at least one web replica and one ingest worker, and 0 or more shards")
        self.config, self.shards, self.simulator = config, shards, simulator
        self.counts = {"web": web, "ingest": ingest}
        self.env = dict(os.environ if env is None else env)  # the workers' environment, as for run.py serve
        self.folder = Path(folder or Path(config.data_dir) / "stack").resolve()
        self.demo_port_id, self.ready_seconds = demo_port_id, ready_seconds
        self.say = say or (lambda text: None)
        self.redis = None  # the server or cluster this stack started
        self.redis_url = config.redis_url
        self.cluster = config.redis_cluster if config.redis_url else shards >= 1
        self.secret_key: str | None = None
        self.workers: list[Worker] = []
        self.nginx: Nginx | None = None
        self.dead_since: dict[int, float] = {}  # cluster servers found ended: port → when
        self.interrupted = False  # set by Ctrl-C or SIGTERM: whatever waits gives up (Stopped)
        self.recorded = False  # this set's record is in the folder

    @property
    def base(self) -> str:
        return f"http://{self.config.host}:{self.config.http_port}"

    @property
    def web(self) -> list[Worker]:
        return [w for w in self.workers if w.role == "web"]

    @property
    def ingest(self) -> list[Worker]:
        return [w for w in self.workers if w.role == "ingest"]

    def worker(self, name: str) -> Worker:
        found = [w for w in self.workers if w.name == name]
        if not found:
            raise KeyError(f"no worker {name!r}: {', '.join(w.name for w in self.workers)}")
        return found[0]

    # -- start and stop -----------------------------------------------------------------------

    def start(self) -> "Stack":
        try:
            self._claim_port()
            self._claim_folder()
            self._start_redis()
            self._plan_workers()
            leaders = [w for w in self.workers if w.demo or w.role == "ingest"] if self.simulator else self.workers
            self._launch(leaders)
            self._launch([w for w in self.workers if w not in leaders])
            self._start_nginx()
            self._write_record()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """nginx, then every worker (together), then Redis; never leaves one running."""
        problems = []
        if self.nginx is not None:
            problems += _attempt(self.nginx.stop)
        for worker in self.workers:
            problems += _attempt(worker.begin_stop)
        for worker in self.workers:
            problems += _attempt(lambda: worker.finish_stop(STOP_SECONDS))
        if self.redis is not None:
            problems += _attempt(self.redis.stop)
            self.redis = None
        if self.recorded:  # (never another set's, found in the folder)
            (self.folder / RECORD).unlink(missing_ok=True)
            self.recorded = False
        for problem in problems:
            self.say(f"while stopping: {problem!r}")

    def _claim_port(self) -> None:
        """Fail before anything starts when the set's port is taken."""
        host = self.config.host if self.config.host not in ("", "*") else "0.0.0.0"
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, self.config.http_port))
            except OSError as exc:
                raise StackError(f"cannot listen on {host}:{self.config.http_port} ({exc.strerror}): is "
                                 "`make run` or another set running there? Give --port") from None

    def _claim_folder(self) -> None:
        """One set per folder: its record, its Redis, its workers' folders."""
        try:
            pid = json.loads((self.folder / RECORD).read_text())["pid"]
        except (OSError, ValueError, KeyError):
            return
        if pid != os.getpid() and alive(pid):
            raise StackError(f"another set (pid {pid}) runs from {self.folder}: stop it first, "
                             "or give this one another DP_DATA_DIR")

    def _start_redis(self) -> None:
        if self.redis_url:
            return  # configured (--redis-url, DP_REDIS_URL): someone else runs it
        if self.shards >= 1:
            try:
                from feeds.cluster import EmbeddedCluster
            except ImportError:
                raise StackError("this checkout cannot start a Redis Cluster (feeds/cluster.py is missing): "
                                 "give --shards 0 for one embedded server") from None
            # a new cluster at every start (new ports, new node folders): the last one's go first,
            # with any of its servers a killed set left running
            self._stop_leftover_servers()
            shutil.rmtree(self.folder / "cluster", ignore_errors=True)
            self.redis = EmbeddedCluster(self.folder / "cluster", shards=self.shards, replicas=1)
        else:
            self.redis = EmbeddedRedis(self.folder / "redis")
        self.redis_url = self.redis.start()

    def _stop_leftover_servers(self) -> None:
        try:
            pids = json.loads((self.folder / RECORD).read_text())["redis"].get("pids", [])
        except (OSError, ValueError, KeyError, AttributeError):
            return
        for pid in pids:
            try:
                is_valkey = b"valkey-server" in Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue  # gone already
            if is_valkey:
                terminate(pid)

    def _plan_workers(self) -> None:
        from dashboard.auth import stored_secret_key

        self.secret_key = self.config.secret_key or stored_secret_key(Path(self.config.data_dir))
        self.workers = [
            Worker(name=f"{role}-{n}", log_path=self.folder / "logs" / f"{role}-{n}.log", role=role,
                   port=free_port(), data_dir=self.folder / "workers" / f"{role}-{n}",
                   demo=self.simulator and role == "web" and n == 1)
            for role in ("web", "ingest") for n in range(1, self.counts[role] + 1)]

    def worker_env(self, worker: Worker) -> dict:
        """The environment of `run.py serve`, and what every worker of one set must share: the
        Redis, the port namespace, the key that signs sessions, the accounts and the wall token."""
        env = {k: v for k, v in self.env.items() if k not in PER_WORKER}
        env.update(DP_REDIS_URL=self.redis_url, DP_REDIS_CLUSTER="1" if self.cluster else "0",
                   DP_SECRET_KEY=self.secret_key, DP_PORT_ID=self.config.port_id,
                   DP_TRUSTED_PROXIES="1")  # nginx in front: a client's address is its X-Forwarded-For
        if self.config.users:
            env["DP_USERS"] = ",".join(f"{name}={hashed}" for name, hashed in self.config.users.items())
        if self.config.wall_token:
            env["DP_WALL_TOKEN"] = self.config.wall_token
        if self.simulator:  # the demo's replica sets these itself (run.py serve)
            env["DP_PORT_ID"] = self.demo_port_id
            if worker.role == "web":
                env["DP_CLOCK"] = "event"
        return env

    def _launch(self, workers: list[Worker]) -> None:
        """Start these workers together; back when every one answers /healthz with status ok."""
        for worker in workers:
            self.say(f"starting {worker.name} on {worker.address}" + (" (the demo)" if worker.demo else ""))
            if worker.demo:
                self._share_demo_access(worker)
            worker.start(self.worker_env(worker))
        try:
            wait_until({w.name: w.ready for w in workers}, timeout=self.ready_seconds,
                       interrupted=lambda: self.interrupted, what="answering /healthz with status ok")
        except StackError as exc:
            logs = "\n".join(f"  {w.name}: {w.log_path}" for w in workers)
            raise StackError(f"{exc}; their logs:\n{logs}") from None

    def _share_demo_access(self, worker: Worker) -> None:
        """The demo's replica prints the demo's account from its own folder: the set's, not one of
        its own making (run.py's with_demo_access made the set's in DP_DATA_DIR)."""
        source = Path(self.config.data_dir) / "demo-access.json"
        if source.exists():
            worker.data_dir.mkdir(parents=True, exist_ok=True)
            target = worker.data_dir / source.name
            target.touch(mode=0o600)
            target.write_bytes(source.read_bytes())

    def _start_nginx(self) -> None:
        prefix = self.folder / "nginx"
        self.nginx = Nginx(name="nginx", log_path=prefix / "logs" / "nginx.out", prefix=prefix,
                           host=self.config.host, port=self.config.http_port)
        web = [w.address for w in self.web]
        self.nginx.configure(web, [w.address for w in self.ingest], [w.address for w in self.web if w.demo] or web)
        self.nginx.start(self.env)
        wait_until({"nginx": self.nginx.ready}, timeout=NGINX_READY_SECONDS,
                   interrupted=lambda: self.interrupted, what="answering")

    # -- restarts ------------------------------------------------------------------------------

    def restart(self, name: str) -> None:
        """Stop one worker and start it again on its port (nginx passes over it meanwhile); back
        when it answers /healthz with status ok. (The demo's replica starts its demo afresh, which
        resets the namespace; the other replicas follow that by themselves: PortPulse.follow_resets.)"""
        worker = self.worker(name)
        worker.begin_stop()
        worker.finish_stop(STOP_SECONDS)
        self._launch([worker])
        self._write_record()

    def rolling_restart(self) -> None:
        """Every worker in turn, each back before the next goes: the set keeps answering."""
        for worker in self.web + self.ingest:
            self.say(f"restarting {worker.name}")
            self.restart(worker.name)
        self.say("every worker restarted")

    def watch(self, take_hup: Callable[[], bool] = lambda: False) -> None:
        """Until interrupted: a rolling restart on SIGHUP; a worker that ended is started again."""
        while not self.interrupted:
            if take_hup():
                self.rolling_restart()
            for worker in self.workers:
                if worker.running():
                    continue
                if time.monotonic() - worker.started_at < CRASH_LOOP_SECONDS:
                    raise worker.exited("ended again soon after it started")
                self.say(f"{worker.name} ended (exit code {worker.process.returncode}): starting it again; "
                         f"see {worker.log_path}")
                self.restart(worker.name)
            self._restart_dead_servers()
            if not self.nginx.running():
                raise StackError(f"nginx ended (exit code {self.nginx.process.returncode}); see {self.nginx.error_log}")
            time.sleep(0.2)

    def _restart_dead_servers(self) -> None:
        """A cluster server of ours that ended is started again, as a system's supervisor would,
        once its replica has taken its slots over (or after SERVER_GIVE_UP_SECONDS, when none
        can): it rejoins as its successor's replica, and writes can wait for a replica again."""
        now = time.monotonic()
        for node in getattr(self.redis, "nodes", None) or []:
            if node.alive():
                self.dead_since.pop(node.port, None)
                continue
            since = self.dead_since.setdefault(node.port, now)
            if self.redis.replaced(node) or now - since > SERVER_GIVE_UP_SECONDS:
                self.say(f"Redis node {node.port} ended: starting it again (it rejoins as a replica)")
                self.redis.restart(node)

    # -- what it is ----------------------------------------------------------------------------

    def pids(self) -> list[int]:
        """Every process of the set now: nginx's, the workers' (gunicorn's own worker too), Redis'."""
        found = [pid for child in [self.nginx, *self.workers] if child is not None for pid in child.pids()]
        return found + self._redis_pids()

    def _redis_pids(self) -> list[int]:
        if self.redis is None:
            return []
        nodes = getattr(self.redis, "nodes", None)  # a cluster's servers; else the one server
        return [pid for pid in ([node.pid for node in nodes] if nodes else [self.redis.pid]) if pid]

    def _write_record(self) -> None:
        record = {"pid": os.getpid(), "url": self.base,
                  "redis": {"url": self.redis_url, "cluster": self.cluster, "pids": self._redis_pids()},
                  "nginx": {"pid": self.nginx.pid, "conf": str(self.nginx.conf), "error_log": str(self.nginx.error_log)},
                  "workers": [{"name": w.name, "role": w.role, "address": w.address, "pid": w.pid, "demo": w.demo,
                               "log": str(w.log_path)} for w in self.workers]}
        tmp = self.folder / (RECORD + ".tmp")
        tmp.write_text(json.dumps(record, indent=2))
        tmp.replace(self.folder / RECORD)
        self.recorded = True


def _attempt(action) -> list[BaseException]:
    try:
        action()
    except Exception as exc:  # one part failing to stop must not leave the others running
        return [exc]
    return []
