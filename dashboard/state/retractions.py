"""Retractions: a partner takes back an event it sent (`event.retracted`, docs/events.md).

After a retraction the state is the one the other events give: the retracted entry leaves its box
visit or vessel call, the box's (or ship's) remaining entries are placed again the way a fresh
state places them, and the event's counts are taken back. The entry is kept apart, struck
through, for the timelines. A retraction that comes before its event is remembered: the event,
when it comes, is kept struck and changes nothing else. The event's `(source, id)` stays seen, so
a copy of it sent again is still a duplicate (a retry must stay safe). A retraction is final: one
that names a retraction changes nothing. Two retractions of one event: the earliest (by time, then
id) is the one shown, whatever their order of arrival.

This path is slower than an ordinary event's (a box's or a ship's entries are placed again); the
only cost on the ordinary path is one dict lookup, and `seen` noting where each event went.
"""

from __future__ import annotations

import bisect
import math
import sys
from collections import defaultdict, deque
from typing import NamedTuple

from xxhash import xxh3_128_intdigest

from dashboard.state.calls import NAMING_TYPES, call_span
from dashboard.state.timeline import CALL, CLASSIFIER, DATA, ID, SOURCE, T, TYPE, entry_data, entry_view, iso, make_entry
from feeds.events import RETRACTED, VESSEL_TYPES


def event_key(source: str, event_id: str) -> int:
    """`(source, id)` as a 128-bit digest: a fifth of the memory of the strings, and a collision
    is as likely as none in 10^30 pairs."""
    return xxh3_128_intdigest(f"{source} {event_id}".encode())


class Loose(NamedTuple):
    """Where `seen` says an event went that no timeline keeps: what taking it back must undo."""
    t: float
    kind: str
    classifier: str


class Ship(NamedTuple):
    """Where `seen` says a vessel event went: one of the ship's calls."""
    imo: str


def loose(t: float, kind: str, classifier: str) -> Loose:
    return Loose(t, sys.intern(kind), sys.intern(classifier))


class Retractions:
    def __init__(self) -> None:
        self.marks: dict[int, tuple[float, str]] = {}  # retracted (source, id) → (time, id) of its retraction
        self.boxes: dict[str, list[tuple]] = defaultdict(list)  # container number → its struck entries
        self.ships: dict[str, list[tuple]] = defaultdict(list)  # IMO → (voyage, entry) of struck vessel events


# -- applying ---------------------------------------------------------------------------------
def apply(state, event: dict, key: int, t: float) -> bool:
    """A retraction, or an event whose retraction came first (PortState.apply sends both here)."""
    if event["type"] == RETRACTED:
        state.seen[key] = loose(t, RETRACTED, "actual")
        state.retractions.marks.pop(key, None)  # final: a retraction that named it changes nothing
        _retract(state, event["source"], event["data"]["retracted_id"], (t, event["id"]))
        state.by_type[RETRACTED] += 1
    else:
        _strike_on_arrival(state, event, key, t)
    state.applied += 1
    state.version += 1
    return True


def _retract(state, source: str, event_id: str, mark: tuple[float, str]) -> None:
    target = event_key(source, event_id)  # the sender's own event: another's cannot be named
    where = state.seen.get(target)
    if isinstance(where, Loose) and where.kind == RETRACTED:
        return
    marks = state.retractions.marks
    earlier = marks.get(target)
    if earlier is not None and earlier <= mark:
        return
    marks[target] = mark
    if earlier is None and where is not None:  # applied, not struck yet (None: not come yet)
        _take_back(state, where, source, event_id)


def _strike_on_arrival(state, event: dict, key: int, t: float) -> None:
    kind, struck = event["type"], state.retractions
    classifier = event.get("classifier", "actual")
    if kind in VESSEL_TYPES:
        bisect.insort(struck.ships[event["vessel"]], (event.get("voyage"), make_entry(event, t)), key=_entry)
        state.seen[key] = Ship(event["vessel"])
    elif event.get("container"):
        call = (event["vessel"], event.get("voyage")) if event.get("vessel") else None
        bisect.insort(struck.boxes[event["container"]], make_entry(event, t, call))
        state.seen[key] = event["container"]
    else:
        state.seen[key] = loose(t, kind, classifier)
    # the clock takes every actual event, struck or not, so that arrival order stays moot
    if classifier == "actual" and (state.latest_t is None or t > state.latest_t):
        state.latest_t = t


def _entry(item: tuple) -> tuple:
    return item[1]


def _take_back(state, where, source: str, event_id: str) -> None:
    if isinstance(where, Loose):
        _uncount(state, where.kind, where.t, where.classifier, source, event_id)
        return
    entry = _off_ship(state, where.imo, source, event_id) if isinstance(where, Ship) else \
        _off_box(state, where, source, event_id)
    if entry is not None:
        _uncount(state, entry[TYPE], entry[T], entry[CLASSIFIER], source, event_id)
        imo = where.imo if isinstance(where, Ship) else entry[CALL][0] if entry[CALL] else None
        if imo is not None and _gave_the_name(state, imo, entry):
            _rename(state, imo)


def _uncount(state, kind: str, t: float, classifier: str, source: str, event_id: str) -> None:
    """The event's counts, as if it had never come (the event clock is a high-water mark)."""
    state.by_type[kind] -= 1
    if not state.by_type[kind]:
        del state.by_type[kind]
    if classifier == "actual" and kind in state.counted:
        state.counted[kind].discard(t)
    kept = [item for item in state.ticker if item["id"] != event_id or item["source"] != source]
    if len(kept) != len(state.ticker):
        state.ticker = deque(kept, maxlen=state.ticker.maxlen)


