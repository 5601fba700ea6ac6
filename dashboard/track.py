"""/track, the phone page (layouts/track.py): a member's boxes in port, action first, and each box
as a parcel's timeline. Members and managers only (dashboard/access.py, SCOPED_PAGES); a member
sees what its organisation is a party of and nothing else, and a box it may not see answers
exactly as an unknown one (the same 404, the same page).

The answers are small (one request: the style and the script are inlined), never cached, and
gzipped for a client that accepts it: a phone on a slow network gets a few KB.

Watching from the phone (docs/notifications.md): plain HTML forms with Flask-WTF's CSRF token
post to /track/box/<n>/watch, /unwatch and /track/org/watch, /unwatch, which answer 303 back to
the page, so they work without a script. They ask dashboard/notify/audience.may_watch, as the
API does: a box the member may not see answers the box page's 404, as an unknown one. Both pages
open with the viewer's latest notices; the script polls for newer ones.
"""

from __future__ import annotations

import gzip
import logging
from datetime import datetime
from pathlib import Path

from flask import Blueprint, Response, g, redirect, request, session
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.validators import ValidationError

from dashboard.api.ingest import service
from dashboard.notify.audience import may_watch
from dashboard.notify.live import live_notices
from dashboard.notify.watches import WatchError, watch_key, watch_store
from dashboard.state import mine, scoped
from dashboard.state.timeline import iso
from feeds.identifiers import check_container
from feeds.redis_client import STORE_ERRORS
from layouts import track as layout
from layouts.i18n import pick

log = logging.getLogger(__name__)
bp = Blueprint("track", __name__)
ASSETS = Path(__file__).resolve().parent.parent / "assets"
PER_PAGE = 50  # rows per page: 1,000 boxes would be ~300 KB, 50 are a few KB gzipped
GZIP_AT_LEAST = 512  # bytes: below this, compressing costs more than it saves
HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": "frame-ancestors 'none'",
           "X-Content-Type-Options": "nosniff"}
NOTICES_SHOWN = 5  # the strip at the top: the latest few, the rest are on the channels
ORG_WATCH = "org:*"  # everything the member's organisation is a party of
_INLINE: dict[str, str] = {}


def inline_asset(name: str) -> str:
    """The page's stylesheet or script, read once: inlined, it costs no second round trip."""
    if name not in _INLINE:
        _INLINE[name] = (ASSETS / name).read_text(encoding="utf-8")
    return _INLINE[name]


def _lang() -> str:
    return pick(request.args.get("lang") or session.get("lang"))


def _page(lang: str, body, here: str, status: int = 200, query: str = "") -> Response:
    document = layout.page(lang, body, csrf_token=generate_csrf(), css=inline_asset("track.css"),
                           script=inline_asset("track.js"), here=here, query=query)
    return Response(document, status=status, mimetype="text/html", headers=HEADERS)


@bp.get("/track")
def my_boxes() -> Response:
    lang, identities = _lang(), g.credential.identities
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() else 1
    query = " ".join(request.args.get("q", "").split())[:100]
    search = None
    if query:
        search = service_search(query, identities)
        if len(search["hits"]) == 1:  # one answer: straight to it
            return redirect(layout.hit_href(search["hits"][0], lang), 302)
    model = my_boxes_model(page, identities, my_watches())
    if request.args.get("fragment") == "1":  # the script's poll: the live part only
        return Response(layout.box_list(model, lang), mimetype="text/html", headers=HEADERS)
    live = layout.href("/track", fragment=1, page=model["page"], lang=lang)
    boxes = layout.my_boxes(model, lang, live, search, csrf_token=generate_csrf())
    body = layout.notices_strip(notices_model(), lang) + boxes
    here = layout.href("/track", page=model["page"] if model["page"] > 1 else None, q=query or None)
    return _page(lang, body, here, query=query)


def service_search(query: str, identities) -> dict:
    svc = service()
    with svc.store.lock:
        return scoped.scoped_search(svc.store.state, query, identities)


def my_boxes_model(page: int, identities, watches: list[str]) -> dict:
    """One page of the viewer's boxes as plain values (the state read under its lock), each
    marked when the viewer watches it."""
    svc = service()
    whole_org = ORG_WATCH in watches and identities is not None  # `org:*` is every box a member sees
    with svc.store.lock:
        state = svc.store.state
        found = mine.my_boxes(state, identities)
        visits, pages = mine.page_of(found, page, PER_PAGE)
        watched = mine.watched_numbers(state, watches)
        rows = [{**mine.box_row(state, box), "watched": whole_org or box.number in watched} for box in visits]
        updated = iso(svc.port_now(), state.profile.timezone)
    return {"rows": rows, "counts": found.counts, "total": found.total, "page": min(max(page, 1), pages),
            "pages": pages, "per_page": PER_PAGE, "port_wide": found.port_wide, "updated": updated,
            "watching_org": ORG_WATCH in watches}


@bp.get("/track/box/<path:number>")
def box(number: str) -> Response:
    lang, identities = _lang(), g.credential.identities
    number = number[:40]
    canonical, problem = check_container(number)
    here = f"/track/box/{canonical or number}"
    found = None if problem else box_model(canonical, identities, my_watches())
    if found is None:  # unknown, or not the viewer's: one answer for both
        return _box_not_found(lang, canonical or number)
    view, steps, vessel, watching = found
    parcel = layout.box_page(view, steps, vessel, lang, watching, csrf_token=generate_csrf())
    body = layout.notices_strip(notices_model(), lang) + parcel
    return _page(lang, body, here)


