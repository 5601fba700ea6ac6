"""`GET /healthz` (open, JSON) and `GET /metrics` (Prometheus text): the same counters, one source;
and `GET /api/v1/openapi.yaml`, the API's contract (open)."""

from __future__ import annotations

import time
from pathlib import Path

from flask import Blueprint, Response, send_file
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from dashboard.api.ingest import json_response
from dashboard.notify.metrics import NotifyCollector
from dashboard.runtime import current_runtime
from dashboard.state.timeline import iso
from feeds.redis_client import STORE_ERRORS

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"

bp = Blueprint("health", __name__)


def health_report(svc) -> dict:
    """Everything an operator asks first: is Redis there, is the consumer keeping up."""
    with svc.store.lock:
        counters = svc.store.state.counters()
    reachable = svc.redis_reachable()
    try:
        ingest = svc.publisher.ingest_stats() if reachable else {}
    except STORE_ERRORS:
        ingest = {}
    lag = svc.log_lag(counters["entries_consumed"]) if reachable else None
    consumer = svc.consumer.health if svc.consumer else None
    holds_state = svc.config.role != "ingest"  # an ingest worker only publishes
    healthy = reachable and (not holds_state or (consumer is not None and consumer.caught_up))
    return {
        "status": "ok" if healthy else "degraded",
        "role": svc.config.role,
        "redis": "up" if reachable else "down",
        "port_id": svc.config.port_id,
        "events_applied": counters["events_applied"],
        "events_rejected": ingest.get("rejected", 0) + counters["rejected_in_log"],
        "duplicates": ingest.get("duplicates", 0) + counters["duplicates_in_log"],
        "duplicates_at_ingest": ingest.get("duplicates", 0),
        "duplicates_in_log": counters["duplicates_in_log"],
        "events_accepted_at_ingest": ingest.get("accepted", 0),
        "last_stream_id": counters["last_stream_id"],
        "lag": lag,
        "events_by_type": counters["by_type"],
        "consumer": {
            "connected": bool(consumer and consumer.connected),
            "caught_up": bool(consumer and consumer.caught_up),
            "sessions": consumer.sessions if consumer else 0,
            "last_error": consumer.last_error if consumer else None,
        },
        "snapshot": {"stream_id": svc.store.last_snapshot_id, "saved_at": svc.store.last_snapshot_at,
                     "seconds": svc.store.last_snapshot_seconds},
        "cold_start_seconds": (consumer.first_caught_up_at - svc.started_at  # snapshot load included
                               if consumer and consumer.first_caught_up_at else None),
        "clock": svc.config.clock,
        "port_time": iso(svc.port_now(), svc.profile.timezone),
        "demo": _demo_status(),
        "uptime_seconds": round(time.time() - svc.started_at, 3),
    }


def _demo_status() -> dict | None:
    control = current_runtime().demo
    if control is None:
        return None
    status = control.status()
    status.pop("scenarios", None)
    return status


class HealthCollector:
    """Reads the health report at scrape time, so /metrics and /healthz never disagree."""

    def __init__(self, svc):
        self.svc = svc

    def collect(self):
        report = health_report(self.svc)
        for name, key, text in (
            ("dp_events_applied", "events_applied", "Events applied to the port state"),
            ("dp_events_rejected", "events_rejected", "Inputs rejected (at ingest and in the log)"),
            ("dp_duplicates", "duplicates", "Repeated (source, id) events, dropped"),
        ):
            counter = CounterMetricFamily(name, text)
            counter.add_metric([], report[key])
            yield counter
        yield _gauge("dp_redis_up", "1 when Redis answers", int(report["redis"] == "up"))
        yield _gauge("dp_consumer_lag", "Log entries not yet applied", report["lag"] or 0)
        yield _gauge("dp_consumer_sessions", "Consumer (re)connections", report["consumer"]["sessions"])


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, text)
    gauge.add_metric([], value)
    return gauge


@bp.get("/healthz")
def healthz() -> Response:
    report = health_report(current_runtime().svc)
    return json_response(report, 200)


@bp.get("/api/v1/openapi.yaml")
def openapi_document() -> Response:
    """The API's contract (docs/openapi.yaml), open to all: partners code against it."""
    return send_file(OPENAPI, mimetype="application/yaml", max_age=0)


@bp.get("/metrics")
def metrics() -> Response:
    registry = current_runtime().metrics
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def metrics_registry(svc) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HealthCollector(svc))
    # the notifier's figures, while this replica's notifier runs (docs/notifications.md)
    registry.register(NotifyCollector(lambda: svc.notifier.metrics if svc.notifier else None))
    return registry
