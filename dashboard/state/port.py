"""The port state: vessel calls, box visits and the indexes the KPIs read, fed one event at a time.

Pure Python (no Dash, Flask or Redis). `apply(event)` takes a valid, canonical v1 event; the same
event twice counts once, and any arrival order of the same events gives the same state. Only the
feed-health counters depend on arrival. An `event.retracted` takes one of the sender's events
back: the state is then as if it had never come (dashboard/state/retractions.py).
"""

from __future__ import annotations

import logging
import pickle
import time
from collections import Counter, defaultdict, deque

from dashboard.state import kpis as kpi_object
from dashboard.state import retractions
from dashboard.state import views
from dashboard.state.boxes import DONE, BoxVisit, inspection_site
from dashboard.state.calls import ShipNames, VesselCall, call_span
from dashboard.state.feed_health import FeedHealth
from dashboard.state.parties import PartyIndex
from dashboard.state.retractions import Retractions, Ship, event_key, loose
from dashboard.state.stages import DischargeIndex, StageIndex
from dashboard.state.timeline import ID, SOURCE, T, event_time, make_entry
from dashboard.state.windows import EventTimes, KeyedWindow
from feeds.events import RETRACTED, VESSEL_TYPES
from feeds.profile import STAGE_PARTIES, PortProfile

log = logging.getLogger(__name__)
TICKER_TYPES = frozenset({"gate.in", "gate.out", "vessel.berthed", "inspection.completed"})
COUNTED = ("gate.in", "gate.out", "customs.inspection_ordered", "inspection.completed",
           "service.boarding_requested", "service.boarding_released", "service.health_declared",
           "service.cert_requested", "service.cert_deposited", "service.cert_picked_up")


