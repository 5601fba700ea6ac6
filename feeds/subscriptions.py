"""DCSA Track & Trace 2.2 event subscriptions: their definitions in Redis, checked before they
are kept, and the operator's rule for where a callback may go (docs/dcsa.md, "Subscriptions").

A definition is one JSON value in the port's `subscriptions` hash: its id, its owner (who may
see and change it), `callbackUrl`, the base64 `secret` and the filters as the subscriber gave
them. Where its deliveries stand (the log position, retries, parking) is feeds/deliveries.py's.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import socket
import time
import uuid
from typing import Any, Iterable
from urllib.parse import urlsplit

import orjson
import redis

from feeds.dcsa_filters import CREATED, LISTS, TEXTS, DcsaFilters, parse_filters
from feeds.events import utc_text
from feeds.keys import PortKeys

BODY_FIELDS = ("subscriptionID", "callbackUrl", "secret")  # the rest of a body are filters
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 16, 1024
MAX_URL = 2000

# KEYS: subscriptions hash, the new one's delivery state, the log. ARGV: id, definition JSON.
# The subscription starts after the log's newest entry: it gets the events that come after it.
_CREATE = """
local newest = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
local cursor = '0-0'
if newest[1] then cursor = newest[1][1] end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], 'cursor', cursor)
return cursor
"""
# KEYS: subscriptions hash. ARGV: id, definition JSON. → 1 if it was there (and is replaced).
_REPLACE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


def invalid(message: str) -> dict:
    """One reason in the DCSA error shape (error domain 1.0.0 `subErrors`)."""
    return {"reason": "invalidInput", "message": message}


class CallbackPolicy:
    """Where callbacks may go: the hosts the operator listed (`DP_CALLBACK_HOSTS`), never a
    private, loopback or link-local address unless that address itself is listed.

    Entries: a host name (`hooks.carrier.example`), a wildcard for its subdomains
    (`*.carrier.example`), an address (`203.0.113.7`, `127.0.0.1`) or a network (`10.1.0.0/16`).
    A name's addresses are looked up on every check, so a name that later points inside the
    network is refused then (at create, at update and before each delivery). `cache_seconds`: how
    long a name's verdict is kept (the deliverer's: not one DNS look-up per delivery)."""

    def __init__(self, entries: Iterable[str], cache_seconds: float = 0.0):
        self.cache_seconds, self._verdicts = cache_seconds, {}
        self.names, self.suffixes, self.networks = set(), [], []
        for entry in (e.strip().lower() for e in entries if e.strip()):
            if entry.startswith("*."):
                self.suffixes.append(entry[1:])
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.names.add(entry.rstrip("."))

    def refusal(self, url: str) -> str | None:
        """Why `url` may not receive callbacks, or None when it may."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "callbackUrl must be an absolute http:// or https:// address"
        if parts.username or parts.password:
            return "callbackUrl must not carry a user or password"
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return "callbackUrl has a bad port"
        host = parts.hostname.rstrip(".")
        literal = _address(host)
        if literal is not None:
            return None if self._listed(literal) else (
                f"{host} is not an allowed callback host (DP_CALLBACK_HOSTS)")
        if host not in self.names and not any(host.endswith(s) for s in self.suffixes):
            return f"{host} is not an allowed callback host (DP_CALLBACK_HOSTS)"
        return self._resolved_refusal(host, port)

    def _listed(self, address) -> bool:
        return any(address in network for network in self.networks)

    def _resolved_refusal(self, host: str, port: int) -> str | None:
        checked_at, verdict = self._verdicts.get((host, port), (-self.cache_seconds, None))
        if time.monotonic() - checked_at >= self.cache_seconds:
            verdict = self._look_up(host, port)
            if self.cache_seconds:
                self._verdicts[(host, port)] = (time.monotonic(), verdict)
        return verdict

    def _look_up(self, host: str, port: int) -> str | None:
        try:
            found = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
        except (OSError, UnicodeError):
            return f"{host} does not resolve"
        for text in sorted(found):
            address = _address(text.split("%")[0])
            if address is None or not _public(address) and not self._listed(address):
                return (f"{host} resolves to {text}, a private or local address; the operator may "
                        "allow that address by listing it in DP_CALLBACK_HOSTS")
        return None


