"""An embedded Redis Cluster: `valkey-server --cluster-enabled yes` processes on free loopback ports.

`EmbeddedCluster(data_dir, shards=3, replicas=1).start()` starts shards × (1 + replicas) servers
(append-only files, one folder per node), gives each primary an even share of the 16,384 slots
(CLUSTER ADDSLOTSRANGE), joins them (CLUSTER MEET), attaches the replicas (CLUSTER REPLICATE) and
returns once every node says `cluster_state:ok` and sees every replica attached; → a seed URL for
`feeds.redis_client.connect(url, cluster=True)`. `stop()` stops every process it started, also
after a start that failed half way. For failover tests: `primary_for(key)`, `replicas_of(node)`,
`kill(node)` (SIGKILL) and `restart(node)` (same port and folder: it rejoins, as a replica once
its slots moved on).

Failover is quick and unconditional: `cluster-node-timeout` 2 s, and
`cluster-replica-validity-factor 0` (a replica may take over however long its link was down).
A fresh cluster each start: node folders are named by port, and ports are new each time.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.crc import key_slot
from redis.retry import Retry

from feeds.embedded import EmbeddedRedisError, server_binary, terminate

SLOTS = 16384


@dataclass
class Node:
    """One server of the cluster; `role` asks it ("primary", "replica", or "down")."""

    port: int
    bus_port: int
    data_dir: Path
    process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def role(self) -> str:
        try:
            role = _command(self, "ROLE")[0]
        except (redis.RedisError, OSError):
            return "down"
        return {b"master": "primary", b"slave": "replica"}.get(role, role.decode())

    def __repr__(self) -> str:
        return f"Node(port={self.port}, pid={self.pid}, role={self.role})"


def _command(node: Node, *args, timeout: float = 2.0):
    """One command on one node, raw reply, no retry."""
    client = redis.Redis(host="127.0.0.1", port=node.port, socket_timeout=timeout,
                         socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0))
    try:
        return client.execute_command(*args)
    finally:
        client.close()


def _free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (all held open while choosing, so none comes twice)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def cluster_view(node: Node) -> list[dict]:
    """CLUSTER NODES as seen by `node`: port, id, flags (set), primary id, slot ranges."""
    view = []
    for line in _command(node, "CLUSTER", "NODES").decode().splitlines():
        fields = line.split()
        address, flags = fields[1], set(fields[2].split(","))
        ranges = [tuple(int(n) for n in (r.split("-") * 2)[:2]) for r in fields[8:] if not r.startswith("[")]
        view.append({"port": int(address.split("@")[0].rsplit(":", 1)[1]), "id": fields[0],
                     "flags": flags, "primary_id": fields[3], "slots": ranges})
    return view


def cluster_info(node: Node) -> dict[str, str]:
    text = _command(node, "CLUSTER", "INFO").decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


class EmbeddedCluster:
    def __init__(self, data_dir: Path | str, shards: int = 3, replicas: int = 1, *,
                 node_timeout_ms: int = 2000, pubsub_limit: str = "32mb 8mb 60"):
        self.data_dir = Path(data_dir).resolve()
        self.shards, self.replicas = shards, replicas
        self.node_timeout_ms = node_timeout_ms
        self.pubsub_limit = pubsub_limit
        self.nodes: list[Node] = []
        self.url: str | None = None

    def start(self, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            ports = _free_ports(2 * self.shards * (1 + self.replicas))
            for port, bus_port in zip(ports[0::2], ports[1::2]):
                node = Node(port, bus_port, self.data_dir / f"node-{port}")
                self.nodes.append(node)  # listed before it runs: stop() finds it whatever happens
                self._spawn(node)
            for node in self.nodes:
                self._await(lambda: _command(node, "PING"), deadline, f"node {node.port} to answer", node)
            self._form(deadline)
        except BaseException:
            self.stop()
            raise
        self.url = self.nodes[0].url
        return self.url

    def _spawn(self, node: Node) -> None:
        node.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            server_binary(), "--port", str(node.port), "--bind", "127.0.0.1",
            "--dir", str(node.data_dir), "--logfile", str(node.data_dir / "valkey.log"),
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-port", str(node.bus_port), "--cluster-node-timeout", str(self.node_timeout_ms),
            "--cluster-replica-validity-factor", "0",
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
            "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0",
            "--client-output-buffer-limit", f"pubsub {self.pubsub_limit}",
            "--protected-mode", "yes", "--shutdown-timeout", "2",
        ]
        node.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)

    def _form(self, deadline: float) -> None:
        primaries, replicas = self.nodes[:self.shards], self.nodes[self.shards:]
        share = SLOTS // self.shards
        for i, node in enumerate(primaries):
            last = SLOTS - 1 if i == self.shards - 1 else (i + 1) * share - 1
            _command(node, "CLUSTER", "ADDSLOTSRANGE", i * share, last)
        for node in self.nodes[1:]:
            _command(self.nodes[0], "CLUSTER", "MEET", "127.0.0.1", node.port, node.bus_port)
        self._await(self._all_known, deadline, "every node to know every other")
        for i, node in enumerate(replicas):
            primary_id = _command(primaries[i % self.shards], "CLUSTER", "MYID").decode()
            _command(node, "CLUSTER", "REPLICATE", primary_id)
        self._await(self.ready, deadline, "cluster_state:ok with every replica attached")

    def _all_known(self) -> bool:
        for node in self.nodes:
            view = cluster_view(node)
            if len(view) != len(self.nodes) or any(v["flags"] & {"handshake", "noaddr"} for v in view):
                return False
        return True

    def ready(self) -> bool:
        """Every running node says cluster_state:ok, sees `shards` primaries serving slots and every
        running node healthy, lists every running node in its slot map (what clients read), and
        every replica among them has its replication link up."""
        running = {node.port for node in self.nodes if node.alive()}
        for node in self.nodes:
            if not node.alive():
                continue
            if cluster_info(node).get("cluster_state") != "ok":
                return False
            view = cluster_view(node)
            serving = [v for v in view if v["slots"] and "master" in v["flags"] and "fail" not in v["flags"]]
            healthy = {v["port"] for v in view if not v["flags"] & {"fail", "fail?", "handshake"}}
            if len(serving) != self.shards or not running <= healthy:
                return False
            if {n[1] for shard in _command(node, "CLUSTER", "SLOTS") for n in shard[2:]} != running:
                return False  # a replica is left out of the slot map until it is in sync
            replication = _command(node, "INFO", "replication")  # parsed by redis-py into a dict
            if replication.get("role") == "slave" and replication.get("master_link_status") != "up":
                return False
        return True

    def wait_ready(self, timeout: float = 30.0) -> None:
        self._await(self.ready, time.monotonic() + timeout, "the cluster to be ready")

    def _await(self, predicate, deadline: float, what: str, node: Node | None = None) -> None:
        while True:
            if node is not None and node.process.poll() is not None:
                raise EmbeddedRedisError(f"valkey-server {node.port} exited; see {node.data_dir / 'valkey.log'}")
            try:
                if predicate():
                    return
            except (redis.RedisError, OSError):
                pass
            if time.monotonic() > deadline:
                raise EmbeddedRedisError(f"timed out waiting for {what}; see the logs in {self.data_dir}")
            time.sleep(0.05)

    def primary_for(self, key: str) -> Node:
        """The node serving `key`'s slot as primary, as the first answering node sees it."""
        slot = key_slot(key.encode())
        for node in self.nodes:
            if not node.alive():
                continue
            try:
                view = cluster_view(node)
            except (redis.RedisError, OSError):
                continue
            for v in view:
                if "master" in v["flags"] and any(a <= slot <= b for a, b in v["slots"]):
                    return next(n for n in self.nodes if n.port == v["port"])
        raise EmbeddedRedisError(f"no node serves slot {slot}")

    def replicas_of(self, primary: Node) -> list[Node]:
        """The running nodes replicating `primary`, as they say themselves."""
        found = []
        for node in self.nodes:
            try:
                replication = _command(node, "INFO", "replication") if node.alive() else {}
            except (redis.RedisError, OSError):
                continue
            if replication.get("role") == "slave" and replication.get("master_port") == primary.port:
                found.append(node)
        return found

    def kill(self, node: Node) -> None:
        """SIGKILL: no shutdown, no last write to disk, as a crash."""
        if node.alive():
            os.kill(node.pid, signal.SIGKILL)
            node.process.wait(10)

    def replaced(self, node: Node) -> bool:
        """Whether a stopped node holds no slots any more in the view of a living one (a replica
        took them over). Only then may it come back without harm: a primary back before its
        failover would serve its file's older copy, and its replica would copy that."""
        for other in self.nodes:
            if other is node or not other.alive():
                continue
            try:
                entry = next((e for e in cluster_view(other) if e["port"] == node.port), None)
            except (redis.RedisError, OSError):
                continue
            return entry is not None and not entry["slots"]
        return False

    def restart(self, node: Node, timeout: float = 15.0) -> None:
        """Start a stopped node again on its port and folder (its nodes.conf: it rejoins)."""
        if node.alive():
            raise EmbeddedRedisError(f"node {node.port} is running")
        self._spawn(node)
        self._await(lambda: _command(node, "PING"), time.monotonic() + timeout,
                    f"node {node.port} to answer", node)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every server this cluster started (SIGTERM to all, then SIGKILL what stays)."""
        running = [node for node in self.nodes if node.alive()]
        for node in running:
            try:
                os.kill(node.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for node in running:
            terminate(node.pid, timeout, node.process)

    def __enter__(self) -> "EmbeddedCluster":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
