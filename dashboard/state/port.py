"""The port state: vessel calls, box visits and the indexes the KPIs read, fed one event at a time.

Pure Python (no Dash, Flask or Redis). `apply(event)` takes a valid, canonical v1 event; the same
event twice counts once, and any arrival order of the same events gives the same state. Only the
feed-health counters depend on arrival.
"""

from __future__ import annotations

import pickle
import time
from collections import Counter, defaultdict, deque

from dashboard.state.boxes import BoxVisit, ends_visit
from dashboard.state.calls import VesselCall
from dashboard.state.timeline import T, event_time, make_entry
from dashboard.state.windows import EventTimes, KeyedWindow
from feeds.events import VESSEL_TYPES
from feeds.profile import PortProfile

COUNTED = ("gate.in", "gate.out", "customs.inspection_ordered", "inspection.completed",
           "service.boarding_requested", "service.boarding_released", "service.health_declared",
           "service.cert_requested", "service.cert_deposited", "service.cert_picked_up")


class FeedHealth:
    """Per partner: arrivals (duplicates included: it is about delivery), last arrival, recent rate."""

    def __init__(self) -> None:
        self.events: Counter[str] = Counter()
        self.last: dict[str, float] = {}
        self.recent: dict[str, deque] = defaultdict(deque)

    def note(self, source: str, arrival: float) -> None:
        self.events[source] += 1
        self.last[source] = max(arrival, self.last.get(source, arrival))
        recent = self.recent[source]
        recent.append(arrival)
        while recent and recent[0] < arrival - 120:
            recent.popleft()

    def per_minute(self, source: str, wall_now: float) -> int:
        return sum(1 for t in self.recent.get(source, ()) if wall_now - 60 < t <= wall_now)


