"""Organisations, their people and their read keys, kept in the port's Redis (docs/organisations.md).

Redis, not a file: every web replica and ingest worker already shares the port's Redis and it
survives their restarts, so an account added on one replica opens the others at once. Three
hashes and a counter (feeds/keys.py): `orgs` (id → JSON), `accounts` (user name → JSON),
`org_keys` (sha256 hex of a read key → org id) and `directory_version`, bumped in the same
transaction as every change.

Reads come from an in-process copy: a request costs no Redis round trip, and the copy is read
again only when the version moved, looked at no more than once per `check_seconds`. While
Redis is away the last copy stays. No Flask in here: the CLI and the admin page share it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass, field

import orjson
from werkzeug.security import generate_password_hash

from dashboard.refresh_gate import RefreshGate
from feeds.keys import PortKeys

log = logging.getLogger(__name__)

ORG_KINDS = ("trucking", "broker", "consignee", "agent", "terminal", "customs", "taskforce")
ORG_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
SOURCE = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,63}")  # a partner source, as feeds/events.py checks it
USER_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")  # as `run.py add-user` always took them
MIN_PASSWORD = 8
MAX_ORG_NAME = 200


class DirectoryError(ValueError):
    """A change the directory refuses: the message says why, in words for a person."""


@dataclass(frozen=True)
class Org:
    id: str
    name: str
    kind: str
    sources: tuple[str, ...] = ()  # the partner sources it sends as, e.g. trucking.x

    @property
    def identities(self) -> frozenset[str]:
        """Every name its events and boxes may carry: its id and its sources."""
        return frozenset({self.id, *self.sources})

    @property
    def sees_all(self) -> bool:
        """The task force sees the whole port; every other organisation only its own."""
        return self.kind == "taskforce"


@dataclass(frozen=True)
class Account:
    name: str
    org: str
    password_hash: str


@dataclass(frozen=True)
class _Copy:
    """One consistent reading of the three hashes."""
    orgs: dict[str, Org] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    key_orgs: dict[str, str] = field(default_factory=dict)  # sha256 hex → org id


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Directory:
    def __init__(self, client, port_id: str, check_seconds: float = 1.0):
        self._client, self.keys = client, PortKeys(port_id)
        self._copy, self._version = _Copy(), None
        self._gate = RefreshGate("organisations", check_seconds)

    # -- reading (from the copy) -------------------------------------------------------------
    def org(self, org_id: str) -> Org | None:
        return self._current().orgs.get(org_id)

    def orgs(self) -> list[Org]:
        return sorted(self._current().orgs.values(), key=lambda org: org.id)

    def account(self, name: str) -> Account | None:
        return self._current().accounts.get(name)

    def accounts(self, org: str | None = None) -> list[Account]:
        found = self._current().accounts.values()
        return sorted((a for a in found if org is None or a.org == org), key=lambda a: a.name)

    def key_count(self, org: str) -> int:
        """How many read keys the organisation has (the keys themselves are never kept)."""
        return sum(1 for owner in self._current().key_orgs.values() if owner == org)

    def org_for_key(self, key: str) -> Org | None:
        """The organisation a read key belongs to. A dict lookup of the key's sha256 digest: its
        timing can tell at most about the digest, which a caller cannot steer towards a real key,
        so a constant-time comparison would add nothing here."""
        if not key:
            return None
        copy = self._current()
        owner = copy.key_orgs.get(key_digest(key))
        return copy.orgs.get(owner) if owner else None

    # -- changing (straight to Redis, then the copy) -------------------------------------------
    def add_org(self, org_id: str, name: str, kind: str, sources=()) -> Org:
        if isinstance(sources, str):  # "trucking.x" would otherwise pass as its letters
            raise DirectoryError("sources are a list of partner names, not one string")
        org = Org(org_id, (name or "").strip(), kind, tuple(dict.fromkeys(sources)))
        _check_org(org)

        def plan(data: _Copy):
            if org.id in data.orgs:
                raise DirectoryError(f"organisation {org.id!r} exists already")
            # one name, one organisation: a source or id that another already answers to is refused
            taken = {name: other.id for other in data.orgs.values() for name in other.identities}
            for identity in sorted(org.identities):
                if identity in taken:
                    raise DirectoryError(f"{identity!r} already belongs to organisation {taken[identity]!r}")
            body = {"name": org.name, "kind": org.kind, "sources": list(org.sources)}
            return org, [("hset", self.keys.orgs, org.id, orjson.dumps(body))]
        return self._write(plan)

    def remove_org(self, org_id: str) -> None:
        """The organisation goes, and with it its accounts and its read keys."""
        def plan(data: _Copy):
            _known(data, org_id)
            ops = [("hdel", self.keys.orgs, org_id)]
            names = [a.name for a in data.accounts.values() if a.org == org_id]
            digests = [d for d, owner in data.key_orgs.items() if owner == org_id]
            ops += [("hdel", self.keys.accounts, *names)] if names else []
            ops += [("hdel", self.keys.org_keys, *digests)] if digests else []
            return None, ops
        self._write(plan)

    def add_account(self, name: str, org: str, password: str) -> Account:
        """A new account, or a new password (and organisation) for an existing name."""
        if not isinstance(name, str) or not USER_NAME.fullmatch(name):
            raise DirectoryError("a user name is 1 to 64 letters, digits, dots, dashes or underscores")
        if len(password or "") < MIN_PASSWORD:
            raise DirectoryError(f"a password has at least {MIN_PASSWORD} characters")
        account = Account(name, org, generate_password_hash(password))

        def plan(data: _Copy):
            _known(data, org)
            body = {"org": org, "password_hash": account.password_hash}
            return account, [("hset", self.keys.accounts, name, orjson.dumps(body))]
        return self._write(plan)

    def remove_account(self, name: str) -> None:
        def plan(data: _Copy):
            if name not in data.accounts:
                raise DirectoryError(f"no user {name!r}")
            return None, [("hdel", self.keys.accounts, name)]
        self._write(plan)

    def add_read_key(self, org: str) -> str:
        """A new read key for the organisation: returned this once, kept only as its digest."""
        key = secrets.token_urlsafe(32)

        def plan(data: _Copy):
            _known(data, org)
            return key, [("hset", self.keys.org_keys, key_digest(key), org)]
        return self._write(plan)

    def remove_read_keys(self, org: str) -> int:
        """Revokes every read key of the organisation; → how many there were."""
        def plan(data: _Copy):
            _known(data, org)
            digests = [d for d, owner in data.key_orgs.items() if owner == org]
            return len(digests), [("hdel", self.keys.org_keys, *digests)] if digests else []
        return self._write(plan)

    # -- the machinery -------------------------------------------------------------------------
    def _write(self, plan):
        """Read the hashes under WATCH, let `plan` check and say what to change, then apply that
        and the version bump in one MULTI: a change made meanwhile elsewhere makes us try again,
        so no account is ever added to an organisation that was just removed."""
        keys = self.keys

        def attempt(pipe):
            data = _parse(*(pipe.hgetall(k) for k in (keys.orgs, keys.accounts, keys.org_keys)))
            result, ops = plan(data)
            pipe.multi()
            for op, *args in ops:
                getattr(pipe, op)(*args)
            pipe.incr(keys.directory_version)
            return result
        result = self._client.transaction(attempt, keys.orgs, keys.accounts, keys.org_keys,
                                          keys.directory_version, value_from_callable=True)
        self._refresh(force=True)
        return result

    def _current(self) -> _Copy:
        self._refresh()
        return self._copy

    def _refresh(self, force: bool = False) -> None:
        self._gate.refresh(self._load, force)

    def _load(self) -> None:
        version = self._client.get(self.keys.directory_version)
        if self._gate.loaded and version == self._version:
            return
        pipe = self._client.pipeline(transaction=True)  # the version and the hashes of one moment
        pipe.get(self.keys.directory_version)
        for key in (self.keys.orgs, self.keys.accounts, self.keys.org_keys):
            pipe.hgetall(key)
        version, *hashes = pipe.execute()
        self._copy, self._version = _parse(*hashes), version


def _check_org(org: Org) -> None:
    if not isinstance(org.id, str) or not ORG_ID.fullmatch(org.id):
        raise DirectoryError(f"bad organisation id {org.id!r}: 1 to 64 of a-z 0-9 . _ -, "
                             "starting with a letter or digit")
    if not org.name or len(org.name) > MAX_ORG_NAME or any(ord(ch) < 32 for ch in org.name):
        raise DirectoryError(f"an organisation's name is 1 to {MAX_ORG_NAME} characters on one line")
    if org.kind not in ORG_KINDS:
        raise DirectoryError(f"unknown kind {org.kind!r}: one of {', '.join(ORG_KINDS)}")
    for source in org.sources:
        if not isinstance(source, str) or not SOURCE.fullmatch(source):
            raise DirectoryError(f"bad source {source!r}: a partner name such as trucking.x")


def _known(data: _Copy, org_id: str) -> None:
    if org_id not in data.orgs:
        raise DirectoryError(f"no organisation {org_id!r}")


def _parse(orgs: dict, accounts: dict, key_orgs: dict) -> _Copy:
    """The hashes as Redis gives them (bytes); an entry that does not parse is left out, loudly."""
    copy = _Copy()
    for raw_id, raw in orgs.items():
        org_id = _text(raw_id)
        try:
            body = orjson.loads(raw)
            copy.orgs[org_id] = Org(org_id, body["name"], body["kind"], tuple(body.get("sources", ())))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("organisation %r left out: its entry does not parse (%s)", org_id, exc)
    for raw_name, raw in accounts.items():
        name = _text(raw_name)
        try:
            body = orjson.loads(raw)
            copy.accounts[name] = Account(name, body["org"], body["password_hash"])
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("account %r left out: its entry does not parse (%s)", name, exc)
    copy.key_orgs.update({_text(d): _text(o) for d, o in key_orgs.items()})
    return copy


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value
