"""Parties: which organisations a box visit or a vessel call is for (docs/events.md, `parties`).

An event's parties are its `source` (a partner is a party of what it sends) and the organisation
ids its `parties` names. A visit's or a call's parties are those of the events on its timeline,
read from the timeline each time: a late event or a retraction, which derive the visit again, can
never leave them stale. `identities` is a viewer's set of organisation ids; None means "sees
everything".

`PartyIndex` finds the candidates without a walk over the port: identity → container numbers and
identity → call keys. It only grows (a retracted event's parties stay in it), so what it gives
are candidates: the caller checks `sees_visit` / `sees_call` on what it shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from dashboard.state.timeline import PARTIES, SOURCE

Identities = frozenset[str] | None


def entry_parties(entry: tuple) -> tuple[str, ...]:
    """The entry's source, then the organisations it names (each once)."""
    source, named = entry[SOURCE], entry[PARTIES]
    if not named:
        return (source,)
    return (source, *(party for party in named if party != source))


def _timeline_parties(timeline: list[tuple]) -> frozenset[str]:
    found: set[str] = set()
    for entry in timeline:
        found.add(entry[SOURCE])
        if entry[PARTIES]:
            found.update(entry[PARTIES])
    return frozenset(found)


def _names_any(timeline: list[tuple], identities: frozenset[str]) -> bool:
    """Does any entry name one of the identities? (No set built: stops at the first.)"""
    for entry in timeline:
        if entry[SOURCE] in identities or (entry[PARTIES] and not identities.isdisjoint(entry[PARTIES])):
            return True
    return False


def visit_parties(box) -> frozenset[str]:
    return _timeline_parties(box.timeline)


def call_parties(call) -> frozenset[str]:
    """The parties of the call's own events (its boxes' parties are theirs: see sees_call)."""
    return _timeline_parties(call.timeline)


def sees_visit(box, identities: Identities) -> bool:
    return identities is None or _names_any(box.timeline, identities)


def party_of_call(call, identities: Identities) -> bool:
    """A party of the call's own events: such a viewer sees the whole call, boxes and all."""
    return identities is None or _names_any(call.timeline, identities)


def sees_call(state, call, identities: Identities) -> bool:
    """A party of the call itself, or of any box visit on it (`state.boxes_of(call)`)."""
    if party_of_call(call, identities):
        return True
    return any(_names_any(box.timeline, identities) for box in state.boxes_of(call))


class PartyIndex:
    """identity → container numbers and identity → call keys, kept as the events are applied.

    Memory: the keys are the entries' interned ids and the members the state's own number strings
    and call-key tuples, so an event costs set membership only. A vessel event without a voyage is
    noted under `(imo, None)`: `_rehome` may move it to a voyage's call at any time, so `calls_for`
    answers such a key with every call of the ship (`calls_by_imo`, the state's own mapping)."""

    def __init__(self, calls_by_imo: Mapping[str, list] | None = None):
        self.boxes: dict[str, set[str]] = {}
        self.calls: dict[str, set[tuple]] = {}
        self.calls_by_imo = calls_by_imo if calls_by_imo is not None else {}

    def note_box(self, entry: tuple, number: str) -> None:
        _note(self.boxes, entry, number)

    def note_call(self, entry: tuple, call_key: tuple) -> None:
        _note(self.calls, entry, call_key)

    def boxes_for(self, identities: Identities) -> set[str]:
        """Numbers of boxes some visit of which may name an identity (None: every box noted)."""
        return set().union(*_members(self.boxes, identities))

    def calls_for(self, identities: Identities) -> set[tuple]:
        """Keys of the calls whose own events may name an identity (None: every call noted).
        A call seen only through its boxes is found by `boxes_for` and `state.call_of`. Keys of
        calls gone since (a voyage-less call rehomed, a call whose events were all retracted) may
        be among them: look each one up in `state.calls`."""
        found: set[tuple] = set()
        for keys in _members(self.calls, identities):
            found |= keys
        for imo in {key[0] for key in found if key[1] is None}:
            found.update(call.key for call in self.calls_by_imo.get(imo, ()))
        return found


def _note(index: dict[str, set], entry: tuple, member) -> None:
    """On every event applied: the source, then each named party (a repeat is a no-op add)."""
    members = index.get(entry[SOURCE])
    if members is None:
        members = index[entry[SOURCE]] = set()
    members.add(member)
    for identity in entry[PARTIES] or ():
        members = index.get(identity)
        if members is None:
            members = index[identity] = set()
        members.add(member)


def _members(index: dict[str, set], identities: Identities) -> Iterable[set]:
    if identities is None:
        return list(index.values())
    return [index[identity] for identity in identities if identity in index]
