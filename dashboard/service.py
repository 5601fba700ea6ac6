"""One app's runtime: Redis client, publisher, state store, consumer and snapshots, started and
stopped together. Kept on `server.extensions["portpulse"]`, never in a module global."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from dashboard.config import Config
from dashboard.store import SnapshotTimer, StateStore
from feeds.consumer import LogConsumer
from feeds.publisher import Publisher

log = logging.getLogger(__name__)


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class PartnerKeys:
    """Bearer key → the partner it speaks for. Keys are compared as digests, in constant time."""

    def __init__(self, keys: dict[str, str]):
        self._by_digest = {_digest(key): source for source, key in keys.items()}

    def source_for(self, key: str | None) -> str | None:
        if not key:
            return None
        digest = _digest(key)
        for known, source in self._by_digest.items():
            if hmac.compare_digest(known, digest):
                return source
        return None


class PortPulse:
    def __init__(self, config: Config):
        if not config.redis_url:
            raise ValueError("create_app needs a Redis URL (run.py starts the embedded server)")
        self.config = config
        timeout = config.redis_timeout_seconds
        self.redis = redis.Redis.from_url(
            config.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout,
            retry=Retry(NoBackoff(), 1))
        self.publisher = Publisher(self.redis, config.port_id, deadletter_max=config.deadletter_max)
        self.partners = PartnerKeys(config.partner_keys)
        self.store = StateStore(self.redis, config.port_id, retention_hours=config.log_retention_hours)
        self.consumer: LogConsumer | None = None
        self.snapshots: SnapshotTimer | None = None
        self.started_at = time.time()

    def start(self) -> "PortPulse":
        try:
            self.store.load()
        except redis.RedisError as exc:  # Redis down at start: begin empty, catch up when it is back
            log.warning("no snapshot loaded: %s", exc)
        self.consumer = LogConsumer(self.config.redis_url, self.config.port_id, self.store.state,
                                    on_rejected=self._dead_letter_from_log, lock=self.store.lock)
        self.consumer.start()
        self.snapshots = SnapshotTimer(self.store, self.config.snapshot_seconds).start()
        return self

    def _dead_letter_from_log(self, source: str, problems: list[dict], raw: bytes) -> None:
        try:
            self.publisher.dead_letter(source, problems, raw)
        except redis.RedisError as exc:
            log.warning("dead-letter entry not written: %s", exc)

    def stop(self) -> None:
        if self.consumer:
            self.consumer.stop()
        if self.snapshots:
            self.snapshots.stop()
        self.redis.close()

    def redis_reachable(self) -> bool:
        try:
            return bool(self.redis.ping())
        except (redis.RedisError, OSError):
            return False

    def log_lag(self, consumed: int) -> int | None:
        """Entries in the log not yet applied: entries ever added minus entries consumed."""
        try:
            info = self.redis.xinfo_stream(self.publisher.keys.events)
        except redis.ResponseError:  # no log yet
            return 0
        except (redis.RedisError, OSError):
            return None
        return max(0, int(info.get("entries-added", 0)) - consumed)
