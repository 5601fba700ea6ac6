"""The managers' pages' callbacks: search, and the live refresh of the vessel list, a vessel and
the feeds, each when its socket room says so (dashboard/sockets.py). Grids get new `rowData` only: AG Grid keeps the user's sort, filter and scroll."""

from __future__ import annotations

from dash import Dash, Input, Output, State, no_update
from flask import g

from dashboard import reports
from dashboard.pages import query_lang
from dashboard.runtime import current_runtime
from layouts import ids
from layouts.feeds import partner_rows, reject_list
from layouts.manager import search_results
from layouts.vessels import bottleneck, box_rows, call_timeline, earlier_calls, stage_breakdown, vessel_header, \
    vessel_list_rows


def _svc():
    return current_runtime().svc


def _identities():
    """The caller's organisation (its cargo only), None for those who see all (dashboard/access.py)."""
    return g.credential.identities


def on_search(_submitted, _clicked, query: str | None, search: str | None):
    """One hit: go there. Several: list them. None: say so, or offer the corrected number."""
    if not query or not query.strip():
        return [], no_update
    lang = query_lang(search)
    result = reports.search_report(_svc(), query, identities=_identities())
    if len(result["hits"]) == 1:
        return [], f"{result['hits'][0]['href']}?lang={lang}"
    return search_results(result, lang), no_update


def refresh_vessel_list(_tick, search: str | None):
    return vessel_list_rows(reports.vessel_list(_svc(), identities=_identities()), query_lang(search))


def refresh_vessel(_notice, key: dict | None):
    """The vessel's socket room said it changed: rebuild every part, in the page's language."""
    if not key:
        return (no_update,) * 6
    lang = key["lang"]
    try:
        view = reports.vessel_report(_svc(), key["imo"], identities=_identities())
    except reports.NotFound:
        return (no_update,) * 6
    return (vessel_header(view, lang), stage_breakdown(view["boxes"], lang), bottleneck(view, lang),
            box_rows(view["boxes"], lang), call_timeline(view["timeline"], lang), earlier_calls(view["earlier_calls"], lang))


def refresh_feeds(_tick, search: str | None):
    lang = query_lang(search)
    report = reports.feeds_report(_svc())
    return partner_rows(report["partners"], lang), reject_list(report, lang)


def register(app: Dash) -> None:
    app.callback(Output(ids.SEARCH_RESULTS, "children"), Output(ids.NAVIGATE, "href"),
                 Input(ids.SEARCH, "n_submit"), Input(ids.SEARCH_GO, "n_clicks"),
                 State(ids.SEARCH, "value"), State(ids.URL, "search"), prevent_initial_call=True)(on_search)
    app.callback(Output(ids.VESSEL_GRID, "rowData"), Input(ids.VESSEL_LIST_SOCKET, "data-refresh"),
                 State(ids.URL, "search"), prevent_initial_call=True)(refresh_vessel_list)
    app.callback(Output(ids.VESSEL_HEADER, "children"), Output(ids.VESSEL_STAGES, "children"),
                 Output(ids.VESSEL_BOTTLENECK, "children"), Output(ids.BOX_GRID, "rowData"),
                 Output(ids.VESSEL_TIMELINE, "children"), Output(ids.VESSEL_EARLIER, "children"),
                 Input(ids.VESSEL_SOCKET, "data-refresh"), State(ids.VESSEL_KEY, "data"),
                 prevent_initial_call=True)(refresh_vessel)
    app.callback(Output(ids.FEEDS_GRID, "rowData"), Output(ids.FEEDS_REJECTS, "children"),
                 Input(ids.FEEDS_SOCKET, "data-refresh"), State(ids.URL, "search"),
                 prevent_initial_call=True)(refresh_feeds)
