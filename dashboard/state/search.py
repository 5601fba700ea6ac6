"""The managers' search box: one query → boxes, vessels (by name or IMO) and declarations.

A box and a declaration are found by their exact number (a dict lookup, whatever the size of the
state); vessels by IMO or by any part of the name, over the calls only. A container number whose
check digit is wrong gets the number it was probably meant to be.
"""

from __future__ import annotations

from feeds.identifiers import check_container, check_imo, suggest_container

MAX_HITS = 20


def search(state, query: str) -> dict:
    """→ {"query", "hits": [{"kind", "key", "label", "href"}], "suggestion": {...} | None}."""
    query = " ".join(query.split())[:100]
    hits: list[dict] = []
    suggestion = None
    if query:
        hits += _containers(state, query)
        hits += _declarations(state, query)
        hits += _vessels(state, query)
        if not hits:
            suggestion = _did_you_mean(state, query)
    return {"query": query, "hits": hits[:MAX_HITS], "suggestion": suggestion}


def _containers(state, query: str) -> list[dict]:
    number, _ = check_container(query)
    if number is None or number not in state.boxes:
        return []
    return [{"kind": "container", "key": number, "label": number, "href": f"/containers/{number}"}]


def _declarations(state, query: str) -> list[dict]:
    number = state.declarations.get(query) or state.declarations.get(query.upper())
    if number is None:
        return []
    return [{"kind": "declaration", "key": query, "label": f"{query} → {number}", "href": f"/containers/{number}"}]


def _vessels(state, query: str) -> list[dict]:
    imo, _ = check_imo(query)
    if imo is not None:
        call = state.latest_call(imo)
        return [_vessel_hit(call)] if call else []
    if len(query) < 2:
        return []
    wanted = query.casefold()
    latest = {}
    for call in state.calls.values():
        if call.name and wanted in call.name.casefold():
            latest[call.imo] = state.latest_call(call.imo)
    hits = sorted((_vessel_hit(call) for call in latest.values() if call), key=lambda hit: hit["label"])
    return hits


def _vessel_hit(call) -> dict:
    label = f"{call.name or call.imo} (IMO {call.imo}" + (f", {call.voyage})" if call.voyage else ")")
    return {"kind": "vessel", "key": call.imo, "label": label, "href": f"/vessels/{call.imo}"}


def _did_you_mean(state, query: str) -> dict | None:
    corrected = suggest_container(query)
    if corrected is None:
        return None
    return {"number": corrected, "known": corrected in state.boxes, "href": f"/containers/{corrected}"}
