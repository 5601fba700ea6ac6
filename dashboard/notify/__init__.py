"""Watchlists and notifications (docs/notifications.md). `start_notifier(svc)` makes the worker
from the service's config and starts it; `outbox.notify_org` is for other parts of the service."""

from __future__ import annotations

from dashboard.deliverer import sender_parts


def start_notifier(svc):
    """`svc`: the replica's dashboard.service.PortPulse (its Redis, config, state and directory)."""
    from dashboard.notify.worker import NotifyWorker
    config = svc.config
    lease, rules, policy = sender_parts(svc, "notify", config.notify_attempts, config.notify_retry_ms,
                                        config.notify_park_seconds)
    return NotifyWorker(svc, lease=lease, policy=policy, rules=rules).start()