class PortState:
    SNAPSHOT_VERSION = 2

    def __init__(self, profile: PortProfile):
        self.profile = profile
        self.last_stream_id = "0-0"
        self.entries_consumed = self.applied = self.duplicates = self.rejected = 0
        self.by_type: Counter[str] = Counter()
        self.latest_t: float | None = None  # the event clock: latest actual event or tick
        self.boxes: dict[str, list[BoxVisit]] = {}
        self.calls: dict[tuple, VesselCall] = {}
        self.calls_by_imo: dict[str, list[VesselCall]] = defaultdict(list)
        self.seen: set[tuple[str, str]] = set()  # events that belong to no box or call
        self.stage_members: dict[tuple[str, str], dict[BoxVisit, float]] = defaultdict(dict)
        self.import_done = KeyedWindow()    # import visits by gate-out time
        self.export_released = KeyedWindow()  # export visits by release time
        self.visit_ends = KeyedWindow()     # every visit by the time it ended
        self.counted = {kind: EventTimes() for kind in COUNTED}
        self.feeds = FeedHealth()
        self.version = 0  # bumped on every applied event: caches key on it

    # -- feeding -------------------------------------------------------------------------------
    def apply_entries(self, entries: list[tuple[str, dict | None]]) -> None:
        """Log entries in stream order (the consumer's sink); None marks an entry that failed."""
        for stream_id, event in entries:
            if event is None:
                self.rejected += 1
            else:
                self.apply(event, arrival=int(stream_id.partition("-")[0]) / 1000)
            self.entries_consumed += 1
            self.last_stream_id = stream_id

    def apply(self, event: dict, arrival: float | None = None) -> bool:
        """Apply one valid event; False (counted as a duplicate) when its (source, id) came before."""
        self.feeds.note(event["source"], time.time() if arrival is None else arrival)
        t = event_time(event["time"])
        kind = event["type"]
        if kind in VESSEL_TYPES:
            fresh = self._apply_vessel(event, t)
        elif event.get("container"):
            fresh = self._apply_box(event, t)
        else:
            fresh = self._remember(event)
        if not fresh:
            self.duplicates += 1
            return False
        self.applied += 1
        self.version += 1
        self.by_type[kind] += 1
        if event.get("classifier", "actual") == "actual":
            if kind in self.counted:
                self.counted[kind].add(t)
            if self.latest_t is None or t > self.latest_t:
                self.latest_t = t
        return True

    def _remember(self, event: dict) -> bool:
        key = (event["source"], event["id"])
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def _apply_vessel(self, event: dict, t: float) -> bool:
        imo, source, event_id = event["vessel"], event["source"], event["id"]
        if any(call.has(source, event_id) for call in self.calls_by_imo.get(imo, ())):
            return False
        call = self._call_for(imo, event.get("voyage"), t)
        before = call.berthed
        call.add(make_entry(event, t))
        if call.berthed != before:  # boxes waiting for discharge start their SLA clock at berthing
            for box in list(call.boxes):
                self._refresh(box)
        return True

    def _call_for(self, imo: str, voyage: str | None, t: float) -> VesselCall:
        """The call an event names: by voyage, else the call of that IMO whose span holds t."""
        calls = self.calls_by_imo[imo]
        if voyage is None:
            holding = [c for c in calls if c.span_holds(t)] or \
                      [c for c in calls if c.start <= t and c.departed is None]
            if holding:
                return max(holding, key=lambda c: c.start)
        key = (imo, voyage if voyage is not None else f"@{t}")
        call = self.calls.get(key)
        if call is None:
            call = self.calls[key] = VesselCall(key, imo, voyage)
            calls.append(call)
        return call

    def _apply_box(self, event: dict, t: float) -> bool:
        number, source, event_id = event["container"], event["source"], event["id"]
        visits = self.boxes.setdefault(number, [])
        if any(visit.has(source, event_id) for visit in visits):
            return False
        call = self._call_for(event["vessel"], event.get("voyage"), t).key if event.get("vessel") else None
        entry = make_entry(event, t, call)
        self._place(visits, number, entry)
        return True

    def _place(self, visits: list[BoxVisit], number: str, entry: tuple) -> None:
        visit = self._visit_for(visits, number, entry[T])
        visit.add(entry)
        later = visit.split_after_end() if ends_visit(entry) else []
        self._refresh(visit)
        for moved in later:  # events that belong after this visit's end: a later visit
            self._place(visits, number, moved)

    @staticmethod
    def _visit_for(visits: list[BoxVisit], number: str, t: float) -> BoxVisit:
        for index in range(len(visits) - 1, -1, -1):
            visit = visits[index]
            if visit.start <= t:
                end = visit.end
                if end is None or t <= end:
                    return visit
                fresh = BoxVisit(number)
                visits.insert(index + 1, fresh)
                return fresh
        if visits:
            return visits[0]  # before the first visit: it started earlier than we knew
        fresh = BoxVisit(number)
        visits.append(fresh)
        return fresh

    # -- indexes -------------------------------------------------------------------------------
    def _refresh(self, box: BoxVisit) -> None:
        """Move the visit's contribution in the indexes from what it was to what it is now."""
        now = (box.direction, box.stage, box.since, box.gated_out, box.released, box.end, box.call)
        old = box.contribution
        if now == old:
            return
        if old is not None:
            self._withdraw(box, *old)
        self._contribute(box, *now)
        box.contribution = now

    def _withdraw(self, box, direction, stage, since, gated_out, released, end, call) -> None:
        self.stage_members[(direction, stage)].pop(box, None)
        if gated_out is not None:
            self.import_done.drop(box, gated_out)
        if released is not None:
            self.export_released.drop(box, released)
        if end is not None:
            self.visit_ends.drop(box, end)
        if call is not None and call in self.calls:
            self.calls[call].boxes.discard(box)

    def _contribute(self, box, direction, stage, since, gated_out, released, end, call) -> None:
        if stage is not None:
            self.stage_members[(direction, stage)][box] = since
        if gated_out is not None and direction == "import":
            self.import_done.put(box, gated_out, box)
        if released is not None and direction == "export":
            self.export_released.put(box, released, box)
        if end is not None:
            self.visit_ends.put(box, end, box)
        if call is not None:
            self.calls[call].boxes.add(box)

    # -- reading -------------------------------------------------------------------------------
    def clock_now(self) -> float | None:
        return self.latest_t

    def latest_visit(self, number: str) -> BoxVisit | None:
        visits = self.boxes.get(number)
        return visits[-1] if visits else None

    def latest_call(self, imo: str) -> VesselCall | None:
        calls = self.calls_by_imo.get(imo)
        return max(calls, key=lambda c: (c.start, c.key[1] or "")) if calls else None

    def counters(self) -> dict:
        return {"events_applied": self.applied, "duplicates_in_log": self.duplicates,
                "rejected_in_log": self.rejected, "entries_consumed": self.entries_consumed,
                "last_stream_id": self.last_stream_id, "by_type": dict(self.by_type)}

    def to_snapshot(self) -> bytes:
        return pickle.dumps((self.SNAPSHOT_VERSION, self), protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_snapshot(cls, blob: bytes) -> "PortState":
        version, state = pickle.loads(blob)  # only ever our own snapshot, from our own Redis
        if version != cls.SNAPSHOT_VERSION or not isinstance(state, cls):
            raise ValueError(f"snapshot version {version}, expected {cls.SNAPSHOT_VERSION}")
        return state

    # -- views (the read API) ------------------------------------------------------------------
    def kpis(self, now, wall_now: float | None = None, rejects: dict | None = None) -> dict:
        from dashboard.state.kpis import kpis
        return kpis(self, now, wall_now, rejects)

    def container(self, number: str, now=None) -> dict | None:
        from dashboard.state.views import box_view
        visits = self.boxes.get(number)
        if not visits:
            return None
        return box_view(self, visits[-1], self._now(now), visits=len(visits))

    def vessel(self, imo: str, now=None) -> dict | None:
        from dashboard.state.views import call_view
        call = self.latest_call(imo)
        if call is None:
            return None
        view = call_view(self, call, self._now(now))
        view["earlier_calls"] = [call_view(self, other, self._now(now), with_boxes=False)
                                 for other in sorted(self.calls_by_imo[imo], key=lambda c: c.start, reverse=True)
                                 if other is not call]
        return view

    def vessel_list(self, now=None) -> list[dict]:
        from dashboard.state.views import vessel_rows
        return vessel_rows(self, self._now(now))

    def _now(self, now) -> float:
        from dashboard.state.kpis import when
        if now is None:
            return self.latest_t if self.latest_t is not None else time.time()
        return when(now)
