"""People's watchlists, kept in the port's Redis (docs/notifications.md, "Watching").

One hash, user name → JSON list of watch keys: `box:<number>`, `vessel:<imo>`,
`declaration:<id>` or `org:*` (everything the user's organisation is a party of). The worker asks
the other way round — who watches this box? — so each process keeps a reverse index (key → users)
in memory, read again only when the version counter moved, as dashboard/orgs.py's Directory does.
No Flask in here.
"""

from __future__ import annotations

import re

import orjson

from dashboard.refresh_gate import RefreshGate
from feeds.keys import PortKeys


WATCH_KINDS = ("box", "vessel", "declaration", "org")
MAX_WATCHES = 20_000  # per user: a trucking company may watch every box it hauls
KEY_TEXT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # one path segment: DELETE …/<kind>/<key>


class WatchError(ValueError):
    """A watch the store refuses; the message says why."""


def watch_key(kind: str, key: str) -> str:
    """`kind:key`, normalised: box numbers upper case without spaces or dashes, `org:*` only."""
    if kind not in WATCH_KINDS:
        raise WatchError(f"kind must be one of {', '.join(WATCH_KINDS)}")
    if kind == "org":
        if key != "*":
            raise WatchError("an organisation is watched as a whole: key '*'")
        return "org:*"
    key = (key or "").strip()
    if kind == "box":
        key = key.upper().replace(" ", "").replace("-", "")
    if kind == "vessel":
        key = key.upper().removeprefix("IMO").strip()
    if not KEY_TEXT.fullmatch(key):
        raise WatchError(f"bad {kind} key {key[:40]!r}")
    return f"{kind}:{key}"


class WatchStore:
    def __init__(self, client, port_id: str, check_seconds: float = 1.0):
        self.client, self.keys = client, PortKeys(port_id)
        self._by_key: dict[str, frozenset[str]] = {}
        self._version = None
        self._gate = RefreshGate("watches", check_seconds)

    # -- one user's own list (straight from Redis) --------------------------------------------
    def of(self, user: str) -> list[str]:
        raw = self.client.hget(self.keys.watches, user)
        return sorted(orjson.loads(raw)) if raw else []

    def add(self, user: str, key: str) -> bool:
        """→ False when the user watched it already."""
        return self._change(user, lambda keys: keys | {key} if key not in keys else None)

    def remove(self, user: str, key: str) -> bool:
        """→ False when the user did not watch it."""
        return self._change(user, lambda keys: keys - {key} if key in keys else None)

    def _change(self, user: str, change) -> bool:
        """Read-modify-write of the user's entry under WATCH, with the version bump in one MULTI."""
        def attempt(pipe):
            raw = pipe.hget(self.keys.watches, user)
            keys = set(orjson.loads(raw)) if raw else set()
            changed = change(keys)
            if changed is None:
                return False
            if len(changed) > MAX_WATCHES:
                raise WatchError(f"at most {MAX_WATCHES} watches per user")
            pipe.multi()
            if changed:
                pipe.hset(self.keys.watches, user, orjson.dumps(sorted(changed)))
            else:
                pipe.hdel(self.keys.watches, user)
            pipe.incr(self.keys.watch_version)
            return True
        done = self.client.transaction(attempt, self.keys.watches, value_from_callable=True)
        self.refresh(force=True)
        return done

    # -- who watches what (from the in-memory copy) -------------------------------------------
    def watchers(self, key: str) -> frozenset[str]:
        self.refresh()
        return self._by_key.get(key, frozenset())

    def watched_keys(self) -> int:
        self.refresh()
        return len(self._by_key)

    def refresh(self, force: bool = False) -> None:
        self._gate.refresh(self._load, force)

    def _load(self) -> None:
        if self._gate.loaded and self.client.get(self.keys.watch_version) == self._version:
            return
        pipe = self.client.pipeline(transaction=True)
        pipe.get(self.keys.watch_version)
        pipe.hgetall(self.keys.watches)
        version, raw = pipe.execute()
        by_key: dict[str, set[str]] = {}
        for raw_user, raw_keys in raw.items():
            user = raw_user.decode()
            for key in orjson.loads(raw_keys):
                by_key.setdefault(key, set()).add(user)
        self._by_key = {key: frozenset(users) for key, users in by_key.items()}
        self._version = version


def watch_store(svc) -> WatchStore:
    """The replica's store: the running worker's (its reverse index is kept warm), else a new one."""
    notifier = svc.notifier
    return notifier.watches if notifier is not None else WatchStore(svc.redis, svc.config.port_id)
