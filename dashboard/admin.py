"""The task force's admin page, /admin: organisations, their users and their read keys
(dashboard/orgs.py; docs/organisations.md).

Managers only: the access hook sends every path it does not list to managers, and a session's
POST must carry this site's Origin. Each form carries Flask-WTF's CSRF token. A change answers
303 back to the page with a message; a refused one re-renders the page with the reason (400).
A new read key is the exception: it is shown on the answer itself, once, and never put in an
address or a cookie.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, flash, get_flashed_messages, g, redirect, request, session
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.validators import ValidationError

from dashboard.api.ingest import service
from dashboard.orgs import ORG_KINDS, Directory, DirectoryError
from feeds.redis_client import STORE_ERRORS
from dashboard.notify.channels import ChannelError, ChannelStore, public_view
from dashboard.notify.outbox import Outbox
from feeds.subscriptions import CallbackPolicy
from layouts.admin import admin_page, channels_section
from layouts.i18n import pick, text

log = logging.getLogger(__name__)
bp = Blueprint("admin", __name__)
HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": "frame-ancestors 'none'"}


def directory() -> Directory:
    return service().directory


def _lang() -> str:
    return pick(request.values.get("lang") or session.get("lang"))


@bp.get("/admin")
def page() -> Response:
    messages = get_flashed_messages()
    return _page(_lang(), message=messages[-1] if messages else None)


@bp.post("/admin/orgs")
def add_org() -> Response:
    def change(form, lang):
        sources = [s for s in re.split(r"[\s,]+", form.get("sources", "")) if s]
        org = directory().add_org(form.get("id", "").strip(), form.get("name", ""), form.get("kind", ""), sources)
        return text("admin_org_added", lang, org=org.id)
    return _change(change)


@bp.post("/admin/orgs/remove")
def remove_org() -> Response:
    def change(form, lang):
        if not form.get("confirm"):  # it takes the organisation's people and keys with it
            raise DirectoryError(text("admin_not_confirmed", lang))
        directory().remove_org(form.get("org", ""))
        return text("admin_org_removed", lang, org=form["org"])
    return _change(change)


@bp.post("/admin/users")
def add_user() -> Response:
    def change(form, lang):
        account = directory().add_account(form.get("name", "").strip(), form.get("org", ""), form.get("password", ""))
        return text("admin_user_added", lang, user=account.name)
    return _change(change)


@bp.post("/admin/users/remove")
def remove_user() -> Response:
    def change(form, lang):
        directory().remove_account(form.get("name", ""))
        return text("admin_user_removed", lang, user=form["name"])
    return _change(change)


def _channels() -> ChannelStore:
    return ChannelStore(service().redis, service().config.port_id, CallbackPolicy(service().config.callback_hosts))


@bp.post("/admin/channels")
def add_channel() -> Response:
    def change(form, lang):
        org = form.get("org", "")
        if directory().org(org) is None:
            raise DirectoryError(f"no organisation {org!r}")
        given = {key: form.get(key) for key in ("kind", "url", "to", "secret", "digest_minutes")}
        try:
            channel = _channels().add(org, {**given, "lang": form.get("channel_lang") or "zh"})
        except ChannelError as exc:
            raise DirectoryError(str(exc)) from None
        return text("admin_channel_added", lang, org=org, channel=channel["id"])
    return _change(change)


@bp.post("/admin/channels/remove")
def remove_channel() -> Response:
    def change(form, lang):
        try:
            _channels().remove(form.get("org", ""), form.get("channel", ""))
        except ChannelError as exc:
            raise DirectoryError(str(exc)) from None
        return text("admin_channel_removed", lang, org=form["org"], channel=form["channel"])
    return _change(change)


@bp.post("/admin/keys/remove")
def remove_keys() -> Response:
    def change(form, lang):
        removed = directory().remove_read_keys(form.get("org", ""))
        return text("admin_keys_removed", lang, org=form["org"], n=removed)
    return _change(change)


@bp.post("/admin/keys")
def add_key() -> Response:
    """The new key is on this answer and nowhere else: not in a redirect's address, not in the
    (signed, not encrypted) session cookie."""
    lang, refusal = _checked()
    if refusal:
        return refusal
    org = request.form.get("org", "")
    try:
        key = directory().add_read_key(org)
    except DirectoryError as exc:
        return _page(lang, error=text("admin_refused", lang, why=exc), status=400)
    except STORE_ERRORS as exc:
        return _store_down(lang, exc)
    log.info("%s made a read key for %s", _who(), org)
    return _page(lang, new_key=(org, key))


def _change(change) -> Response:
    """Checks the form's token, makes the change, and sends the browser back to the page."""
    lang, refusal = _checked()
    if refusal:
        return refusal
    try:
        message = change(request.form, lang)
    except DirectoryError as exc:
        return _page(lang, error=text("admin_refused", lang, why=exc), status=400)
    except STORE_ERRORS as exc:
        return _store_down(lang, exc)
    log.info("%s on /admin: %s", _who(), message)
    flash(message)
    return redirect(f"/admin?lang={lang}", 303)


def _checked() -> tuple[str, Response | None]:
    lang = _lang()
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return lang, _page(lang, error=text("admin_expired", lang), status=400)
    return lang, None


def _store_down(lang: str, exc: Exception) -> Response:
    log.warning("admin change not made, Redis: %s", exc)
    return _page(lang, error=text("admin_store_down", lang), status=503)


def _who() -> str:
    credential = getattr(g, "credential", None)
    return getattr(credential, "name", None) or "a manager"


def _page(lang: str, status: int = 200, **notes) -> Response:
    found = directory()
    orgs = [{"id": org.id, "name": org.name, "kind": org.kind, "sources": list(org.sources),
             "users": [account.name for account in found.accounts(org.id)], "keys": found.key_count(org.id)}
            for org in found.orgs()]
    html = admin_page(lang, generate_csrf(), orgs, ORG_KINDS, channels_html=_channels_html(lang, orgs), **notes)
    return Response(html, status=status, mimetype="text/html", headers=HEADERS)


def _channels_html(lang: str, orgs: list[dict]) -> str:
    """The channels (never their secrets) and each organisation's latest 20 delivery attempts."""
    svc = service()
    try:
        found = {org: [public_view(c) for c in channels] for org, channels in _channels().all().items()}
        outbox = Outbox(svc.redis, svc.config.port_id)
        logs = {org["id"]: outbox.log(org["id"], 20) for org in orgs}
    except STORE_ERRORS as exc:
        log.warning("admin page without channels, Redis: %s", exc)
        return ""
    return channels_section(lang, generate_csrf(), orgs, found, logs)
