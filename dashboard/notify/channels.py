"""Organisations' notification channels, kept in the port's Redis (docs/notifications.md, "Channels").

One hash, org id → JSON list of channels `{id, kind, url | to, secret?, digest_minutes, lang}`.
Kinds: `webhook` (signed POST, as the DCSA callbacks), `wecom` and `dingtalk` (group robots),
`email`. Every URL is checked with the DCSA callbacks' CallbackPolicy (DP_CALLBACK_HOSTS) when
it is added and again before each send. Secrets — and the robots' keys in their URLs — are never
shown back in full (`public_view`). No Flask in here: the CLI and the admin page share it.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson

from feeds.keys import PortKeys
from feeds.subscriptions import MAX_URL, CallbackPolicy, check_secret

CHANNEL_KINDS = ("webhook", "wecom", "dingtalk", "email")
LANGS = ("zh", "en")
MAX_CHANNELS = 20  # per organisation
MAX_DIGEST_MINUTES = 24 * 60
EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")
SECRET_QUERY = ("key", "access_token")  # the robots' credentials in their URLs


class ChannelError(ValueError):
    """A channel refused; the message says why."""


def check_channel(channel: dict, policy: CallbackPolicy) -> dict:
    """The channel as kept, or ChannelError. `to` is a comma-separated list of addresses."""
    kind = channel.get("kind")
    if kind not in CHANNEL_KINDS:
        raise ChannelError(f"kind must be one of {', '.join(CHANNEL_KINDS)}")
    lang = channel.get("lang") or "zh"
    if lang not in LANGS:
        raise ChannelError("lang is zh or en")
    try:
        digest = int(channel.get("digest_minutes") or 0)
    except (TypeError, ValueError):
        raise ChannelError("digest_minutes is a whole number") from None
    if not 0 <= digest <= MAX_DIGEST_MINUTES:
        raise ChannelError(f"digest_minutes is 0 (each at once) to {MAX_DIGEST_MINUTES}")
    kept = {"id": channel.get("id") or "ch-" + secrets.token_hex(4), "kind": kind, "lang": lang,
            "digest_minutes": digest}
    if kind == "email":
        to = [a.strip() for a in str(channel.get("to") or "").split(",") if a.strip()]
        if not to or not all(EMAIL.fullmatch(a) for a in to):
            raise ChannelError("to: one or more e-mail addresses, comma-separated")
        return {**kept, "to": to}
    url = channel.get("url")
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise ChannelError(f"url is required (at most {MAX_URL} characters)")
    refusal = policy.refusal(url)
    if refusal:
        raise ChannelError(refusal.replace("callbackUrl", "url"))
    kept["url"] = url
    secret = channel.get("secret") or None
    if kind == "webhook":
        problem = check_secret(secret) if secret else "a webhook needs a secret (base64 of 16+ bytes) to sign with"
        if problem:
            raise ChannelError(problem)
    if secret:
        kept["secret"] = secret
    return kept


def masked_url(url: str) -> str:
    """The robots' `key` / `access_token` shown as their last 4 characters only."""
    parts = urlsplit(url)
    query = [(name, "…" + value[-4:] if name in SECRET_QUERY else value)
             for name, value in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="…")))


def public_view(channel: dict) -> dict:
    """What the admin page, the CLI and the log may show of a channel."""
    view = {key: value for key, value in channel.items() if key not in ("secret", "url")}
    if "url" in channel:
        view["url"] = masked_url(channel["url"])
    if channel.get("secret"):
        view["secret"] = "…" + channel["secret"][-4:]
    return view


class ChannelStore:
    def __init__(self, client, port_id: str, policy: CallbackPolicy):
        self.client, self.keys, self.policy = client, PortKeys(port_id), policy

    def of(self, org_id: str) -> list[dict]:
        raw = self.client.hget(self.keys.channels, org_id)
        return orjson.loads(raw) if raw else []

    def all(self) -> dict[str, list[dict]]:
        return {org.decode(): orjson.loads(raw) for org, raw in self.client.hgetall(self.keys.channels).items()}

    def add(self, org_id: str, channel: dict) -> dict:
        kept = check_channel(channel, self.policy)

        def attempt(pipe):
            raw = pipe.hget(self.keys.channels, org_id)
            found = orjson.loads(raw) if raw else []
            if len(found) >= MAX_CHANNELS:
                raise ChannelError(f"at most {MAX_CHANNELS} channels per organisation")
            if any(c["id"] == kept["id"] for c in found):
                raise ChannelError(f"channel {kept['id']!r} exists already")
            pipe.multi()
            pipe.hset(self.keys.channels, org_id, orjson.dumps([*found, kept]))
        self.client.transaction(attempt, self.keys.channels)
        return kept

    def remove(self, org_id: str, channel_id: str) -> None:
        def attempt(pipe):
            found = orjson.loads(pipe.hget(self.keys.channels, org_id) or b"[]")
            rest = [c for c in found if c["id"] != channel_id]
            if len(rest) == len(found):
                raise ChannelError(f"organisation {org_id!r} has no channel {channel_id!r}")
            pipe.multi()
            if rest:
                pipe.hset(self.keys.channels, org_id, orjson.dumps(rest))
            else:
                pipe.hdel(self.keys.channels, org_id)
        self.client.transaction(attempt, self.keys.channels)
