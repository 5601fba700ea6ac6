"""Who is asking, and what each kind of credential opens: the access matrix (docs/access.md).

Five kinds of caller: anonymous, the wall (a display token, then a signed session cookie),
partners and readers (bearer keys), managers (a login session). One `before_request` hook
applies the matrix to every HTTP route; the page router and the Socket.IO handlers ask
`may_open` the same question for what they serve.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import math
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


@dataclass(frozen=True)
class Credential:
    kind: Kind
    name: str | None = None  # the manager's user name or the partner's source
    bad_key: bool = False  # a bearer key was sent and is not known


ANONYMOUS = Credential(Kind.ANONYMOUS)
OPEN_PATHS = ("/healthz", "/login", "/logout", "/_dash-layout", "/_dash-dependencies", "/_favicon.ico",
              "/_reload-hash", "/api/v1/openapi.yaml")
OPEN_PREFIXES = ("/assets/", "/_dash-component-suites/")
READERS = frozenset({Kind.READ, Kind.MANAGER})


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
        found = svc.keys.lookup(bearer_key(req))
        return Credential(found[0], found[1]) if found else Credential(Kind.ANONYMOUS, bad_key=True)
    user = session.get("user")
    if user:
        known = svc.config.users.get(user)
        fresh = time.time() - session.get("since", 0) < MANAGER_SESSION_HOURS * 3600
        if known and fresh and hmac.compare_digest(session.get("pw", ""), password_fingerprint(known)):
            return Credential(Kind.MANAGER, user)
    token = svc.config.wall_token
    if token and hmac.compare_digest(session.get("wall", ""), digest(token).hex()):
        return Credential(Kind.WALL)
    return ANONYMOUS


def allowed_kinds(path: str, method: str) -> frozenset[Kind]:
    """Who may call `path`; pages not listed are for managers."""
    if path in ("/api/v1/events", "/api/v1/dcsa/events", "/api/v1/rejects"):
        return frozenset({Kind.PARTNER})
    if path == "/api/v1/demo" and method != "GET":
        return frozenset({Kind.MANAGER})
    if path.startswith(("/api/", "/v2/")) or path == "/metrics":  # /v2/: DCSA T&T out
        return READERS
    if path in ("/", "/_dash-update-component"):
        return frozenset({Kind.WALL, Kind.MANAGER})
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
    if credential.kind in (Kind.MANAGER, Kind.WALL) and request.method not in ("GET", "HEAD", "OPTIONS"):
        if not same_origin(request):
            return json_error(403, "cross_origin", "a session's writes must come from this site's pages")
        if credential.kind is Kind.WALL and not wall_callback_only(request):
            return json_error(403, "forbidden", "the display token opens the wall and nothing else")
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