def _matches(entry: tuple, source: str, event_id: str) -> bool:
    return entry[ID] == event_id and entry[SOURCE] == source


def _off_box(state, number: str, source: str, event_id: str) -> tuple | None:
    """Take the entry off the box; its other entries are placed again, from no visit, as a fresh
    state would place them (a retracted gate-out merges two visits back into one)."""
    visits = state.boxes.get(number)
    entries = [entry for visit in visits or () for entry in visit.timeline]
    found = next((entry for entry in entries if _matches(entry, source, event_id)), None)
    if found is None:
        return None
    entries.remove(found)
    for visit in visits:
        if visit.contribution is not None:
            state._withdraw(visit, *visit.contribution)
        state.view_cache.pop(visit, None)
    visits.clear()
    for entry in sorted(entries):
        state._place(visits, number, entry)
    if not visits:
        del state.boxes[number]
    bisect.insort(state.retractions.boxes[number], found)
    _forget_declaration(state, number, found, entries)
    return found


def _forget_declaration(state, number: str, found: tuple, entries: list[tuple]) -> None:
    declaration = entry_data(found).get("declaration")
    if state.declarations.get(declaration) != number:
        return
    if not any(entry_data(entry).get("declaration") == declaration for entry in entries):
        del state.declarations[declaration]


def _off_ship(state, imo: str, source: str, event_id: str) -> tuple | None:
    """Take the entry off the ship's calls; the ship's events are homed again (a voyage-less one
    may belong to another call now), and a call nothing names any more is gone."""
    loose_entries = state.voyageless.get(imo) or []
    found = next((entry for entry in loose_entries if _matches(entry, source, event_id)), None)
    voyage = None
    if found is not None:
        loose_entries.remove(found)
    for call in state.calls_by_imo.get(imo, ()):
        hit = next((entry for entry in call.timeline if _matches(entry, source, event_id)), None)
        if hit is not None:
            call.timeline.remove(hit)
            if found is None:
                found, voyage = hit, call.voyage
    if found is None:
        return None
    state.calls_version += 1
    state._rehome(imo)
    bisect.insort(state.retractions.ships[imo], (voyage, found), key=_entry)
    return found


def _naming(entry: tuple, imo: str) -> dict | None:
    """The entry as ShipNames.note reads an event, if it may name the ship."""
    if entry[DATA] is None or b'"name"' not in entry[DATA] or entry[TYPE] not in NAMING_TYPES:
        return None
    return {"type": entry[TYPE], "vessel": imo, "data": entry_data(entry)}


def _gave_the_name(state, imo: str, entry: tuple) -> bool:
    event = _naming(entry, imo)
    return event is not None and state.ship_names.latest.get(imo) == (entry[T], event["data"].get("name"))


def _rename(state, imo: str) -> None:
    """ShipNames keeps only the latest name: read the ship's remaining events again, its calls'
    and every box lift naming it (a full pass over the boxes, only when the name came from the
    retracted event)."""
    names = state.ship_names
    names.latest.pop(imo, None)
    entries = [entry for call in state.calls_by_imo.get(imo, ()) for entry in call.timeline]
    entries += [entry for visits in state.boxes.values() for visit in visits for entry in visit.timeline
                if entry[CALL] is not None and entry[CALL][0] == imo]
    for entry in entries:
        event = _naming(entry, imo)
        if event is not None:
            names.note(event, entry[T])


# -- reading ----------------------------------------------------------------------------------
def box_timeline(state, box, zone) -> list[dict]:
    """The visit's events with the box's struck ones of the visit's time, in time order. A visit
    holds the times after the previous visit's end up to its own end (as PortState places them)."""
    struck = state.retractions.boxes.get(box.number)
    if not struck:
        return [entry_view(entry, zone) for entry in box.timeline]
    visits = state.boxes[box.number]
    index = visits.index(box)
    after = visits[index - 1].end if index else -math.inf
    until = box.end if index + 1 < len(visits) and box.end is not None else math.inf
    return _merged(state, box.timeline, [entry for entry in struck if after < entry[T] <= until], zone)


def call_timeline(state, call, zone) -> list[dict]:
    """The call's events with its ship's struck ones that were (or would have been) its own."""
    struck = state.retractions.ships.get(call.imo)
    if not struck:
        return [entry_view(entry, zone) for entry in call.timeline]
    own = [entry for voyage, entry in struck
           if (voyage if voyage is not None else _home(state, call.imo, entry[T])) == call.voyage]
    return _merged(state, call.timeline, own, zone)


def _home(state, imo: str, t: float) -> str | None:
    """The voyage a voyage-less vessel event joins: the voyage call whose span holds it, else none."""
    holding = [(span[0], call.voyage) for call in state.calls_by_imo.get(imo, ())
               if call.voyage is not None and call.timeline
               for span in [call_span(call.timeline)] if span[0] <= t <= span[1]]
    return max(holding)[1] if holding else None


def _merged(state, entries: list[tuple], struck: list[tuple], zone) -> list[dict]:
    marks = state.retractions.marks
    views = []
    for entry, retracted in sorted([(entry, False) for entry in entries] + [(entry, True) for entry in struck],
                                   key=lambda item: item[0]):
        view = entry_view(entry, zone)
        if retracted:
            at = marks[event_key(entry[SOURCE], entry[ID])][0]
            view["retracted"] = {"at": iso(at, zone), "by": entry[SOURCE]}
        views.append(view)
    return views
