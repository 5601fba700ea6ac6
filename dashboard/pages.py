"""Which page a path is, built from the service's reports for the caller's credential.

The HTTP hook (dashboard/access.py) already sent callers without the right credential to the
login; the router asks again (`may_open`), because the page router is itself a callback anyone
holding the display token can call with any path.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs

from dash import html
from flask import g
from flask_wtf.csrf import generate_csrf

from dashboard import demo_views, reports
from dashboard.access import may_open
from dashboard.runtime import current_runtime
from dashboard.alerts.views import open_views
from layouts.alerts import alerts_page
from layouts.container import container_page
from layouts.demo import demo_layout
from layouts.feeds import feeds_page
from layouts.i18n import pick, text
from layouts.manager import NAV, manager_frame, message_page
from layouts.vessels import vessel_list_page, vessel_page
from layouts.wall import wall_layout

VESSEL_PATH = re.compile(r"/vessels/([^/]{1,40})")
CONTAINER_PATH = re.compile(r"/containers/([^/]{1,40})")


def query_lang(search: str | None) -> str:
    """The page's language from its address's `?lang=` (Chinese unless it says English)."""
    return pick(parse_qs((search or "").lstrip("?")).get("lang", ["zh"])[0])


def page_for(path: str | None, search: str | None = None):
    """The page at `path`, seeded from the service's state when it is served."""
    path = path or "/"
    query = parse_qs((search or "").lstrip("?"))
    lang = query_lang(search)
    credential = g.credential
    if not may_open(credential, path):
        return message_page(text("not_allowed", lang), path)
    if path == "/":
        return wall_page(lang, query.get("rotate", ["0"])[0])
    links = tuple(href for href, _ in NAV if may_open(credential, href))
    return manager_frame(lang, path, credential.name or "", generate_csrf(),
                         manager_body(path, query, lang, credential.identities), links)


def wall_page(lang: str, rotate: str):
    svc, emitter = current_runtime().svc, current_runtime().emitter
    return wall_layout(svc.profile.name[lang], lang, emitter.build("fast", lang), emitter.build("slow", lang),
                       int(rotate) if rotate.isdigit() else None)


def manager_body(path: str, query: dict, lang: str, identities):
    """`identities`: the caller's organisation (only its cargo), None for those who see all."""
    svc = current_runtime().svc
    try:
        if path == "/vessels":
            delayed = query.get("delayed", ["0"])[0] in ("1", "true", "yes")
            return vessel_list_page(reports.vessel_list(svc, identities=identities), lang, delayed)
        if match := VESSEL_PATH.fullmatch(path):
            return vessel_page(reports.vessel_report(svc, match.group(1), identities=identities), lang)
        if match := CONTAINER_PATH.fullmatch(path):
            return container_page(reports.container_report(svc, match.group(1), identities=identities), lang)
    except reports.NotFound as missing:
        return not_found(missing, lang)
    if path == "/alerts":  # the alert board (docs/alerts.md)
        return alerts_page(open_views(svc.alerts, svc.profile.timezone), time.time(), lang)
    if path == "/feeds":
        return feeds_page(reports.feeds_report(svc), lang)
    if path == "/demo":
        return demo_page(lang)
    if path == "/demo/report":
        return demo_report_page(lang)
    return message_page(text("not_found", lang), path)


def not_found(missing: reports.NotFound, lang: str):
    body = [html.H1(text("not_found", lang)), html.P(missing.problem)]
    if missing.suggestion:
        body.append(html.P([text("did_you_mean", lang), " ",
                            html.A(missing.suggestion, href=f"/containers/{missing.suggestion}?lang={lang}",
                                   className="suggestion"), "?"]))
    return html.Div(body, className="message")


def demo_page(lang: str):
    demo = current_runtime().demo
    if demo is None:
        return message_page(text("no_demo", lang), "This service runs on live partner data only.")
    scenarios = [{"name": item["name"], "title": item["title"][lang]} for item in demo.scenarios()]
    status = demo.status()
    return demo_layout(scenarios, status, lang, whatif=demo_views.panel_for(demo, status, lang))


def demo_report_page(lang: str):
    demo = current_runtime().demo
    if demo is None:
        return message_page(text("no_demo", lang), "This service runs on live partner data only.")
    return demo_views.report_view(demo, lang)