def _address(text: str):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _public(address) -> bool:
    return address.is_global and not address.is_multicast


def check_secret(secret: Any) -> str | None:
    """Why `secret` cannot sign callbacks, or None: base64 of 16 to 1,024 bytes."""
    if not isinstance(secret, str):
        return "secret must be a base64 string"
    try:
        key = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        return "secret is not base64"
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        return f"secret must decode to {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes"
    return None


def check_filters(body: dict) -> tuple[dict, list[dict]]:
    """A body's filter fields → (the filters to keep, as given; every reason they are wrong).
    Lists are JSON arrays of text and the others text, as the subscription schema says."""
    given = {name: value for name, value in body.items() if name not in BODY_FIELDS}
    errors = []
    for name, value in given.items():
        if name in LISTS and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            errors.append(invalid(f"{name} must be an array of text"))
        elif name in TEXTS and not isinstance(value, str):
            errors.append(invalid(f"{name} must be text"))
        elif name.partition(":")[0] == CREATED:
            errors.append(invalid(f"{name} is a filter of GET /v2/events, not of a subscription"))
    if not errors:
        errors = parse_filters(given)[1]
    return given, errors


def filters_of(definition: dict) -> DcsaFilters:
    return parse_filters(definition["filters"])[0]


def view(definition: dict) -> dict:
    """What the API shows of a subscription (TNT 2.2 `subscription`): never its secret."""
    return {"subscriptionID": definition["subscriptionID"], "callbackUrl": definition["callbackUrl"],
            **definition["filters"]}


class SubscriptionStore:
    def __init__(self, client: redis.Redis | redis.RedisCluster, port_id: str):
        self.client = client
        self.keys = PortKeys(port_id)
        self._create = client.register_script(_CREATE)
        self._replace = client.register_script(_REPLACE)

    def create(self, owner: str, callback_url: str, secret: str, filters: dict) -> dict:
        definition = {"subscriptionID": str(uuid.uuid4()), "owner": owner, "callbackUrl": callback_url,
                      "secret": secret, "filters": filters, "created": utc_text(time.time())}
        definition["updated"] = definition["created"]
        sid = definition["subscriptionID"]
        self._create(keys=[self.keys.subscriptions, self.keys.delivery_state(sid), self.keys.events],
                     args=[sid, orjson.dumps(definition)])
        return definition

    def get(self, subscription_id: str) -> dict | None:
        raw = self.client.hget(self.keys.subscriptions, subscription_id)
        return orjson.loads(raw) if raw is not None else None

    def ids(self) -> list[str]:
        return [sid.decode() for sid in self.client.hkeys(self.keys.subscriptions)]

    def all(self) -> list[dict]:
        """Every subscription, oldest first."""
        found = [orjson.loads(raw) for raw in self.client.hvals(self.keys.subscriptions)]
        return sorted(found, key=lambda d: (d["created"], d["subscriptionID"]))

    def replace(self, definition: dict) -> bool:
        """Keep a changed definition; False when it was deleted meanwhile."""
        definition = {**definition, "updated": utc_text(time.time())}
        return bool(self._replace(keys=[self.keys.subscriptions],
                                  args=[definition["subscriptionID"], orjson.dumps(definition)]))

    def delete(self, subscription_id: str) -> bool:
        removed = self.client.hdel(self.keys.subscriptions, subscription_id)
        self.client.delete(self.keys.delivery_state(subscription_id))
        self.client.delete(self.keys.delivery_log(subscription_id))
        return bool(removed)
