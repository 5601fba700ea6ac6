"""The notifier's Prometheus figures, read at scrape time by the service's /metrics: notices
raised, deliveries sent and failed per channel kind (this process's counts since it started), and
the outbox's depth (the port's, from Redis)."""

from __future__ import annotations

import threading
from collections import Counter

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from feeds.redis_client import STORE_ERRORS


class NotifyMetrics:
    def __init__(self, outbox):
        self.outbox = outbox
        self.notices = self.deliveries = 0
        self.sent_by_kind: Counter = Counter()
        self.failed_by_kind: Counter = Counter()
        self._lock = threading.Lock()

    def raised(self, notices: int, deliveries: int) -> None:
        """Live notices and channel deliveries newly enqueued (repeats, refused by the dedupe, are not)."""
        with self._lock:
            self.notices += notices
            self.deliveries += deliveries

    def sent(self, kind: str) -> None:
        with self._lock:
            self.sent_by_kind[kind] += 1

    def failed(self, kind: str) -> None:
        with self._lock:
            self.failed_by_kind[kind] += 1


class NotifyCollector:
    """Registered on the service's registry (dashboard/api/watches.py does it once per app)."""

    def __init__(self, metrics_of):
        self.metrics_of = metrics_of  # → the running worker's NotifyMetrics, or None

    def collect(self):
        metrics = self.metrics_of()
        if metrics is None:
            return
        raised = CounterMetricFamily("dp_notify_notices_raised", "Live notices raised for watchers")
        raised.add_metric([], metrics.notices)
        yield raised
        enqueued = CounterMetricFamily("dp_notify_deliveries_enqueued", "Channel deliveries enqueued")
        enqueued.add_metric([], metrics.deliveries)
        yield enqueued
        for name, counts, text in (("dp_notify_deliveries_sent", metrics.sent_by_kind, "Notification deliveries sent"),
                                   ("dp_notify_deliveries_failed", metrics.failed_by_kind,
                                    "Notification delivery attempts failed")):
            family = CounterMetricFamily(name, text, labels=["kind"])
            for kind in ("webhook", "wecom", "dingtalk", "email"):
                family.add_metric([kind], counts.get(kind, 0))
            yield family
        try:
            depth = metrics.outbox.depth()
        except STORE_ERRORS:
            return
        gauge = GaugeMetricFamily("dp_notify_outbox_depth", "Deliveries waiting in the outbox (due or not)")
        gauge.add_metric([], depth)
        yield gauge
