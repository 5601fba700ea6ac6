"""The port's log read as DCSA T&T 2.2 events: a page in stream order, or one event by eventID.

Stream ids are the milliseconds the port logged each event at, which are the published
`eventCreatedDateTime`: a created-time range is an XRANGE range and the paging cursor is a stream
id. A page reads the log in chunks and stops after `budget` entries, matching or not, so one
request never scans the whole log: it answers what it found with the cursor to go on from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

import orjson

from feeds.dcsa_filters import DcsaFilters, created_range_ms, matches
from feeds.dcsa_out import event_uuid, to_dcsa, uuid_ms

log = logging.getLogger(__name__)

CHUNK = 500  # entries per XRANGE call
MAX_SEQ = 2 ** 64 - 1
Retracted = Callable[[list[tuple[str, str]]], set[tuple[str, str]]]  # (source, id)s → the retracted ones
Visible = Callable[[list[dict]], list[bool]]  # v1 events → may this reader see each


@dataclass
class Page:
    events: list[dict]
    after: str | None  # the stream id to go on from; None when the range is read to its end


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _decode(entry) -> tuple[str, dict | None]:
    stream_id, fields = entry
    raw = fields.get(b"event", fields.get("event"))
    try:
        event = orjson.loads(raw) if raw is not None else None
    except orjson.JSONDecodeError:
        event = None
    return _text(stream_id), event if isinstance(event, dict) else None


def _published(entries, port: str | None, filters: DcsaFilters | None) -> list[tuple[str, dict, dict]]:
    """(stream id, v1 event, DCSA event) of the entries that 2.2 can say and the filters pass."""
    out = []
    for entry in entries:
        stream_id, event = _decode(entry)
        try:
            dcsa = to_dcsa(event, stream_id, port) if event and "source" in event and "id" in event else None
        except (TypeError, ValueError, KeyError, AttributeError):  # one odd entry never stops the feed
            log.exception("log entry %s not published as DCSA", stream_id)
            continue
        if dcsa is not None and (filters is None or matches(dcsa, filters)):
            out.append((stream_id, event, dcsa))
    return out


def _kept(found: list[tuple[str, dict, dict]], retracted: Retracted,
          visible: Visible | None = None) -> list[tuple[str, dict, dict]]:
    """Without the retracted events, and those the reader may not see (`visible`, given the v1
    events: an organisation's reader sees its own cargo's only)."""
    gone = retracted([(event["source"], event["id"]) for _, event, _ in found]) if found else set()
    kept = [item for item in found if (item[1]["source"], item[1]["id"]) not in gone]
    if visible is None or not kept:
        return kept
    shown = visible([event for _, event, _ in kept])
    return [item for item, seen in zip(kept, shown) if seen]


def read_page(client, key: str, filters: DcsaFilters, *, limit: int, descending: bool,
              after: str | None, budget: int, port: str | None, retracted: Retracted,
              visible: Visible | None = None, until: str | None = None) -> Page:
    """Up to `limit` events after the cursor `after` (exclusive), reading at most `budget` entries,
    and none past the stream id `until` (what `visible` has been told of so far)."""
    bounds = created_range_ms(filters)
    if bounds is None:
        return Page([], None)
    low, high = f"{bounds[0]}-0", f"{min(bounds[1], 2 ** 63 - 1)}-{MAX_SEQ}"
    if until is not None and _order(until) < _order(high):
        high = until
    if after:
        low, high = (low, f"({after}") if descending else (f"({after}", high)
    events: list[dict] = []
    while True:
        count = min(CHUNK, budget)
        entries = (client.xrevrange(key, high, low, count=count) if descending
                   else client.xrange(key, low, high, count=count))
        budget -= len(entries)
        room = limit - len(events)
        found = _kept(_published(entries, port, filters), retracted, visible)
        events.extend(dcsa for _, _, dcsa in found[:room])
        if len(found) > room:  # full, with matches left in this chunk: go on after the last given
            return Page(events, found[room - 1][0])
        if len(entries) < count:  # the range is read to its end
            return Page(events, None)
        edge = _text(entries[-1][0])
        if len(events) >= limit or budget <= 0:  # full, or this request's reading is spent
            return Page(events, edge)
        low, high = (low, f"({edge}") if descending else (f"({edge}", high)


def _order(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


def find(client, key: str, event_id: str, *, port: str | None, retracted: Retracted,
         visible: Visible | None = None) -> dict | None:
    """The published event with this eventID, or None (unknown, not ours, or retracted)."""
    ms = uuid_ms(event_id)
    if ms is None:
        return None
    low, high = f"{ms}-0", f"{ms}-{MAX_SEQ}"
    while True:
        entries = client.xrange(key, low, high, count=CHUNK)
        for entry in entries:
            stream_id, event = _decode(entry)
            if event and event_uuid(str(event.get("source")), str(event.get("id")), stream_id) == event_id:
                found = _kept(_published([entry], port, None), retracted, visible)
                return found[0][2] if found else None
        if len(entries) < CHUNK:
            return None
        low = f"({_text(entries[-1][0])}"
