"""Jobs one process of many does at a time (the snapshots, the KPI history): a lease in Redis.

The lease is a key holding its holder's name with an expiry. The holder renews it each time it
is about to do the job; any other process takes it once it has expired, so when the holder dies
another takes over within one expiry. A holder's name stays the same across its restarts (its
host, HTTP port and data directory), so a replica that restarts finds its lease still its own.
"""

from __future__ import annotations

import socket
from pathlib import Path

import redis

# KEYS: the lease. ARGV: holder, expiry ms. → 1 when the caller holds it (renewed), else 0.
_TAKE = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def holder_name(http_port: int, data_dir: Path) -> str:
    return f"{socket.gethostname()}:{http_port}:{Path(data_dir).resolve()}"


class Lease:
    def __init__(self, client: redis.Redis, key: str, holder: str, expiry_seconds: float):
        self.client, self.key, self.holder = client, key, holder
        self.expiry_ms = int(expiry_seconds * 1000)
        self._take = client.register_script(_TAKE)
        self._release = client.register_script(_RELEASE)

    def take(self) -> bool:
        """Take or renew it: → whether this process holds it now."""
        return bool(self._take(keys=[self.key], args=[self.holder, self.expiry_ms]))

    def holder_now(self) -> str | None:
        value = self.client.get(self.key)
        return value.decode() if value is not None else None

    def release(self) -> None:
        """At a clean stop: the next process need not wait for the expiry."""
        self._release(keys=[self.key], args=[self.holder])
