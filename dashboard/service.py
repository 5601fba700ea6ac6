"""One app's runtime: Redis client, publisher, state store, consumer and snapshots, started and
stopped together; part of the process's runtime (dashboard/runtime.py)."""

from __future__ import annotations

import logging
import time

import redis

from dashboard.access import KeyRing
from dashboard.alerts.lifecycle import ALERT_SECONDS, AlertLifecycle
from dashboard.alerts.store import AlertStore
from dashboard.config import Config
from dashboard.history import KpiHistory
from dashboard.lease import Lease, holder_name
from dashboard.memory import settle
from dashboard.notify import start_notifier
from dashboard.orgs import Directory
from dashboard.state.port import PortState
from dashboard.store import Every, StateStore, snapshot_if_changed
from feeds.consumer import LogConsumer, parse_id
from feeds.profile import load_profile
from feeds.publisher import Publisher
from feeds.redis_client import STORE_ERRORS, connect

log = logging.getLogger(__name__)

WAIT_MS = 1000  # how long a publish on a cluster waits for its replica before answering 503
RESET_CHECK_SECONDS = 1.0  # how soon a replica follows another's reset of the namespace
LEASE_PERIODS = 3  # a lease outlives three of its job's periods: a holder that died is replaced after that


class PortPulse:
    def __init__(self, config: Config):
        if not config.redis_url:
            raise ValueError("create_app needs a Redis URL (run.py starts the embedded server)")
        self.config = config
        self.redis = connect(config.redis_url, cluster=config.redis_cluster,
                             timeout=max(config.redis_timeout_seconds, WAIT_MS / 1000 + 1))
        # on a cluster a 202 waits until a replica has the events: a failover cannot lose them
        self.publisher = Publisher(self.redis, config.port_id, deadletter_max=config.deadletter_max,
                                   replicas=1 if config.redis_cluster else 0, wait_timeout_ms=WAIT_MS)
        self.keys = KeyRing(config.partner_keys, config.read_keys, config.partner_keys_file)
        self.directory = Directory(self.redis, config.port_id)  # organisations, their people and read keys
        self.profile = load_profile(config.profile)
        self.store = StateStore(self.redis, config.redis_url, config.port_id, cluster=config.redis_cluster,
                                retention_hours=config.log_retention_hours,
                                state_factory=lambda: PortState(self.profile))
        self.history = KpiHistory(self.redis, config.port_id)
        holder = holder_name(config.http_port, config.data_dir)
        self.leases = {job: Lease(self.redis, self.publisher.keys.lease(job), holder,
                                  expiry_seconds=LEASE_PERIODS * seconds + 5)
                       for job, seconds in (("snapshots", config.snapshot_seconds), ("history", config.history_seconds),
                                            ("alerts", ALERT_SECONDS))}
        self.alerts = AlertStore(self.redis, config.port_id)  # alerts with owners (docs/alerts.md)
        self.alert_lifecycle = AlertLifecycle(self, self.alerts, self.leases["alerts"])
        self.consumer: LogConsumer | None = None
        self.notifier = None  # dashboard.notify.worker.NotifyWorker, while started
        self.timers: list[Every] = []
        self.started_at = time.time()
        self.cold_start_seconds: float | None = None

    def start(self) -> "PortPulse":
        try:
            if self.store.load():
                settle()  # a state of millions of objects, just loaded: out of the collector's way
        except redis.RedisError as exc:  # Redis down at start: begin empty, catch up when it is back
            log.warning("no snapshot loaded: %s", exc)
        self.consumer = LogConsumer(self.config.redis_url, self.config.port_id, self.store.state,
                                    cluster=self.config.redis_cluster,
                                    on_rejected=self._dead_letter_from_log, lock=self.store.lock)
        self.consumer.start()
        self.generation = self._read_generation()
        self.notifier = start_notifier(self)  # watchers' notices and their organisations' channels
        self.timers = [
            Every("resets", RESET_CHECK_SECONDS, self.follow_resets, at_stop=False).start(),
            Every("snapshots", self.config.snapshot_seconds, self.snapshot).start(),
            Every("kpi-history", self.config.history_seconds, self.record_history, at_stop=False).start(),
            Every("alerts", ALERT_SECONDS, self.alert_lifecycle.run, at_stop=False).start(),
        ]
        return self

    def snapshot(self) -> None:
        """The state to Redis when it moved, and then the heap settled (dashboard/memory.py). One
        replica of many writes the snapshots: the holder of their lease (dashboard/lease.py)."""
        if self.leases["snapshots"].take() and snapshot_if_changed(self.store):
            settle()

    def reset_state(self, after_stream_id: str | None = None) -> None:
        """Start from an empty state (the demo's reset, after its namespace was cleared), placed
        after `after_stream_id`: entries of the old log still on their way are then skipped."""
        with self.store.lock:
            self.store.state = self.store.state_factory()
            if after_stream_id:
                self.store.state.last_stream_id = after_stream_id
            self.store.last_snapshot_id = None
            if self.consumer is not None:
                self.consumer.sink = self.store.state

    def _read_generation(self) -> str | None:
        try:
            raw = self.redis.get(self.publisher.keys.generation)
        except STORE_ERRORS:  # Redis away at start: the next check reads it
            return None
        return raw.decode() if raw is not None else None

    def follow_resets(self) -> None:
        """Another replica reset the namespace (the demo's reset): start afresh after the old log,
        and read the new one from there."""
        generation = self._read_generation()
        if generation is None or generation == self.generation:
            return
        self.generation = generation
        after = generation.partition(" ")[2] or None
        self.reset_state(after_stream_id=after)
        if self.consumer is not None:
            self.consumer.resync()

    def port_now(self) -> float:
        """The port clock: the wall clock, or the latest event time (replays, the demo)."""
        if self.config.clock == "event":
            latest = self.store.state.clock_now()
            if latest is not None:
                return latest
        return time.time()

    def kpis(self) -> dict:
        """The KPIs come from the state; only the reject counts per partner need Redis, and they
        are left out (empty) while it is away rather than failing the whole answer."""
        try:
            rejects = self.publisher.rejects_by_source()
        except STORE_ERRORS:
            rejects = {}
        with self.store.lock:
            return self.store.state.kpis(self.port_now(), wall_now=time.time(), rejects=rejects)

    def record_history(self) -> None:
        caught_up = self.consumer is not None and self.consumer.health.caught_up
        # a replaying state's KPIs are not the port's; and one replica of many records them
        if self.store.state.applied and caught_up and self.leases["history"].take():
            self.history.record(self.kpis(), self.port_now())

    def _dead_letter_from_log(self, source: str, problems: list[dict], raw: bytes) -> None:
        try:
            self.publisher.dead_letter(source, problems, raw, at_ingest=False)  # the state counts it
        except redis.RedisError as exc:
            log.warning("dead-letter entry not written: %s", exc)

    def stop(self) -> None:
        if self.notifier is not None:
            self.notifier.stop()  # sends under way finish and are recorded: none is sent twice
        if self.consumer:
            self.consumer.stop()
        for timer in self.timers:
            timer.stop()  # the snapshot at stop, if this process holds their lease
        if self.timers:
            for lease in self.leases.values():
                try:
                    lease.release()
                except STORE_ERRORS:
                    pass  # it expires by itself
        self.redis.close()

    def retracted(self, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (source, id)s their senders took back, asked of the state in one lock."""
        with self.store.lock:
            state = self.store.state
            return {key for key in keys if state.is_retracted(*key)}

    def redis_reachable(self) -> bool:
        try:
            return bool(self.redis.ping())
        except STORE_ERRORS:
            return False

    def log_position(self) -> dict:
        """Where the state stands in the log: the stream id it last applied, the log's head, and
        how far behind that is in log time (stream ids are the milliseconds they were added at).
        `behind_seconds` is None while Redis is away."""
        applied = self.store.state.last_stream_id
        try:
            head = self.redis.xinfo_stream(self.publisher.keys.events).get("last-generated-id")
        except redis.ResponseError:  # no log yet
            head = None
        except STORE_ERRORS:
            return {"applied": applied, "head": None, "behind_seconds": None}
        head = head.decode() if isinstance(head, bytes) else head
        behind = 0.0
        if head and parse_id(head) > parse_id(applied):
            behind = max(0.0, (parse_id(head)[0] - parse_id(applied)[0]) / 1000)
        return {"applied": applied, "head": head, "behind_seconds": behind}

    def log_lag(self, consumed: int) -> int | None:
        """Entries in the log not yet applied: entries ever added minus entries consumed."""
        try:
            info = self.redis.xinfo_stream(self.publisher.keys.events)
        except redis.ResponseError:  # no log yet
            return 0
        except STORE_ERRORS:
            return None
        return max(0, int(info.get("entries-added", 0)) - consumed)
