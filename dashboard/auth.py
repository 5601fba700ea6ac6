"""Managers' login and logout, the key that signs session cookies, and the demo's own account.

The session is Flask's signed cookie (HttpOnly, SameSite=Lax). Logging in starts a new session
(nothing from before the login survives it: no fixation); the forms carry Flask-WTF's CSRF token;
`next=` only ever leads inside the site; failed logins are limited per address (flask-limiter).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

from flask import Blueprint, Flask, Response, redirect, request, session
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.validators import ValidationError
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.access import password_fingerprint, safe_next
from dashboard.runtime import current_runtime
from layouts.i18n import pick
from layouts.login import login_page

log = logging.getLogger(__name__)

LOGIN_LIMIT = "10 per minute"  # failed logins per client address: slows guessing to a crawl
WALL_SESSION_DAYS = 30  # a wall screen stays open for weeks
RENEW_SECONDS = 86_400  # a session's cookie is signed again at most once a day
# checked when the user is unknown, so that a wrong name takes as long as a wrong password
_NO_SUCH_USER = generate_password_hash(secrets.token_hex(16))

bp = Blueprint("auth", __name__)


def configure_sessions(server: Flask, config) -> None:
    server.secret_key = config.secret_key or stored_secret_key(Path(config.data_dir))
    server.config.update(SESSION_COOKIE_NAME="portpulse", SESSION_COOKIE_HTTPONLY=True,
                         SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=timedelta(days=WALL_SESSION_DAYS),
                         WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
                         SESSION_REFRESH_EACH_REQUEST=False)  # renew_daily does it, once a day
    server.before_request(renew_daily)


def renew_daily() -> None:
    """Keep a used session alive past its lifetime without signing a new cookie on every answer
    (Flask's default costs each page and callback a serialisation and an HMAC): a session that
    was last renewed a day ago gets a new cookie, and its 30 days start again."""
    if session.permanent and time.time() - session.get("renewed", 0) > RENEW_SECONDS:
        session["renewed"] = int(time.time())


def stored_secret_key(data_dir: Path) -> str:
    """DP_SECRET_KEY unset: a key generated once into the data directory, so sessions survive a
    restart. Readable by its owner only."""
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


def failed_login(response: Response) -> bool:
    """Only failures count towards the limit: a manager who logs in is never slowed."""
    return response.status_code != 302


def verify_password(hashed: str | None, password: str) -> bool:
    """Always checks a hash, so that an unknown name takes as long as a wrong password."""
    matches = check_password_hash(hashed or _NO_SUCH_USER, password)
    return bool(hashed) and matches


def password_hash_of(svc, name: str) -> str | None:
    """The configured managers first (they win on a name in both), then the organisations'
    accounts (dashboard/orgs.py)."""
    if name in svc.config.users:
        return svc.config.users[name]
    account = svc.directory.account(name) if name else None
    return account.password_hash if account else None


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response:
    lang = pick(request.values.get("lang"))
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        return _form(lang, target)
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return _form(lang, target, "expired", status=400)
    name, password = request.form.get("username", "").strip(), request.form.get("password", "")
    hashed = password_hash_of(current_runtime().svc, name)
    if not verify_password(hashed, password):
        log.warning("failed login for %r from %s", name[:64], request.remote_addr)
        return _form(lang, target, "wrong", status=401)
    session.clear()  # a new session: nothing an attacker planted before the login survives
    session.update(user=name, since=time.time(), pw=password_fingerprint(hashed), lang=lang)
    session.permanent = True
    log.info("%s logged in", name)
    return redirect(target if target != "/" else landing_page(name), 302)


def landing_page(name: str) -> str:
    """Where a login without `next=` lands: an organisation's people on their boxes (the phone
    page, /track), the managers on the vessels."""
    svc = current_runtime().svc
    account = None if name in svc.config.users else svc.directory.account(name)  # managers win on a name
    org = svc.directory.org(account.org) if account else None
    return "/track" if org is not None and not org.sees_all else "/vessels"  # the task force sees the port


@bp.post("/logout")
def logout() -> Response:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return Response("This form has expired: go back and reload the page.", status=400, mimetype="text/plain")
    session.clear()
    return redirect("/login", 302)


def _form(lang: str, target: str, problem: str | None = None, status: int = 200) -> Response:
    page = login_page(lang, target, generate_csrf(), problem)
    return Response(page, status=status, mimetype="text/html",
                    headers={"Cache-Control": "no-store", "Content-Security-Policy": "frame-ancestors 'none'"})


def demo_access(data_dir: Path) -> dict:
    """The demo's account and wall token, and its trucker's password (dashboard/demo_orgs.py),
    made once and kept in the data directory (0600), so a presenter's bookmarks keep working
    between runs. A file from before the trucker gets the trucker's password added."""
    path = Path(data_dir) / "demo-access.json"
    try:
        access = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        access = None
    if not isinstance(access, dict) or "wall_token" not in access:
        access = {"user": "demo", "password": secrets.token_urlsafe(12), "wall_token": secrets.token_urlsafe(24)}
    elif "trucker_password" in access:
        return access
    access["trucker_password"] = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(access, handle)
    return access
