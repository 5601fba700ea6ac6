"""The web role's deliverer of subscriptions' callbacks (feeds/deliveries.py), made from the
config: one process of all replicas delivers at a time, the holder of its lease."""

from __future__ import annotations

from dashboard.lease import Lease, holder_name
from feeds.deliveries import Deliverer
from feeds.delivery_state import RetryRules
from feeds.subscriptions import CallbackPolicy

LEASE_SECONDS = 30  # a sender that died is replaced after this long
DNS_CACHE_SECONDS = 10  # a callback host's addresses are looked up again after this long


def sender_parts(svc, job: str, attempts: int, retry_ms: int, park_seconds: int):
    """What one of the service's senders (the subscriptions' deliverer, the notifier) is made of:
    → (its lease, the job one replica does at a time; its retry rules; where it may send)."""
    config = svc.config
    lease = Lease(svc.redis, svc.publisher.keys.lease(job), holder_name(config.http_port, config.data_dir),
                  expiry_seconds=LEASE_SECONDS)
    rules = RetryRules(max_attempts=attempts, retry_seconds=retry_ms / 1000, park_seconds=park_seconds)
    return lease, rules, CallbackPolicy(config.callback_hosts, cache_seconds=DNS_CACHE_SECONDS)


def start_deliverer(svc) -> Deliverer:
    """`svc`: the replica's dashboard.service.PortPulse (its Redis, config, profile and state)."""
    config = svc.config
    lease, rules, policy = sender_parts(svc, "deliveries", config.delivery_attempts, config.delivery_retry_ms,
                                        config.delivery_park_seconds)
    return Deliverer(svc.redis, config.port_id, lease=lease, policy=policy, rules=rules,
                     locode=svc.profile.unlocode, retracted=svc.retracted).start()
