"""What the read API and the managers' pages show, read from the service under its lock: one
function per report, so a page and its API route can never disagree."""

from __future__ import annotations

import time
from operator import itemgetter


from dashboard.state import scoped
from dashboard.state.kpis import feed_health
from feeds.identifiers import check_container, check_imo, suggest_container
from feeds.redis_client import STORE_ERRORS

LATEST_REJECTS = 50


class NotFound(LookupError):
    """Asked for something the port has not seen; `problem` says what, `suggestion` may help."""

    def __init__(self, status: int, error: str, problem: str, suggestion: str | None = None):
        super().__init__(problem)
        self.status, self.error, self.problem, self.suggestion = status, error, problem, suggestion


def vessel_list(svc, delayed_only: bool = False, *, identities) -> list[dict]:
    """`identities` (here and below): the viewer's organisation, None for those who see all."""
    with svc.store.lock:
        rows = scoped.vessel_list(svc.store.state, svc.port_now(), identities)
    return [row for row in rows if row["delayed"]] if delayed_only else rows


def vessel_report(svc, imo: str, *, identities) -> dict:
    """A call with its boxes (late ones first), bottleneck, timeline and earlier calls."""
    canonical, problem = check_imo(imo[:32])
    if problem:
        raise NotFound(400, "bad_imo", f"{imo[:32]!r}: {problem}")
    with svc.store.lock:
        view = scoped.vessel(svc.store.state, canonical, svc.port_now(), identities)
    if view is None:
        raise NotFound(404, "unknown_vessel", f"no call of IMO {canonical} is known")
    # late boxes first, most delay first; the rest keep their order (by number)
    view["boxes"].sort(key=itemgetter("delay_hours"), reverse=True)  # stable: ties keep their order
    return view


def container_report(svc, number: str, *, identities) -> dict:
    canonical, problem = check_container(number[:32])
    if problem:
        raise NotFound(400, "bad_container", f"{number[:32]!r}: {problem}", suggest_container(number[:32]))
    with svc.store.lock:
        view = scoped.container(svc.store.state, canonical, svc.port_now(), identities)
    if view is None:
        raise NotFound(404, "unknown_container", f"container {canonical} has not been seen")
    return view


def search_report(svc, query: str, *, identities) -> dict:
    with svc.store.lock:
        return scoped.scoped_search(svc.store.state, query, identities)


def feeds_report(svc) -> dict:
    """Per partner (every configured one, silent or not): last event, rate, rejects; and the
    latest rejected inputs with their reasons. Redis away: the state's half, marked so."""
    try:
        rejects, latest, reachable = svc.publisher.rejects_by_source(), svc.publisher.dead_letters(LATEST_REJECTS), True
    except STORE_ERRORS:
        rejects, latest, reachable = {}, [], False
    with svc.store.lock:
        health = feed_health(svc.store.state, time.time(), rejects)
    silent = {"last_event": None, "events": 0, "events_per_minute": 0, "rejects": 0}
    partners = sorted(set(health) | set(svc.keys.partner_sources()))
    return {"partners": [{"source": source, **health.get(source, silent)} for source in partners],
            "latest_rejects": latest, "redis": "up" if reachable else "down"}