def _box_not_found(lang: str, number: str) -> Response:
    return _page(lang, layout.box_not_found(number, lang), f"/track/box/{number}", status=404)


def box_model(number: str, identities, watches: list[str]):
    """(view, steps, vessel, watching) of a box the viewer sees, else None. `watching`: "box"
    (this box), "org" (all the organisation's), "declaration" (one of its declarations) or None."""
    svc = service()
    with svc.store.lock:
        state = svc.store.state
        view = scoped.container(state, number, svc.port_now(), identities)
        if view is None:
            return None
        visits = scoped.seen_visits(state, number, identities)
        watching = _watching(state, number, watches, identities)
        return view, mine.parcel_steps(view), mine.vessel_brief(state, visits[-1]), watching


def _watching(state, number: str, watches: list[str], identities) -> str | None:
    """Which of the viewer's watches covers the box, the one it can stop on this page first."""
    if f"box:{number}" in watches:
        return "box"
    if ORG_WATCH in watches and identities is not None:  # a manager's `org:*` covers nothing
        return "org"
    return "declaration" if number in mine.watched_numbers(state, watches) else None


# -- watching, by form (the same checks as dashboard/api/watches.py) ------------------------------
@bp.post("/track/box/<path:number>/watch")
def watch_box(number: str) -> Response:
    return _box_watch(number, watch=True)


@bp.post("/track/box/<path:number>/unwatch")
def unwatch_box(number: str) -> Response:
    return _box_watch(number, watch=False)


def _box_watch(number: str, watch: bool) -> Response:
    lang, refusal = _form_checked()
    if refusal:
        return refusal
    number = number[:40]
    canonical, problem = check_container(number)
    try:
        key = None if problem else watch_key("box", canonical)
    except WatchError:
        key = None
    if key is None or not _sees("box", key.partition(":")[2]):
        return _box_not_found(lang, canonical or number)  # unknown, or not the viewer's: as the page
    return _changed(lang, key, watch, layout.href(f"/track/box/{canonical}", lang=lang))


@bp.post("/track/org/watch")
def watch_org() -> Response:
    return _org_watch(watch=True)


@bp.post("/track/org/unwatch")
def unwatch_org() -> Response:
    return _org_watch(watch=False)


def _org_watch(watch: bool) -> Response:
    lang, refusal = _form_checked()
    return refusal or _changed(lang, ORG_WATCH, watch, layout.href("/track", lang=lang))


def _sees(kind: str, key: str) -> bool:
    svc = service()
    with svc.store.lock:
        return may_watch(svc.store.state, kind, key, g.credential.identities)


def _form_checked() -> tuple[str, Response | None]:
    """The form's CSRF token (Flask-WTF); the Origin was checked by dashboard/access.py."""
    lang = _lang()
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return lang, _problem(lang, "track_form_expired", 400)
    return lang, None


def _changed(lang: str, key: str, watch: bool, back: str) -> Response:
    """Add or remove the watch, then back to the page (303: the browser GETs it)."""
    store = watch_store(service())
    try:
        if watch:
            store.add(g.credential.name, key)
        else:
            store.remove(g.credential.name, key)  # not watched: nothing to do, back all the same
    except WatchError:
        return _problem(lang, "track_watch_refused", 400)
    except STORE_ERRORS as exc:
        log.warning("watch not changed, Redis: %s", exc)
        return _problem(lang, "track_store_down", 503)
    return redirect(back, 303)


def _problem(lang: str, key: str, status: int) -> Response:
    return _page(lang, layout.problem(text_key=key, lang=lang), "/track", status=status)


# -- the viewer's own, from Redis: the page still shows the boxes when it is down -----------------
def my_watches() -> list[str]:
    try:
        return watch_store(service()).of(g.credential.name)
    except STORE_ERRORS as exc:
        log.warning("/track without the watches, Redis: %s", exc)
        return []


def notices_model() -> dict:
    """The viewer's latest notices, newest first, their times in the port's zone; `after` is
    the newest one's `seq`, from which the script asks for newer ones."""
    svc = service()
    zone = svc.store.state.profile.timezone
    try:
        found = live_notices(svc).after(g.credential.name, None, NOTICES_SHOWN)
    except STORE_ERRORS as exc:
        log.warning("/track without the notices, Redis: %s", exc)
        found = []
    notices = [{**notice, "at": port_time(notice.get("at"), zone)} for notice in found]
    return {"notices": notices, "after": found[0]["seq"] if found else "", "zone": zone.key}


def port_time(at: str | None, zone) -> str | None:
    """A notice's UTC time in the port's zone, as the rest of the page shows times."""
    try:
        return datetime.fromisoformat(at).astimezone(zone).isoformat() if at else None
    except ValueError:
        return None


@bp.after_request
def compressed(response: Response) -> Response:
    """gzip for a client that says it takes it: slow 3G carries ~50 KB a second."""
    if (response.direct_passthrough or response.status_code < 200 or "Content-Encoding" in response.headers
            or "gzip" not in request.headers.get("Accept-Encoding", "").lower()):
        return response
    body = response.get_data()
    if len(body) < GZIP_AT_LEAST:
        return response
    response.set_data(gzip.compress(body, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    return response