class PortState:
    SNAPSHOT_VERSION = 7  # 7: entries carry their parties (timeline.PARTIES), and the party index

    def __init__(self, profile: PortProfile):
        self.profile = profile
        self.last_stream_id = "0-0"
        self.entries_consumed = self.applied = self.duplicates = self.rejected = 0
        self.by_type: Counter[str] = Counter()
        self.latest_t: float | None = None  # the event clock: latest actual event or tick
        self.boxes: dict[str, list[BoxVisit]] = {}
        self.calls: dict[tuple, VesselCall] = {}
        self.calls_by_imo: dict[str, list[VesselCall]] = defaultdict(list)
        # digest of every (source, id) applied → where it went (box number, Ship, Loose): a
        # retraction finds its event there (dashboard/state/retractions.py)
        self.seen: dict[int, object] = {}
        self.retractions = Retractions()  # taken-back events: pending, applied, struck entries
        self.voyageless: dict[str, list[tuple]] = defaultdict(list)  # IMO → vessel events without voyage
        self.declarations: dict[str, str] = {}  # customs declaration → the container it covers
        self.ship_names = ShipNames()  # IMO → the latest name any event gave the ship
        # organisation → its boxes and calls (dashboard/state/parties.py); reads calls_by_imo
        self.party_index = PartyIndex(self.calls_by_imo)
        # the boxes in each stage still in port (finished visits are in visit_ends): read models
        self.stages: dict[tuple[str, str], StageIndex] = {
            (direction, stage): DischargeIndex() if stage == "awaiting_discharge" else StageIndex()
            for direction, stages in STAGE_PARTIES.items() for stage in stages if stage != DONE[direction]}
        self.pending_by_site: Counter = Counter()  # boxes in inspection per site ordered
        self.calls_version = 0
        self.next_uid = 0  # each box visit's own number: orders visits that entered a stage together
        self.import_done = KeyedWindow()    # import visits by gate-out time
        self.export_released = KeyedWindow()  # export visits by release time
        self.visit_ends = KeyedWindow()     # every visit by the time it ended
        self.counted = {kind: EventTimes() for kind in COUNTED}
        self.feeds = FeedHealth()
        self.ticker: deque[dict] = deque(maxlen=40)  # the latest gate lifts, berthings, inspections
        self.version = 0  # bumped on every applied event: caches key on it
        self.call_changes: Counter = Counter()  # call key → how often its boxes changed
        self.view_cache: dict = {}  # the vessel page's kept parts (dashboard/state/views.py)

    def __getstate__(self) -> dict:
        saved = dict(self.__dict__)
        del saved["view_cache"]  # derived, and rebuilt on demand: not worth a snapshot's bytes
        return saved

    def __setstate__(self, saved: dict) -> None:
        self.__dict__.update(saved)
        self.view_cache = {}

    # -- feeding -------------------------------------------------------------------------------
    def apply_entries(self, entries: list[tuple[str, dict | None]]) -> None:
        """Log entries in stream order (the consumer's sink); None marks an entry that failed."""
        for stream_id, event in entries:
            if event is None:
                self.rejected += 1
            else:
                try:
                    self.apply(event, arrival=int(stream_id.partition("-")[0]) / 1000)
                except Exception:  # a checked event that still fails: counted, never a stuck log
                    log.exception("log entry %s not applied", stream_id)
                    self.rejected += 1
            self.entries_consumed += 1
            self.last_stream_id = stream_id

    def apply(self, event: dict, arrival: float | None = None) -> bool:
        """Apply one valid event; False (counted as a duplicate) when its (source, id) came before."""
        self.feeds.note(event["source"], time.time() if arrival is None else arrival)
        key = self._remember(event)
        if key is None:
            self.duplicates += 1
            return False
        t = event_time(event["time"])
        kind = event["type"]
        if kind == RETRACTED or key in self.retractions.marks:  # a correction: the slower path
            return retractions.apply(self, event, key, t)
        if kind in VESSEL_TYPES:
            self._apply_vessel(event, t)
            self.seen[key] = Ship(event["vessel"])
        elif event.get("container"):
            self.seen[key] = self._apply_box(event, t)
        else:
            self.seen[key] = loose(t, kind, event.get("classifier", "actual"))
        self.applied += 1
        self.version += 1
        self.by_type[kind] += 1
        if event.get("classifier", "actual") == "actual":
            if kind in TICKER_TYPES:
                self.ticker.append({"id": event["id"], "type": kind, "time": t, "source": event["source"],
                                    "container": event.get("container"), "vessel": event.get("vessel"),
                                    "seq": self.applied})
            if kind in self.counted:
                self.counted[kind].add(t)
            if self.latest_t is None or t > self.latest_t:
                self.latest_t = t
        return True

    def _remember(self, event: dict) -> int | None:
        """The digest of a first (source, id), None for a repeat. Noted at once (where it went
        comes once applied): an event that fails to apply is still a duplicate when sent again."""
        key = event_key(event["source"], event["id"])
        if key in self.seen:
            return None
        self.seen[key] = None
        return key

    def is_retracted(self, source: str, event_id: str) -> bool:
        """Has `source` taken back its event `event_id` (which may not have come yet)?"""
        return event_key(source, event_id) in self.retractions.marks

    def _apply_vessel(self, event: dict, t: float) -> None:
        self.calls_version += 1  # a call's berthing or span may move: windowed clearance reads again
        self.ship_names.note(event, t)
        imo = event["vessel"]
        entry = make_entry(event, t)
        voyage = event.get("voyage")
        if voyage is None:
            self.voyageless[imo].append(entry)
            self.party_index.note_call(entry, (imo, None))  # any call of the ship: _rehome decides
        else:
            call = self._call(imo, voyage)
            call.add(entry)
            self.party_index.note_call(entry, call.key)
        if self.voyageless.get(imo):
            self._rehome(imo)

    def _call(self, imo: str, voyage: str | None) -> VesselCall:
        key = (imo, voyage)
        call = self.calls.get(key)
        if call is None:
            call = self.calls[key] = VesselCall(key, imo, voyage, self.ship_names)
            self.calls_by_imo[imo].append(call)
        return call

    def _rehome(self, imo: str) -> None:
        """Events without a voyage join the voyage call whose own span holds them, else the
        ship's voyage-less call. Decided from the whole set each time, so arrival order is moot."""
        loose = self.voyageless[imo]
        loose_ids = {(e[SOURCE], e[ID]) for e in loose}
        own = {call.key: [e for e in call.timeline if (e[SOURCE], e[ID]) not in loose_ids]
               for call in self.calls_by_imo[imo]}
        spans = {key: call_span(entries) for key, entries in own.items() if key[1] is not None and entries}
        homes: dict[tuple, list] = {key: list(entries) for key, entries in own.items()}
        for entry in loose:
            holding = [key for key, (start, end) in spans.items() if start <= entry[T] <= end]
            home = max(holding, key=lambda key: spans[key][0]) if holding else self._call(imo, None).key
            homes.setdefault(home, []).append(entry)
        for key, entries in homes.items():
            self.calls[key].replace_timeline(entries)
        for call in [c for c in self.calls_by_imo[imo] if not c.timeline and not c.boxes]:
            self._drop_call(call)  # a voyage-less call whose events all found their voyage

    def _drop_call(self, call: VesselCall) -> None:
        """A call nothing names any more is gone, whatever order its events and boxes came in."""
        del self.calls[call.key]
        self.calls_by_imo[call.imo].remove(call)

    def _apply_box(self, event: dict, t: float) -> str:
        """→ the box's number as its visits hold it (shared by `seen`, not one copy per event)."""
        number = event["container"]
        # the key only: a call exists while events or boxes name it (made in _contribute)
        call = (event["vessel"], event.get("voyage")) if event.get("vessel") else None
        if call is not None:
            self.ship_names.note(event, t)
        declaration = (event.get("data") or {}).get("declaration")
        if isinstance(declaration, str):
            self.declarations[declaration] = number
        visits = self.boxes.setdefault(number, [])
        entry = make_entry(event, t, call)
        self._place(visits, number, entry)
        self.party_index.note_box(entry, visits[0].number)
        return visits[0].number

    def _place(self, visits: list[BoxVisit], number: str, entry: tuple) -> None:
        visit = self._visit_for(visits, number, entry[T])
        visit.add(entry)
        later = visit.split_after_end()  # any event may end it (a late discharge: the gate-out)
        self._refresh(visit)
        for moved in later:  # events that belong after this visit's end: a later visit
            self._place(visits, number, moved)

    def _visit_for(self, visits: list[BoxVisit], number: str, t: float) -> BoxVisit:
        for index in range(len(visits) - 1, -1, -1):
            visit = visits[index]
            if visit.start <= t:
                end = visit.end
                if end is None or t <= end:
                    return visit
                if index + 1 < len(visits):  # after this visit's end: the next visit began earlier
                    return visits[index + 1]
                return self._new_visit(visits, number)
        if visits:
            return visits[0]  # before the first visit: it started earlier than we knew
        return self._new_visit(visits, number)

    def _new_visit(self, visits: list[BoxVisit], number: str) -> BoxVisit:
        visit = BoxVisit(number, self.next_uid)
        self.next_uid += 1
        visits.append(visit)
        return visit

    # -- indexes -------------------------------------------------------------------------------
    def _refresh(self, box: BoxVisit) -> None:
        """Move the visit's contribution in the indexes from what it was to what it is now."""
        site = inspection_site(box) if box.stage == "in_inspection" else None
        now = (box.direction, box.stage, box.since, box.gated_out, box.released, box.end, box.call, box.held, site,
               box.start)
        old = box.contribution
        if now == old:
            self._touch_windows(box)
            return
        if old is not None:
            self._withdraw(box, *old)
        self._contribute(box, *now)
        box.contribution = now

    def _touch_windows(self, box: BoxVisit) -> None:
        """A late event changed a figure of a visit the windows hold (moves, an inspection, a
        gate-in before the release): their kept hours must be read again."""
        if box.gated_out is not None and box.direction == "import":
            self.import_done.touch(box.gated_out)
        if box.released is not None and box.direction == "export":
            self.export_released.touch(box.released)
        if box.end is not None:
            self.visit_ends.touch(box.end)

    def _withdraw(self, box, direction, stage, since, gated_out, released, end, call, held, site, start) -> None:
        index = self.stages.get((direction, stage))
        if index is not None:
            index.remove(box, since, call, held)
            if stage == "in_inspection":
                self.pending_by_site[site] -= 1
        if gated_out is not None and direction == "import":
            self.import_done.drop(box, gated_out, call[0] if call else None)
        if released is not None and direction == "export":
            self.export_released.drop(box, released)
        if end is not None:
            self.visit_ends.drop(box, end)
        if call is not None and call in self.calls:
            self.call_changes[call] += 1
            named = self.calls[call]
            named.boxes.discard(box)
            if not named.boxes and not named.timeline:
                self._drop_call(named)

    def _contribute(self, box, direction, stage, since, gated_out, released, end, call, held, site, start) -> None:
        index = self.stages.get((direction, stage))
        if index is not None:
            index.add(box, since, call, held)
            if stage == "in_inspection":
                self.pending_by_site[site] += 1
        if gated_out is not None and direction == "import":  # tagged with its ship (kpis.ship_stamps)
            self.import_done.put(box, gated_out, call[0] if call else None)
        if released is not None and direction == "export":
            self.export_released.put(box, released)
        if end is not None:
            self.visit_ends.put(box, end)
        if call is not None:  # the call again if _rehome had dropped it while nothing named it
            self.call_changes[call] += 1
            self._call(*call).boxes.add(box)

    # -- reading -------------------------------------------------------------------------------
    def clock_now(self) -> float | None:
        return self.latest_t

    def call_of(self, box: BoxVisit) -> VesselCall | None:
        """The call a box came or goes by. A box event without a voyage names the ship only: it
        is resolved here, at read time, to the voyage call whose span holds the box's lift."""
        key = box.call
        if key is None or key[1] is not None:
            return self.calls.get(key) if key else None
        t = box.discharged if box.discharged is not None else box.loaded if box.loaded is not None else box.start
        holding = [(span, call) for call in self.calls_by_imo.get(key[0], ())
                   if call.voyage is not None and call.timeline
                   for span in [call_span(call.timeline)] if span[0] <= t <= span[1]]
        return max(holding, key=lambda item: item[0][0])[1] if holding else self.calls.get(key)

    def boxes_of(self, call: VesselCall) -> set[BoxVisit]:
        """A call's boxes, with those that named only its ship and resolve to it."""
        loose = self.calls.get((call.imo, None))
        if call.voyage is None or loose is None:
            return set(call.boxes)
        return call.boxes | {box for box in loose.boxes if self.call_of(box) is call}

    def boxes_in_order(self, call: VesselCall) -> list[BoxVisit]:
        """A call's boxes by number (then start), kept until its boxes change."""
        if call.voyage is not None and (call.imo, None) in self.calls:  # loose boxes resolve at read time
            return sorted(self.boxes_of(call), key=_by_number)
        stamp = self.call_changes[call.key]
        kept = self.view_cache.get(("order", call.key))
        if kept is None or kept[0] != stamp:
            kept = self.view_cache[("order", call.key)] = (stamp, sorted(call.boxes, key=_by_number))
        return kept[1]

    def box_count(self, call: VesselCall) -> int:
        """len(boxes_of(call)), without building the set."""
        loose = self.calls.get((call.imo, None))
        if call.voyage is None or loose is None:
            return len(call.boxes)
        return len(call.boxes) + sum(1 for box in loose.boxes if self.call_of(box) is call)

    def latest_visit(self, number: str) -> BoxVisit | None:
        visits = self.boxes.get(number)
        return visits[-1] if visits else None

    def latest_call(self, imo: str) -> VesselCall | None:
        calls = self.calls_by_imo.get(imo)
        known = [c for c in calls or () if c.timeline] or calls
        return max(known, key=lambda c: (c.start, c.key[1] or "")) if known else None

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
        return kpi_object.kpis(self, now, wall_now, rejects)

    def container(self, number: str, now=None) -> dict | None:
        visits = self.boxes.get(number)
        if not visits:
            return None
        return views.box_view(self, visits[-1], self._now(now), visits=len(visits))

    def vessel(self, imo: str, now=None) -> dict | None:
        call = self.latest_call(imo)
        if call is None:
            return None
        now = self._now(now)
        view = views.call_view(self, call, now)
        view["earlier_calls"] = [views.call_view(self, other, now, with_boxes=False)
                                 for other in sorted(self.calls_by_imo[imo], key=lambda c: c.start, reverse=True)
                                 if other is not call]
        return view

    def vessel_list(self, now=None) -> list[dict]:
        return views.vessel_rows(self, self._now(now))

    def _now(self, now) -> float:
        if now is None:
            return self.latest_t if self.latest_t is not None else time.time()
        return kpi_object.when(now)


def _by_number(box: BoxVisit) -> tuple:
    return box.number, box.start
