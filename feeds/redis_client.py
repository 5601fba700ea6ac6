"""Redis clients for one server or a Redis Cluster, and the errors that mean "try again later".

`connect(url, cluster=...)` builds the client the feeds layer and the service share. A cluster
client (redis-py's `RedisCluster`) learns the slot map from the seed node, keeps every node it
discovered as a seed for the next refresh, and re-reads the map after a MOVED, a connection error
or a CLUSTERDOWN, then tries the command again, 3 times at most (redis-py 8 sleeps 0.25 s before
each try after a CLUSTERDOWN, not otherwise): a failover (a few seconds) outlasts that on purpose,
so a request fails after 4 tries, each bounded by `timeout`, rather than hanging.

Every failure that a failover, a restart or a network cut produces is, or is turned into, a
`StoreUnavailable`: a `redis.ConnectionError`, so code that maps `redis.RedisError` to 503 +
Retry-After keeps doing so. `STORE_ERRORS` is the tuple to catch around any other Redis call:
redis-py's cluster client raises `RedisClusterException`, which is no `RedisError`.
"""

from __future__ import annotations

import redis
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.exceptions import (AskError, ClusterDownError, RedisClusterException, ReadOnlyError,
                              TryAgainError)
from redis.retry import Retry

CLUSTER_RETRIES = 3  # after the first try (redis-py 8 uses only the count of the Retry object)


class StoreUnavailable(redis.ConnectionError):
    """The event store cannot take this write now (connection lost, failover under way, slot map
    stale). Nothing was acknowledged; the publish script is idempotent, so a retry is safe."""


class NotReplicated(StoreUnavailable):
    """The primary appended the events but fewer replicas than asked acknowledged them within the
    wait timeout: a failover now could lose them. Answer 503 + Retry-After; the partner's retry is
    a no-op for every event that did survive (its `(source, id)` is in the seen set)."""

    def __init__(self, acknowledged: int, wanted: int, ids: list[str | None]):
        super().__init__(f"{acknowledged} of {wanted} replicas acknowledged the write")
        self.acknowledged, self.wanted, self.ids = acknowledged, wanted, ids


# Failures a failover, restart or network cut produces: `StoreUnavailable` stands for them all.
# AskError covers MovedError; ClusterDownError covers MasterDownError.
TRANSIENT_ERRORS = (redis.ConnectionError, redis.TimeoutError, ClusterDownError, TryAgainError,
                    AskError, ReadOnlyError, RedisClusterException, OSError)

# Everything a Redis call may raise that an HTTP layer should answer with 503.
STORE_ERRORS = (redis.RedisError, RedisClusterException, OSError)


def connect(url: str, *, cluster: bool, timeout: float = 2.0) -> redis.Redis | redis.RedisCluster:
    """A client for `url`: one server, or (cluster=True) the Redis Cluster that `url` belongs to.

    `timeout` bounds each connect and each reply; with the publisher's `WAIT`, keep it above the
    wait timeout."""
    if not cluster:
        return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                    retry=Retry(NoBackoff(), 1))
    return redis.RedisCluster.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout,
        retry=Retry(ExponentialWithJitterBackoff(base=0.1, cap=1.0), CLUSTER_RETRIES),
        reinitialize_steps=1,  # a MOVED means a failover or a resharding: re-read the whole map
        dynamic_startup_nodes=True)  # every known node seeds the next refresh, not just `url`


def node_client(client: redis.RedisCluster, key: str) -> redis.Redis:
    """The plain client of the primary that serves `key`'s slot (per the client's slot map), for
    commands that must share one connection with the key's writes (`WAIT`) or that stay on one
    shard (`SSUBSCRIBE`). Its connections never retry: a lost node surfaces at once."""
    return client.get_redis_connection(client.get_node_from_key(key))


def refresh_slots(client: redis.RedisCluster) -> None:
    """Re-read the slot map from any reachable node; quietly keep the old one when none answers."""
    try:
        client.nodes_manager.initialize()
    except TRANSIENT_ERRORS:
        pass
