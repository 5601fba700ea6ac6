"""Compact timeline entries and the time helpers the state shares.

An entry is a tuple `(t, type, source, id, classifier, data, direction, call, parties)`: `t` epoch
seconds, the strings interned (types, sources and classifiers repeat millions of times), `data`
the event's details as compact JSON bytes or None, `call` the vessel call the event names (or
None), `parties` the distinct organisation ids its `parties` names, sorted and interned (or None
when it names none; dashboard/state/parties.py reads them). Tuples sort by time, then type,
source and id: one fixed order, so any arrival order of the same events gives the same timeline.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone, tzinfo

import orjson

T, TYPE, SOURCE, ID, CLASSIFIER, DATA, DIRECTION, CALL, PARTIES = range(9)
# One tuple object per distinct set of parties, so that a box's many events share one: bounded,
# because the combinations are the partners' to choose (past the bound, each entry keeps its own)
_SHARED_PARTIES: dict[tuple, tuple] = {}
MAX_SHARED_PARTIES = 100_000


def event_time(text: str) -> float:
    return datetime.fromisoformat(text.upper()).timestamp()


def make_entry(event: dict, t: float, call=None) -> tuple:
    data = event.get("data")
    direction = event.get("direction")
    return (t, sys.intern(event["type"]), sys.intern(event["source"]), event["id"],
            sys.intern(event.get("classifier", "actual")), _compact_json(data) if data else None,
            sys.intern(direction) if direction else None, call, _parties(event.get("parties")))


def _parties(named: dict | None) -> tuple[str, ...] | None:
    if not named:
        return None
    ids = tuple(sorted(set(named.values())))
    shared = _SHARED_PARTIES.get(ids)
    if shared is not None:
        return shared  # its strings interned when it was first kept
    ids = tuple(sys.intern(organisation) for organisation in ids)
    if len(_SHARED_PARTIES) < MAX_SHARED_PARTIES:
        _SHARED_PARTIES[ids] = ids
    return ids


def _compact_json(data: dict) -> bytes:
    # orjson hands back a buffer with a page of spare capacity: copy it to its own size, or
    # millions of kept timelines would hold 4 KB each
    return bytes(memoryview(orjson.dumps(data)))


def entry_data(entry: tuple) -> dict:
    return orjson.loads(entry[DATA]) if entry[DATA] else {}


def iso(t: float | None, zone: tzinfo = timezone.utc) -> str | None:
    """Epoch seconds → RFC 3339 in the given zone (seconds, or milliseconds when fractional)."""
    if t is None:
        return None
    moment = datetime.fromtimestamp(t, zone)
    text = moment.isoformat(timespec="milliseconds" if t % 1 else "seconds")
    return text.replace("+00:00", "Z")


def entry_view(entry: tuple, zone: tzinfo) -> dict:
    view = {"id": entry[ID], "type": entry[TYPE], "time": iso(entry[T], zone), "source": entry[SOURCE],
            "classifier": entry[CLASSIFIER]}
    if entry[DATA]:
        view["data"] = entry_data(entry)
    return view
