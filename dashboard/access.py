"""Who is asking, and what each kind of credential opens: the access matrix (docs/access.md).

Seven kinds of caller: anonymous, the wall (a display token, then a signed session cookie),
partners and readers (bearer keys), managers (a login session), and an organisation's members
(a login session) and readers (its read key), who see only what their organisation is a party
of (`Credential.identities`; dashboard/state/scoped.py). One `before_request` hook applies the
matrix to every HTTP route; the page router and the Socket.IO handlers ask `may_open` the same
question for what they serve.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import math
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import Request, g, redirect, request, session

from dashboard.config import ConfigError, parse_partner_keys
from layouts import ids

log = logging.getLogger(__name__)

MANAGER_SESSION_HOURS = 12  # a manager logs in again after this long


class Kind(enum.Enum):
    ANONYMOUS = "anonymous"
    WALL = "wall"
    PARTNER = "partner"
    READ = "read"
    MANAGER = "manager"
    MEMBER = "member"  # a person of a party organisation (trucking, broker, consignee, ...)
    ORG_READ = "org_reader"  # a party organisation's read key


@dataclass(frozen=True)
class Credential:
    kind: Kind
    name: str | None = None  # the user's name or the partner's source
    bad_key: bool = False  # a bearer key was sent and is not known
    org: str | None = None  # the organisation of an account or a read key
    identities: frozenset[str] | None = None  # what the caller is a party as; None: sees all


ANONYMOUS = Credential(Kind.ANONYMOUS)
OPEN_PATHS = ("/healthz", "/login", "/logout", "/_dash-layout", "/_dash-dependencies", "/_favicon.ico",
              "/_reload-hash", "/api/v1/openapi.yaml")
OPEN_PREFIXES = ("/assets/", "/_dash-component-suites/")
READERS = frozenset({Kind.READ, Kind.MANAGER})
SCOPED = frozenset({Kind.MEMBER, Kind.ORG_READ})  # see their organisation's cargo only
SCOPED_API = re.compile(r"/api/v1/(vessels(/[^/]+)?|containers/[^/]+|search)|/v2/events(/[^/]+)?")
SCOPED_PAGES = re.compile(r"/vessels(/[^/]+(/boxes\.csv)?)?|/containers/[^/]+|/track(/.*)?")
PERSONAL_API = re.compile(r"/api/v1/(watches(/.*)?|notices)")  # a person's own: sessions only
# the server callbacks a member's pages use: the router, the search and the vessel pages' refresh
MEMBER_OUTPUTS = frozenset({ids.PAGE, ids.SEARCH_RESULTS, ids.NAVIGATE, ids.VESSEL_GRID, ids.VESSEL_HEADER,
                            ids.VESSEL_STAGES, ids.VESSEL_BOTTLENECK, ids.BOX_GRID, ids.VESSEL_TIMELINE,
                            ids.VESSEL_EARLIER})


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class KeyRing:
    """Bearer key → (kind, name). Keys are kept and compared as digests, in constant time.

    Partner keys come from the configuration and, optionally, a keys file (`source=key` lines)
    that is looked at once a second and re-read when it changed: keys are added and revoked
    without a restart. A file that cannot be read or parsed leaves the keys as they were.
    """

    def __init__(self, partner_keys: dict[str, str], read_keys: tuple[str, ...] = (),
                 keys_file: Path | None = None, check_seconds: float = 1.0):
        self._configured, self._read_keys = dict(partner_keys), tuple(read_keys)
        self._file, self._check_seconds = keys_file, check_seconds
        self._stamp: tuple | None = None
        self._checked_at = -math.inf
        self._build({})
        self._refresh()

    def _build(self, from_file: dict[str, str]) -> None:
        partners = {**from_file, **self._configured}
        entries = [(digest(key), Kind.PARTNER, source) for source, key in partners.items()]
        entries += [(digest(key), Kind.READ, f"reader-{n + 1}") for n, key in enumerate(self._read_keys)]
        self._entries, self._sources = entries, sorted(partners)

    def _refresh(self) -> None:
        if self._file is None or time.monotonic() - self._checked_at < self._check_seconds:
            return
        self._checked_at = time.monotonic()
        try:
            info = self._file.stat()
            stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        except FileNotFoundError:
            stamp = None
        if stamp == self._stamp:
            return
        try:
            from_file = parse_partner_keys(self._file.read_text(), origin=str(self._file)) if stamp else {}
        except (OSError, ConfigError) as exc:
            log.warning("partner keys file not re-read, the keys stay as they were: %s", exc)
            return
        self._stamp = stamp
        self._build(from_file)
        log.info("partner keys: %d from %s", len(from_file), self._file)

    def partner_sources(self) -> list[str]:
        self._refresh()
        return list(self._sources)

    def lookup(self, key: str | None) -> tuple[Kind, str] | None:
        if not key:
            return None
        self._refresh()
        wanted, found = digest(key), None
        for known, kind, name in self._entries:  # no early exit: the time does not tell which
            if hmac.compare_digest(known, wanted):
                found = (kind, name)
        return found


def password_fingerprint(password_hash: str) -> str:
    """Kept in the session: a changed password (or a removed user) ends the sessions it opened."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def bearer_key(req: Request) -> str | None:
    scheme, _, key = req.headers.get("Authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else None


def credential_of(req: Request, svc) -> Credential:
    """A bearer key speaks first (a wrong one makes the caller anonymous); then the session."""
    if req.headers.get("Authorization"):
        key = bearer_key(req)
        found = svc.keys.lookup(key)
        if found:
            return Credential(found[0], found[1])
        org = svc.directory.org_for_key(key) if key else None
        return organisation_credential(org, Kind.READ, Kind.ORG_READ, f"key of {org.id}") if org else \
            Credential(Kind.ANONYMOUS, bad_key=True)
    user = session.get("user")
    if user:
        fresh = time.time() - session.get("since", 0) < MANAGER_SESSION_HOURS * 3600
        found = fresh and _session_user(svc, user)
        if found:
            return found
    token = svc.config.wall_token
    if token and hmac.compare_digest(session.get("wall", ""), digest(token).hex()):
        return Credential(Kind.WALL)
    return ANONYMOUS


def _session_user(svc, user: str) -> Credential | None:
    """The session's user, if the account still exists with the password it logged in with:
    the configured managers first, then the organisations' accounts."""
    known = svc.config.users.get(user)
    account = None if known else svc.directory.account(user)
    password_hash = known or (account.password_hash if account else None)
    if not password_hash or not hmac.compare_digest(session.get("pw", ""), password_fingerprint(password_hash)):
        return None
    if known:
        return Credential(Kind.MANAGER, user)
    org = svc.directory.org(account.org)
    return organisation_credential(org, Kind.MANAGER, Kind.MEMBER, user) if org else None


def organisation_credential(org, sees_all: Kind, scoped: Kind, name: str) -> Credential:
    """The task force sees the whole port; any other organisation what it is a party of."""
    if org.sees_all:
        return Credential(sees_all, name, org=org.id)
    return Credential(scoped, name, org=org.id, identities=org.identities)


def allowed_kinds(path: str, method: str) -> frozenset[Kind]:
    """Who may call `path`; pages not listed are for managers."""
    if path in ("/api/v1/events", "/api/v1/dcsa/events", "/api/v1/rejects"):
        return frozenset({Kind.PARTNER})
    if (path == "/api/v1/demo" or path.startswith("/api/v1/alerts")) and method != "GET":
        return frozenset({Kind.MANAGER})
    if PERSONAL_API.fullmatch(path):
        return frozenset({Kind.MANAGER, Kind.MEMBER})
    if SCOPED_API.fullmatch(path):
        return READERS | SCOPED
    if path.startswith(("/api/", "/v2/")) or path == "/metrics":  # /v2/: DCSA T&T out
        return READERS
    if path == "/":
        return frozenset({Kind.WALL, Kind.MANAGER})
    if path == "/_dash-update-component":  # which callbacks: _second_checks
        return frozenset({Kind.WALL, Kind.MANAGER, Kind.MEMBER})
    if SCOPED_PAGES.fullmatch(path):
        return frozenset({Kind.MANAGER, Kind.MEMBER})
    return frozenset({Kind.MANAGER})


def may_open(credential: Credential, path: str) -> bool:
    """May this caller see the page at `path`? (The page router asks it again for each page.)"""
    return credential.kind in allowed_kinds(path or "/", "GET")


def is_api(path: str) -> bool:
    return path.startswith(("/api/", "/v2/")) or path in ("/metrics", "/_dash-update-component")


def safe_next(target: str | None) -> str:
    """`next=` only ever leads inside the site: a path, never a scheme, host or `//`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ch in target for ch in "\r\n\\"):
        return "/"
    return target


def login_redirect(target: str):
    return redirect("/login?" + urlencode({"next": safe_next(target)}), 302)


def same_origin(req: Request) -> bool:
    """A browser names the page a request came from; a session's writes must come from ours.
    (SameSite=Lax already keeps the cookie off other sites' posts; this is the second lock.)"""
    origin = req.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == req.host


def wall_callback_only(req: Request) -> bool:
    """The wall's only server callback is the page router; the display token opens nothing else."""
    body = req.get_json(silent=True)
    return isinstance(body, dict) and body.get("output") == f"{ids.PAGE}.children"


def member_callback_only(req: Request) -> bool:
    """A member's pages call the router, the search and the vessel pages' refresh; nothing else
    (not the feeds', nor the demo's)."""
    body = req.get_json(silent=True)
    outputs = body.get("outputs") if isinstance(body, dict) else None
    outputs = [outputs] if isinstance(outputs, dict) else outputs
    return bool(outputs) and all(isinstance(out, dict) and out.get("id") in MEMBER_OUTPUTS for out in outputs)


def check_request(svc, json_error):
    """The before_request hook: None lets the request through; otherwise the answer to send."""
    path = request.path
    credential = g.credential = credential_of(request, svc)
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return None
    if path == "/" and "token" in request.args:
        return open_wall(svc)
    allowed = allowed_kinds(path, request.method)
    if credential.kind in allowed:
        return _second_checks(credential, json_error)
    if not is_api(path):
        return login_redirect(request.full_path if request.query_string else path)
    if credential.kind is Kind.ANONYMOUS:
        problem = "unknown key" if credential.bad_key else "no credential"
        return json_error(401, "unauthorized", f"{problem}: send a key as `Authorization: Bearer …` "
                          "or log in", headers={"WWW-Authenticate": "Bearer"})
    return json_error(403, "forbidden", f"a {credential.kind.value} credential does not open {path}")


def _second_checks(credential: Credential, json_error):
    if credential.kind in (Kind.MANAGER, Kind.WALL, Kind.MEMBER) and request.method not in ("GET", "HEAD", "OPTIONS"):
        if not same_origin(request):
            return json_error(403, "cross_origin", "a session's writes must come from this site's pages")
        if credential.kind is Kind.WALL and not wall_callback_only(request):
            return json_error(403, "forbidden", "the display token opens the wall and nothing else")
        if credential.kind is Kind.MEMBER and request.path == "/_dash-update-component" \
                and not member_callback_only(request):
            return json_error(403, "forbidden", "an organisation's account opens its own cargo's pages only")
    return None


def open_wall(svc):
    """`/?token=…`: a right token is kept in the session cookie and taken out of the address."""
    token = svc.config.wall_token
    given = request.args.get("token", "")
    rest = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "token"])
    target = "/" + (f"?{rest}" if rest else "")
    if not token or not hmac.compare_digest(digest(given), digest(token)):
        return login_redirect(target)
    session["wall"] = digest(token).hex()
    session.permanent = True
    return redirect(target, 302)
