"""What an organisation's people may see: the state's views cut to the boxes, calls and events
their organisation is a party of (docs/access.md, "Organisations").

`identities` is the viewer's organisation id and the partner sources it sends as; None is the
task force and the managers, who see everything. Whatever a viewer may not see answers exactly as
what does not exist: the callers turn None into the same 404 either way.
"""

from __future__ import annotations

from dashboard.state import views
from dashboard.state.parties import party_of_call, sees_call, sees_visit
from dashboard.state.search import search
from dashboard.state.timeline import event_time


def seen_visits(state, number: str, identities) -> list:
    return [visit for visit in state.boxes.get(number, ()) if sees_visit(visit, identities)]


def container(state, number: str, now: float, identities) -> dict | None:
    """The latest visit of the box the viewer is a party of, counting only such visits."""
    if identities is None:
        return state.container(number, now)
    visits = seen_visits(state, number, identities)
    if not visits:
        return None
    return views.box_view(state, visits[-1], now, visits=len(visits))


def seen_calls(state, imo: str, identities) -> list:
    return [call for call in state.calls_by_imo.get(imo, ()) if sees_call(state, call, identities)]


def vessel(state, imo: str, now: float, identities) -> dict | None:
    """The latest call of the ship the viewer sees. A party of the call sees all of it; a party of
    some of its boxes sees the call's schedule and progress but only its own boxes."""
    if identities is None:
        return state.vessel(imo, now)
    calls = sorted(seen_calls(state, imo, identities), key=lambda call: call.start, reverse=True)
    if not calls:
        return None
    view = views.call_view(state, calls[0], now)
    if not party_of_call(calls[0], identities):
        own = {visit.number for visit in state.boxes_of(calls[0]) if sees_visit(visit, identities)}
        view["boxes"] = [row for row in view["boxes"] if row["number"] in own]
        view["bottleneck"] = views.bottleneck_of([row for row in view["boxes"] if row["late"]])
    view["earlier_calls"] = [views.call_view(state, call, now, with_boxes=False) for call in calls[1:]]
    return view


def vessel_list(state, now: float, identities) -> list[dict]:
    rows = state.vessel_list(now)
    if identities is None:
        return rows
    keys = {call.key for call in visible_calls(state, identities)}
    return [row for row in rows if (row["imo"], row["voyage"]) in keys]


def visible_calls(state, identities) -> list:
    """The calls the viewer sees, found through the party index (never a walk over the port)."""
    found = {state.calls[key] for key in state.party_index.calls_for(identities) if key in state.calls}
    found = {call for call in found if sees_call(state, call, identities)}
    for number in state.party_index.boxes_for(identities):
        for visit in state.boxes.get(number, ()):
            call = state.call_of(visit)
            # many boxes share a few calls: a call found once needs no more timelines read
            if call is not None and call not in found and sees_visit(visit, identities):
                found.add(call)
    return list(found)


def scoped_search(state, query: str, identities) -> dict:
    """The search, with the hits and the "did you mean" of what the viewer may not see removed:
    a box, declaration or ship outside it is not found, exactly as an unknown one."""
    result = search(state, query)
    if identities is None:
        return result
    result["hits"] = [hit for hit in result["hits"] if _sees_hit(state, hit, identities)]
    suggestion = result["suggestion"]
    if suggestion and suggestion["known"]:
        suggestion["known"] = bool(seen_visits(state, suggestion["number"], identities))
    return result


def _sees_hit(state, hit: dict, identities) -> bool:
    if hit["kind"] == "vessel":
        return bool(seen_calls(state, hit["key"], identities))
    number = hit["href"].rpartition("/")[2]  # a declaration's hit leads to its box
    return bool(seen_visits(state, number, identities))


def sees_event(state, event: dict, identities) -> bool:
    """Is this v1 event about something the viewer is a party of? Its own parties count first;
    then the box visit or the call it belongs to."""
    if identities is None:
        return True
    if event.get("source") in identities or identities & set((event.get("parties") or {}).values()):
        return True
    if event.get("container"):
        visit = _visit_at(state, event["container"], event_time(event["time"]))
        return visit is not None and sees_visit(visit, identities)
    if event.get("vessel"):
        wanted = event.get("voyage")
        return any(wanted is None or call.voyage in (None, wanted) for call in seen_calls(state, event["vessel"], identities))
    return False


def _visit_at(state, number: str, t: float):
    """The visit of the box that holds a moment: the last one begun by then (or the first)."""
    visits = state.boxes.get(number) or []
    held = [visit for visit in visits if visit.start <= t]
    return held[-1] if held else (visits[0] if visits else None)
